"""Security (issue 7, item 4): the Content-Security-Policy, rate limits on uploads and sign-in,
idle session expiry, and stored files reachable only through permission-checked views.

Personas (tests/conftest.py, tests/review/conftest.py): 张老师 (zhang) collects for 药学院;
李老师 (li) reviews for it; 赵老师 (zhao) collects for 护理学院 and must get 404 on anything of
药学院; 夏主任 (xia) is the office and may download everything, but only through the views.
The browser check of every main page against the policy is tests/browser/test_csp.py.
"""

# ruff: noqa: F811  (the fixtures of tests/review/conftest.py are imported by name)

from __future__ import annotations

import datetime
import re
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.views.static import serve

from collection.models import AnnouncementAttachment, ExportJob, Upload, Version
from collection.services import announcements as notices
from tests.review.conftest import (  # noqa: F401  (fixtures)
    PHARMACY_ROWS,
    TABLE,
    academic_staff,
    assignment,
    cycle,
    pharmacy,
    roster,
    staff,
    student,
    upload,
)
from tests.test_settings import PRODUCTION, manage

ROOT = Path(__file__).resolve().parent.parent
NOON = datetime.datetime(2026, 3, 2, 12, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture
def frozen():
    """Rate-limit windows and session ends depend on the clock: hold it still."""
    with time_machine.travel(NOON, tick=False) as traveller:
        yield traveller


@pytest.fixture
def counters():
    cache.clear()
    yield
    cache.clear()


def xlsx(number: int) -> SimpleUploadedFile:
    rows = [student(f"20230{number:05d}")]
    return SimpleUploadedFile(f"名单{number}.xlsx", roster(rows))


# Content-Security-Policy -------------------------------------------------------------------------


def test_every_page_carries_a_strict_content_security_policy(client_for):
    for path in ("/", reverse("collection:check"), reverse("accounts:password_change")):
        policy = client_for("zhang").get(path)["Content-Security-Policy"]
        directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
        assert directives["default-src"] == "'self'"
        assert directives["script-src"] == "'self'"
        assert directives["style-src"] == "'self'"
        assert directives["img-src"] == "'self' data:"
        assert directives["object-src"] == "'none'"
        assert directives["base-uri"] == "'self'"
        assert directives["frame-ancestors"] == "'none'"
        assert directives["form-action"] == "'self'"
        assert "unsafe" not in policy


def test_the_sign_in_page_carries_the_policy_too(client, db):
    assert "script-src 'self'" in client.get(reverse("accounts:login"))["Content-Security-Policy"]


def test_a_form_from_an_outdated_page_gets_a_page_of_ours(db):
    """Django's own CSRF failure page carries an inline <style>; ours keeps to the policy."""
    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("accounts:login"), {"username": "200301", "password": "x"})
    assert response.status_code == 403
    assert 'data-testid="csrf-failure"' in response.content.decode()
    assert "<style" not in response.content.decode()


INLINE = [
    (re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I), "an inline <script>"),
    (re.compile(r"<style\b", re.I), "a <style> element"),
    (re.compile(r"\sstyle\s*=", re.I), "a style attribute"),
    (re.compile(r"\son[a-z]+\s*=", re.I), "an inline event handler"),
    (re.compile(r"javascript:", re.I), "a javascript: URL"),
    (re.compile(r"\shx-on", re.I), "an htmx inline handler"),
]


def test_no_template_has_inline_script_or_style():
    found = []
    for template in sorted((ROOT / "templates").rglob("*.html")):
        text = template.read_text(encoding="utf-8")
        for pattern, what in INLINE:
            for match in pattern.finditer(text):
                line = text.count("\n", 0, match.start()) + 1
                found.append(f"{template.relative_to(ROOT)}:{line}: {what}")
    assert found == []


def test_htmx_is_told_not_to_inject_its_indicator_style(client_for):
    page = client_for("zhang").get("/").content.decode()
    assert '"includeIndicatorStyles":false' in page


def test_the_dashboard_chart_has_no_inline_style_or_script(client_for, cycle):
    page = client_for("xia").get(reverse("review:dashboard", args=[cycle.year])).content.decode()
    chart = re.search(r'data-testid="chart">(.*?)</div>', page, re.S).group(1)
    assert "<svg" in chart and 'class="pygal-chart' in chart
    assert "<style" not in chart and "<script" not in chart and "style=" not in chart


# Rate limits ------------------------------------------------------------------------------------


def test_an_upload_over_the_limit_is_refused_with_429_and_nothing_stored(
    client_for, pharmacy, settings, frozen, counters
):
    settings.CAIJI_UPLOAD_RATE = "3/m"
    client = client_for("zhang")
    url = reverse("review:contribution_upload", args=[pharmacy.pk])
    for number in range(3):
        assert client.post(url, {"file": xlsx(number)}).status_code == 302
    uploads, versions = Upload.objects.count(), Version.objects.count()

    response = client.post(url, {"file": xlsx(9)})
    assert response.status_code == 429
    assert 'data-testid="too-many-requests"' in response.content.decode()
    assert 0 < int(response["Retry-After"]) <= 65
    assert (Upload.objects.count(), Version.objects.count()) == (uploads, versions)

    # upload.js asks for JSON and shows the errors in the form.
    response = client.post(url, {"file": xlsx(9)}, headers={"Accept": "application/json"})
    assert response.status_code == 429
    assert len(response.json()["errors"]) == 1
    # The check page counts towards the same limit; reading pages does not.
    response = client.post(reverse("collection:check"), {"table": TABLE, "file": xlsx(9)})
    assert response.status_code == 429
    assert client.get(reverse("review:contribution_detail", args=[pharmacy.pk])).status_code == 200
    assert (Upload.objects.count(), Version.objects.count()) == (uploads, versions)

    # A minute later the person may upload again.
    frozen.shift(datetime.timedelta(seconds=70))
    assert client.post(url, {"file": xlsx(9)}).status_code == 302
    assert Version.objects.count() == versions + 1


def test_the_upload_limit_is_per_person(client, people, cycle, settings, frozen, counters):
    settings.CAIJI_UPLOAD_RATE = "1/m"
    check = reverse("collection:check")
    client.force_login(people["zhang"])
    assert client.post(check, {"table": TABLE, "file": xlsx(1)}).status_code == 200
    assert client.post(check, {"table": TABLE, "file": xlsx(2)}).status_code == 429
    client.force_login(people["zhao"])
    assert client.post(check, {"table": TABLE, "file": xlsx(3)}).status_code == 200


def test_uploads_are_accepted_while_the_cache_is_down(client_for, pharmacy, settings):
    """Redis restarts: the limit is skipped, the upload is not refused."""
    settings.CAIJI_UPLOAD_RATE = "1/m"
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there
        }
    }
    client = client_for("zhang")
    url = reverse("review:contribution_upload", args=[pharmacy.pk])
    for number in range(3):
        assert client.post(url, {"file": xlsx(number)}).status_code == 302
    assert Version.objects.count() == 3


def sign_in(client, username, password, **extra):
    return client.post(
        reverse("accounts:login"), {"username": username, "password": password}, **extra
    )


NETWORK = "短时间内从您所在网络登录失败的次数过多"  # the sign-in form over CAIJI_LOGIN_RATE
WRONG = "工号或密码不正确"
LOCKED = "账号已被锁定"


def test_failed_sign_ins_from_one_address_are_limited(client, people, settings, frozen, counters):
    """Guessing one password for many 工号 (axes locks each 工号 only after five failures):
    past the limit a wrong password is answered 429, the right one still signs in."""
    settings.CAIJI_LOGIN_RATE = "3/m"
    for number in range(3):
        response = sign_in(client, f"99990{number}", "123456")
        assert response.status_code == 200 and WRONG in response.content.decode()
    response = sign_in(client, "999909", "123456")
    assert response.status_code == 429
    assert NETWORK in response.content.decode() and WRONG in response.content.decode()
    assert 'name="username"' in response.content.decode()  # the form, to try again at once
    assert 0 < int(response["Retry-After"]) <= 65
    assert "_auth_user_id" not in client.session
    # Another address is not concerned.
    other = sign_in(client, "999909", "123456", REMOTE_ADDR="10.20.30.40")
    assert other.status_code == 200
    # The right password is never refused, even from the address over the limit.
    assert sign_in(client, "200301", "Test-pass-2026").status_code == 302
    client.logout()
    assert client.get(reverse("accounts:login")).status_code == 200
    frozen.shift(datetime.timedelta(seconds=70))
    assert sign_in(client, "999909", "123456").status_code == 200


def test_a_typo_storm_never_stops_a_colleague_with_the_right_password(
    client, people, settings, frozen, counters, caplog
):
    """Finding 5 of issue 12: a college's staff sign in from behind one NAT address (or through
    the TLS proxy); 25 failures with made-up 工号 in a minute must not keep anybody out."""
    settings.CAIJI_LOGIN_RATE = "20/m"  # the default
    statuses = [sign_in(client, f"9{n:05d}", "Test-pass-2026").status_code for n in range(25)]
    assert statuses == [200] * 20 + [429] * 5
    for key in ("zhang", "li", "chen"):
        response = sign_in(client, people[key].username, "Test-pass-2026")
        assert response.status_code == 302
        assert client.session["_auth_user_id"] == str(people[key].pk)
        client.logout()
    warnings = [r.getMessage() for r in caplog.records if r.name == "config.ratelimit"]
    assert len(warnings) == 1 and "127.0.0.1" in warnings[0]  # once per window, for operators


def test_the_attacked_staff_id_is_still_locked(client, people, settings, frozen, counters):
    """Past the address limit, axes still counts every failure against the 工号 tried."""
    settings.CAIJI_LOGIN_RATE = "3/m"
    for number in range(5):
        sign_in(client, f"99990{number}", "123456")
    for _ in range(5):
        assert sign_in(client, "200302", "123456").status_code == 429
    response = sign_in(client, "200302", "Test-pass-2026")  # 李老师's right password
    assert response.status_code == 429
    assert LOCKED in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert sign_in(client, "200301", "Test-pass-2026").status_code == 302  # 张老师 is not locked


def test_behind_the_proxy_each_client_address_counts_on_its_own(
    client, people, settings, frozen, counters
):
    """With CAIJI_PROXY_COUNT=1 (.env.example) every request comes from the proxy's address;
    the client's is the last hop of X-Forwarded-For."""
    settings.CAIJI_LOGIN_RATE = "2/m"
    settings.CAIJI_PROXY_COUNT = 1
    via = {"REMOTE_ADDR": "172.18.0.1"}
    for number in range(3):
        sign_in(client, f"99990{number}", "x", HTTP_X_FORWARDED_FOR="10.8.0.7", **via)
    assert sign_in(client, "999909", "x", HTTP_X_FORWARDED_FOR="10.8.0.7", **via).status_code == 429
    # A forged first hop does not escape the count; another client is not concerned.
    forged = sign_in(client, "999909", "x", HTTP_X_FORWARDED_FOR="1.2.3.4, 10.8.0.7", **via)
    assert forged.status_code == 429
    assert sign_in(client, "999909", "x", HTTP_X_FORWARDED_FOR="10.8.0.9", **via).status_code == 200


def test_successful_sign_ins_do_not_count(client, people, settings, frozen, counters):
    """A whole college signs in from behind one NAT address."""
    settings.CAIJI_LOGIN_RATE = "2/m"
    for key in ("zhang", "li", "wang", "chen", "zhao"):
        assert sign_in(client, people[key].username, "Test-pass-2026").status_code == 302
        client.logout()


def test_rates_come_from_the_environment_and_fail_loudly(tmp_path):
    code = "from django.conf import settings as s; print(s.CAIJI_UPLOAD_RATE, s.CAIJI_LOGIN_RATE)"
    env = {**PRODUCTION, "CAIJI_UPLOAD_RATE": "10/m", "CAIJI_LOGIN_RATE": "off"}
    result = manage("shell", "-v", "0", "-c", code, env=env, tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["10/m", "off"]
    result = manage("check", env={**PRODUCTION, "CAIJI_UPLOAD_RATE": "30"}, tmp_path=tmp_path)
    assert result.returncode != 0
    assert "CAIJI_UPLOAD_RATE must look like 30/m" in result.stderr


# Session expiry ---------------------------------------------------------------------------------


def test_an_idle_session_ends_and_the_next_page_asks_to_sign_in(client, people, settings, frozen):
    idle = datetime.timedelta(minutes=settings.CAIJI_SESSION_IDLE_MINUTES)
    client.force_login(people["zhang"])
    assert client.get("/").status_code == 200
    # Working keeps the session: each request moves its end.
    for _step in range(3):
        frozen.shift(idle - datetime.timedelta(minutes=5))
        assert client.get("/").status_code == 200
    frozen.shift(idle + datetime.timedelta(minutes=1))
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('accounts:login')}?next=/"


def session_writes(queries) -> list[str]:
    return [
        q["sql"] for q in queries if q["sql"].startswith("UPDATE") and "django_session" in q["sql"]
    ]


def test_the_session_is_written_at_most_once_a_minute(client, people, frozen):
    """Page views only read: with the embedded SQLite a write would wait behind an upload."""
    client.force_login(people["zhang"])
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/").status_code == 200
        frozen.shift(datetime.timedelta(seconds=30))
        assert client.get("/").status_code == 200
    assert session_writes(queries) == []
    frozen.shift(datetime.timedelta(seconds=31))
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/").status_code == 200
    assert len(session_writes(queries)) == 1


def test_the_idle_time_comes_from_the_environment(tmp_path):
    code = (
        "from django.conf import settings as s;"
        "print(s.SESSION_COOKIE_AGE, s.SESSION_EXPIRE_AT_BROWSER_CLOSE)"
    )
    env = {**PRODUCTION, "CAIJI_SESSION_IDLE_MINUTES": "30"}
    result = manage("shell", "-v", "0", "-c", code, env=env, tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["1800", "True"]
    result = manage("shell", "-v", "0", "-c", code, env=PRODUCTION, tmp_path=tmp_path)
    assert result.stdout.split()[0] == "7200"  # two hours by default


# Stored files -----------------------------------------------------------------------------------


def url_patterns(patterns=None):
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            yield from url_patterns(pattern.url_patterns)
        elif isinstance(pattern, URLPattern):
            yield pattern


def test_no_url_serves_the_file_store():
    assert [p for p in url_patterns() if p.callback is serve] == []


@pytest.fixture
def stored(staff, pharmacy, cycle, units):
    """A contribution's upload, an announcement's attachment and an export package, each kept
    in the file store (MEDIA_ROOT)."""
    version = upload(pharmacy, staff["zhang"], PHARMACY_ROWS)
    notice = notices.announcement_save(
        actor=staff["xia"], title="培训", all_units=False, units=[units["pharmacy"]]
    )
    attachment = notices.attachment_add(
        actor=staff["xia"], announcement=notice, file=SimpleUploadedFile("培训.pdf", b"%PDF-1.4 x")
    )
    notices.announcement_publish(actor=staff["xia"], announcement=notice)
    export = ExportJob(cycle=cycle, created_by=staff["xia"], filename="2026.zip")
    export.file.save("2026.zip", ContentFile(b"PK\x03\x04 export"), save=True)
    return {"upload": version.upload, "attachment": attachment, "export": export}


def test_stored_files_have_no_public_address(client_for, stored, settings):
    client = client_for("xia")  # the office, who may download each of them through its view
    for item in stored.values():
        name = item.file.name
        assert (Path(settings.MEDIA_ROOT) / name).is_file()
        for guess in (
            f"/{name}",
            f"/media/{name}",
            f"/files/{name}",
            f"/var/files/{name}",
            f"/static/{name}",
            f"/static/files/{name}",
            f"/static/../files/{name}",
        ):
            assert client.get(guess).status_code == 404, guess


def test_the_file_store_is_never_inside_what_whitenoise_serves(tmp_path):
    result = manage(
        "check", env={**PRODUCTION, "CAIJI_STATIC_ROOT": str(tmp_path)}, tmp_path=tmp_path
    )
    assert result.returncode != 0
    assert "must not contain CAIJI_DATA_DIR" in result.stderr


def test_whitenoise_in_production_serves_static_files_only(tmp_path):
    """The production configuration, static files collected: the stylesheet is served, the
    database and the stored files under the same data directory are not."""
    env = {k: v for k, v in PRODUCTION.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    collected = manage("collectstatic", "--noinput", "-v", "0", env=env, tmp_path=tmp_path)
    assert collected.returncode == 0, collected.stderr
    (tmp_path / "files" / "uploads").mkdir(parents=True)
    (tmp_path / "files" / "uploads" / "secret").write_bytes(b"secret rows")
    (tmp_path / "caiji.sqlite3").write_bytes(b"SQLite format 3\x00")
    code = (
        "from django.test import Client; c = Client(HTTP_HOST='caiji.example.edu.cn');"
        "[print(u, c.get(u, secure=True).status_code) for u in ("
        "'/static/css/caiji.css', '/static/caiji.sqlite3', '/static/../caiji.sqlite3',"
        "'/static/files/uploads/secret', '/static/../files/uploads/secret',"
        "'/static/%2e%2e/files/uploads/secret', '/files/uploads/secret', '/caiji.sqlite3')]"
    )
    result = manage("shell", "-v", "0", "-c", code, env=env, tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    statuses = dict(line.split() for line in result.stdout.splitlines())
    assert statuses.pop("/static/css/caiji.css") == "200"
    assert set(statuses.values()) == {"404"}, statuses


def test_another_units_collector_gets_404_on_every_download(client_for, stored, staff):
    """赵老师 guesses the addresses of 药学院's files."""
    version = Version.objects.get()
    contribution = version.contribution
    attachment: AnnouncementAttachment = stored["attachment"]
    check = client_for("zhang").post(reverse("collection:check"), {"table": TABLE, "file": xlsx(1)})
    assert check.status_code == 200
    check_upload = Upload.objects.filter(purpose=Upload.Purpose.CHECK).get()
    downloads = [
        reverse("review:version_file", args=[contribution.pk, version.number]),
        reverse("review:version_annotated", args=[contribution.pk, version.number]),
        reverse("collection:announcement_file", args=[attachment.announcement_id, attachment.pk]),
        reverse("collection:check_result", args=[check_upload.pk]),
        reverse("collection:check_annotated", args=[check_upload.pk]),
    ]
    zhang = client_for("zhang")
    for url in downloads:
        assert zhang.get(url).status_code == 200, url
    zhao = client_for("zhao")
    for url in downloads:
        assert zhao.get(url).status_code == 404, url
    zhao.logout()
    for url in downloads:
        response = zhao.get(url)
        assert response.status_code == 302 and response["Location"].startswith(
            reverse("accounts:login")
        )


def test_downloads_are_attachments_that_never_render(client_for, stored):
    version = Version.objects.get()
    response = client_for("li").get(
        reverse("review:version_file", args=[version.contribution_id, version.number])
    )
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "script-src 'self'" in response["Content-Security-Policy"]
