"""The database half of a backup: SQLite through its online backup API, PostgreSQL through
pg_dump -Fc / pg_restore.

Both take a consistent snapshot while the site runs: SQLite's backup API copies the pages of one
read transaction; for PostgreSQL the row counts and migrations are read in a REPEATABLE READ
transaction whose snapshot pg_dump is given (``--snapshot``), so the manifest describes exactly
the data in the dump.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.apps import apps
from django.db import DatabaseError, connection, connections, transaction

from config.backup.archive import BackupError

SQLITE_MEMBER = "database/caiji.sqlite3"
POSTGRES_MEMBER = "database/caiji.dump"
# Rows that `migrate` itself writes: an installation holding only these is still empty.
MIGRATE_MADE = {"contenttypes.ContentType", "auth.Permission"}
PG_BIN_DIRS = Path("/usr/lib/postgresql")

_SQLITE_TABLES = (
    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'"
)
_PG_TABLES = "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
_MIGRATIONS = "SELECT app, name FROM django_migrations ORDER BY id"


@dataclass
class Dump:
    member: str
    path: Path
    server_version: str
    tables: dict[str, int] = field(default_factory=dict)
    migrations: dict[str, list[str]] = field(default_factory=dict)


def vendor() -> str:
    return connection.vendor


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _counts(cursor: Any, names_sql: str) -> dict[str, int]:
    cursor.execute(names_sql)
    names = sorted(row[0] for row in cursor.fetchall())
    counts = {}
    for name in names:
        cursor.execute(f"SELECT COUNT(*) FROM {_quote(name)}")
        counts[name] = int(cursor.fetchone()[0])
    return counts


def _migrations(cursor: Any) -> dict[str, list[str]]:
    try:
        cursor.execute(_MIGRATIONS)
    except Exception as exc:
        raise BackupError(
            "数据库还没有建立（没有 django_migrations 表）：先运行 python manage.py migrate。"
        ) from exc
    applied: dict[str, list[str]] = {}
    for app, name in cursor.fetchall():
        applied.setdefault(app, []).append(name)
    return applied


def dump(workdir: Path, *, pg_bin: Path | None = None) -> Dump:
    """Write the database into ``workdir`` and describe what it holds."""
    if vendor() == "sqlite":
        return _sqlite_dump(workdir)
    if vendor() == "postgresql":
        return _pg_dump(workdir, pg_bin)
    raise BackupError(f"不支持备份 {vendor()} 数据库。")


def restore(path: Path, *, keep_previous: str | None, pg_bin: Path | None = None) -> Path | None:
    """Replace the database's whole content by the dump at ``path``.

    SQLite: with ``keep_previous`` (a time stamp) the old database file is first copied to
    ``<name>.before-restore-<stamp>``, whose path is returned.
    """
    if vendor() == "sqlite":
        return _sqlite_restore(path, keep_previous)
    _pg_restore(path, pg_bin)
    return None


def table_counts() -> dict[str, int]:
    with connection.cursor() as cursor:
        return _counts(cursor, _SQLITE_TABLES if vendor() == "sqlite" else _PG_TABLES)


def tables_with_rows() -> list[str]:
    """Tables of the installed apps that hold rows beyond what ``migrate`` writes."""
    existing = set(connection.introspection.table_names())
    found = []
    with connection.cursor() as cursor:
        for model in apps.get_models(include_auto_created=True):
            table = model._meta.db_table
            if model._meta.label in MIGRATE_MADE or table not in existing:
                continue
            cursor.execute(f"SELECT 1 FROM {_quote(table)} LIMIT 1")
            if cursor.fetchone() is not None:
                found.append(table)
    return sorted(set(found))


# SQLite -------------------------------------------------------------------------------------------


def _sqlite_raw() -> sqlite3.Connection:
    connection.ensure_connection()
    raw = connection.connection
    assert isinstance(raw, sqlite3.Connection)
    return raw


def _sqlite_dump(workdir: Path) -> Dump:
    path = workdir / "caiji.sqlite3"
    copy = sqlite3.connect(path)
    try:
        # One step: the copy is a snapshot of a single read transaction (WAL lets writers go on).
        _sqlite_raw().backup(copy)
        # A self-contained file: no -wal beside it.
        copy.execute("PRAGMA journal_mode=DELETE")
        if copy.execute("PRAGMA quick_check").fetchone()[0] != "ok":
            raise BackupError("SQLite 数据库的副本未通过完整性检查：请检查磁盘后重新备份。")
        cursor = copy.cursor()
        tables = _counts(cursor, _SQLITE_TABLES)
        migrations = _migrations(cursor)
    finally:
        copy.close()
    return Dump(SQLITE_MEMBER, path, f"SQLite {sqlite3.sqlite_version}", tables, migrations)


def _sqlite_restore(path: Path, keep_previous: str | None) -> Path | None:
    target = Path(str(connection.settings_dict["NAME"]))
    connections.close_all()
    target.parent.mkdir(parents=True, exist_ok=True)
    kept = None
    if keep_previous and target.exists():
        kept = target.with_name(f"{target.name}.before-restore-{keep_previous}")
        with sqlite3.connect(target) as old, sqlite3.connect(kept) as aside:
            old.backup(aside)
    source = sqlite3.connect(path)
    destination = sqlite3.connect(target)
    try:
        source.backup(destination)
    except sqlite3.Error as exc:
        raise BackupError(
            f"无法写入数据库 {target}：{exc}。请先停止 web 和 worker 进程，再恢复。"
        ) from exc
    finally:
        destination.close()
        source.close()
    return kept


# PostgreSQL -----------------------------------------------------------------------------------


def pg_binary(name: str, pg_bin: Path | None, server_major: int | None) -> str:
    """pg_dump / pg_restore: from ``--pg-bin``, else Debian's binaries for the server's major
    version (or newer), else the one on PATH."""
    if pg_bin is not None:
        candidate = pg_bin / name
        if not candidate.is_file():
            raise BackupError(f"{pg_bin} 中没有 {name}。")
        return str(candidate)
    versions = sorted(
        (int(p.name), p / "bin" / name)
        for p in (PG_BIN_DIRS.iterdir() if PG_BIN_DIRS.is_dir() else [])
        if p.name.isdigit() and (p / "bin" / name).is_file()
    )
    fitting = [path for major, path in versions if server_major is None or major >= server_major]
    if fitting:
        return str(fitting[0])
    found = shutil.which(name)
    if found is None:
        raise BackupError(
            f"找不到 {name}：请安装 PostgreSQL 客户端（与服务器同一主版本或更新），"
            "或用 --pg-bin 指定其目录。"
        )
    return found


def _pg_env() -> dict[str, str]:
    settings = connection.settings_dict
    env = dict(os.environ)
    for key, variable in (
        ("HOST", "PGHOST"),
        ("PORT", "PGPORT"),
        ("USER", "PGUSER"),
        ("PASSWORD", "PGPASSWORD"),
        ("NAME", "PGDATABASE"),
    ):
        if settings.get(key):
            env[variable] = str(settings[key])
    options = settings.get("OPTIONS") or {}
    for key in ("sslmode", "sslrootcert", "sslcert", "sslkey"):
        if options.get(key):
            env["PG" + key.upper()] = str(options[key])
    return env


def _server_major() -> int:
    connection.ensure_connection()
    return int(connection.pg_version) // 10000  # type: ignore[attr-defined]


def _run(command: list[str], what: str) -> None:
    result = subprocess.run(command, env=_pg_env(), capture_output=True, text=True)
    if result.returncode != 0:
        detail = (result.stderr or result.stdout).strip()[-2000:]
        raise BackupError(
            f"{what}失败（{Path(command[0]).name} 退出码 {result.returncode}）：{detail}"
        )


def _pg_dump(workdir: Path, pg_bin: Path | None) -> Dump:
    path = workdir / "caiji.dump"
    major = _server_major()
    binary = pg_binary("pg_dump", pg_bin, major)
    raw = connection.get_new_connection(connection.get_connection_params())
    try:
        raw.autocommit = True
        cursor = raw.cursor()
        cursor.execute("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cursor.execute("SELECT pg_export_snapshot(), version()")
        snapshot, version = cursor.fetchone()
        tables = _counts(cursor, _PG_TABLES)
        migrations = _migrations(cursor)
        _run(
            [binary, "--format=custom", f"--snapshot={snapshot}", f"--file={path}"],
            "pg_dump 导出数据库",
        )
        cursor.execute("COMMIT")
    finally:
        raw.close()
    server = re.sub(r"\s+on\s.*$", "", str(version))
    return Dump(POSTGRES_MEMBER, path, server, tables, migrations)


def _pg_clear() -> None:
    """Drop every table, view, sequence and function of the schema, so that pg_restore starts
    from nothing (DROP never fires the audit table's row triggers)."""
    relations = (
        "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
        " WHERE n.nspname = current_schema() AND c.relkind IN ({kinds})"
    )
    functions = (
        "SELECT p.oid::regprocedure::text FROM pg_proc p JOIN pg_namespace n"
        " ON n.oid = p.pronamespace WHERE n.nspname = current_schema()"
        " AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')"
    )
    # Sequences last: those of identity columns go with their tables.
    steps = [
        (relations.format(kinds="'v'"), "VIEW"),
        (relations.format(kinds="'m'"), "MATERIALIZED VIEW"),
        (relations.format(kinds="'r', 'p'"), "TABLE"),
        (relations.format(kinds="'S'"), "SEQUENCE"),
        (functions, "FUNCTION"),
    ]
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            for query, kind in steps:
                cursor.execute(query)
                for (name,) in cursor.fetchall():
                    target = name if kind == "FUNCTION" else _quote(name)
                    cursor.execute(f"DROP {kind} IF EXISTS {target} CASCADE")
    except DatabaseError as exc:
        raise BackupError(f"无法清空目标数据库（{exc}）：数据库没有改动。") from exc


def _pg_restore(path: Path, pg_bin: Path | None) -> None:
    binary = pg_binary("pg_restore", pg_bin, _server_major())
    _pg_clear()
    connections.close_all()
    try:
        _run(
            [
                binary,
                "--no-owner",
                "--no-privileges",
                "--single-transaction",
                "--exit-on-error",
                f"--dbname={connection.settings_dict['NAME']}",
                str(path),
            ],
            "pg_restore 恢复数据库",
        )
    except BackupError as exc:
        raise BackupError(
            f"{exc}\n目标数据库现在是空的，文件库未改动：排除上述问题后再次运行 restore。"
        ) from exc


def file_fields() -> Iterable[tuple[Any, str]]:
    """(model, field name) of every FileField: what the database says is in the file store."""
    from django.db.models import FileField

    for model in apps.get_models():
        for f in model._meta.get_fields():
            if isinstance(f, FileField):
                yield model, f.name
