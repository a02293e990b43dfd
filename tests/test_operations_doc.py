"""docs/operations.md names every environment variable caiji reads, and nothing it does not.

A new setting read from the environment fails this test until it has a row in the environment
table (name, default, meaning). Variables are found twice: in the source (every call of the
readers of config/env.py, os.environ and os.getenv with a literal name) and by running
config/settings.py with a recording environment, once as the embedded default and once as
production (which also catches names passed through a helper, like the rate limits).
"""

import ast
import re
import runpy
import types
from pathlib import Path

import yaml

import config.env

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "operations.md"
SOURCES = [
    ROOT / "manage.py",
    *(
        p
        for app in ("config", "accounts", "collection", "review")
        for p in (ROOT / app).rglob("*.py")
    ),
]
READERS = {"env_str", "env_bool", "env_int", "env_list"}
ENVIRON_CALLS = {"os.environ.get", "os.getenv", "os.environ.setdefault", "environ.get"}


def read_in_source() -> dict[str, str]:
    found = {}
    for path in SOURCES:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            name = None
            if isinstance(node, ast.Call) and node.args:
                called = ast.unparse(node.func)
                first = node.args[0]
                if (called in READERS or called in ENVIRON_CALLS) and isinstance(
                    first, ast.Constant
                ):
                    name = first.value
            elif (
                isinstance(node, ast.Subscript)
                and ast.unparse(node.value) == "os.environ"
                and isinstance(node.slice, ast.Constant)
            ):
                name = node.slice.value
            if isinstance(name, str):
                found.setdefault(name, str(path.relative_to(ROOT)))
    return found


class RecordingEnviron(dict):
    def __init__(self, values: dict[str, str]) -> None:
        super().__init__(values)
        self.asked: set[str] = set()

    def get(self, key, default=None):  # type: ignore[no-untyped-def]
        self.asked.add(key)
        return super().get(key, default)

    def __getitem__(self, key):  # type: ignore[no-untyped-def]
        self.asked.add(key)
        return super().__getitem__(key)

    def __contains__(self, key):  # type: ignore[no-untyped-def]
        self.asked.add(key)
        return super().__contains__(key)


def read_by_settings(monkeypatch, tmp_path) -> set[str]:
    base = {"CAIJI_DATA_DIR": str(tmp_path), "CAIJI_STATIC_ROOT": str(tmp_path / "static")}
    runtimes = [
        {**base, "DEBUG": "1"},
        {
            **base,
            "DEBUG": "0",
            "SECRET_KEY": "k" * 64,
            "ALLOWED_HOSTS": "caiji.example.edu.cn",
            "DATABASE_URL": "postgres://caiji:secret@db:5432/caiji",
            "REDIS_URL": "redis://redis:6379/0",
            "EMAIL_HOST": "smtp.example.edu.cn",
            "SECURE_PROXY_SSL_HEADER": "1",
        },
    ]
    asked: set[str] = set()
    for values in runtimes:
        environ = RecordingEnviron(values)
        monkeypatch.setattr(config.env, "os", types.SimpleNamespace(environ=environ))
        runpy.run_path(str(ROOT / "config" / "settings.py"), run_name="settings_probe")
        asked |= environ.asked
    return asked


def documented() -> dict[str, str]:
    """Variables named in the first cell of a table row of docs/operations.md, with the row."""
    rows = {}
    for line in DOC.read_text(encoding="utf-8").splitlines():
        if line.startswith("|") and not line.startswith("|---"):
            first = line.split("|")[1]
            for name in re.findall(r"`([A-Z][A-Z0-9_]+)`", first):
                rows[name] = line
    return rows


def test_every_environment_variable_read_is_documented(monkeypatch, tmp_path):
    read = dict(read_in_source())
    for name in read_by_settings(monkeypatch, tmp_path):
        read.setdefault(name, "config/settings.py (through a helper)")
    assert {"DATABASE_URL", "CAIJI_UPLOAD_MAX_BYTES", "CAIJI_UPLOAD_RATE"} <= set(read)
    rows = documented()
    missing = {name: where for name, where in read.items() if name not in rows}
    assert missing == {}, "add a row (name, default, meaning) to docs/operations.md"
    for name, row in rows.items():
        cells = [cell.strip() for cell in row.strip("|").split("|")]
        assert len(cells) == 3 and all(cells), f"{name}: give its default and meaning"


def test_the_documentation_names_no_variable_that_nothing_reads(monkeypatch, tmp_path):
    read = set(read_in_source()) | read_by_settings(monkeypatch, tmp_path)
    compose = (ROOT / "docker-compose.yml").read_text()
    stale = [name for name in documented() if name not in read and name not in compose]
    assert stale == []


def test_the_image_carries_a_postgresql_client_for_the_compose_server():
    """pg_dump refuses a newer server: `manage.py backup` in the image needs the same major."""
    image = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]["db"]["image"]
    major = image.split(":")[1].split(".")[0]
    assert f"postgresql-client-{major}" in (ROOT / "Dockerfile").read_text()
