"""Dashboard benchmark: the office's progress dashboard for 30 units × 100 tables × 3 cycles.

The college is built with bulk_create (no workflow: only the rows the dashboard reads): 30
units, three cycles of 100 tables each, every table with its responsible unit and two or three
assisting units, contributions in every state with versions, sign-off events spread over six
weeks, returns, approved reports, and some 30,000 other audit events as background. The latest
cycle's dashboard is then requested with the test client (in process: the time is the
server's), and its queries are counted.

Run: `make bench` or `.venv/bin/python bench/dashboard.py [--runs 30]`.
Prints the figures and writes bench/results/dashboard.json (`server_ms` is the median).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import sys
import time
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402
from guardian.shortcuts import assign_perm  # noqa: E402

from accounts.models import Event, Unit, User  # noqa: E402
from accounts.roles import UnitRole  # noqa: E402
from collection.models import (  # noqa: E402
    Assignment,
    Contribution,
    ContributionState,
    Cycle,
    TableReport,
    TableReportState,
    TableSpec,
    Upload,
    Version,
)
from collection.schema import catalog_schemas  # noqa: E402
from review.models import Review  # noqa: E402

UNITS, TABLES, CYCLES = 30, 100, 3
S, R = ContributionState, TableReportState


def build(seed: int = 1) -> tuple[User, User, int]:
    """The college; returns the office person, a unit head and the latest cycle's year."""
    rng = random.Random(seed)
    units = Unit.objects.bulk_create(
        Unit(code=f"{1000 + i}", name=f"单位{i:02d}", kind=Unit.Kind.TEACHING) for i in range(UNITS)
    )
    office = User.objects.create_superuser(username="office", name="办公室", password="x")
    head = User.objects.create_user(username="head", name="院长", password="x", unit=units[0])
    assign_perm(f"accounts.{UnitRole.HEAD.codename}", head, units[0])
    schemas = list(catalog_schemas().values())[:TABLES]
    # The catalog has fewer tables since the 2024 numbering (93): 工科类 supplementary tables
    # (表GK-n, whose columns come with the year's template pack) make up the hundred.
    schemas += [
        replace(s, code=f"表GK-{n}", name=f"工科类专业补充表{n}", sheet_name=f"GK-{n}")
        for n, s in enumerate(schemas[: TABLES - len(schemas)], start=1)
    ]
    year = 2026
    for y in range(year - CYCLES + 1, year + 1):
        _cycle(rng, y, units, office, schemas, latest=y == year)
    _noise(rng, units)
    return office, head, year


def _cycle(rng, year, units, office, schemas, *, latest):  # type: ignore[no-untyped-def]
    cycle = Cycle.objects.create(
        year=year, **Cycle.default_dates(year), published_at=timezone.now()
    )
    tables = TableSpec.objects.bulk_create(
        TableSpec(
            cycle=cycle,
            code=s.code,
            name=s.name,
            sheet_name=s.sheet_name,
            category=s.category,
            row_mode=s.row_mode,
            position=i,
        )
        for i, s in enumerate(schemas)
    )
    today = date(year, 11, 25) if not latest else timezone.localdate()
    assignments = Assignment.objects.bulk_create(
        Assignment(
            cycle=cycle,
            table=t,
            responsible_unit=units[i % UNITS],
            responsible_deadline=today + timedelta(days=rng.randint(-10, 10)),
            assisting_deadline=today + timedelta(days=rng.randint(-15, 5)),
            position=i,
        )
        for i, t in enumerate(tables)
    )
    through = Assignment.assisting_units.through
    pairs = []
    for a in assignments:
        others = rng.sample([u for u in units if u.pk != a.responsible_unit_id], rng.randint(2, 3))
        pairs += [(a, u) for u in others]
    through.objects.bulk_create(through(assignment_id=a.pk, unit_id=u.pk) for a, u in pairs)
    members = [(a, a.responsible_unit) for a in assignments] + pairs
    states = [S.DRAFTING, S.SOURCE_REVIEW, S.HEAD_SIGNOFF, S.DELIVERED, S.DELIVERED]
    contributions = Contribution.objects.bulk_create(
        Contribution(assignment=a, unit=u, state=rng.choice(states)) for a, u in members
    )
    with_version = [c for c in contributions if c.state != S.DRAFTING or rng.random() < 0.5]
    uploads = Upload.objects.bulk_create(
        Upload(
            cycle=cycle,
            table_code="x",
            purpose=Upload.Purpose.CONTRIBUTION,
            filename="x.xlsx",
            size=1,
            sha256=f"{c.pk:064d}",
            file="x",
            uploaded_by=office,
            uploaded_at=timezone.now(),
            status=Upload.Status.ACCEPTED,
        )
        for c in with_version
    )
    versions = Version.objects.bulk_create(
        Version(contribution=c, number=1, upload=u, content_hash="0" * 64, created_by=office)
        for c, u in zip(with_version, uploads, strict=True)
    )
    for c, v in zip(with_version, versions, strict=True):
        c.current_version = v
    Contribution.objects.bulk_update(with_version, ["current_version"])
    undelivered = {c.assignment_id for c in contributions if c.state != S.DELIVERED}
    report_states = [R.SECOND_REVIEW, R.COLLECTION_CHECK, R.COLLEGE_REVIEW, R.APPROVED]
    reports = TableReport.objects.bulk_create(
        TableReport(
            assignment=a,
            state=R.COLLECTING if a.pk in undelivered else rng.choice(report_states),
        )
        for a in assignments
    )
    start = timezone.now() - timedelta(days=42)
    events = [
        _event(
            "contribution.sign",
            c,
            start + timedelta(hours=rng.randint(0, 42 * 24)),
            S.HEAD_SIGNOFF,
            S.DELIVERED,
        )
        for c in contributions
        if c.state == S.DELIVERED
    ]
    events += [
        _event("table_report.approve", r, start + timedelta(days=rng.randint(20, 42)), "", r.state)
        for r in reports
        if r.state == R.APPROVED
    ]
    _bulk_events(events)
    Review.objects.bulk_create(
        Review(
            contribution=c,
            stage=S.SOURCE_REVIEW,
            reviewer=office,
            decision=Review.Decision.RETURN,
            reason="请核对",
        )
        for c in contributions
        for _ in range(rng.choice((0, 0, 0, 1, 2)))
    )


def _event(action, obj, when, before, after):  # type: ignore[no-untyped-def]
    return Event(
        created_at=when,
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        object_repr=str(obj.pk),
        from_state=before,
        to_state=after,
    )


def _bulk_events(events: list[Event]) -> None:
    """Events keep the times given here (``auto_now_add`` would stamp them all now)."""
    created_at = Event._meta.get_field("created_at")
    created_at.auto_now_add = False  # type: ignore[attr-defined]
    try:
        Event.objects.bulk_create(events, batch_size=2000)
    finally:
        created_at.auto_now_add = True  # type: ignore[attr-defined]


def _noise(rng: random.Random, units: list[Unit]) -> None:
    """Other audit events (uploads, submissions, approvals) as a real log would hold."""
    start = timezone.now() - timedelta(days=200)
    actions = ["contribution.submit", "contribution.approve", "version.create", "role.assign"]
    _bulk_events(
        [
            Event(
                created_at=start + timedelta(minutes=rng.randint(0, 200 * 24 * 60)),
                action=rng.choice(actions),
                object_type="collection.contribution",
                object_id=str(rng.randint(1, 1500)),
                object_repr="-",
                unit=rng.choice(units),
            )
            for _ in range(30_000)
        ]
    )


CPU: list[float] = []


def timed(
    client: Client, path: str, runs: int, headers: dict[str, str] | None = None
) -> list[float]:
    """Wall-clock milliseconds per request (the server's time: the client is in process);
    the process's CPU time of the same requests goes to ``CPU`` (robust to a busy machine)."""
    client.get(path, headers=headers)  # warm: templates compiled, session read once
    found = []
    CPU.clear()
    for _ in range(runs):
        start, cpu = time.perf_counter(), time.process_time()
        response = client.get(path, headers=headers)
        found.append((time.perf_counter() - start) * 1000)
        CPU.append((time.process_time() - cpu) * 1000)
        assert response.status_code == 200, response.status_code
    return found


def queries(client: Client, path: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        client.get(path)
    return len(captured)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    setup_test_environment()  # the test client's host is allowed
    call_command("migrate", run_syncdb=True, verbosity=0)
    started = time.perf_counter()
    office, head, year = build()
    built = time.perf_counter() - started
    client = Client()
    client.force_login(office)
    page = reverse("review:dashboard", args=[year])
    export = reverse("review:dashboard_export", args=[year])
    runs = timed(client, page, args.runs)
    cpu = list(CPU)
    live = timed(client, page, args.runs, {"HX-Request": "true"})
    xlsx = timed(client, export, max(5, args.runs // 3))
    office_queries = queries(client, page)
    head_client = Client()
    head_client.force_login(head)
    head_runs = timed(head_client, page, args.runs)
    head_queries = queries(head_client, page)
    cycle = Cycle.objects.get(year=year)
    result: dict[str, Any] = {
        "server_ms": round(statistics.median(runs), 1),
        "queries": office_queries,
        "server_cpu_ms": round(statistics.median(cpu), 1),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "college": {
            "units": UNITS,
            "tables_per_cycle": TABLES,
            "cycles": CYCLES,
            "contributions": Contribution.objects.count(),
            "contributions_in_cycle": Contribution.objects.filter(assignment__cycle=cycle).count(),
            "events": Event.objects.count(),
            "reviews": Review.objects.count(),
        },
        "htmx_partial_ms": round(statistics.median(live), 1),
        "export_ms": round(statistics.median(xlsx), 1),
        "unit_head_ms": round(statistics.median(head_runs), 1),
        "unit_head_queries": head_queries,
        "build_seconds": round(built, 1),
        "runs": {
            "office": [round(x, 1) for x in runs],
            "htmx_partial": [round(x, 1) for x in live],
            "export": [round(x, 1) for x in xlsx],
            "unit_head": [round(x, 1) for x in head_runs],
        },
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "date": date.today().isoformat(),
    }
    out = ROOT / "bench" / "results" / "dashboard.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n")
    print(
        f"dashboard, {UNITS} units × {TABLES} tables × {CYCLES} cycles "
        f"({result['college']['contributions_in_cycle']} contributions in the cycle), "
        f"median of {args.runs}: {result['server_ms']} ms (CPU {result['server_cpu_ms']} ms), "
        f"{office_queries} queries "
        "(target <= 150 ms, queries independent of size)"
    )
    print(
        f"htmx partial: {result['htmx_partial_ms']} ms; export .xlsx: {result['export_ms']} ms; "
        f"unit head: {result['unit_head_ms']} ms, {head_queries} queries"
    )
    print(f"written to {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
