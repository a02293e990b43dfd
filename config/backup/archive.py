"""The backup archive: one uncompressed tar with the database, the file store and a manifest.

Layout::

    database/caiji.sqlite3 | database/caiji.dump   the database (SQLite copy / pg_dump -Fc)
    files/<path under MEDIA_ROOT>                 every file of the file store
    manifest.json                                 written last: sha256 and size of every member,
                                                  row counts, migrations, versions, time

The tar is not compressed: workbooks, pg_dump's custom format and the stored rows are compressed
already, and an uncompressed tar can be read member by member without inflating it all again.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO, Any

FORMAT = "caiji-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
FILES_PREFIX = "files/"
CHUNK = 1024 * 1024


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says what is wrong and what to do."""


@dataclass(frozen=True)
class Member:
    sha256: str
    size: int


class _HashingReader:
    """Reads a file for tarfile while hashing exactly the bytes that went into the archive."""

    def __init__(self, raw: IO[bytes]) -> None:
        self.raw = raw
        self.digest = hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        data = self.raw.read(size)
        self.digest.update(data)
        return data


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def store_files(root: Path) -> Iterator[tuple[str, Path]]:
    """Every regular file under the file store as (posix path relative to root, path), sorted."""
    if not root.is_dir():
        return
    for folder, dirs, names in os.walk(root):
        dirs.sort()
        for name in sorted(names):
            path = Path(folder) / name
            if path.is_file() and not path.is_symlink():
                yield path.relative_to(root).as_posix(), path


def safe_relative(name: str) -> str:
    """A manifest path that stays inside the file store, or BackupError."""
    path = PurePosixPath(name)
    if not name or path.is_absolute() or any(part in ("", ".", "..") for part in path.parts):
        raise BackupError(
            f"备份清单中的文件路径不安全：{name!r}。这不是 caiji 写出的备份，未做恢复。"
        )
    return path.as_posix()


class ArchiveWriter:
    """Writes the tar member by member; ``close`` adds the manifest and moves it into place."""

    def __init__(self, target: Path) -> None:
        self.target = target
        self.partial = target.with_name(target.name + ".partial")
        self.tar = tarfile.open(self.partial, "w", format=tarfile.PAX_FORMAT)  # noqa: SIM115
        self.members: dict[str, Member] = {}

    def add_file(self, name: str, path: Path) -> Member:
        info = self.tar.gettarinfo(str(path), arcname=name)
        info.uid = info.gid = 0
        info.uname = info.gname = ""
        try:
            with path.open("rb") as raw:
                reader = _HashingReader(raw)
                self.tar.addfile(info, reader)
        except OSError as exc:
            raise BackupError(f"读取 {path} 失败（{exc}）：检查磁盘和权限后重新备份。") from exc
        member = Member(sha256=reader.digest.hexdigest(), size=info.size)
        self.members[name] = member
        return member

    def close(self, manifest: dict[str, Any]) -> None:
        data = json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True).encode()
        info = tarfile.TarInfo(MANIFEST)
        info.size = len(data)
        info.mtime = int(os.path.getmtime(self.partial))
        self.tar.addfile(info, io.BytesIO(data))
        self.tar.close()
        os.replace(self.partial, self.target)

    def abort(self) -> None:
        self.tar.close()
        self.partial.unlink(missing_ok=True)


class ArchiveReader:
    """Reads a backup: its manifest first, then members copied out with their hashes checked."""

    def __init__(self, path: Path) -> None:
        if not path.is_file():
            raise BackupError(f"找不到备份文件 {path}。")
        try:
            self.tar = tarfile.open(path, "r:")  # noqa: SIM115
            self.by_name = {m.name: m for m in self.tar.getmembers()}
        except (tarfile.TarError, OSError) as exc:
            raise BackupError(
                f"{path} 不是 caiji 的备份文件（应为 backup 命令写出的 .tar）：{exc}"
            ) from exc
        self.manifest = self._manifest(path)

    def _manifest(self, path: Path) -> dict[str, Any]:
        member = self.by_name.get(MANIFEST)
        handle = self.tar.extractfile(member) if member else None
        if handle is None:
            raise BackupError(f"{path} 中没有备份清单 {MANIFEST}：备份不完整或不是 caiji 的备份。")
        try:
            manifest: dict[str, Any] = json.loads(handle.read())
        except ValueError as exc:
            raise BackupError(f"{path} 的备份清单已损坏：{exc}") from exc
        if manifest.get("format") != FORMAT:
            raise BackupError(f"{path} 不是 caiji 的备份文件。")
        if manifest.get("format_version", 0) > FORMAT_VERSION:
            raise BackupError(
                f"备份格式 {manifest['format_version']} 比本程序更新：请先把 caiji 升级到"
                f" {manifest.get('caiji_version', '?')} 或更高版本，再恢复。"
            )
        return manifest

    def extract(self, name: str, expected: Member, target: Path) -> None:
        """Copy one member to ``target``, or BackupError if it is missing or its bytes differ."""
        member = self.by_name.get(name)
        handle = self.tar.extractfile(member) if member and member.isfile() else None
        if handle is None:
            raise BackupError(f"备份中缺少 {name}：备份不完整，未做恢复。")
        digest = hashlib.sha256()
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("wb") as out:
            while chunk := handle.read(CHUNK):
                digest.update(chunk)
                out.write(chunk)
        if digest.hexdigest() != expected.sha256 or target.stat().st_size != expected.size:
            raise BackupError(
                f"备份中的 {name} 与清单记录的校验值不符（文件已损坏或被改动），未做恢复。"
                "请换用另一份备份。"
            )

    def verify(self, name: str, expected: Member) -> None:
        member = self.by_name.get(name)
        handle = self.tar.extractfile(member) if member and member.isfile() else None
        if handle is None:
            raise BackupError(f"备份中缺少 {name}：备份不完整。")
        digest = hashlib.sha256()
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
        if digest.hexdigest() != expected.sha256:
            raise BackupError(f"备份中的 {name} 与清单记录的校验值不符（文件已损坏或被改动）。")

    def database_member(self) -> tuple[str, Member]:
        db = self.manifest["database"]
        return str(db["member"]), Member(sha256=db["sha256"], size=int(db["size"]))

    def file_members(self) -> Iterator[tuple[str, Member]]:
        for rel, entry in sorted(self.manifest.get("files", {}).items()):
            yield safe_relative(rel), Member(sha256=entry["sha256"], size=int(entry["size"]))

    def close(self) -> None:
        self.tar.close()


def move_aside(path: Path, stamp: str) -> Path | None:
    """Rename ``path`` to ``<name>.before-restore-<stamp>`` if it holds anything; drop it if it
    is only empty folders. Returns where the old content went."""
    if not path.exists():
        return None
    if path.is_dir() and not any(p.is_file() for p in path.rglob("*")):
        shutil.rmtree(path)
        return None
    aside = path.with_name(f"{path.name}.before-restore-{stamp}")
    os.replace(path, aside)
    return aside
