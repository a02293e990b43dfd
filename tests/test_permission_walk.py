"""The permission walk (issue 4 item 7): every URL, every action, every persona, against
objects that are not theirs to touch — 404 where the object must not even be visible, 403 where
it is visible but the action is not allowed, the sign-in page for the signed-out and the
deactivated; never a 500, and nothing changed in the database.

The registry and the world are in tests/walk_registry.py. Every named URL of the project must
be in the registry or in its commented allow-list: a new page fails
``test_every_url_is_walked`` until someone says who may use it.
"""

from __future__ import annotations

import io
import logging
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.db import connection, transaction
from django.shortcuts import resolve_url
from django.test import override_settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from guardian.models import UserObjectPermission

from accounts.models import Event, Notification, OutboxMessage, Unit, User
from collection.models import (
    Assignment,
    Contribution,
    Cycle,
    Explanation,
    FieldSpec,
    TableReport,
    TableSpec,
    Upload,
    UploadJob,
    Version,
)
from collection.selectors import _schema_cache
from review.models import Review, Signature
from tests.review.conftest import PHARMACY_ROWS
from tests.walk_registry import (
    ALLOWED,
    LOGIN,
    OPEN,
    OPEN_NAMESPACES,
    OTHER_UNITS_VALUES,
    OWN_VALUES,
    PERSONAS,
    REGISTRY,
    SIGNED_OUT,
    Entry,
    Target,
    World,
    build_world,
    sees_contribution,
    sees_report,
)


def url_names(patterns: list[Any] | None = None, namespace: str = "") -> Iterator[str]:
    """Every named URL of the project, "namespace:name", through every include."""
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            inner = namespace
            if pattern.namespace:
                inner = f"{namespace}{pattern.namespace}:"
            yield from url_names(pattern.url_patterns, inner)
        elif isinstance(pattern, URLPattern):
            yield (
                f"{namespace}{pattern.name}" if pattern.name else f"{namespace}<unnamed {pattern}>"
            )


def test_every_url_is_walked():
    found = set(url_names())
    unwalked = sorted(
        name
        for name in found
        if name not in REGISTRY and name not in OPEN and name.split(":")[0] not in OPEN_NAMESPACES
    )
    assert not unwalked, (
        "Add these URLs to tests/walk_registry.py (REGISTRY, or OPEN with a reason): "
        + ", ".join(unwalked)
    )
    stale = sorted(set(REGISTRY) - found)
    assert not stale, "The registry names URLs that no longer exist: " + ", ".join(stale)


# The world, once per module ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory) -> Iterator[World]:
    """Built once, inside a transaction that is rolled back at the end of the module; each test
    runs in a savepoint within it (pytest-django's ``db``), so what one test moves on is back
    for the next."""
    yield from rolled_back_world(django_db_blocker, tmp_path_factory.mktemp("walk"))


def rolled_back_world(django_db_blocker: Any, data: Path) -> Iterator[World]:
    """The world, built inside a transaction rolled back when the generator ends (the body of a
    module-scoped ``world`` fixture; tests/review/test_cycle_close_walk.py uses it too)."""
    with (
        django_db_blocker.unblock(),
        override_settings(DATA_DIR=data, MEDIA_ROOT=data / "files", LANGUAGE_CODE="zh-hans"),
    ):
        outer = transaction.atomic()
        outer.__enter__()
        try:
            world = build_world()
            world.extra["data"] = data
            yield world
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
            _schema_cache.clear()


def _snapshot_queries() -> list[tuple[str, Any]]:
    """Everything a refused request must leave as it was: counts of the append-only rows, the
    states, and everything a role, a person or a unit is made of."""

    def rows(model: Any, *fields: str) -> Any:
        return model.objects.order_by("pk").values_list("pk", *fields)

    return [
        ("events", rows(Event)),
        ("uploads", rows(Upload)),
        ("versions", rows(Version)),
        ("reviews", rows(Review)),
        ("signatures", rows(Signature)),
        ("explanations", rows(Explanation)),
        ("upload jobs", rows(UploadJob, "state", "attempts")),
        ("notifications", rows(Notification, "read_at")),
        ("outbox", rows(OutboxMessage, "state", "attempts", "next_attempt_at")),
        ("contributions", rows(Contribution, "state", "current_version_id", "submission")),
        ("table reports", rows(TableReport, "state", "merged_hash", "resolutions")),
        ("assignments", rows(Assignment, "responsible_unit_id", "assisting_deadline", "notes")),
        ("assisting units", rows(Assignment.assisting_units.through, "assignment_id", "unit_id")),
        ("cycles", rows(Cycle, "status", "snapshot_date", "review_deadline", "dependency_mode")),
        ("table specs", rows(TableSpec, "spec_version")),
        ("field count", FieldSpec.objects.values_list("table_id").order_by("table_id")),
        (
            "表1-6 fields",
            rows(FieldSpec, "name", "required", "max_len", "help").filter(table__code="表1-6"),
        ),
        ("units", rows(Unit, "code", "name", "kind", "active")),
        ("people", rows(User, "username", "name", "unit_id", "is_active", "password")),
        ("unit roles", rows(UserObjectPermission, "user_id", "permission_id", "object_pk")),
        ("college roles", rows(User.groups.through, "user_id", "group_id")),
        ("groups", rows(Group, "name")),
    ]


_SQL: list[tuple[str, str, tuple[Any, ...]]] = []


def snapshot() -> dict[str, Any]:
    """The rows of ``_snapshot_queries``, read with SQL compiled once (thousands of calls)."""
    if not _SQL:
        for label, queryset in _snapshot_queries():
            sql, params = queryset.query.sql_with_params()
            _SQL.append((label, sql, params))
    with connection.cursor() as cursor:
        found: dict[str, Any] = {}
        for label, sql, params in _SQL:
            cursor.execute(sql, params)
            found[label] = cursor.fetchall()
    # Files kept on disk (uploads, upload jobs, import previews) are changes too.
    data = Path(settings.DATA_DIR)
    found["files"] = sorted(str(f.relative_to(data)) for f in data.rglob("*") if f.is_file())
    return found


def expected(entry: Entry, w: World, persona: str, target: Target, method: str) -> set[int] | None:
    """The answers that count as a refusal, or None when the persona may do it."""
    if persona in SIGNED_OUT:
        return {LOGIN}
    answer = entry.rule(w, persona, target, method if method in entry.methods else "GET")
    if method not in entry.methods:
        # A method the view does not take: 405, or the refusal the person gets anyway. (Those
        # who may use the page are not walked: a view without a method decorator answers a
        # POST like a GET.)
        return None if answer is ALLOWED else {405, answer}
    return None if answer is ALLOWED else {answer}


def walk(client: Any, w: World, name: str, entry: Entry) -> list[str]:
    """Walk one URL name; return every wrong answer (the test reports them all at once)."""
    wrong: list[str] = []
    for index, target in enumerate(entry.targets(w)):
        if target.setup:
            target.setup(w)
        url = reverse(name, kwargs=target.kwargs) + target.query
        before = snapshot()
        for persona in PERSONAS:
            # The sign-in redirect and a method the view does not take come before any object
            # is looked at: walked on the first target only.
            tries = [
                (method, codes)
                for method in ("GET", "POST")
                if (codes := expected(entry, w, persona, target, method)) is not None
                and not (index and (persona in SIGNED_OUT or method not in entry.methods))
            ]
            if not tries:
                continue
            client.logout()
            if persona != "anonymous":
                client.force_login(w.people[persona])
            for method, codes in tries:
                if method == "GET":
                    response = client.get(url)
                else:
                    response = client.post(url, entry.data(w, target))
                status = response.status_code
                where = f"{persona} {method} {url} [{target.label}]"
                if status == LOGIN and LOGIN in codes:
                    login = resolve_url(settings.LOGIN_URL)
                    if not response["Location"].startswith(login):
                        wrong.append(f"{where}: redirected to {response['Location']}, not sign-in")
                elif status not in codes:
                    detail = response.get("Location", "")
                    wrong.append(f"{where}: {status} {detail}, expected {sorted(codes)}")
                after = snapshot()
                if after != before:
                    changed = [label for label in after if after[label] != before[label]]
                    wrong.append(f"{where}: changed {', '.join(changed)}")
                    before = after
    return wrong


@pytest.fixture(autouse=True)
def _stale_jobs(settings):
    """The world's queued upload jobs count as stopped, so retrying them is a live action."""
    settings.CAIJI_UPLOAD_JOB_STALE_SECONDS = 0


@pytest.fixture(autouse=True)
def _quiet_refusals():
    """Thousands of 403/404 log lines with tracebacks cost more than the requests (a 500 still
    raises in the test client)."""
    logger = logging.getLogger("django.request")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    yield
    logger.setLevel(level)


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_walk(name, world, client, db):
    wrong = walk(client, world, name, REGISTRY[name])
    assert not wrong, f"{len(wrong)} wrong answer(s):\n" + "\n".join(wrong)


def test_the_admin_is_for_staff_only(world, client, db):
    """Nobody of the college is staff: Django's admin sends them to its own sign-in page."""
    for persona in PERSONAS:
        client.logout()
        if persona != "anonymous":
            client.force_login(world.people[persona])
        response = client.get(reverse("admin:index"))
        assert response.status_code == 302, persona
        assert response["Location"].startswith(reverse("admin:login")) or response[
            "Location"
        ].startswith(resolve_url(settings.LOGIN_URL)), persona


def test_the_world_is_in_the_states_the_walk_needs(world, db):
    """A guard on the fixture: each action is walked where it is live for its rightful owner."""
    states = {
        key: Contribution.objects.get(pk=c.pk).state for key, c in world.contributions.items()
    }
    assert states == {
        "drafting/academic": "drafting",
        "drafting/pharmacy": "drafting",
        "source_review/academic": "source_review",
        "source_review/pharmacy": "source_review",
        "head_signoff/academic": "head_signoff",
        "head_signoff/pharmacy": "head_signoff",
        "delivered/academic": "delivered",
        "delivered/pharmacy": "delivered",
        "nursing/nursing": "drafting",
        "nursing/pharmacy": "source_review",
        "single/academic": "drafting",
        "single/pharmacy": "drafting",
    }
    assert world.contributions["drafting/pharmacy"].current_version.error_count == 0
    assert not world.people["inactive"].is_active


LISTS = [
    ("home", {}),
    ("accounts:inbox", {}),
    ("review:report_list", {"year": 2026}),
    ("review:cycle_detail", {"year": 2026}),
    ("collection:breakdown", {"year": 2026}),
]
LINKS = re.compile(r'href="/(contributions|reports|verify)/(\d+)/')


@pytest.mark.parametrize("persona", [p for p in PERSONAS if p not in SIGNED_OUT])
def test_lists_link_only_to_what_the_persona_may_see(persona, world, client, db):
    """My work, the inbox, the reports list, the cycle and the breakdown: every contribution,
    table report or signature they link to is one the persona may open."""
    client.force_login(world.people[persona])
    by_pk = {c.pk: c for c in Contribution.objects.select_related("assignment")}  # 2025's too
    reports = {
        r.pk: r for r in [*world.reports.values(), *world.extra["last_year_reports"].values()]
    }
    signatures = {s.pk: s for s in world.extra["signatures"].values()}
    wrong = []
    for name, kwargs in LISTS:
        response = client.get(reverse(name, kwargs=kwargs))
        assert response.status_code == 200, name
        for kind, pk in set(LINKS.findall(response.content.decode())):
            if kind == "contributions":
                visible = sees_contribution(world, persona, by_pk[int(pk)])
            elif kind == "reports":
                visible = sees_report(world, persona, reports[int(pk)])
            else:
                visible = sees_contribution(world, persona, signatures[int(pk)].contribution)
            if not visible:
                wrong.append(f"{name} links to {kind} {pk}")
    assert not wrong, wrong


def test_a_head_sees_only_their_own_units_dashboard(world, client, db):
    """陈院长 heads 药学院: asking the dashboard for 护理学院 shows 药学院's part."""
    client.force_login(world.people["chen"])
    nursing = world.units["nursing"]
    for name in ("review:dashboard", "review:dashboard_export"):
        response = client.get(reverse(name, args=[2026]) + f"?unit={nursing.pk}")
        assert response.status_code == 200, name
        if name == "review:dashboard_export":
            assert (
                "药学院" in response["Content-Disposition"]
                or "%E8%8D%AF" in response["Content-Disposition"]
            )
    page = client.get(reverse("review:dashboard", args=[2026]) + f"?unit={nursing.pk}")
    assert page.context["viewer"].unit == world.units["pharmacy"]


# Content, not only status codes -------------------------------------------------------------------

PHARMACY_PEOPLE = ["zhang", "li", "wang", "chen"]  # 药学院's collector, reviewers and head


def readable_text(response: Any) -> str:
    """Everything a response gives the person: the page, or every member of a downloaded
    workbook or zip (their XML holds the cell values), or a streamed file."""
    if getattr(response, "streaming", False):
        body = b"".join(response.streaming_content)
    else:
        body = response.content
    if body[:2] == b"PK":
        texts = []
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            for info in archive.infolist():
                texts.append(readable_text_bytes(archive.read(info)))
        return "\n".join(texts)
    return readable_text_bytes(body)


def readable_text_bytes(body: bytes) -> str:
    if body[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            return "\n".join(readable_text_bytes(archive.read(i)) for i in archive.infolist())
    return body.decode("utf-8", errors="replace")


def readable_pages(w: World, persona: str) -> Iterator[tuple[str, str]]:
    """(label, URL) of every GET the registry lets ``persona`` make, on every target, with the
    query strings the pages take (another page, another filter)."""
    for name, entry in sorted(REGISTRY.items()):
        if "GET" not in entry.methods:
            continue
        for target in entry.targets(w):
            if entry.rule(w, persona, target, "GET") is not ALLOWED:
                continue
            url = reverse(name, kwargs=target.kwargs) + target.query
            yield f"{name} [{target.label}]", url
            if not target.query:
                yield f"{name} [{target.label}] page 2", url + "?page=2&show=removed"
    # Last year's approved tables (their stored rows carry the 来源单位 name, not a code).
    for code, report in w.extra["last_year_reports"].items():
        for name in ("review:report_detail", "review:report_yoy", "review:report_crosscheck"):
            yield f"{name} [{code} of 2025, approved]", reverse(name, args=[report.pk])


@pytest.mark.parametrize("persona", PHARMACY_PEOPLE)
def test_no_page_gives_an_assisting_unit_another_units_rows(persona, world, client, db, settings):
    """药学院 assists on 表1-6 and 表3-3-1: its people read every page, download and export they
    may open (this year's and last year's data alike) and never receive a key value or a name
    of a row of 教务处 or 护理学院 (tests/walk_registry.py OTHER_UNITS_VALUES)."""
    settings.DATA_DIR, settings.MEDIA_ROOT = world.extra["data"], world.extra["data"] / "files"
    client.force_login(world.people[persona])
    leaks, read = [], 0
    for label, url in readable_pages(world, persona):
        response = client.get(url)
        assert response.status_code < 500, f"{label}: {response.status_code}"
        if response.status_code != 200:
            continue
        read += 1
        text = readable_text(response)
        found = [value for value in OTHER_UNITS_VALUES if value in text]
        if found:
            leaks.append(f"{label} {url}: {', '.join(found)}")
    assert read > 20
    assert not leaks, f"{len(leaks)} page(s) show other units' rows:\n" + "\n".join(leaks)


def test_the_content_walk_would_see_a_leak(world, client, db):
    """The oracle's control: the office reads the same pages and does see the other units'
    rows (so the walk above looks where the rows are), and 药学院 sees its own."""
    reports = [
        *(world.reports[key] for key in ("drafting", "delivered")),
        *world.extra["last_year_reports"].values(),
    ]
    pages = ("review:report_detail", "review:report_yoy", "review:report_crosscheck")

    def read_as(persona: str) -> str:
        client.force_login(world.people[persona])
        return "".join(
            readable_text(client.get(reverse(name, args=[r.pk]))) for name in pages for r in reports
        )

    office = read_as("xia")
    assert all(value in office for value in OTHER_UNITS_VALUES)
    own = read_as("zhang")
    assert all(value in own for value in OWN_VALUES)
    students_2025 = world.extra["last_year_reports"]["表1-6"]
    last_year = client.get(
        reverse("review:report_detail", args=[students_2025.pk])
    ).content.decode()
    assert all(row[0] in last_year for row in PHARMACY_ROWS)  # 2025's approved 表1-6, by name
