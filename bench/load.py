"""Load benchmark: 200 people on gunicorn (4 workers) + a Celery worker, PostgreSQL and Redis,
against the demo college scaled to 60 units and 100 tables (bench/scale.py).

What it does, in order:

1. drops and recreates the PostgreSQL database ``caiji_bench_load``, migrates it and builds
   the college (bench/scale.py, through the real services and workflow);
2. collects the static files (production storage), empties Redis database 5 and starts
   ``gunicorn config.wsgi:application --workers 4`` and ``celery -A config worker
   --concurrency 2`` as docker-compose.yml does, with DEBUG off;
3. warm-up, not in the figures: the people arrive spread over ``--ramp`` seconds, each signs
   in (sign-in page, POST, "my work") and starts working; the window opens ``--settle``
   seconds after the last one has signed in;
4. the measured window (``--duration``): each person repeats "think, then one request": a
   think time drawn uniformly from ``--think`` seconds, then a page drawn by their role (``MIX``:
   my work, a contribution of their unit, the dashboard or its 30-second live part, and 1 in
   100 signs out and in again). A quarter into the window five collectors of schools upload a
   50,000-row 表1-6 roster each, at the same moment, through the real upload view with its
   CSRF token (files over 1 MB are checked by the worker: UploadJob), then poll the job's
   status every second as static/js/upload.js does until the worker has finished, and open
   the contribution again;
5. stops the processes, empties Redis database 5, drops the database (``--keep-db`` keeps it;
   ``--reuse`` starts from what it kept) and writes bench/results/load.json
   (``--quick``: var/bench/load-quick.json).

The load generator is one thread per simulated person with its own cookies: a closed model (a
person waits for the page, then thinks), so the offered rate is what the people produce, not a
flood: about users / (mean think time + response time) requests a second. gunicorn's sync
workers close the connection after each response, so each request opens a loopback
connection. Static files are not requested (browsers cache them).

Run: `.venv/bin/python bench/load.py` (200 people, 2 minutes; 8 to 10 minutes in all with the
set-up) or `--quick` (30 people, 20 s) while developing. Needs PostgreSQL (user postgres, no
password) and Redis on 127.0.0.1, or CAIJI_BENCH_POSTGRES / CAIJI_BENCH_REDIS; see
docs/performance.md.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import platform
import random
import re
import resource
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PY = sys.executable
BIN = Path(PY).parent

PG = os.environ.get("CAIJI_BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432")
DB_NAME = "caiji_bench_load"
REDIS = os.environ.get("CAIJI_BENCH_REDIS", "redis://127.0.0.1:6379")
REDIS_DB = 5
HOST = "127.0.0.1"
TOKEN = re.compile(rb'name="csrfmiddlewaretoken" value="([^"]+)"')
MB = 1024 * 1024

# What each kind of person does between two thoughts: (action, weight).
MIX: dict[str, list[tuple[str, int]]] = {
    "collector": [("my_work", 35), ("contribution", 63), ("sign_again", 1)],
    "reviewer": [("my_work", 40), ("contribution", 58), ("sign_again", 1)],
    "second_reviewer": [("my_work", 40), ("contribution", 58), ("sign_again", 1)],
    "head": [
        ("my_work", 30),
        ("dashboard", 15),
        ("dashboard_live", 15),
        ("contribution", 38),
        ("sign_again", 1),
    ],
    "college": [
        ("my_work", 15),
        ("dashboard", 25),
        ("dashboard_live", 30),
        ("contribution", 28),
        ("sign_again", 1),
    ],
}


# The server --------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def server_env(data_dir: Path, static_dir: Path) -> dict[str, str]:
    """Production settings (DEBUG off) on loopback plain HTTP."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "CAIJI_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS=f"{HOST},localhost",
        SECURE_SSL_REDIRECT="0",
        SESSION_COOKIE_SECURE="0",
        CSRF_COOKIE_SECURE="0",
        SECURE_HSTS_SECONDS="0",
        DATABASE_URL=f"{PG}/{DB_NAME}",
        REDIS_URL=f"{REDIS}/{REDIS_DB}",
        CAIJI_DATA_DIR=str(data_dir),
        CAIJI_STATIC_ROOT=str(static_dir),
        LOG_LEVEL="WARNING",
        # Every simulated person signs in from 127.0.0.1: the per-address limits of sign-in
        # and uploads are raised so that they measure the application, not the limiter.
        CAIJI_LOGIN_RATE="100000/m",
        CAIJI_UPLOAD_RATE="100000/m",
    )
    env.pop("EMAIL_HOST", None)
    return env


def sql(statement: str, database: str = "postgres") -> None:
    import psycopg2

    conn = psycopg2.connect(f"{PG}/{database}")
    conn.autocommit = True
    try:
        with conn.cursor() as cursor:
            cursor.execute(statement)
    finally:
        conn.close()


def redis_flush() -> None:
    import redis

    redis.Redis.from_url(f"{REDIS}/{REDIS_DB}").flushdb()


def run(args: list[str], env: dict[str, str]) -> str:
    done = subprocess.run(args, env=env, cwd=ROOT, capture_output=True, text=True, check=False)
    if done.returncode:
        sys.stderr.write(done.stdout + done.stderr)
        raise SystemExit(f"failed: {' '.join(args)}")
    return done.stdout


def db_exists() -> bool:
    import psycopg2

    conn = psycopg2.connect(f"{PG}/postgres")
    try:
        with conn.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DB_NAME])
            return cursor.fetchone() is not None
    finally:
        conn.close()


def build(env: dict[str, str], plan_file: Path, users: int, reuse: bool) -> dict[str, Any]:
    """The college, and the plan of the load: every simulated person (the first ``users``)."""
    if reuse and plan_file.exists() and db_exists():
        found = json.loads(plan_file.read_text())
        if len(found["users"]) >= users:
            print("reusing the college of the last --keep-db run")
            found["users"] = found["users"][:users]
            return found  # type: ignore[no-any-return]
    sql(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
    shutil.rmtree(env["CAIJI_DATA_DIR"], ignore_errors=True)
    sql(f"CREATE DATABASE {DB_NAME}")
    run([PY, "manage.py", "migrate", "--noinput", "-v0"], env)
    # Scaling runs the tasks it triggers nowhere (no Redis): the worker starts with an empty
    # queue, and the crosscheck refreshes of the set-up do not load the measured window.
    scale_env = {k: v for k, v in env.items() if k != "REDIS_URL"}
    scale_env["CAIJI_BENCH_NO_TASKS"] = "1"
    out = run([PY, "bench/scale.py", "--plan", str(plan_file), "--users", "1000"], scale_env)
    print("college:", out.strip().splitlines()[-1])
    run([PY, "manage.py", "collectstatic", "--noinput", "-v0"], env)
    found = json.loads(plan_file.read_text())
    found["users"] = found["users"][:users]
    return found  # type: ignore[no-any-return]


def start(
    env: dict[str, str], port: int, workers: int, log: Path, worker_nice: int
) -> list[subprocess.Popen]:  # type: ignore[type-arg]
    out = log.open("ab")
    web = subprocess.Popen(
        [
            str(BIN / "gunicorn"),
            "config.wsgi:application",
            "--bind",
            f"{HOST}:{port}",
            "--workers",
            str(workers),
            "--timeout",
            "120",
        ],
        env=env,
        cwd=ROOT,
        stdout=out,
        stderr=subprocess.STDOUT,
    )
    worker = subprocess.Popen(
        [
            *(["nice", "-n", str(worker_nice)] if worker_nice else []),
            str(BIN / "celery"),
            "-A",
            "config",
            "worker",
            "--loglevel",
            "WARNING",
            "--concurrency",
            "2",
            "--hostname",
            f"bench-load-{uuid.uuid4().hex[:6]}@%h",
        ],
        env=env,
        cwd=ROOT,
        stdout=out,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection(HOST, port, timeout=5)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return [web, worker]
        except OSError:
            pass
        if web.poll() is not None:
            break
        time.sleep(0.5)
    stop([web, worker])
    raise SystemExit(f"gunicorn did not answer /healthz; see {log}")


def stop(processes: list[subprocess.Popen]) -> None:  # type: ignore[type-arg]
    for p in processes:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
    for p in processes:
        try:
            p.wait(timeout=30)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        children = (task / "children").read_text().split() if (task / "children").exists() else []
        for child in children:
            found += [int(child), *_children(int(child))]
    return found


def _cpu(pid: int) -> float:
    """CPU seconds of a process and of its children that have ended (utime, stime, cutime,
    cstime): summed over a process tree, every process counts once, live or not."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return sum(int(x) for x in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def cpu_seconds(processes: list[subprocess.Popen]) -> dict[str, float]:  # type: ignore[type-arg]
    """CPU seconds used so far by gunicorn and its workers, the Celery worker and its pool,
    and PostgreSQL (every process of the cluster: its other users count too)."""
    web, worker = processes
    postgres = [
        int(p.name)
        for p in Path("/proc").iterdir()
        if p.name.isdigit() and (p / "comm").exists() and _comm(p) == "postgres"
    ]
    return {
        "gunicorn": sum(_cpu(p) for p in [web.pid, *_children(web.pid)]),
        "celery": sum(_cpu(p) for p in [worker.pid, *_children(worker.pid)]),
        "postgres": sum(_cpu(p) for p in postgres),
    }


def machine_cpu() -> dict[str, float]:
    """Seconds of CPU time of the whole machine so far (/proc/stat): busy (user, nice, system,
    irq, softirq), iowait, and steal (taken by the hypervisor for other machines)."""
    values = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:9]]
    user, nice, system, _idle, iowait, irq, softirq, steal = values
    tick = os.sysconf("SC_CLK_TCK")
    return {
        "busy": (user + nice + system + irq + softirq) / tick,
        "iowait": iowait / tick,
        "steal": steal / tick,
    }


def _comm(p: Path) -> str:
    try:
        return (p / "comm").read_text().strip()
    except OSError:
        return ""


# The simulated people ------------------------------------------------------------------------


@dataclass
class Sample:
    kind: str
    start: float  # time.monotonic() when the request was sent
    ms: float
    ok: bool
    status: str


@dataclass
class Recorder:
    samples: list[Sample] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, kind: str, started: float, ms: float, ok: bool, status: str) -> None:
        with self.lock:
            self.samples.append(Sample(kind, started, ms, ok, status))


class Browser:
    """One person's cookies over a loopback HTTP connection."""

    def __init__(self, port: int, recorder: Recorder) -> None:
        self.port = port
        self.recorder = recorder
        self.cookies: dict[str, str] = {}
        self.conn = http.client.HTTPConnection(HOST, port, timeout=120)

    def request(
        self,
        kind: str,
        method: str,
        path: str,
        *,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
        expect: tuple[int, ...] = (200,),
        to_sign_in: bool = False,
    ) -> tuple[int, dict[str, str], bytes]:
        """Send one request and record it; a redirect to the sign-in page is an error (the
        session was lost) unless ``to_sign_in``."""
        sent = {"Host": f"{HOST}:{self.port}", "Accept-Language": "zh-hans", **(headers or {})}
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        started = time.monotonic()
        try:
            self.conn.request(method, path, body=body, headers=sent)
            response = self.conn.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException) as exc:
            ms = (time.monotonic() - started) * 1000
            self.conn.close()
            self.conn = http.client.HTTPConnection(HOST, self.port, timeout=120)
            self.recorder.add(kind, started, ms, False, type(exc).__name__)
            return 0, {}, b""
        ms = (time.monotonic() - started) * 1000
        for line in response.msg.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(line).items():
                if morsel["max-age"] == "0" or not morsel.value:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        location = response.getheader("Location", "")
        lost = "/accounts/login/" in location and not to_sign_in
        ok = response.status in expect and not lost
        status = str(response.status) + (" to sign-in" if lost else "")
        self.recorder.add(kind, started, ms, ok, status)
        if response.will_close:
            self.conn.close()
        return response.status, {"location": location}, data


@dataclass
class Shared:
    port: int
    year: int
    password: str
    think: tuple[float, float]
    ramp: float
    upload_rounds: int
    roster: bytes
    recorder: Recorder
    barrier: threading.Barrier
    signed_in: threading.Semaphore
    # Set when everybody has signed in (until then: warm-up).
    window_start: float = float("inf")
    window_end: float = float("inf")
    upload_at: float = float("inf")
    uploads: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


class Person(threading.Thread):
    def __init__(self, shared: Shared, person: dict[str, Any], seed: int) -> None:
        super().__init__(daemon=True)
        self.s = shared
        self.p = person
        self.rng = random.Random(seed)
        self.browser = Browser(shared.port, shared.recorder)
        self.uploaded = 0
        self.failed: str | None = None

    # pages

    def sign_in(self) -> bool:
        status, _h, page = self.browser.request("sign_in_form", "GET", "/accounts/login/")
        token = TOKEN.search(page)
        if not token:
            return False
        form = urlencode(
            {
                "csrfmiddlewaretoken": token.group(1).decode(),
                "username": self.p["username"],
                "password": self.s.password,
            }
        ).encode()
        status, headers, _page = self.browser.request(
            "sign_in",
            "POST",
            "/accounts/login/",
            body=form,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            expect=(302,),
        )
        if status != 302:
            return False
        self.browser.request("my_work", "GET", headers["location"] or "/")
        return True

    def sign_again(self) -> None:
        token = self.browser.cookies.get("csrftoken", "")
        self.browser.request(
            "sign_out",
            "POST",
            "/accounts/logout/",
            body=urlencode({"csrfmiddlewaretoken": token}).encode(),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            expect=(302,),
            to_sign_in=True,
        )
        self.browser.cookies.pop("sessionid", None)
        self.sign_in()

    def contribution(self) -> bytes:
        pk = self.rng.choice(self.p["contributions"])
        return self.browser.request("contribution", "GET", f"/contributions/{pk}/")[2]

    def act(self, action: str) -> None:
        dashboard = f"/cycles/{self.s.year}/dashboard/"
        if action == "my_work":
            self.browser.request("my_work", "GET", "/")
        elif action == "contribution":
            self.contribution()
        elif action == "dashboard":
            self.browser.request("dashboard", "GET", dashboard)
        elif action == "dashboard_live":
            self.browser.request("dashboard_live", "GET", dashboard, headers={"HX-Request": "true"})
        elif action == "sign_again":
            self.sign_again()

    def upload(self) -> None:
        """Open the contribution, send the roster as upload.js does, poll until the check ends."""
        pk = self.p["upload"]
        page = self.browser.request("contribution", "GET", f"/contributions/{pk}/")[2]
        token = TOKEN.search(page)
        boundary = uuid.uuid4().hex
        body = b"".join(
            [
                f"--{boundary}\r\n".encode(),
                b'Content-Disposition: form-data; name="csrfmiddlewaretoken"\r\n\r\n',
                token.group(1) if token else b"",
                f"\r\n--{boundary}\r\n".encode(),
                'Content-Disposition: form-data; name="file"; filename="本科生基本情况.xlsx"\r\n'.encode(),
                b"Content-Type: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
                b"\r\n\r\n",
                self.s.roster,
                f"\r\n--{boundary}--\r\n".encode(),
            ]
        )
        with contextlib.suppress(threading.BrokenBarrierError):
            self.s.barrier.wait(timeout=30)  # the five send at the same moment
        started = time.monotonic()
        status, _h, data = self.browser.request(
            "upload",
            "POST",
            f"/contributions/{pk}/upload/",
            body=body,
            headers={
                "Content-Type": f"multipart/form-data; boundary={boundary}",
                "Accept": "application/json",
            },
            expect=(202,),
        )
        record: dict[str, Any] = {
            "user": self.p["username"],
            "contribution": pk,
            "status": status,
            "response_ms": round((time.monotonic() - started) * 1000, 1),
        }
        job = json.loads(data) if status == 202 else {}
        while job.get("status_url") and not job.get("finished"):
            time.sleep(1.0)
            status, _h, data = self.browser.request(
                "upload_status", "GET", job["status_url"], headers={"Accept": "application/json"}
            )
            if status == 200:
                job = json.loads(data)
            elif time.monotonic() - started > 600:
                break
        record["job_seconds"] = round(time.monotonic() - started, 1)
        record["started"], record["finished"] = started, time.monotonic()
        record["job_state"] = job.get("state", "")
        record["job_stage"] = job.get("stage", "")
        record["job_message"] = job.get("message", "")
        if job.get("redirect"):
            self.browser.request("contribution", "GET", job["redirect"])
        with self.s.lock:
            self.s.uploads.append(record)

    # the loop

    def think(self) -> None:
        pause = self.rng.uniform(*self.s.think)
        if self.p.get("upload") and self.uploaded < self.s.upload_rounds:
            # An uploader comes back in time for the upload (the five send together).
            pause = min(pause, max(0.0, self._round_at() - time.monotonic()))
        time.sleep(pause)

    def _round_at(self) -> float:
        if self.s.upload_at == float("inf"):  # the window is not open yet
            return self.s.upload_at
        spacing = (self.s.window_end - self.s.upload_at) / self.s.upload_rounds
        return self.s.upload_at + self.uploaded * spacing

    def run(self) -> None:
        time.sleep(self.rng.uniform(0, self.s.ramp))
        signed_in = self.sign_in()
        self.s.signed_in.release()
        if not signed_in:
            self.failed = "sign-in"
            return
        actions, weights = zip(*MIX[self.p["kind"]], strict=True)
        while True:
            self.think()
            now = time.monotonic()
            due = self.p.get("upload") and self.uploaded < self.s.upload_rounds
            if due and now >= self._round_at():
                self.uploaded += 1
                self.upload()
                continue
            if now >= self.s.window_end:
                break
            self.act(self.rng.choices(actions, weights)[0])


# Figures ------------------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (0 for no values)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(q / 100 * len(ordered) + 0.5)))
    return round(ordered[rank - 1], 1)


def summary(samples: list[Sample]) -> dict[str, Any]:
    ms = [s.ms for s in samples]
    return {
        "requests": len(samples),
        "errors": sum(not s.ok for s in samples),
        "p50_ms": percentile(ms, 50),
        "p95_ms": percentile(ms, 95),
        "p99_ms": percentile(ms, 99),
        "max_ms": round(max(ms), 1) if ms else 0.0,
    }


def by_kind(samples: list[Sample]) -> dict[str, Any]:
    kinds: dict[str, list[Sample]] = defaultdict(list)
    for s in samples:
        kinds[s.kind].append(s)
    return {k: summary(v) for k, v in sorted(kinds.items())}


def errors_by_kind(samples: list[Sample]) -> dict[str, dict[str, int]]:
    found: dict[str, Counter[str]] = defaultdict(Counter)
    for s in samples:
        if not s.ok:
            found[s.kind][s.status] += 1
    return {k: dict(v) for k, v in sorted(found.items())}


def timeline(samples: list[Sample], start: float, duration: float) -> list[dict[str, Any]]:
    found = []
    for t in range(0, int(duration), 10):
        part = [s for s in samples if t <= s.start - start < t + 10]
        found.append({"from_s": t, **summary(part)})
    return found


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor()


def drive(
    plan: dict[str, Any],
    args: argparse.Namespace,
    port: int,
    roster: bytes,
    processes: list[subprocess.Popen],  # type: ignore[type-arg]
) -> dict[str, Any]:
    """Warm-up (everybody signs in, spread over the ramp, and starts working), then the
    measured window; returns the figures."""
    recorder = Recorder()
    shared = Shared(
        port=port,
        year=plan["year"],
        password=plan["password"],
        think=args.think,
        ramp=args.ramp,
        upload_rounds=args.upload_rounds,
        roster=roster,
        recorder=recorder,
        barrier=threading.Barrier(len(plan["uploads"])),
        signed_in=threading.Semaphore(0),
    )
    people = [Person(shared, p, seed=i) for i, p in enumerate(plan["users"])]
    cpu_before = resource.getrusage(resource.RUSAGE_SELF)
    started = time.monotonic()
    for p in people:
        p.start()
    for _p in people:
        shared.signed_in.acquire()
    # A few seconds of everybody working before the window opens.
    time.sleep(args.settle)
    window_start = time.monotonic()
    shared.upload_at = window_start + args.duration / 4
    shared.window_end = window_start + args.duration
    shared.window_start = window_start
    cpu_at_start = cpu_seconds(processes)
    machine_at_start = machine_cpu()
    client_at_start = resource.getrusage(resource.RUSAGE_SELF)
    load_at_start = load_average()
    print(
        f"window open after a warm-up of {window_start - started:.0f} s "
        f"({len(people)} people signed in); load {load_at_start}"
    )
    time.sleep(max(0.0, shared.window_end - time.monotonic()))
    cpu_in_window = {k: round(v - cpu_at_start[k], 1) for k, v in cpu_seconds(processes).items()}
    client_at_end = resource.getrusage(resource.RUSAGE_SELF)
    cpu_in_window["load_generator"] = round(
        client_at_end.ru_utime
        + client_at_end.ru_stime
        - client_at_start.ru_utime
        - client_at_start.ru_stime,
        1,
    )
    machine = {k: round(v - machine_at_start[k], 1) for k, v in machine_cpu().items()}
    # What else ran on the machine meanwhile (other people's processes, the kernel).
    machine["other"] = round(machine["busy"] - sum(cpu_in_window.values()), 1)
    machine["capacity"] = round(args.duration * (os.cpu_count() or 1), 1)
    load_at_end = load_average()
    for p in people:
        p.join(timeout=max(1.0, shared.window_end - time.monotonic() + 900))
    cpu_after = resource.getrusage(resource.RUSAGE_SELF)
    samples = recorder.samples
    window = [s for s in samples if window_start <= s.start < shared.window_end]
    late = [s for s in samples if s.start >= shared.window_end]  # upload polls after it
    warmup = [s for s in samples if s.start < window_start]
    pages = [s for s in window if s.kind not in ("upload", "upload_status")]
    with (ROOT / "var" / "bench" / "load-samples.csv").open("w") as out:
        out.write("second,kind,ms,ok,status\n")
        for x in samples:
            out.write(f"{x.start - window_start:.3f},{x.kind},{x.ms:.1f},{int(x.ok)},{x.status}\n")
    uploads = sorted(shared.uploads, key=lambda u: u["contribution"])
    busy_from = min((u.pop("started") for u in uploads), default=0.0)
    busy_to = max((u.pop("finished") for u in uploads), default=0.0)
    busy = [s for s in pages if busy_from <= s.start < busy_to]
    calm = [s for s in pages if not busy_from <= s.start < busy_to]
    result = summary(window)
    result.update(
        {
            "rate_per_s": round(len(window) / args.duration, 1),
            "by_kind": by_kind(window),
            "errors_by_kind": errors_by_kind(window),
            # Pages (not the upload and its polls) while the five jobs ran, and the rest.
            "pages_while_uploads_ran": {
                **summary(busy),
                "seconds": round(busy_to - busy_from, 1),
                "by_kind": by_kind(busy),
            },
            "pages_otherwise": {**summary(calm), "by_kind": by_kind(calm)},
            # Every 10 s of the window (seconds since it opened): requests and their times.
            "timeline": timeline(window, window_start, args.duration),
            "uploads": uploads,
            "requests_after_window": {**summary(late), "by_kind": by_kind(late)},
            "warmup": {
                **summary(warmup),
                "seconds": round(window_start - started, 1),
                "by_kind": by_kind(warmup),
            },
            "people_failed": Counter(p.failed for p in people if p.failed),
            "load_at_window_start": load_at_start,
            "load_at_window_end": load_at_end,
            # CPU seconds used during the window by the server's processes (PostgreSQL: every
            # process of the cluster) and the load generator; by the whole machine (busy, of
            # a capacity of seconds × cores; "other": everything else that ran); and the
            # web's share per request.
            "server_cpu_s": cpu_in_window,
            "machine_cpu_s": machine,
            "gunicorn_cpu_ms_per_request": round(
                1000 * cpu_in_window["gunicorn"] / max(1, len(window)), 1
            ),
            "client_cpu_s": round(
                cpu_after.ru_utime - cpu_before.ru_utime + cpu_after.ru_stime - cpu_before.ru_stime,
                1,
            ),
        }
    )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="30 people, 20 s (development)")
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--duration", type=float, default=120.0, help="measured seconds")
    parser.add_argument("--ramp", type=float, default=120.0, help="seconds to sign everyone in")
    parser.add_argument(
        "--think",
        type=lambda s: tuple(float(x) for x in s.split(",")),
        default=(5.0, 25.0),
        help="think time range in seconds, e.g. 1,5",
    )
    parser.add_argument(
        "--settle", type=float, default=10.0, help="seconds between the last sign-in and the window"
    )
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument(
        "--worker-nice", type=int, default=0, help="run the Celery worker under nice -n N"
    )
    parser.add_argument("--upload-rounds", type=int, default=1)
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--keep-db", action="store_true", help="leave caiji_bench_load for a look")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="use the college a --keep-db run left (development; uploads add versions)",
    )
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    if args.quick:
        args.users, args.duration, args.ramp = min(args.users, 30), 20.0, 20.0
    out = args.out or (
        ROOT / "var" / "bench" / "load-quick.json"
        if args.quick
        else ROOT / "bench" / "results" / "load.json"
    )
    load_before = load_average()
    work = ROOT / "var" / "bench"
    work.mkdir(parents=True, exist_ok=True)
    env = server_env(work / "load-data", work / "load-static")
    log = work / "load-server.log"
    log.write_bytes(b"")
    print(f"load average before: {load_before}; server log in {log.relative_to(ROOT)}")
    started = time.monotonic()
    plan = build(env, work / "load-plan.json", args.users, args.reuse)
    from bench.data import roster_rows, workbook

    headers, rows = roster_rows(args.rows)
    roster = workbook("本科生基本情况", headers, rows)
    print(f"set-up {time.monotonic() - started:.0f} s; roster {len(roster) / MB:.1f} MB")
    redis_flush()
    port = free_port()
    processes = start(env, port, args.workers, log, args.worker_nice)
    try:
        result = drive(plan, args, port, roster, processes)
    finally:
        stop(processes)
        redis_flush()
        if not args.keep_db:
            sql(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
            shutil.rmtree(env["CAIJI_DATA_DIR"], ignore_errors=True)
    result = {
        "requests": result.pop("requests"),
        "errors": result.pop("errors"),
        "p50_ms": result.pop("p50_ms"),
        "p95_ms": result.pop("p95_ms"),
        "p99_ms": result.pop("p99_ms"),
        **result,
        "model": {
            "users": args.users,
            "duration_s": args.duration,
            "ramp_s": args.ramp,
            "settle_s": args.settle,
            "think_s": list(args.think),
            "upload_rows": args.rows,
            "upload_bytes": len(roster),
            "upload_rounds": args.upload_rounds,
            "gunicorn_workers": args.workers,
            "celery_concurrency": 2,
            "celery_nice": args.worker_nice,
            "quick": args.quick,
        },
        "college": plan["college"],
        "machine": {
            "nproc": os.cpu_count(),
            "cpu": cpu_model(),
            "python": platform.python_version(),
            "load_before": load_before,
            "load_after": load_average(),
        },
        "date": date.today().isoformat(),
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n")
    report(result)
    print(f"written to {out}")


def report(r: dict[str, Any]) -> None:
    print(
        f"\n{r['model']['users']} people, {r['model']['duration_s']:.0f} s, think "
        f"{r['model']['think_s']} s: {r['requests']} requests ({r['rate_per_s']}/s), "
        f"{r['errors']} errors; p50 {r['p50_ms']} ms, p95 {r['p95_ms']} ms, p99 {r['p99_ms']} ms"
    )
    print(f"{'kind':<16}{'requests':>9}{'errors':>7}{'p50':>9}{'p95':>9}{'p99':>9}{'max':>9}")
    for kind, s in r["by_kind"].items():
        print(
            f"{kind:<16}{s['requests']:>9}{s['errors']:>7}{s['p50_ms']:>9}{s['p95_ms']:>9}"
            f"{s['p99_ms']:>9}{s['max_ms']:>9}"
        )
    if r["errors_by_kind"]:
        print("errors:", r["errors_by_kind"])
    for u in r["uploads"]:
        print(
            f"upload {u['user']}: answered {u['status']} in {u['response_ms']} ms; job "
            f"{u['job_state']} after {u['job_seconds']} s {u['job_message']}"
        )
    print("every 10 s:", " ".join(f"{t['p95_ms']:.0f}" for t in r["timeline"]), "(p95 ms)")
    for name in ("pages_while_uploads_ran", "pages_otherwise"):
        p = r[name]
        print(
            f"{name}: {p['requests']} requests, {p['errors']} errors, p50 {p['p50_ms']} ms, "
            f"p95 {p['p95_ms']} ms, p99 {p['p99_ms']} ms"
        )
    w = r["warmup"]
    print(
        f"warm-up (not in the figures): {w['requests']} requests, {w['errors']} errors, "
        f"sign-in p50 {w['by_kind'].get('sign_in', {}).get('p50_ms')} ms; client CPU "
        f"{r['client_cpu_s']} s"
    )
    print(
        f"CPU in the window: {r['server_cpu_s']} s (gunicorn "
        f"{r['gunicorn_cpu_ms_per_request']} ms a request); machine {r['machine_cpu_s']} s"
    )


if __name__ == "__main__":
    main()
