"""A template pack's files: a .zip as downloaded from the platform, or the files themselves.

Plain Python. The platform's pack is a zip of one .xls/.xlsx file per table, often in folders,
often packed on Windows with GBK file names (no UTF-8 flag: ``zipfile`` decodes them as CP437),
sometimes with macOS' ``__MACOSX`` shadow folder. The pack itself is bounded (its size, the
number of members, their total size as declared and as actually inflated) before any member is
read; a member that cannot be used is skipped with a reason, and the rest is read.
"""

from __future__ import annotations

import hashlib
import io
import unicodedata
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from collection.excel.ole import SIGNATURE as OLE_SIGNATURE
from collection.excel.safety import _check_entry_count
from collection.excel.sheetscan import MB
from collection.schema import RejectedFile
from collection.templatepack import messages as msg

MAX_PACK_BYTES = 50 * MB  # the upload (a zip, or all the files together)
MAX_MEMBERS = 500  # files in the pack, folders and skipped files included
MAX_UNPACKED = 300 * MB  # all members together
MAX_TEMPLATE_BYTES = 10 * MB  # one template (a blank template is a few KB)
TEMPLATE_SUFFIXES = (".xls", ".xlsx")
_JUNK_NAMES = {"thumbs.db", "desktop.ini"}


@dataclass(frozen=True)
class PackFile:
    name: str  # its path inside the pack, as the office sees it
    content: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()


@dataclass(frozen=True)
class Skipped:
    name: str
    reason: str


@dataclass
class Unpacked:
    files: list[PackFile] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)


def _mb(size: int) -> str:
    return f"{size / MB:.1f}".removesuffix(".0")


def is_pack_zip(content: bytes) -> bool:
    """A zip that is not itself a workbook (.xlsx files are zips too)."""
    if not content.startswith(b"PK"):
        return False
    try:
        names = {n.lower() for n in zipfile.ZipFile(io.BytesIO(content)).namelist()}
    except (zipfile.BadZipFile, ValueError, OSError, EOFError, NotImplementedError):
        return True  # a damaged zip: refused as a pack, with the pack's message
    return "xl/workbook.xml" not in names and "[content_types].xml" not in names


def member_name(info: zipfile.ZipInfo) -> str:
    """The member's name as its author wrote it: UTF-8 when flagged; else the bytes zipfile
    decoded as CP437, decoded again as UTF-8 (packers that do not flag it) or GB18030 (Chinese
    Windows), and CP437 only when neither fits."""
    name = info.filename
    if not info.flag_bits & 0x800:
        try:
            raw = name.encode("cp437")
        except UnicodeEncodeError:
            raw = b""
        for encoding in ("utf-8", "gb18030"):
            try:
                name = raw.decode(encoding) if raw else name
                break
            except UnicodeDecodeError:
                continue
    return unicodedata.normalize("NFC", name.replace("\\", "/"))


def _ignored(name: str) -> bool:
    """Folders, macOS' shadow files, hidden files and Office's lock files: not the office's."""
    parts = [p for p in name.split("/") if p]
    if not parts or name.endswith("/"):
        return True
    if parts[0] == "__MACOSX" or any(p.startswith(".") for p in parts):
        return True
    base = parts[-1]
    return base.startswith("~$") or base.lower() in _JUNK_NAMES


def unpack(name: str, content: bytes) -> Unpacked:
    """The files of a pack (a zip, see ``stored_pack``). Raises RejectedFile when the pack as a
    whole is beyond its bounds or damaged; files that cannot be used are ``skipped`` with the
    reason."""
    if len(content) > MAX_PACK_BYTES:
        raise RejectedFile(
            _(msg.PACK_TOO_BIG) % {"size": _mb(len(content)), "limit": _mb(MAX_PACK_BYTES)}
        )
    found = Unpacked()
    _unzip(name, content, found)
    return found


def _take(item: PackFile, found: Unpacked) -> None:
    if _ignored(item.name):
        return
    lower = item.name.lower()
    if lower.endswith(".zip") or (is_pack_zip(item.content) and not lower.endswith(".xlsx")):
        found.skipped.append(Skipped(item.name, _(msg.ZIP_IN_ZIP)))
    elif not lower.endswith(TEMPLATE_SUFFIXES):
        found.skipped.append(Skipped(item.name, _(msg.NOT_EXCEL)))
    elif len(item.content) > MAX_TEMPLATE_BYTES:
        found.skipped.append(
            Skipped(
                item.name,
                _(msg.MEMBER_TOO_BIG)
                % {"size": _mb(len(item.content)), "limit": _mb(MAX_TEMPLATE_BYTES)},
            )
        )
    else:
        found.files.append(item)


def _unzip(name: str, content: bytes, found: Unpacked) -> None:
    corrupt = RejectedFile(_(msg.PACK_CORRUPT) % {"file": name})
    try:
        _check_entry_count(content)  # before zipfile builds an object per entry
        archive = zipfile.ZipFile(io.BytesIO(content))
        infos = archive.infolist()
    except RejectedFile:
        raise corrupt from None
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError) as exc:
        raise corrupt from exc
    except NotImplementedError as exc:
        raise corrupt from exc
    if len(infos) > MAX_MEMBERS:
        raise RejectedFile(_(msg.PACK_TOO_MANY) % {"count": len(infos), "limit": MAX_MEMBERS})
    declared = sum(info.file_size for info in infos)
    if declared > MAX_UNPACKED:
        raise RejectedFile(
            _(msg.PACK_TOO_BIG_UNPACKED) % {"size": _mb(declared), "limit": _mb(MAX_UNPACKED)}
        )
    for info in infos:
        inner = member_name(info)
        if _ignored(inner):
            continue
        reason = _member_problem(info, inner)
        if reason:
            found.skipped.append(Skipped(inner, reason))
            continue
        try:
            with archive.open(info) as handle:
                data = handle.read(MAX_TEMPLATE_BYTES + 1)  # never more, whatever it declares
        except (zipfile.BadZipFile, ValueError, OSError, EOFError, NotImplementedError):
            found.skipped.append(Skipped(inner, _(msg.MEMBER_DAMAGED)))
            continue
        _take(PackFile(inner, data), found)


def _member_problem(info: zipfile.ZipInfo, name: str) -> str:
    lower = name.lower()
    if not lower.endswith((*TEMPLATE_SUFFIXES, ".zip")):
        return _(msg.NOT_EXCEL)
    if info.flag_bits & 0x1:
        return _(msg.MEMBER_ENCRYPTED)
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        return _(msg.MEMBER_DAMAGED)
    if info.file_size > MAX_TEMPLATE_BYTES:
        return _(msg.MEMBER_TOO_BIG) % {
            "size": _mb(info.file_size),
            "limit": _mb(MAX_TEMPLATE_BYTES),
        }
    return ""


def stored_pack(uploads: Sequence[tuple[str, bytes]]) -> tuple[str, bytes]:
    """The one file kept for an upload: a single zip as it came; files chosen one by one packed
    into a zip (UTF-8 names, a name given twice numbered), so that every pack is one zip."""
    if not uploads:
        raise RejectedFile(_(msg.NOTHING_UPLOADED))
    total = sum(len(content) for _name, content in uploads)
    if total > MAX_PACK_BYTES:
        raise RejectedFile(_(msg.PACK_TOO_BIG) % {"size": _mb(total), "limit": _mb(MAX_PACK_BYTES)})
    if len(uploads) > MAX_MEMBERS:
        raise RejectedFile(_(msg.PACK_TOO_MANY) % {"count": len(uploads), "limit": MAX_MEMBERS})
    if len(uploads) == 1 and is_pack_zip(uploads[0][1]):
        return uploads[0]
    out = io.BytesIO()
    seen: set[str] = set()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in uploads:
            name = unicodedata.normalize("NFC", name.replace("\\", "/").rsplit("/", 1)[-1])
            stem, dot, suffix = name.rpartition(".")
            n = 1
            while name in seen:
                n += 1
                name = f"{stem} ({n}).{suffix}" if dot else f"{suffix} ({n})"
            seen.add(name)
            info = zipfile.ZipInfo(name, (2000, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.flag_bits |= 0x800
            archive.writestr(info, content)
    return _("%(count)s template files.zip") % {"count": len(uploads)}, out.getvalue()


def kind_of(content: bytes) -> str:
    """ "xls" or "xlsx" by the file's first bytes (never by its name)."""
    return "xls" if content.startswith(OLE_SIGNATURE) else "xlsx"
