# ruff: noqa: F811  (test arguments name the fixtures imported from tests/review/conftest.py)
"""Backup and restore (docs/operations.md, "Backup and restore").

A small college is built through the real services (tests/review/conftest.py: 教务处 responsible
for 表1-6, 药学院 assisting; 张老师 uploads a bad version, then a good one; both units deliver;
孙老师, 韩老师 and 邵老师 approve the merged table; 夏主任 attaches the work plan to an
announcement). It is backed up in this process with `manage.py backup`, then restored with
`manage.py restore` in another process into an EMPTY installation: another CAIJI_DATA_DIR on
SQLite, or another PostgreSQL database when the tests run with DATABASE_URL. That process must
find every cycle, table spec, contribution, version (with its stored file and hashes), table
report and audit event again, and the audit table must still refuse changes.
"""

import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from review import workflow
from tests.review.conftest import (  # noqa: F401  (fixtures used by name)
    ACADEMIC_ROWS,
    BAD_ROWS,
    PHARMACY_ROWS,
    academic,
    academic_staff,
    assignment,
    cycle,
    deliver,
    pharmacy,
    report,
    staff,
    upload,
)

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.django_db(transaction=True)
PLAN = "%PDF-1.4\n% 2026年数据采集工作方案\n".encode()


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _read(field) -> bytes:
    with field.open("rb") as handle:
        return handle.read()


def _append_only() -> bool:
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("UPDATE accounts_event SET reason = 'changed'")
    except DatabaseError:
        return True
    return False


def here() -> dict:
    """The snapshot of the installation under test, as the restored one reports it (JSON)."""
    return json.loads(json.dumps(snapshot()))


def snapshot() -> dict:
    """What people would look for after a restore; run here and in the restored installation."""
    from accounts.models import Event, Unit, User
    from collection.models import (
        AnnouncementAttachment,
        Contribution,
        Cycle,
        TableReport,
        TableSpec,
        Version,
    )
    from review.models import Review, Signature

    return {
        "units": sorted(Unit.objects.values_list("code", "name")),
        "users": sorted(User.objects.values_list("username", "name")),
        "cycles": list(Cycle.objects.order_by("year").values_list("year", "status")),
        "table_specs": list(
            TableSpec.objects.order_by("cycle__year", "code").values_list(
                "cycle__year", "code", "spec_version"
            )
        ),
        "contributions": [
            [c.assignment.table.code, c.unit.code, c.state, c.current_version_id, c.submission]
            for c in Contribution.objects.select_related("assignment__table", "unit").order_by("pk")
        ],
        "versions": [
            [
                v.pk,
                v.contribution_id,
                v.number,
                v.content_hash,
                v.upload.filename,
                v.upload.sha256,
                _sha(_read(v.upload.file)),
                _sha(bytes(v.upload.rows_blob)),
            ]
            for v in Version.objects.select_related("upload").order_by("pk")
        ],
        "table_reports": [
            [r.assignment.table.code, r.state, r.merged_hash, _sha(bytes(r.merged_blob))]
            for r in TableReport.objects.select_related("assignment__table").order_by("pk")
        ],
        "reviews": list(Review.objects.order_by("pk").values_list("pk", "decision")),
        "signatures": list(Signature.objects.order_by("pk").values_list("pk", "content_hash")),
        "attachments": [
            [a.filename, a.sha256, _sha(_read(a.file))]
            for a in AnnouncementAttachment.objects.order_by("pk")
        ],
        "events": [
            [
                *(e.pk, e.created_at.isoformat(), e.action, e.object_type, e.object_id),
                *(e.from_state, e.to_state, e.content_hash, e.actor_id, e.reason),
            ]
            for e in Event.objects.order_by("pk")
        ],
        "append_only": _append_only(),
    }


@dataclass
class Installation:
    """Another installation of caiji, driven through manage.py in its own process."""

    data_dir: Path
    env: dict[str, str]

    def manage(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=300,
        )

    def query(self, code: str) -> object:
        result = self.manage("shell", "-v", "0", "-c", f"import json; {code}")
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout.strip().splitlines()[-1])

    def snapshot(self) -> dict:
        return self.query(  # type: ignore[return-value]
            "from tests.test_backup_restore import snapshot; print(json.dumps(snapshot()))"
        )

    def tables(self) -> list[str]:
        return self.query(  # type: ignore[return-value]
            "from django.db import connection;"
            " print(json.dumps(connection.introspection.table_names()))"
        )


@contextmanager
def _postgres_database(name: str) -> Iterator[str]:
    """A new PostgreSQL database beside the test database, dropped afterwards."""
    import psycopg2

    settings = connection.settings_dict
    admin = psycopg2.connect(
        dbname="postgres",
        host=settings["HOST"] or None,
        port=settings["PORT"] or None,
        user=settings["USER"] or None,
        password=settings["PASSWORD"] or None,
    )
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cursor.execute(f'CREATE DATABASE "{name}"')
    url = urlsplit(os.environ["DATABASE_URL"])
    try:
        yield urlunsplit(url._replace(path=f"/{name}"))
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


@pytest.fixture
def empty_installation(tmp_path) -> Iterator[Installation]:
    """A new, empty installation of the same kind as the one under test (nothing migrated)."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE", "SECRET_KEY"}
    }
    data_dir = tmp_path / "restored"
    env |= {
        "DEBUG": "1",
        "CAIJI_DATA_DIR": str(data_dir),
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }
    if connection.vendor == "postgresql":
        name = f"{connection.settings_dict['NAME']}_restored"[:63]
        with _postgres_database(name) as url:
            yield Installation(data_dir, {**env, "DATABASE_URL": url})
    else:
        yield Installation(data_dir, env)


@pytest.fixture
def college(staff, pharmacy, academic, report):
    """The college above: two versions for 药学院, one for 教务处, the merged table approved."""
    s = staff
    upload(pharmacy, s["zhang"], BAD_ROWS, name="名单-有重复.xlsx")
    deliver(pharmacy, s["zhang"], [s["li"], s["wang"]], s["chen"], PHARMACY_ROWS)
    deliver(academic, s["qian"], [s["zhou"], s["wu"]], s["zheng"], ACADEMIC_ROWS)
    workflow.table_report_start_second_review(actor=s["sun"], report=report)
    for reviewer in ("sun", "han", "shao"):
        workflow.table_report_approve(actor=s[reviewer], report=report)
    _announcement_with_plan(s["xia"])
    return s


def _announcement_with_plan(office):
    from collection.services.announcements import announcement_save, attachment_add

    announcement = announcement_save(actor=office, title="2026年数据采集工作方案")
    attachment_add(
        actor=office,
        announcement=announcement,
        file=SimpleUploadedFile("工作方案.pdf", PLAN, content_type="application/pdf"),
    )


def _backup(tmp_path: Path, name: str = "caiji.tar") -> tuple[Path, dict]:
    archive = tmp_path / name
    call_command("backup", output=str(archive), stdout=io.StringIO())
    with tarfile.open(archive) as tar:
        manifest = json.loads(tar.extractfile("manifest.json").read())  # type: ignore[union-attr]
    return archive, manifest


def test_a_backup_restores_into_an_empty_installation_with_everything(
    college, tmp_path, empty_installation
):
    before = here()
    assert len(before["versions"]) == 3 and before["table_reports"][0][1] == "approved"
    assert before["append_only"] and before["attachments"][0][2] == _sha(PLAN)
    archive, manifest = _backup(tmp_path)
    assert manifest["summary"]["versions"] == 3
    assert manifest["summary"]["events"] == len(before["events"])
    assert manifest["summary"]["files"] == 4  # three uploads and the work plan

    restored = empty_installation.manage("restore", str(archive))
    assert restored.returncode == 0, restored.stderr
    assert "各表行数与备份清单一致" in restored.stdout
    assert "注意" not in restored.stderr  # every file the database names is in the file store
    assert empty_installation.snapshot() == before

    # Restoring again over what is now there is refused.
    again = empty_installation.manage("restore", str(archive))
    assert again.returncode == 1
    assert "目标安装不是空的" in again.stderr and "--force" in again.stderr


def test_a_restore_into_a_freshly_migrated_installation_and_over_it(
    people, tmp_path, empty_installation
):
    """The docker-compose case: the web container has already migrated the empty database.
    Restoring a second time needs --force, and keeps the previous file store under another name."""
    _announcement_with_plan(people["xia"])
    before = here()
    archive, _manifest = _backup(tmp_path)
    assert empty_installation.manage("migrate", "-v", "0").returncode == 0
    restored = empty_installation.manage("restore", str(archive))
    assert restored.returncode == 0, restored.stderr
    assert "各表行数与备份清单一致" in restored.stdout

    forced = empty_installation.manage("restore", str(archive), "--force")
    assert forced.returncode == 0, forced.stderr
    assert empty_installation.snapshot() == before
    (kept,) = empty_installation.data_dir.glob("files.before-restore-*")
    assert [p.read_bytes() for p in kept.rglob("*") if p.is_file()] == [PLAN]


def _rewrite(source: Path, target: Path, change: Callable[[str, bytes], bytes]) -> None:
    with tarfile.open(source) as old, tarfile.open(target, "w") as new:
        for member in old.getmembers():
            data = change(member.name, old.extractfile(member).read())  # type: ignore[union-attr]
            member.size = len(data)
            new.addfile(member, io.BytesIO(data))


def test_a_damaged_archive_is_refused_and_nothing_is_restored(people, tmp_path, empty_installation):
    _announcement_with_plan(people["xia"])
    archive, manifest = _backup(tmp_path)
    (plan,) = manifest["files"]
    damaged = tmp_path / "damaged.tar"
    _rewrite(
        archive,
        damaged,
        lambda name, data: data.replace(b"%PDF-1.4", b"%PDF-1.5") if name.endswith(plan) else data,
    )

    out = io.StringIO()
    call_command("restore", str(archive), verify_only=True, stdout=out)
    assert "备份完好" in out.getvalue()
    with pytest.raises(CommandError, match="校验值不符"):
        call_command("restore", str(damaged), verify_only=True)

    refused = empty_installation.manage("restore", str(damaged))
    assert refused.returncode == 1
    assert f"files/{plan}" in refused.stderr and "校验值不符" in refused.stderr
    assert empty_installation.tables() == []
    assert not (empty_installation.data_dir / "files").exists()


def test_a_backup_from_a_newer_caiji_is_refused_before_anything_changes(people, tmp_path):
    archive, _manifest = _backup(tmp_path)
    newer = tmp_path / "newer.tar"

    def future(name: str, data: bytes) -> bytes:
        if name != "manifest.json":
            return data
        manifest = json.loads(data)
        manifest["migrations"]["accounts"].append("9999_from_the_future")
        return json.dumps(manifest).encode()

    _rewrite(archive, newer, future)
    before = here()
    with pytest.raises(CommandError, match=r"accounts\.9999_from_the_future.*升级"):
        call_command("restore", str(newer), force=True)
    assert here() == before
