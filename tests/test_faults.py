"""Faults (issue 7, docs/faults.md): Redis stopped, the worker killed in the middle of a check,
the database connection lost in the middle of an upload. Nothing uploaded is half-stored, the
user always gets a page that says what happened, and everything can be done again.

Real processes: each test that needs Redis starts its own redis-server on a free port (the
shared one on 6379 is never touched) and stops or restarts that one; a test that needs a worker
starts a real ``celery -A config worker`` with the production settings module, sharing the
test's database (a file copy of the in-memory SQLite test database, or the PostgreSQL test
database when DATABASE_URL is set) and its file store.

Personas (tests/conftest.py, tests/review/conftest.py): 张老师 (zhang) collects for 药学院 and
uploads 表1-6; 李老师 (li) and 王老师 (wang) review 药学院 and are notified when it is
submitted; 钱老师 (qian) collects for 教务处; 夏主任 (xia) is in the office and reads the
completeness page.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import OperationalError, connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from accounts.models import OutboxMessage, User
from collection.models import ContributionState, Upload, UploadJob, Version
from collection.selectors import _schema_cache
from collection.services import jobs, versions
from config.celery import app as celery_app
from review import views_upload
from tests.review import conftest as review
from tests.review.conftest import ACADEMIC_ROWS, BAD_ROWS, PHARMACY_ROWS, roster, student

# 表1-6 published with 教务处 responsible and 药学院 assisting (tests/review/conftest.py).
cycle, academic_staff, staff = review.cycle, review.academic_staff, review.staff
assignment, pharmacy, academic = review.assignment, review.pharmacy, review.academic

REPO = Path(__file__).resolve().parents[1]
J = UploadJob.State
STOPPED = "校验未完成就中断了。请点击“重试”，或重新上传文件。"  # the job's stopped message
CORRECTED_ROWS = [*PHARMACY_ROWS, student("2023000003", "刘洋")]
WAIT = 40.0  # seconds: the longest any step may take before the test fails


def wait_for(condition: Callable[[], object], what: str, seconds: float = WAIT) -> object:
    deadline = time.monotonic() + seconds
    while True:
        found = condition()
        if found:
            return found
        if time.monotonic() > deadline:
            pytest.fail(f"waited {seconds:.0f} s for {what}")
        time.sleep(0.1)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# Processes ------------------------------------------------------------------------------------


class PrivateRedis:
    """A redis-server of this test alone, on a free port: stopped and started at will."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                *("redis-server", "--port", str(self.port), "--bind", "127.0.0.1"),
                *("--save", "", "--appendonly", "no", "--daemonize", "no"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(self._answers, f"redis-server on port {self.port}")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)
            self.process = None
        assert not self._answers()

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False


# A worker with the production settings. With CAIJI_FAULT_HOLD set, the first task to reach
# CAIJI_FAULT_STAGE ("checking": validating the rows; "storing": the Upload row and file written
# inside version_create's transaction, the Version not yet) writes its process id to the
# CAIJI_FAULT_HOLD file and waits there to be killed; later tasks run normally.
WORKER = """
import os, time
hold = os.environ.get("CAIJI_FAULT_HOLD")
if hold:
    import django
    django.setup()
    from collection.services import uploads, versions

    def held(real):
        def wait(*args, **kwargs):
            if not os.path.exists(hold):
                with open(hold, "w") as f:
                    f.write(str(os.getpid()))
                time.sleep(300)
            return real(*args, **kwargs)
        return wait

    if os.environ["CAIJI_FAULT_STAGE"] == "checking":
        uploads.validate = held(uploads.validate)
    else:
        versions.version_next_number = held(versions.version_next_number)
from celery.__main__ import main
main()
"""


class Worker:
    """``celery -A config worker`` in its own process group (a prefork worker's pool processes
    go with it at the end)."""

    def __init__(self, env: dict[str, str], log: Path, pool: str, wait: bool) -> None:
        self.log = log
        self.process = subprocess.Popen(
            [
                *(sys.executable, "-c", WORKER, "-A", "config", "worker", f"--pool={pool}"),
                *("--concurrency=1", "--without-gossip", "--without-mingle", "--without-heartbeat"),
                *("-l", "INFO", "-n", f"faults-{log.stem}@%h"),
            ],
            cwd=REPO,
            env=env,
            stdout=log.open("wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        if wait:
            wait_for(self._ready, f"the worker to be ready (log: {log})")

    def _ready(self) -> bool:
        if self.process.poll() is not None:
            pytest.fail(f"the worker exited: {self.log.read_text(errors='replace')[-3000:]}")
        return " ready." in self.log.read_text(errors="replace")

    def stop(self) -> None:
        # Nothing of the test's is left to finish: no warm shutdown.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(10)


# Fixtures -------------------------------------------------------------------------------------


@pytest.fixture
def shared_db(transactional_db, _isolated_data_dir, settings) -> Iterator[dict[str, str]]:
    """The test's database, reachable from a worker process: the environment a worker needs.

    SQLite: the in-memory test database is copied to the data directory's caiji.sqlite3 (where
    the production settings look) and the test's connection is moved there until the end.
    PostgreSQL: the test database itself (committed data: transactional_db)."""
    data_dir = Path(settings.MEDIA_ROOT).parent
    data_dir.mkdir(parents=True, exist_ok=True)
    env = {"CAIJI_DATA_DIR": str(data_dir)}
    _schema_cache.clear()  # primary keys of another database
    if connection.vendor != "sqlite":
        s = connection.settings_dict
        auth = quote(s["USER"]) + (f":{quote(s['PASSWORD'])}" if s["PASSWORD"] else "")
        env["DATABASE_URL"] = f"postgres://{auth}@{s['HOST']}:{s['PORT'] or 5432}/{s['NAME']}"
        yield env
        _schema_cache.clear()
        return
    path = data_dir / "caiji.sqlite3"
    connection.ensure_connection()
    memory = connection.connection
    target = sqlite3.connect(path)
    memory.backup(target)
    target.close()
    name = connection.settings_dict["NAME"]
    connection.settings_dict["NAME"] = str(path)
    connection.connection = None  # the next query opens the file (closing would drop memory)
    try:
        yield env
    finally:
        connection.close()
        connection.settings_dict["NAME"] = name
        connection.connection = memory
        _schema_cache.clear()


@pytest.fixture
def private_redis() -> Iterator[PrivateRedis]:
    server = PrivateRedis()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def on_redis(private_redis, settings, monkeypatch) -> Iterator[PrivateRedis]:
    """This process as the production settings run it with REDIS_URL: the cache and the Celery
    broker on the private Redis, tasks sent to a worker instead of run inline."""
    import runpy

    monkeypatch.setenv("REDIS_URL", private_redis.url)
    monkeypatch.setenv("DEBUG", "1")
    production = runpy.run_path(str(REPO / "config" / "settings.py"))
    settings.CACHES = production["CACHES"]
    saved = {key: celery_app.conf[key] for key in ("broker_url", "task_always_eager")}
    celery_app.conf.update(
        broker_url=production["CELERY_BROKER_URL"],
        task_always_eager=production["CELERY_TASK_ALWAYS_EAGER"],
    )
    _drop_broker_connections()
    try:
        yield private_redis
    finally:
        celery_app.conf.update(saved)
        _drop_broker_connections()


def _drop_broker_connections() -> None:
    if celery_app._pool is not None:
        celery_app._pool.force_close_all()
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@pytest.fixture
def start_worker(shared_db, on_redis, tmp_path) -> Iterator[Callable[..., Worker]]:
    started: list[Worker] = []

    def start(*, pool: str = "solo", wait: bool = True, **extra: str) -> Worker:
        env = {
            k: v
            for k, v in os.environ.items()
            if k not in ("DATABASE_URL", "EMAIL_HOST", "EMAIL_BACKEND", "PYTEST_CURRENT_TEST")
        }
        env.update(
            DJANGO_SETTINGS_MODULE="config.settings",
            DEBUG="1",
            REDIS_URL=on_redis.url,
            PYTHONPATH=str(REPO),
            **shared_db,
            **extra,
        )
        worker = Worker(env, tmp_path / f"worker{len(started) + 1}.log", pool, wait)
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()


@pytest.fixture
def zhang(client, staff):
    client.force_login(staff["zhang"])
    return client


def post_file(client, contribution, content: bytes, name: str = "名单.xlsx"):
    return client.post(
        reverse("review:contribution_upload", args=[contribution.pk]),
        {"file": SimpleUploadedFile(name, content)},
    )


def page_url(contribution) -> str:
    return reverse("review:contribution_detail", args=[contribution.pk])


def status(client, job) -> dict:
    url = reverse("review:upload_job_status", args=[job.contribution_id, job.pk])
    return client.get(url).json()


def nothing_half_stored() -> None:
    """Every accepted upload is a version; nothing else of a contribution upload is kept."""
    accepted = Upload.objects.filter(status=Upload.Status.ACCEPTED, purpose="contribution")
    assert set(accepted.values_list("pk", flat=True)) == set(
        Version.objects.values_list("upload_id", flat=True)
    )
    assert not Upload.objects.exclude(status=Upload.Status.ACCEPTED).exists()


# Redis stopped --------------------------------------------------------------------------------


def test_with_redis_stopped_uploads_are_checked_inline_and_mail_goes_out_when_it_is_back(
    shared_db, on_redis, start_worker, staff, pharmacy, zhang, client, settings
):
    for key in ("li", "wang"):
        User.objects.filter(pk=staff[key].pk).update(email=f"{key}@example.edu.cn")
    on_redis.stop()

    # A large file (a background job) while Redis is down: checked inside the request.
    settings.CAIJI_UPLOAD_INLINE_MAX_BYTES = 100
    response = post_file(zhang, pharmacy, roster(BAD_ROWS), "大文件.xlsx")
    assert response.status_code == 302 and response.url == page_url(pharmacy)
    job = UploadJob.objects.get()
    assert (job.state, job.attempts, job.version.number) == (J.DONE, 1, 1)
    assert job.version.error_count == 1  # validated: the duplicate 学号 is found
    page = zhang.get(page_url(pharmacy))
    assert page.status_code == 200 and page.context["version"] == job.version
    assert "第1版已保存，但有 1 处错误" in page.content.decode()
    assert status(zhang, job)["state"] == "done"

    # A small file, checked inline as always.
    settings.CAIJI_UPLOAD_INLINE_MAX_BYTES = 1024 * 1024
    response = post_file(zhang, pharmacy, roster(CORRECTED_ROWS), "更正.xlsx")
    assert response.status_code == 302
    assert UploadJob.objects.count() == 1
    page = zhang.get(page_url(pharmacy))
    assert page.status_code == 200 and "第2版已保存。" in page.content.decode()
    assert (page.context["version"].number, page.context["version"].error_count) == (2, 0)

    # Submitting notifies the reviewers: the mail waits in the outbox.
    response = zhang.post(reverse("review:contribution_submit", args=[pharmacy.pk]))
    assert response.status_code == 302
    pharmacy.refresh_from_db()
    assert pharmacy.state == ContributionState.SOURCE_REVIEW
    waiting = OutboxMessage.objects.filter(channel=OutboxMessage.Channel.EMAIL)
    assert sorted(waiting.values_list("address", "state")) == [
        ("li@example.edu.cn", "pending"),
        ("wang@example.edu.cn", "pending"),
    ]
    # Other pages that read the cache answer too.
    client.force_login(staff["xia"])
    completeness = client.get(reverse("review:completeness", args=[pharmacy.assignment.cycle.year]))
    assert completeness.status_code == 200
    assert client.get(reverse("home")).status_code == 200

    # Redis is back and a worker runs: the periodic sweep sends the mail, once.
    on_redis.start()
    start_worker()
    from accounts.tasks import send_outbox

    send_outbox.delay()
    wait_for(
        lambda: not waiting.exclude(state=OutboxMessage.State.SENT).exists(),
        "the outbox to be sent by the worker",
    )
    mail_dir = Path(settings.MEDIA_ROOT).parent / "mail"
    sent = "".join(p.read_text(errors="replace") for p in mail_dir.iterdir())
    assert "li@example.edu.cn" in sent and "wang@example.edu.cn" in sent
    assert all(m.attempts == 1 for m in waiting)
    nothing_half_stored()


# The worker killed mid-check ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("stage", "pool"),
    [
        ("checking", "solo"),  # the whole worker is killed (a container stopped, a node lost)
        ("storing", "prefork"),  # its pool process is killed (the OOM killer); the worker lives on
    ],
)
def test_a_worker_killed_mid_check_leaves_a_stopped_job_that_a_retry_finishes(
    stage, pool, shared_db, start_worker, staff, pharmacy, academic, zhang, settings, tmp_path
):
    settings.CAIJI_UPLOAD_INLINE_MAX_BYTES = 100
    response = post_file(zhang, pharmacy, roster(PHARMACY_ROWS), "大文件.xlsx")
    assert response.status_code == 302
    job = UploadJob.objects.get()
    assert job.state == J.QUEUED  # waits in Redis for a worker
    hold = tmp_path / "held"
    start_worker(pool=pool, CAIJI_FAULT_HOLD=str(hold), CAIJI_FAULT_STAGE=stage)
    pid = int(wait_for(lambda: hold.exists() and hold.read_text(), f"the worker at {stage}"))
    if pool == "solo":
        start_worker(wait=False)  # the replacement starts meanwhile: nothing is left for it yet
    if stage == "checking":
        # The rows are checked outside any transaction: meanwhile 钱老师 saves 教务处's rows at
        # once, even on SQLite, where a check inside the write transaction held every write up.
        settings.CAIJI_UPLOAD_INLINE_MAX_BYTES = 1024 * 1024
        qian = Client()
        qian.force_login(staff["qian"])
        assert post_file(qian, academic, roster(ACADEMIC_ROWS)).status_code == 302
        assert Version.objects.get(contribution=academic).row_count == 1
        data = status(zhang, job)
    else:
        data = jobs.job_view(UploadJob.objects.get(pk=job.pk))  # storing holds the write lock
    assert (data["state"], data["stage"], data["finished"]) == ("running", stage, False)

    os.kill(pid, signal.SIGKILL)  # no clean-up of any kind
    wait_for(lambda: not _alive(pid), "the killed process to be gone")
    nothing_half_stored()
    assert not Version.objects.filter(contribution=pharmacy).exists()
    assert not Upload.objects.filter(uploaded_by=staff["zhang"]).exists()
    pharmacy.refresh_from_db()
    assert pharmacy.current_version is None
    assert UploadJob.objects.get().state == J.RUNNING  # what the dead process left behind

    # Nothing moves any more: once the stale limit has passed the job shows as stopped, with
    # the reason in Chinese, and the collector retries it.
    later = timezone.now() + timedelta(seconds=settings.CAIJI_UPLOAD_JOB_STALE_SECONDS + 60)
    with time_machine.travel(later):
        data = status(zhang, job)
        assert (data["state"], data["stage"], data["retryable"]) == ("failed", "stopped", True)
        assert data["message"] == STOPPED
        assert 'data-action="retry"' in zhang.get(page_url(pharmacy)).content.decode()
        retry = reverse("review:upload_job_retry", args=[pharmacy.pk, job.pk])
        assert zhang.post(retry).status_code == 302
    wait_for(
        lambda: UploadJob.objects.filter(pk=job.pk, state=J.DONE).exists(),
        "the retried job to finish",
    )
    job.refresh_from_db()
    assert (job.attempts, job.version.number, job.version.row_count) == (2, 1, 2)
    assert Version.objects.filter(contribution=pharmacy).count() == 1
    nothing_half_stored()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A killed pool process stays a zombie until the worker reaps it: gone all the same.
    state = Path(f"/proc/{pid}/stat")
    return state.exists() and state.read_text().split(") ", 1)[-1][:1] != "Z"


# The database connection lost mid-upload -----------------------------------------------------


@pytest.fixture
def connection_lost_once(monkeypatch) -> list[str]:
    """The database connection goes away after the upload's rows and file are stored, before
    the version is made (inside version_create's transaction), the first time only.

    PostgreSQL: the server ends the connection (pg_terminate_backend from another connection).
    SQLite has no server to lose: the storing step raises the error a lost database gives."""
    real = versions.version_next_number
    seen: list[str] = []

    def lost(contribution):
        if not seen:
            seen.append(connection.vendor)
            if connection.vendor == "postgresql":
                _terminate_own_backend()
            else:
                raise OperationalError("disk I/O error")
        return real(contribution)

    monkeypatch.setattr(versions, "version_next_number", lost)
    return seen


def _terminate_own_backend() -> None:
    import psycopg2

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    s = connection.settings_dict
    other = psycopg2.connect(
        dbname=s["NAME"],
        user=s["USER"],
        password=s["PASSWORD"] or None,
        host=s["HOST"] or None,
        port=s["PORT"] or None,
    )
    try:
        other.autocommit = True
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s, 5000)", [pid])
            assert cursor.fetchone()[0]
    finally:
        other.close()


@pytest.mark.django_db(transaction=True)
def test_a_connection_lost_mid_upload_stores_nothing_and_the_upload_again_works(
    connection_lost_once, staff, pharmacy, zhang
):
    response = post_file(zhang, pharmacy, roster(PHARMACY_ROWS))
    assert connection_lost_once  # the fault happened
    assert response.status_code == 422  # the page, not a server error
    with translation.override("zh-hans"):
        message = views_upload._database_lost_message()
    assert response.context["upload_form"].errors["file"] == [message]
    assert message in response.content.decode()
    assert re.search(r"[\u4e00-\u9fff]", message)  # said in Chinese
    assert not Upload.objects.exists() and not Version.objects.exists()
    pharmacy.refresh_from_db()
    assert pharmacy.current_version is None

    response = post_file(zhang, pharmacy, roster(PHARMACY_ROWS))
    assert response.status_code == 302
    pharmacy.refresh_from_db()
    assert pharmacy.current_version.number == 1
    nothing_half_stored()


@pytest.mark.django_db(transaction=True)
def test_a_connection_lost_in_a_background_check_stops_the_job_and_retry_finishes_it(
    connection_lost_once, staff, pharmacy, zhang, settings
):
    settings.CAIJI_UPLOAD_INLINE_MAX_BYTES = 100  # a job; without a worker it runs inline
    response = post_file(zhang, pharmacy, roster(PHARMACY_ROWS), "大文件.xlsx")
    assert connection_lost_once
    assert response.status_code == 422
    assert response.context["upload_form"].errors["file"] == [STOPPED]
    job = UploadJob.objects.get()
    assert (job.state, job.stage, job.version) == (J.FAILED, "stopped", None)
    assert not Upload.objects.exists() and not Version.objects.exists()
    assert status(zhang, job)["retryable"]

    retry = reverse("review:upload_job_retry", args=[pharmacy.pk, job.pk])
    assert zhang.post(retry).status_code == 302
    job.refresh_from_db()
    assert (job.state, job.attempts, job.version.number) == (J.DONE, 2, 1)
    nothing_half_stored()
