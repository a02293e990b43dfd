"""The demo college scaled up for the load benchmark (bench/load.py): 60 units, 100 tables.

``scale(year)`` runs on a migrated, empty database (the settings come from the environment, as
for the server): it seeds the demo college and its published cycle (``seed_demo``,
``seed_demo_cycle``: 20 units, 100 tables), then adds 40 units with their people and roles
through the real services (``unit_create``, ``person_create``, ``role_assign``), gives them
tables (every new school assists on the tables the schools fill, "各学院"; every new office or
directly affiliated unit assists on several list tables), publishes the breakdown again (the
new units' contributions) and moves about two thirds of the contributions through the real
workflow with small valid files (``version_create``, submit, two approvals, sign), so the pages
show every state. Five 表1-6 contributions of schools are left empty for the 50k-row uploads.

Run by bench/load.py as `python bench/scale.py --plan FILE`; it writes the plan of the load
(the simulated users, their contributions and the uploaders) to FILE as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

if os.environ.get("CAIJI_BENCH_NO_TASKS"):
    # The tasks the set-up triggers (cross-table re-checks, notifications) go to an in-memory
    # queue that nobody reads: the load starts with an empty queue, and set-up stays short.
    from config.celery import app as celery_app

    celery_app.conf.task_always_eager = False
    celery_app.conf.broker_url = "memory://"

from django.contrib.auth.hashers import make_password  # noqa: E402
from django.core.exceptions import PermissionDenied, ValidationError  # noqa: E402
from django.db import connection, transaction  # noqa: E402

from accounts import services  # noqa: E402
from accounts.demo import (  # noqa: E402
    COLLEGE_PEOPLE,
    DEMO_PASSWORD,
    GIVEN,
    ROLE_SUFFIXES,
    SECOND_REVIEWER_SUFFIX,
    SURNAMES,
    seed_demo,
)
from accounts.models import Unit, User  # noqa: E402
from accounts.roles import UnitRole  # noqa: E402
from collection.demo import seed_demo_cycle  # noqa: E402
from collection.models import Assignment, Contribution, ContributionState, Cycle  # noqa: E402
from collection.sampledata import sample_rows, sample_workbook  # noqa: E402
from collection.services.assignments import assignment_set, breakdown_publish  # noqa: E402
from collection.services.versions import contribution_schema, version_create  # noqa: E402
from review import workflow  # noqa: E402

F, T, D = Unit.Kind.FUNCTIONAL, Unit.Kind.TEACHING, Unit.Kind.DIRECT
EXTRA_UNITS: list[tuple[str, str, str]] = [
    *[
        (f"20{9 + i:02d}", name, T)
        for i, name in enumerate(
            [
                "中医学院",
                "中药学院",
                "针灸推拿学院",
                "医学影像学院",
                "麻醉学院",
                "儿科学院",
                "精神卫生学院",
                "眼视光学院",
                "生命科学学院",
                "卫生管理学院",
                "外国语学院",
                "体育学院",
                "信息工程学院",
                "继续教育学院",
                "国际教育学院",
                "第一临床医学院",
                "第二临床医学院",
                "第三临床医学院",
                "健康与养老学院",
                "创新创业学院",
            ]
        )
    ],
    *[
        (f"10{13 + i:02d}", name, F)
        for i, name in enumerate(
            [
                "研究生院",
                "网络与信息中心",
                "保卫处",
                "后勤管理处",
                "审计处",
                "组织部",
                "宣传部",
                "纪委办公室",
                "工会",
                "发展规划处",
                "实验室管理处",
                "离退休工作处",
            ]
        )
    ],
    *[
        (f"30{1 + i:02d}", name, D)
        for i, name in enumerate(
            [
                "档案馆",
                "校医院",
                "实验动物中心",
                "分析测试中心",
                "高等教育研究所",
                "学报编辑部",
                "第一附属医院",
                "第二附属医院",
            ]
        )
    ],
]
UPLOAD_TABLE = "表1-6"  # 本科生基本情况: the 50k-row roster of bench/data.py
UPLOADERS = 5
TABLES_PER_NEW_OFFICE = 5
# Share of the other contributions left in each state (the rest stay drafting, empty).
STATE_SHARES = [
    ("version", 0.20),  # drafting, with a version
    ("submitted", 0.15),  # source review
    ("approved", 0.10),  # head sign-off
    ("delivered", 0.20),
]


def _name(index: int) -> str:
    return SURNAMES[(index * 11) % len(SURNAMES)] + GIVEN[(index * 7) % len(GIVEN)]


def add_units() -> list[Unit]:
    """The 40 extra units with a collector, two source reviewers and a head each (and a second
    reviewer for offices), as the demo's own units have."""
    added = []
    index = 500
    for code, name, kind in EXTRA_UNITS:
        unit = services.unit_create(actor=None, code=code, name=name, kind=kind)
        suffixes = list(ROLE_SUFFIXES)
        if kind != T:
            suffixes.append((SECOND_REVIEWER_SUFFIX, UnitRole.SECOND_REVIEWER))
        for suffix, role in suffixes:
            index += 1
            person = services.person_create(
                actor=None,
                username=code + suffix,
                name=_name(index),
                unit=unit,
                password=None,
                email=f"{code}{suffix}@qlmu.example.cn",
                must_change_password=False,
            )
            services.role_assign(actor=None, user=person, role=role, unit=unit)
        added.append(unit)
    User.objects.filter(password__startswith="!").update(password=make_password(DEMO_PASSWORD))
    return added


def extend_breakdown(cycle: Cycle, added: list[Unit], rng: random.Random) -> None:
    """New schools join every table all demo schools assist on; each new office or direct unit
    assists on a few list tables. Then the breakdown is published again (new contributions)."""
    demo_schools = {u.pk for u in Unit.objects.filter(kind=T, code__lt="2009")}
    new_schools = [u for u in added if u.kind == T]
    new_offices = [u for u in added if u.kind != T]
    assignments = list(
        Assignment.objects.filter(cycle=cycle)
        .select_related("table", "responsible_unit")
        .prefetch_related("assisting_units")
        .order_by("position")
    )
    list_tables = [a for a in assignments if a.table.row_mode != "single"]
    extra: dict[int, list[Unit]] = {a.pk: [] for a in assignments}
    for a in list_tables:
        if demo_schools <= {u.pk for u in a.assisting_units.all()}:
            extra[a.pk] += new_schools
    for office in new_offices:
        for a in rng.sample(list_tables, TABLES_PER_NEW_OFFICE):
            extra[a.pk].append(office)
    for a in assignments:
        if not extra[a.pk]:
            continue
        current = list(a.assisting_units.all())
        assignment_set(
            actor=None,
            cycle=cycle,
            table=a.table,
            responsible_unit=a.responsible_unit,
            assisting_units=[*current, *extra[a.pk]],
            assisting_deadline=a.assisting_deadline,
            responsible_deadline=a.responsible_deadline,
            notes=a.notes,
            field_owners=a.field_owners,
        )
    breakdown_publish(actor=None, cycle=cycle)


def _people(unit: Unit) -> dict[str, User]:
    """The unit's collector (工号 code+01), source reviewers (02, 03) and head (04)."""
    found = {
        u.username[-2:]: u
        for u in User.objects.filter(unit=unit, username__startswith=unit.code)
        if len(u.username) == len(unit.code) + 2
    }
    return {
        "collector": found["01"],
        "reviewer1": found["02"],
        "reviewer2": found["03"],
        "head": found["04"],
    }


def advance(contribution: Contribution, target: str, people: dict[str, User], seed: int) -> str:
    """Move a drafting contribution towards ``target`` through the workflow; returns the state
    reached (a file whose rows a cross-table or prerequisite check stops stays where it is)."""
    cycle = contribution.assignment.cycle
    schema = contribution_schema(contribution)
    rows = sample_rows(schema, cycle.dates(), 5 + seed % 20, seed=seed)
    content = sample_workbook(schema, rows)
    try:
        version = version_create(
            actor=people["collector"],
            contribution=contribution,
            content=content,
            filename=f"{schema.code}.xlsx",
        )
        if target == "version" or version.error_count:
            return "version"
        workflow.contribution_submit(actor=people["collector"], contribution=contribution)
        if target == "submitted":
            return "submitted"
        workflow.contribution_approve(actor=people["reviewer1"], contribution=contribution)
        workflow.contribution_approve(actor=people["reviewer2"], contribution=contribution)
        if target == "approved":
            return "approved"
        workflow.contribution_sign(actor=people["head"], contribution=contribution)
        return "delivered"
    except (ValidationError, PermissionDenied):
        contribution.refresh_from_db()
        return f"stopped:{contribution.state}"


def fill(cycle: Cycle, rng: random.Random) -> tuple[dict[str, int], list[int]]:
    """Contributions in every state; returns the count reached per state and the five empty
    表1-6 contributions of schools kept for the uploads."""
    contributions = list(
        Contribution.objects.filter(assignment__cycle=cycle)
        .select_related("unit", "assignment__table")
        .order_by("pk")
    )
    kept = [
        c.pk for c in contributions if c.assignment.table.code == UPLOAD_TABLE and c.unit.kind == T
    ]
    kept = sorted(rng.sample(kept, UPLOADERS))
    people = {u.pk: _people(u) for u in Unit.objects.all()}
    reached: dict[str, int] = {}
    rest = [c for c in contributions if c.pk not in kept]
    rng.shuffle(rest)
    start = 0
    for target, share in STATE_SHARES:
        count = round(share * len(rest))
        for c in rest[start : start + count]:
            with transaction.atomic():
                state = advance(c, target, people[c.unit_id], seed=c.pk)
            reached[state] = reached.get(state, 0) + 1
        start += count
    reached["empty"] = len(rest) - start + len(kept)
    return reached, kept


def plan(cycle: Cycle, kept: list[int], users: int, rng: random.Random) -> dict[str, Any]:
    """The simulated people, out of a collector, two source reviewers and the head of every
    unit, the offices' second reviewers and the college-wide people. Each gets the contributions they would open (their unit's; a sample for college roles)."""
    by_unit: dict[int, list[int]] = {}
    for pk, unit_id in Contribution.objects.filter(assignment__cycle=cycle).values_list(
        "pk", "unit_id"
    ):
        by_unit.setdefault(unit_id, []).append(pk)
    every = sorted(pk for pks in by_unit.values() for pk in pks)
    units = list(Unit.objects.order_by("code"))
    kinds = [("01", "collector"), ("02", "reviewer"), ("04", "head")]
    chosen: list[tuple[str, str, int | None]] = []
    for suffix, kind in kinds:
        chosen += [(u.code + suffix, kind, u.pk) for u in units]
    chosen += [(u.code + "05", "second_reviewer", u.pk) for u in units if u.kind != T]
    chosen += [(username, "college", None) for username, *_rest in COLLEGE_PEOPLE]
    chosen += [(u.code + "03", "reviewer", u.pk) for u in units]
    uploads = Contribution.objects.filter(pk__in=kept).select_related("unit")
    uploaders = {c.unit.code + "01": c.pk for c in uploads}
    # The uploaders and the college-wide people first, then the others in random order, so
    # that the first ``users`` (and a small --quick run) are a fair mix.
    first = [p for p in chosen if p[0] in uploaders or p[1] == "college"]
    rest = [p for p in chosen if p not in first]
    rng.shuffle(rest)
    chosen = [*first, *rest][:users]
    people = []
    for username, kind, unit_id in chosen:
        mine = by_unit.get(unit_id, []) if unit_id else rng.sample(every, 40)
        people.append(
            {
                "username": username,
                "kind": kind,
                "contributions": mine or rng.sample(every, 5),
                "upload": uploaders.get(username),
            }
        )
    missing = set(uploaders) - {p["username"] for p in people}
    assert not missing, f"uploaders missing from the simulated people: {missing}"
    return {
        "year": cycle.year,
        "password": DEMO_PASSWORD,
        "users": people,
        "uploads": sorted(uploaders.values()),
    }


def scale(year: int, users: int, seed: int = 7) -> dict[str, Any]:
    rng = random.Random(seed)
    started = time.perf_counter()
    with connection.cursor() as cursor:  # a throw-away database: no need to wait for the disk
        cursor.execute("SET synchronous_commit TO off")
    seed_demo()
    cycle = seed_demo_cycle(year)
    assert cycle is not None, "the database must be empty"
    phases = {"demo": time.perf_counter() - started}
    added = add_units()
    extend_breakdown(cycle, added, rng)
    phases["units"] = time.perf_counter() - started - sum(phases.values())
    reached, kept = fill(cycle, rng)
    phases["workflow"] = time.perf_counter() - started - sum(phases.values())
    result = plan(cycle, kept, users, rng)
    result["college"] = {
        "units": Unit.objects.count(),
        "people": User.objects.count(),
        "tables": cycle.tables.count(),
        "contributions": Contribution.objects.filter(assignment__cycle=cycle).count(),
        "states": dict(
            sorted(
                (state, Contribution.objects.filter(assignment__cycle=cycle, state=state).count())
                for state in ContributionState.values
            )
        ),
        "workflow_outcomes": reached,
        "seconds": round(time.perf_counter() - started, 1),
        "phases_s": {k: round(v, 1) for k, v in phases.items()},
    }
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--plan", type=Path, required=True)
    parser.add_argument("--year", type=int, default=2026)
    parser.add_argument("--users", type=int, default=200)
    args = parser.parse_args()
    result = scale(args.year, args.users)
    args.plan.write_text(json.dumps(result, ensure_ascii=False, indent=1))
    print(json.dumps(result["college"], ensure_ascii=False))


if __name__ == "__main__":
    main()
