"""Control characters in any input (issue 12, finding 4): a NUL byte in a form field, a query
string, a path or a file name once reached PostgreSQL, which refuses it (a 500 page). Every
registered URL is sent NUL in every parameter it reads, by a person allowed to use it; the
answer is the Chinese refusal page (400), never a 5xx, and nothing changes.

The parameters come from the walk's form data (tests/walk_registry.py) and from every
``request.GET``/``request.POST`` read in the code, so a new parameter is covered without a word.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.models import Event
from config.input import bounded_text, has_control_characters
from tests.review.conftest import PHARMACY_ROWS, roster
from tests.test_permission_walk import rolled_back_world, snapshot
from tests.walk_registry import ALLOWED, PERSONAS, REGISTRY, SIGNED_OUT, World

ROOT = Path(__file__).resolve().parent.parent
READS = re.compile(r"request\.(GET|POST)\.(?:get|getlist)\(\s*\"(\w+)\"")
NUL = "2026\x00' OR 1=1"


def parameters_read_in_the_code() -> set[str]:
    found: set[str] = set()
    for app in ("accounts", "collection", "review", "config"):
        for path in (ROOT / app).rglob("*.py"):
            found |= {name for _method, name in READS.findall(path.read_text(encoding="utf-8"))}
    return found


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory) -> Iterator[World]:
    yield from rolled_back_world(django_db_blocker, tmp_path_factory.mktemp("nul"))


def rightful(w: World, entry: Any, target: Any, method: str) -> str:
    """Someone the registry lets use the URL (so the request reaches the view), else the
    office."""
    for persona in PERSONAS:
        if persona not in SIGNED_OUT and entry.rule(w, persona, target, method) is ALLOWED:
            return persona
    return "xia"


def test_the_code_reads_parameters_this_test_knows():
    names = parameters_read_in_the_code()
    assert {"reason", "key", "q", "unit", "category", "page"} <= names


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_nul_in_any_parameter_is_refused_with_a_message(name, world, client, db):
    entry = REGISTRY[name]
    targets = entry.targets(world)
    if not targets:
        return
    target = targets[0]
    if target.setup:
        target.setup(world)
    url = reverse(name, kwargs=target.kwargs)
    code_names = parameters_read_in_the_code()
    before = snapshot()
    wrong = []
    for method in entry.methods:
        persona = rightful(world, entry, target, method)
        client.force_login(world.people[persona])
        data = entry.data(world, target) if method == "POST" else {}
        names = sorted(set(data) | code_names | {"x"})
        for param in names:
            sent = {**data, param: NUL}
            if method == "GET":
                response = client.get(url, sent)
            else:
                for value in sent.values():
                    if isinstance(value, SimpleUploadedFile):
                        value.seek(0)
                response = client.post(url, sent)
            where = f"{persona} {method} {url} {param}=NUL"
            if response.status_code != 400:
                wrong.append(f"{where}: {response.status_code}")
            elif "控制字符" not in response.content.decode():
                wrong.append(f"{where}: the page does not say what is wrong")
    after = snapshot()
    if after != before:
        wrong.append("changed " + ", ".join(k for k in after if after[k] != before[k]))
    assert not wrong, "\n".join(wrong)


def test_nul_in_a_path_is_refused(world, client, db):
    client.force_login(world.people["xia"])
    for path in ("/cycles/2026/tables/%00/", "/cycles/2026/tables/%00/template.xlsx"):
        response = client.get(path)
        assert response.status_code == 400, path
        assert "控制字符" in response.content.decode()


def test_nul_in_an_uploaded_files_name_never_reaches_the_database(world, client, db):
    """Django's upload parser drops non-printable characters from a file's name: the file is
    taken under its printable name (on PostgreSQL too)."""
    contribution = world.contributions["drafting/pharmacy"]
    client.force_login(world.people["zhang"])
    response = client.post(
        reverse("review:contribution_upload", args=[contribution.pk]),
        {"file": SimpleUploadedFile("名单\x00\x1b.xlsx", roster(PHARMACY_ROWS))},
    )
    assert response.status_code == 302
    contribution.refresh_from_db()
    assert contribution.current_version.upload.filename == "名单.xlsx"


def test_a_tampered_session_cookie_signs_out_instead_of_failing(world, client, db):
    client.cookies["sessionid"] = "abcdefgh\x00ijklmnop"
    response = client.get(reverse("home"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_ordinary_text_with_tabs_and_new_lines_passes(world, client, db):
    """A return reason of several lines is no control character: the return happens."""
    contribution = world.contributions["source_review/pharmacy"]
    client.force_login(world.people["li"])
    response = client.post(
        reverse("review:contribution_return", args=[contribution.pk]),
        {"reason": "第一行有误：\r\n\t学号重复。"},
    )
    assert response.status_code == 302
    event = Event.objects.filter(action="contribution.return").latest("pk")
    assert event.reason == "第一行有误：\r\n\t学号重复。"


def test_reasons_and_remarks_have_a_length_cap(world, client, db):
    contribution = world.contributions["source_review/pharmacy"]
    client.force_login(world.people["li"])
    before = snapshot()
    page = client.post(
        reverse("review:contribution_return", args=[contribution.pk]),
        {"reason": "太长" * 1500},
        follow=True,
    )
    assert "3000" in page.content.decode() and "2000" in page.content.decode()
    page = client.post(
        reverse("review:contribution_return", args=[contribution.pk]),
        {"reason": "学号有误", "remark_row": "3", "remark_text": "长" * 600},
        follow=True,
    )
    assert "600" in page.content.decode() and "500" in page.content.decode()
    assert snapshot() == before


def test_the_services_refuse_control_characters_too():
    """Commands and tasks do not pass the middleware: the shared text helper refuses too."""
    assert has_control_characters("a\x00b") and has_control_characters("\x1b[31m")
    assert not has_control_characters("两行\r\n\t文字")
    with pytest.raises(Exception, match=r"control character|控制字符"):
        bounded_text("a\x00b", limit=10)
