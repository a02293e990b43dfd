"""Back up a whole installation (database and file store) into one archive, check an archive,
and restore one into an empty installation. See docs/operations.md, "Backup and restore"."""

from __future__ import annotations

import shutil
import tempfile
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db.migrations.loader import MigrationLoader
from django.utils import timezone

from config.backup import database
from config.backup.archive import (
    FILES_PREFIX,
    FORMAT,
    FORMAT_VERSION,
    ArchiveReader,
    ArchiveWriter,
    BackupError,
    move_aside,
    store_files,
)

# What the manifest's summary counts, and the model whose table holds it.
SUMMARY = {
    "units": "accounts.Unit",
    "users": "accounts.User",
    "cycles": "collection.Cycle",
    "table_specs": "collection.TableSpec",
    "assignments": "collection.Assignment",
    "contributions": "collection.Contribution",
    "uploads": "collection.Upload",
    "versions": "collection.Version",
    "table_reports": "collection.TableReport",
    "events": "accounts.Event",
}


@dataclass
class RestoreResult:
    manifest: dict[str, Any]
    previous_database: Path | None = None
    previous_files: Path | None = None
    missing_files: list[str] = field(default_factory=list)
    pending_migrations: list[str] = field(default_factory=list)


def caiji_version() -> str:
    with (Path(settings.BASE_DIR) / "pyproject.toml").open("rb") as handle:
        return str(tomllib.load(handle)["project"]["version"])


def _stamp() -> str:
    return timezone.localtime().strftime("%Y%m%d-%H%M%S")


def _summary(tables: dict[str, int], files: int) -> dict[str, int]:
    found = {}
    for key, label in SUMMARY.items():
        try:
            table = apps.get_model(label)._meta.db_table
        except LookupError:
            continue
        found[key] = tables.get(table, 0)
    return {**found, "files": files}


def _output_path(output: Path | None) -> Path:
    if output is None:
        output = Path(settings.DATA_DIR) / "backups"
        output.mkdir(parents=True, exist_ok=True)
    if output.is_dir():
        output = output / f"caiji-{_stamp()}.tar"
    if output.exists():
        raise BackupError(f"{output} 已存在：换一个文件名，备份不会覆盖已有文件。")
    media = Path(settings.MEDIA_ROOT).resolve()
    if output.resolve().is_relative_to(media):
        raise BackupError(f"备份不能写在文件库 {media} 之内：请换一个目录。")
    if not output.parent.is_dir():
        raise BackupError(f"目录 {output.parent} 不存在。")
    return output


def backup_create(output: Path | None = None, *, pg_bin: Path | None = None) -> dict[str, Any]:
    """Write the archive (database first, then the file store, so every file the database names
    is in it: stored files are written before the rows that name them) and return its manifest."""
    target = _output_path(output)
    media = Path(settings.MEDIA_ROOT)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".caiji-backup-") as work:
        dumped = database.dump(Path(work), pg_bin=pg_bin)
        writer = ArchiveWriter(target)
        try:
            db_member = writer.add_file(dumped.member, dumped.path)
            files = {
                rel: writer.add_file(FILES_PREFIX + rel, path) for rel, path in store_files(media)
            }
            manifest = {
                "format": FORMAT,
                "format_version": FORMAT_VERSION,
                "created_at": timezone.localtime().isoformat(timespec="seconds"),
                "caiji_version": caiji_version(),
                "database": {
                    "vendor": database.vendor(),
                    "server": dumped.server_version,
                    "member": dumped.member,
                    "sha256": db_member.sha256,
                    "size": db_member.size,
                },
                "migrations": dumped.migrations,
                "tables": dumped.tables,
                "summary": _summary(dumped.tables, len(files)),
                "files": {rel: {"sha256": m.sha256, "size": m.size} for rel, m in files.items()},
            }
            writer.close(manifest)
        except BaseException:
            writer.abort()
            raise
    manifest["path"] = str(target)
    return manifest


def backup_verify(archive: Path) -> dict[str, Any]:
    """Check every member of an archive against its manifest, without restoring anything."""
    reader = ArchiveReader(archive)
    try:
        reader.verify(*reader.database_member())
        for rel, member in reader.file_members():
            reader.verify(FILES_PREFIX + rel, member)
        return reader.manifest
    finally:
        reader.close()


def _code_migrations() -> set[tuple[str, str]]:
    return set(MigrationLoader(None, ignore_no_migrations=True).disk_migrations)


def _check_fits(manifest: dict[str, Any]) -> None:
    vendor = manifest["database"]["vendor"]
    if vendor != database.vendor():
        raise BackupError(
            f"这份备份来自 {vendor} 数据库，本安装使用 {database.vendor()}：请恢复到同类安装"
            "（嵌入式默认安装为 sqlite，生产安装为 postgresql）。"
        )
    archived = {(app, name) for app, names in manifest["migrations"].items() for name in names}
    unknown = sorted(archived - _code_migrations())
    if unknown:
        names = "、".join(f"{app}.{name}" for app, name in unknown[:5])
        raise BackupError(
            f"备份来自更新版本的 caiji（{manifest.get('caiji_version', '?')}，含本程序没有的迁移"
            f" {names}）：请先把 caiji 升级到该版本，再恢复。"
        )


def _check_empty(force: bool) -> None:
    tables = database.tables_with_rows()
    files = sum(1 for _ in store_files(Path(settings.MEDIA_ROOT)))
    if (tables or files) and not force:
        shown = "、".join(tables[:5]) + (" 等" if len(tables) > 5 else "")
        raise BackupError(
            "目标安装不是空的"
            + (f"（数据库中已有数据：{shown}" if tables else "（")
            + (f"；文件库中有 {files} 个文件）" if files else "）")
            + "。恢复会替换这些内容：先备份它，确认无误后加 --force 再运行。"
        )


def _missing_files() -> list[str]:
    media = Path(settings.MEDIA_ROOT)
    missing = []
    for model, name in database.file_fields():
        for stored in model._base_manager.exclude(**{name: ""}).values_list(name, flat=True):
            if stored and not (media / stored).is_file():
                missing.append(str(stored))
    return sorted(missing)


def backup_restore(
    archive: Path, *, force: bool = False, pg_bin: Path | None = None
) -> RestoreResult:
    """Restore an archive into this installation (its database and MEDIA_ROOT).

    Everything is checked before anything is replaced: the archive's hashes, its database kind,
    its migrations against this code, and that the installation is empty (unless ``force``).
    With ``force`` the old file store (and an SQLite database) is renamed, never deleted.
    """
    reader = ArchiveReader(archive)
    media = Path(settings.MEDIA_ROOT)
    data_dir = Path(settings.DATA_DIR)
    data_dir.mkdir(parents=True, exist_ok=True)
    stamp = _stamp()
    staging = media.with_name(f".{media.name}.restoring-{stamp}")
    try:
        manifest = reader.manifest
        _check_fits(manifest)
        _check_empty(force)
        with tempfile.TemporaryDirectory(dir=data_dir, prefix=".caiji-restore-") as work:
            db_name, db_member = reader.database_member()
            db_file = Path(work) / Path(db_name).name
            reader.extract(db_name, db_member, db_file)
            staging.mkdir(parents=True)
            for rel, member in reader.file_members():
                reader.extract(FILES_PREFIX + rel, member, staging / rel)
            previous_db = database.restore(
                db_file, keep_previous=stamp if force else None, pg_bin=pg_bin
            )
        previous_files = move_aside(media, stamp)
        staging.replace(media)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    finally:
        reader.close()
    counts = database.table_counts()
    wrong = [t for t, n in manifest["tables"].items() if counts.get(t) != n]
    if wrong:
        raise BackupError(
            f"恢复后 {'、'.join(wrong[:5])} 的行数与备份清单不符：请换用另一份备份再恢复。"
        )
    archived = {(app, name) for app, names in manifest["migrations"].items() for name in names}
    pending = sorted(f"{app}.{name}" for app, name in _code_migrations() - archived)
    return RestoreResult(manifest, previous_db, previous_files, _missing_files(), pending)
