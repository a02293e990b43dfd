"""A closed cycle is read-only: every write URL of the project, tried by the people it belongs to.

The world is the permission walk's (tests/walk_registry.py): a 2026 cycle with contributions and
table reports in every state. For each write URL (a registry entry that takes POST) and each of
its targets, each persona the registry *allows* first sends the request while the cycle is open,
inside a savepoint that is rolled back: something must change (so the request is one that
works). Then the cycle is closed and the very same request must change nothing: no Event, upload,
version, review, state, spec, breakdown row or file; and no 500.

The cycle is closed by setting its status directly: closing through ``cycle_close`` needs every
table approved, which would leave nothing to try (the closing itself: test_cycle_close.py).
A new write URL is walked here as soon as the registry knows it, unless NOT_CYCLE_WRITES says
why it does not write a cycle's data.
"""

from __future__ import annotations

import io
import logging
import zipfile
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import transaction
from django.urls import reverse

from collection.models import Cycle, CycleStatus
from collection.selectors import _schema_cache
from tests.test_permission_walk import rolled_back_world, snapshot
from tests.walk_registry import (
    ALLOWED,
    PERSONAS,
    REGISTRY,
    SIGNED_OUT,
    Entry,
    Target,
    World,
    header_only,
    xlsx_file,
)

# POST URLs that do not write a cycle's data, and so stay open after closing.
NOT_CYCLE_WRITES = {
    # People, units, roles and delegations are not per cycle.
    "accounts:unit_create": "units",
    "accounts:unit_edit": "units",
    "accounts:unit_role_assign": "roles",
    "accounts:person_create": "people",
    "accounts:person_detail": "people",
    "accounts:person_role_assign": "roles",
    "accounts:role_revoke": "roles",
    "accounts:person_password_reset": "people",
    "accounts:person_unlock": "people",
    "accounts:sheet_import": "units and people from a sheet",
    "accounts:sheet_import_confirm": "units and people from a sheet",
    "accounts:delegation_end": "delegations are not per cycle",
    "accounts:delegation_office": "delegations are not per cycle",
    "accounts:notification_read": "one's own inbox",
    "accounts:outbox_retry": "the outbox",
    # A new cycle: the next one copies the closed one.
    "collection:cycle_create": "a new cycle (the next one may copy a closed one)",
    # The walk's announcements are tied to no cycle; one of a closed cycle is refused in
    # test_cycle_close.py. Confirming one has read a notice changes no data.
    "collection:announcement_create": "no cycle (a closed one: test_cycle_close.py)",
    "collection:announcement_edit": "no cycle (a closed one: test_cycle_close.py)",
    "collection:announcement_attach": "no cycle (a closed one: test_cycle_close.py)",
    "collection:announcement_detach": "no cycle (a closed one: test_cycle_close.py)",
    "collection:announcement_publish": "no cycle (a closed one: test_cycle_close.py)",
    "collection:announcement_remind": "no cycle (a closed one: test_cycle_close.py)",
    "collection:announcement_read": "a receipt of having read a notice",
    # Checking a paper sign-off sheet against its hash records the check and changes no data:
    # the archive is checked after the upload too.
    "review:signoff_paper_check": "a verification, kept open for the archive",
    # Downloads and exports stay allowed.
    "review:cycle_export": "exports stay allowed",
    # Closing itself (and closing again): test_cycle_close.py.
    "review:cycle_close": "test_cycle_close.py",
}


def _package(w: World, t: Target) -> dict[str, Any]:
    """Last year's package with 表1-5-4's (empty) file: it imports while the cycle is open (the
    walk's 2025 has 表1-6 and 表3-3-1 approved already)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as package:
        package.writestr("表1-5-4 附属医院师资情况.xlsx", header_only("表1-5-4"))
    return {"package": xlsx_file(out.getvalue(), "2025年度数据包.zip")}


def _explained(w: World) -> list[Target]:
    """A drafting 药学院 version of 表1-6 with a 需说明 finding (a four-character name)."""
    from collection.services.versions import version_create
    from tests.review.conftest import roster, student

    table = w.cycle.tables.get(code="表1-6")
    table.rules = [
        *table.rules,
        {
            "table": "表1-6",
            "index": 99,
            "status": "implemented",
            "rules": [
                {
                    "kind": "length",
                    "field": "学生姓名",
                    "max": 3,
                    "severity": "explain",
                    "message": "姓名超过3个字：请说明。",
                }
            ],
        },
    ]
    table.spec_version += 1
    table.save(update_fields=["rules", "spec_version"])
    _schema_cache.clear()
    c = w.contributions["drafting/pharmacy"]
    version_create(
        actor=w.people["zhang"],
        contribution=c,
        content=roster([student("2023000001", "欧阳小明")]),
        filename="复姓.xlsx",
    )
    c.refresh_from_db()
    return [Target("drafting/pharmacy, a name to explain", {"pk": c.pk}, c)]


def _explain_data(w: World, t: Target) -> dict[str, Any]:
    from collection.schema import Severity
    from collection.services.uploads import findings_from_upload
    from collection.services.versions import finding_key_of

    version = t.obj.current_version
    [finding] = [f for f in findings_from_upload(version.upload) if f.severity == Severity.EXPLAIN]
    return {"version": version.pk, "finding_key": finding_key_of(finding), "text": "复姓"}


def _decided(w: World) -> list[Target]:
    """A 药学院 version in source review with an explanation to judge (by 李老师 or 王老师)."""
    from review import workflow

    [target] = _explained(w)
    c = target.obj
    data = _explain_data(w, target)
    from collection.models import Version
    from collection.services.versions import explanation_add

    version = Version.objects.get(pk=data["version"])
    explanation = explanation_add(
        actor=w.people["zhang"], version=version, finding_key=data["finding_key"], text="复姓"
    )
    workflow.contribution_submit(actor=w.people["zhang"], contribution=c)
    c.refresh_from_db()
    w.extra["explanation"] = explanation.pk
    return [Target("drafting/pharmacy in source review, explained", {"pk": c.pk}, c)]


def _table_1_6_conflict(w: World) -> list[Target]:
    """表1-6 delivered by both units, with 学号 2023000001 in both: a key conflict for the
    responsible unit (教务处) to settle while it is collecting."""
    from collection.services.versions import version_create
    from review import workflow
    from tests.review.conftest import roster, student

    p, c = w.people, w.contributions
    version_create(
        actor=p["qian"],
        contribution=c["drafting/academic"],
        content=roster([student("2023000001", "赵强")]),
        filename="教务处.xlsx",
    )
    crews = {
        "pharmacy": ("zhang", "li", "wang", "chen"),
        "academic": ("qian", "zhou", "wu", "zheng"),
    }
    for unit_key, (collector, first, second, head) in crews.items():
        contribution = c[f"drafting/{unit_key}"]
        workflow.contribution_submit(actor=p[collector], contribution=contribution)
        workflow.contribution_approve(actor=p[first], contribution=contribution)
        workflow.contribution_approve(actor=p[second], contribution=contribution)
        workflow.contribution_sign(actor=p[head], contribution=contribution)
    report = w.reports["drafting"]
    return [Target("表1-6 report with a conflict", {"pk": report.pk}, report)]


def _keep_data(w: World, t: Target) -> dict[str, Any]:
    from collection.services.merge import merged_rows

    [conflict] = merged_rows(t.obj).conflicts
    return {"key": conflict.what, "unit": "2003"}


def _row_data(w: World, t: Target) -> dict[str, Any]:
    """A 表1-6 row (fields ``f0``, ``f1`` … of the online form), on the current version."""
    from tests.review.conftest import student

    c = t.obj
    c.refresh_from_db()
    version = c.current_version.number if c.current_version else 0
    values = student("2023000009", "走查") if c.assignment.table.code == "表1-6" else ["走查"]
    return {"version": version, **{f"f{i}": v for i, v in enumerate(values)}}


def _bulk_targets(w: World) -> list[Target]:
    """One table at the collection group's check (表1-5-4), one at the college review
    (表3-3-1): each group approves its own in bulk."""
    from review import workflow

    p, c = w.people, w.contributions

    def setup(w: World) -> None:
        workflow.contribution_sign(actor=p["chen"], contribution=c["head_signoff/pharmacy"])
        workflow.contribution_sign(actor=p["zheng"], contribution=c["head_signoff/academic"])
        for key, steps in (("head_signoff", ("sun",)), ("delivered", ("sun", "han"))):
            report = w.reports[key]
            workflow.table_report_start_second_review(actor=p["sun"], report=report)
            for step in steps:
                workflow.table_report_approve(actor=p[step], report=report)

    return [
        Target("2026, a table at each group's stage", {"year": w.cycle.year}, w.cycle, "", setup)
    ]


def _bulk_data(w: World, t: Target) -> dict[str, Any]:
    return {"ids": [r.pk for r in w.reports.values()]}  # each group's own stage


def _refresh_preview(client: Any, w: World, t: Target) -> dict[str, Any]:
    """The platform's blank template with a new column, previewed: then applied."""
    from openpyxl import Workbook

    from collection.schema import catalog_schemas

    book = Workbook()
    book.active.append([*catalog_schemas()["表1-6"].headers, "新增指标"])
    out = io.BytesIO()
    book.save(out)
    url = reverse("collection:table_refresh", kwargs=t.kwargs)
    client.post(url, {"file": xlsx_file(out.getvalue(), "空白模板.xlsx")})
    return {"apply": "1"}


def _import_preview(client: Any, w: World, t: Target) -> dict[str, Any]:
    """A breakdown sheet previewed (its token), then confirmed."""
    from tests.walk_registry import breakdown_sheet_data

    url = reverse("collection:breakdown_import", kwargs=t.kwargs)
    response = client.post(url, breakdown_sheet_data(w, t))
    return {"token": response.context["token"]}


def _whole_pack(w: World) -> list[Target]:
    """A template pack with every table of 2026 that has columns (so no table with data is
    gone), waiting for confirmation: confirming it is live while the cycle is open."""
    from collection.schema import catalog_schemas
    from collection.templatepack.services import pack_prepare, template_pack_upload

    schemas = catalog_schemas()
    files = [
        (f"{t.code} {t.name}.xlsx", header_only(t.code))
        for t in w.cycle.tables.all()
        if t.code in schemas and schemas[t.code].headers
    ]
    pack = template_pack_upload(actor=w.people["xia"], cycle=w.cycle, prepared=pack_prepare(files))
    return [Target("2026 whole pack", {"year": w.cycle.year, "pk": pack.pk}, pack)]


def _pack_token(client: Any, w: World, t: Target) -> dict[str, Any]:
    from collection.templatepack.services import cycle_tables, plan_token

    return {"token": plan_token(t.obj, cycle_tables(w.cycle))}


# Where the registry's targets or data are made for refusals only, the walk here brings its own
# (who may act stays the registry's rule). "prepare" runs as the person while the cycle is still
# open (a preview before its confirmation) and gives the form data.
OVERRIDES: dict[str, dict[str, Any]] = {
    "review:previous_import": {"data": _package},
    "review:contribution_explain": {"targets": _explained, "data": _explain_data},
    "review:explanation_decide": {
        "targets": _decided,
        "data": lambda w, t: {
            "explanation": w.extra["explanation"],
            "decision": "accept",
            "reason": "复姓，属实",
        },
    },
    "review:report_conflict_keep": {"targets": _table_1_6_conflict, "data": _keep_data},
    "review:contribution_row_add": {"data": _row_data},
    "review:contribution_row_edit": {"data": _row_data},
    "review:bulk_confirm": {"targets": _bulk_targets, "data": _bulk_data},
    "collection:table_refresh": {"prepare": _refresh_preview},
    "collection:breakdown_import_confirm": {"prepare": _import_preview},
    "collection:templatepack_confirm": {"targets": _whole_pack, "prepare": _pack_token},
}


def cycle_writes() -> list[str]:
    return sorted(
        name
        for name, entry in REGISTRY.items()
        if "POST" in entry.methods and name not in NOT_CYCLE_WRITES
    )


def test_every_write_url_is_walked_or_said_why_not():
    posts = {name for name, entry in REGISTRY.items() if "POST" in entry.methods}
    assert not set(NOT_CYCLE_WRITES) - posts, "NOT_CYCLE_WRITES names URLs the registry lacks"
    assert len(cycle_writes()) >= 25  # the walk below is not empty by mistake


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory) -> Iterator[World]:
    """As in tests/test_permission_walk.py: built once in a transaction rolled back at the end;
    each test runs in a savepoint within it."""
    yield from rolled_back_world(django_db_blocker, tmp_path_factory.mktemp("closed-walk"))


@pytest.fixture(autouse=True)
def _stale_jobs(settings):
    settings.CAIJI_UPLOAD_JOB_STALE_SECONDS = 0  # the world's queued jobs may be retried


@pytest.fixture(autouse=True)
def _quiet_refusals():
    logger = logging.getLogger("django.request")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    yield
    logger.setLevel(level)


def state() -> dict[str, Any]:
    """The permission walk's snapshot, and the stored cross-table checks (a re-check writes no
    Event)."""
    from collection.models import CrossCheckResult

    found = snapshot()
    found["cross-table checks"] = list(
        CrossCheckResult.objects.order_by("pk").values_list(
            "report_id", "computed_at", "stale", "error_count"
        )
    )
    return found


def _set_status(cycle: Cycle, status: str) -> None:
    Cycle.objects.filter(pk=cycle.pk).update(status=status)


def walk_closed(client: Any, w: World, name: str, entry: Entry) -> tuple[int, list[str]]:
    """Try ``name`` on every target, as every persona the registry allows: first while the
    cycle is open (in a savepoint, rolled back), then, where that changed something, closed.
    Returns how many requests were tried closed, and every wrong answer."""
    override = OVERRIDES.get(name, {})
    targets = override.get("targets", entry.targets)
    data = override.get("data", entry.data)

    def form(persona: str, target: Target) -> dict[str, Any]:
        client.logout()
        client.force_login(w.people[persona])
        if "prepare" in override:
            return override["prepare"](client, w, target)  # type: ignore[no-any-return]
        return data(w, target)  # type: ignore[no-any-return]

    open_status = Cycle.objects.get(pk=w.cycle.pk).status
    tried, wrong = 0, []
    for target in targets(w):
        if target.setup:
            target.setup(w)
        url = reverse(name, kwargs=target.kwargs) + target.query
        for persona in PERSONAS:
            if persona in SIGNED_OUT or entry.rule(w, persona, target, "POST") is not ALLOWED:
                continue
            savepoint = transaction.savepoint()
            sent = form(persona, target)
            before = state()
            client.post(url, sent)
            works = state() != before
            transaction.savepoint_rollback(savepoint)
            if not works:
                continue  # not this person's to do on this target (e.g. approved already)
            sent = form(persona, target)
            _set_status(w.cycle, CycleStatus.DONE)
            try:
                before = state()
                response = client.post(url, sent)
                after = state()
            finally:
                _set_status(w.cycle, open_status)
            tried += 1
            where = f"{persona} POST {url} [{target.label}]"
            if response.status_code >= 500:
                wrong.append(f"{where}: {response.status_code}")
            if after != before:
                changed = [label for label in after if after[label] != before[label]]
                wrong.append(f"{where}: changed {', '.join(changed)} in the closed cycle")
    return tried, wrong


@pytest.mark.parametrize("name", cycle_writes())
def test_a_closed_cycle_refuses(name, world, client, db):
    tried, wrong = walk_closed(client, world, name, REGISTRY[name])
    assert not wrong, f"{len(wrong)} wrong answer(s):\n" + "\n".join(wrong)
    assert tried, f"{name}: no request of the walk works even while the cycle is open"
