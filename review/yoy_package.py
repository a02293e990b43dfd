"""Last year's package (a .zip of table files) read within the upload caps, one member at a time.

The package is bounded before any member is inflated: how many entries its directory lists
(``check_entry_count``, as for an upload), each member's declared size against
CAIJI_UPLOAD_MAX_BYTES (a table file is an upload) and all of them together against
CAIJI_UPLOAD_MAX_UNCOMPRESSED. A member is then inflated only when its turn comes, in pieces,
counting what comes out: one whose header understates its size, or whose checksum is wrong,
refuses the whole package as damaged. So no more than one member's bytes are held at a time
(docs/hostile-input.md, "Last year's package").
"""

from __future__ import annotations

import contextlib
import io
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import PurePosixPath

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from collection.excel import messages as msg
from collection.excel.safety import Limits
from collection.excel.safety import _check_entry_count as check_entry_count
from collection.schema import RejectedFile

MB = 1024 * 1024
CHUNK = MB  # inflated per read

NOT_ZIP = gettext_noop("The package is not a .zip file: upload the .zip with one .xlsx per table.")
EMPTY = gettext_noop("The package is empty: it must hold one .xlsx file per table.")
TOO_MANY = gettext_noop("The package holds %(count)s files; at most %(limit)s are read.")
TOO_BIG = gettext_noop(
    "The package expands to %(size)s MB, more than the %(limit)s MB limit. Export the package "
    "again with only the tables' files (one .xlsx per table) and upload that."
)
DAMAGED = gettext_noop(
    "The package is damaged: a file in it is not what the package's directory says (its size "
    "or checksum differs). Export or zip the package again and upload that."
)
UNREADABLE = gettext_noop(
    "This file cannot be taken out of the package (it is encrypted or compressed in an unusual "
    "way): zip the package again without a password and upload that."
)


class MemberRefused(Exception):
    """This one member cannot be read (the others still can); ``str()`` says why."""


@dataclass(frozen=True)
class Member:
    path: str  # in the zip, decoded
    info: zipfile.ZipInfo

    @property
    def name(self) -> str:
        return PurePosixPath(self.path).name


def _mb(size: int) -> str:
    return f"{size / MB:.1f}".removesuffix(".0")


class Package:
    """The package's members (directories and system files left out), bounded; ``read`` one
    at a time. Raises RejectedFile for a package that is refused whole."""

    def __init__(self, content: bytes, *, max_files: int, limits: Limits | None = None) -> None:
        self.limits = limits or Limits.from_settings()
        try:
            check_entry_count(content)
            self._archive = zipfile.ZipFile(io.BytesIO(content))
            infos = self._archive.infolist()
        except (
            RejectedFile,
            zipfile.BadZipFile,
            zipfile.LargeZipFile,
            OSError,
            ValueError,
            EOFError,
            NotImplementedError,
        ) as exc:
            raise RejectedFile(_(NOT_ZIP)) from exc
        infos = [i for i in infos if not i.is_dir() and not _hidden(i.filename)]
        if not infos:
            raise RejectedFile(_(EMPTY))
        if len(infos) > max_files:
            raise RejectedFile(_(TOO_MANY) % {"count": len(infos), "limit": max_files})
        total = sum(i.file_size for i in infos)
        if total > self.limits.max_uncompressed:
            raise RejectedFile(
                _(TOO_BIG) % {"size": _mb(total), "limit": _mb(self.limits.max_uncompressed)}
            )
        self.members = [Member(_decoded_name(i), i) for i in infos]

    def read(self, member: Member) -> bytes:
        """The member's bytes, inflated piece by piece; MemberRefused when it is too big or
        cannot be taken out, RejectedFile (damaged) when it is not what the directory says."""
        info, limits = member.info, self.limits
        if info.file_size > limits.max_bytes:
            raise MemberRefused(
                _(msg.TOO_BIG) % {"size": _mb(info.file_size), "limit": _mb(limits.max_bytes)}
            )
        if info.file_size > limits.ratio_floor and info.file_size > limits.max_ratio * max(
            info.compress_size, 1
        ):
            ratio = f"{info.file_size // max(info.compress_size, 1):,}"
            raise MemberRefused(_(msg.ZIP_BOMB) % {"ratio": ratio})
        pieces: list[bytes] = []
        size = 0
        try:
            with self._archive.open(info) as stream:
                while piece := stream.read(CHUNK):
                    size += len(piece)
                    if size > info.file_size:  # more than its header says: never trusted
                        raise RejectedFile(_(DAMAGED))
                    pieces.append(piece)
        except (NotImplementedError, RuntimeError) as exc:  # encrypted, unknown compression
            raise MemberRefused(_(UNREADABLE)) from exc
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError) as exc:
            raise RejectedFile(_(DAMAGED)) from exc
        if size != info.file_size:
            raise RejectedFile(_(DAMAGED))
        return b"".join(pieces)


def _hidden(name: str) -> bool:
    parts = PurePosixPath(name).parts
    return any(p.startswith((".", "__MACOSX")) for p in parts)


def _decoded_name(info: zipfile.ZipInfo) -> str:
    """The file's own name; zips made on a Chinese Windows store names in GBK without saying
    so (Python then reads them as cp437)."""
    name = info.filename
    if not info.flag_bits & 0x800:
        with contextlib.suppress(UnicodeEncodeError, UnicodeDecodeError):
            name = name.encode("cp437").decode("gbk")
    return name
