"""Production is configured by environment variables only; the embedded default needs none."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": "x7#kq!2vT9@pL0m$Zr8&Wn4^Yb6*Hc1(Jd5)Ge3_Fa0-Ui9+Oe2=Qs7~Rt4%Vw1",
    "ALLOWED_HOSTS": "caiji.example.edu.cn",
    "DATABASE_URL": "postgres://caiji:secret@127.0.0.1:5432/caiji",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
}


def manage(*args: str, env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k
        not in {
            "DEBUG",
            "DATABASE_URL",
            "REDIS_URL",
            "SECRET_KEY",
            "DJANGO_SETTINGS_MODULE",
            "DJANGO_ALLOW_ASYNC_UNSAFE",
        }
    }
    clean.update({"CAIJI_DATA_DIR": str(tmp_path), **env})
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_with_production_variables(tmp_path):
    result = manage(
        "check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION, tmp_path=tmp_path
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_a_missing_secret_key_in_one_line(tmp_path):
    env = {k: v for k, v in PRODUCTION.items() if k != "SECRET_KEY"}
    result = manage("check", env=env, tmp_path=tmp_path)
    assert result.returncode != 0
    assert result.stderr.startswith("caiji: SECRET_KEY is not set")
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr


def test_production_refuses_the_example_secret_key(tmp_path):
    env = {**PRODUCTION, "SECRET_KEY": "change-me-to-a-long-random-string"}
    result = manage("check", env=env, tmp_path=tmp_path)
    assert result.returncode != 0
    assert "example value" in result.stderr and "Traceback" not in result.stderr


def test_the_embedded_default_needs_no_variable_and_keeps_its_own_secret(tmp_path):
    """No DEBUG, no SECRET_KEY, no DATABASE_URL: what a person runs from the README."""
    code = "from django.conf import settings as s; print(s.SECRET_KEY)"
    first = manage("shell", "-v", "0", "-c", code, env={}, tmp_path=tmp_path)
    assert first.returncode == 0, first.stderr
    secret = tmp_path / "secret_key"
    assert first.stdout.strip() == secret.read_text().strip() and len(first.stdout.strip()) > 50
    assert oct(secret.stat().st_mode & 0o777) == "0o600"
    again = manage("shell", "-v", "0", "-c", code, env={}, tmp_path=tmp_path)
    assert again.stdout == first.stdout


def test_a_bad_boolean_fails_loudly(tmp_path):
    result = manage("check", env={**PRODUCTION, "DEBUG": "maybe"}, tmp_path=tmp_path)
    assert result.returncode != 0
    assert "DEBUG must be one of" in result.stderr


def test_production_settings_come_from_the_environment(tmp_path):
    code = (
        "from django.conf import settings as s;"
        "print(s.DATABASES['default']['ENGINE'], s.CELERY_BROKER_URL, s.CELERY_TASK_ALWAYS_EAGER,"
        " s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_HSTS_SECONDS, s.ALLOWED_HOSTS)"
    )
    result = manage("shell", "-v", "0", "-c", code, env=PRODUCTION, tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "django.db.backends.postgresql",
        "redis://127.0.0.1:6379/0",
        "False",
        "True",
        "True",
        "31536000",
        "['caiji.example.edu.cn']",
    ]


def test_embedded_default_is_sqlite_wal_inline_tasks_mail_to_files(tmp_path):
    code = (
        "from django.conf import settings as s; from django.db import connection;"
        "c = connection.cursor(); c.execute('PRAGMA journal_mode'); "
        "print(c.fetchone()[0], s.CELERY_TASK_ALWAYS_EAGER, s.EMAIL_BACKEND.rsplit('.', 2)[-2], s.MEDIA_ROOT)"
    )
    result = manage("shell", "-v", "0", "-c", code, env={"DEBUG": "1"}, tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    mode, eager, mail, media = result.stdout.split()
    assert (mode, eager, mail) == ("wal", "True", "filebased")
    assert media == str(tmp_path / "files")
    assert (tmp_path / "caiji.sqlite3").exists()


def test_healthz_answers_without_sign_in(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.content == b"ok"
