"""Cheap structural checks on an upload, before any parser touches its bytes.

The reader (python-calamine) is fast but trusting: it inflates whatever a zip member declares,
and allocates rows × columns cells for a sheet, so two cells at A1 and XFD1048576 abort the
whole process. Everything here works on the raw bytes, streams each zip member through zlib in
small pieces (never a whole member in memory, see ``sheetscan``), and refuses a file with a
``RejectedFile`` whose message says what is wrong and what to do. The kind of file is decided
by its content, never by its name.
"""

from __future__ import annotations

import re
import struct
import zipfile
from dataclasses import dataclass, field
from enum import StrEnum
from io import BytesIO

from django.utils.translation import gettext as _

from collection.excel import messages as msg
from collection.excel.cellnotes import SheetNotes
from collection.excel.normalize import drop_controls
from collection.excel.ole import SIGNATURE as OLE_SIGNATURE
from collection.excel.ole import OleError, OleFile, scan_biff
from collection.excel.sheetscan import (
    MB,
    check_extent,
    check_merges,
    check_sheet,
    sheet_names,
    small_xml,
    uses_1904_dates,
    xml_pieces,
)
from collection.schema import RejectedFile

XLS_MAX_ROWS = 65_536
XLS_MAX_COLUMNS = 256
HEADER_ALLOWANCE = 100  # title and header rows above the data, counted on top of max_rows
MAX_ZIP_ENTRIES = 10_000


@dataclass(frozen=True)
class Limits:
    max_bytes: int = 20 * MB  # the upload itself
    max_rows: int = 200_000  # data rows
    max_columns: int = 200
    max_uncompressed: int = 1024 * MB  # all zip members together, as declared
    max_member: int = 256 * MB  # one worksheet
    max_shared_strings: int = 128 * MB  # the shared-strings part (read whole by calamine)
    max_other_part: int = 64 * MB  # styles, workbook, relationships, …
    max_ratio: int = 400  # inflated / compressed, for members above ratio_floor
    ratio_floor: int = 16 * MB
    max_cells: int = 6_000_000  # rows × columns of a sheet's used range (calamine: ~32 B each)
    max_merged_ranges: int = 10_000  # per sheet; a template has a handful

    @property
    def max_sheet_rows(self) -> int:
        return self.max_rows + HEADER_ALLOWANCE

    @classmethod
    def from_settings(cls) -> Limits:
        from django.conf import settings
        from django.core.exceptions import ImproperlyConfigured

        defaults = cls()
        try:
            settings.INSTALLED_APPS  # noqa: B018 - plain Python use, without Django settings
        except ImproperlyConfigured:
            return defaults
        names = {
            "max_bytes": "CAIJI_UPLOAD_MAX_BYTES",
            "max_rows": "CAIJI_UPLOAD_MAX_ROWS",
            "max_columns": "CAIJI_UPLOAD_MAX_COLUMNS",
            "max_uncompressed": "CAIJI_UPLOAD_MAX_UNCOMPRESSED",
        }
        values = {
            attr: int(getattr(settings, name, getattr(defaults, attr)))
            for attr, name in names.items()
        }
        return cls(**values)


class FileKind(StrEnum):
    XLSX = "xlsx"
    XLS = "xls"
    CSV = "csv"


@dataclass(frozen=True)
class CheckedUpload:
    kind: FileKind
    text: str | None = None  # the decoded text of a CSV file
    notes: dict[str, SheetNotes] = field(default_factory=dict)  # by sheet name (workbooks)
    date1904: bool = False  # the workbook counts date serials from 1904


@dataclass(frozen=True)
class _Scanned:
    notes: dict[str, SheetNotes]
    date1904: bool


def check_upload(content: bytes, filename: str, limits: Limits | None = None) -> CheckedUpload:
    """Refuse anything that is not a safe, readable .xlsx, .xls or CSV file."""
    limits = limits or Limits()
    if not content:
        raise RejectedFile(_(msg.EMPTY))
    if len(content) > limits.max_bytes:
        raise RejectedFile(
            _(msg.TOO_BIG) % {"size": _mb(len(content)), "limit": _mb(limits.max_bytes)}
        )
    if content.startswith(b"PK\x03\x04"):
        scanned = check_xlsx(content, limits)
        return CheckedUpload(FileKind.XLSX, notes=scanned.notes, date1904=scanned.date1904)
    if content.startswith(OLE_SIGNATURE):
        scanned = check_ole(content, limits)
        return CheckedUpload(FileKind.XLS, notes=scanned.notes, date1904=scanned.date1904)
    if content.startswith(b"PK"):
        raise RejectedFile(_(msg.CORRUPT))
    return CheckedUpload(FileKind.CSV, check_text(content, filename, limits))


def _mb(size: int) -> str:
    return f"{size / MB:.1f}".removesuffix(".0")


# ---------------------------------------------------------------------------------------------
# Text: CSV, and the usual impostors (web pages, XML spreadsheets)

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
_HTML_TAGS = (b"<!doctype html", b"<html", b"<table", b"<meta", b"<head", b"<body", b"<style")


def check_text(content: bytes, filename: str, limits: Limits) -> str:
    head = _text_head(content)
    if head.startswith(b"<?xml") and b"urn:schemas-microsoft-com:office:spreadsheet" in head:
        raise RejectedFile(_(msg.XML_SPREADSHEET))
    if _is_web_page(head):
        raise RejectedFile(_(msg.HTML))
    if head.startswith(b"<?xml"):
        raise RejectedFile(_(msg.NOT_WORKBOOK))
    if head.startswith(b"{\\rtf") or head.startswith(b"%pdf"):
        raise RejectedFile(_(msg.NOT_WORKBOOK))
    named_csv = filename.lower().endswith((".csv", ".txt"))
    text = _decode(content)
    if text is None or _looks_binary(text):
        raise RejectedFile(_(msg.CSV_BINARY) if named_csv else _(msg.NOT_WORKBOOK))
    if not named_csv:
        raise RejectedFile(_(msg.NOT_WORKBOOK))
    if text.count("\n") > limits.max_sheet_rows:
        raise RejectedFile(_(msg.TOO_MANY_DATA_ROWS) % {"limit": f"{limits.max_rows:,}"})
    return text


def _text_head(content: bytes) -> bytes:
    """The first 64 KB, lower case, without a byte-order mark and leading whitespace; a UTF-16
    file (what old systems write as "Unicode" web pages or text) is read as such."""
    head = content[:65536]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        head = head.decode("utf-16", "ignore").encode("utf-8", "ignore")
    return head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()


def _is_web_page(head: bytes) -> bool:
    """A web page saved with an Excel extension: what old systems export as "xls", including
    Excel's own "single file web page" (.mht) archive."""
    if head.startswith(_HTML_TAGS) or b"<html" in head[:2048]:
        return True
    if head.startswith(b"<") and not head.startswith(b"<?xml"):
        # A comment, a style block or a stray tag before the page proper.
        return any(tag in head for tag in (b"<html", b"<table", b"<body"))
    return head.startswith(b"mime-version:") and b"text/html" in head


def _decode(content: bytes) -> str | None:
    if content.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return content.decode("utf-16")
        except UnicodeDecodeError:
            return None
    if b"\x00" in content:
        return None
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    return None


def _looks_binary(text: str) -> bool:
    sample = text[:65536]
    return len(_CONTROL.findall(sample)) > max(8, len(sample) // 200)


# ---------------------------------------------------------------------------------------------
# OLE2: .xls, and encrypted or foreign files in the same container


def check_ole(content: bytes, limits: Limits) -> _Scanned:
    try:
        ole = OleFile(content)
        names = {name.lower() for name in ole.names()}
        if {"encryptioninfo", "encryptedpackage"} & names:
            raise RejectedFile(_(msg.ENCRYPTED))
        if {"_vba_project_cur", "vba", "_vba_project"} & names:
            raise RejectedFile(_(msg.MACRO))
        stream = ole.find("Workbook", "Book")
        if stream is None:
            raise RejectedFile(_(msg.NOT_WORKBOOK))
        scan = scan_biff(ole.read(stream))
    except (OleError, struct.error, IndexError) as exc:
        raise RejectedFile(_(msg.CORRUPT)) from exc
    if scan.encrypted:
        raise RejectedFile(_(msg.ENCRYPTED))
    if scan.macro_sheets:
        raise RejectedFile(_(msg.MACRO))
    missing = scan.missing_strings()
    if missing is not None:
        raise RejectedFile(_(msg.SHARED_STRING_INDEX) % {"sheet": drop_controls(missing.name)})
    for sheet in scan.sheets:
        if (
            sheet.declared_rows > XLS_MAX_ROWS
            or sheet.declared_columns > XLS_MAX_COLUMNS
            # A first row or column after the last: calamine's size would wrap around and
            # ask for hundreds of gigabytes, which aborts the process.
            or sheet.declared_first_row > sheet.declared_rows
            or sheet.declared_first_column > sheet.declared_columns
        ):
            raise RejectedFile(_(msg.CORRUPT))
        name = drop_controls(sheet.name)  # a BIFF sheet name can hold any character
        check_extent(
            name,
            max(sheet.rows, sheet.declared_rows),
            max(sheet.columns, sheet.declared_columns),
            limits,
        )
        check_merges(name, sheet.notes.merged_ranges, limits)
    return _Scanned({sheet.name: sheet.notes for sheet in scan.sheets}, scan.date1904)


# ---------------------------------------------------------------------------------------------
# Zip: .xlsx

_XML_SUFFIXES = (".xml", ".rels", ".vml")
_MACRO_TYPES = ("macroenabled", "vbaproject", "macrosheet", "ms-office.vbaproject")


def check_xlsx(content: bytes, limits: Limits) -> _Scanned:
    _check_entry_count(content)
    try:
        archive = zipfile.ZipFile(BytesIO(content))
        infos = archive.infolist()
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        ValueError,
        OSError,
        EOFError,
        NotImplementedError,  # a "version needed to extract" that zipfile does not know
    ) as exc:
        raise RejectedFile(_(msg.CORRUPT)) from exc
    names = [info.filename for info in infos]
    if len(set(names)) != len(names):
        raise RejectedFile(_(msg.CORRUPT))
    by_name = {name.lower(): info for name, info in zip(names, infos, strict=True)}
    _check_kind(by_name)
    _check_sizes(infos, limits)
    if any(info.flag_bits & 0x1 for info in infos):
        raise RejectedFile(_(msg.ENCRYPTED))
    if any(info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED) for info in infos):
        raise RejectedFile(_(msg.CORRUPT))
    if any(
        name.endswith("vbaproject.bin") or name.startswith(("xl/macrosheets/", "xl/dialogsheets/"))
        for name in by_name
    ):
        raise RejectedFile(_(msg.MACRO))
    types = small_xml(content, by_name["[content_types].xml"])
    if any(
        marker in (node.get("ContentType") or "").lower()
        for node in types.iter()
        for marker in _MACRO_TYPES
    ):
        raise RejectedFile(_(msg.MACRO))
    names_by_part = sheet_names(content, by_name)
    notes = {}
    for info in infos:
        lower = info.filename.lower()
        if not lower.endswith(_XML_SUFFIXES):
            continue
        if lower.startswith("xl/worksheets/") and lower.count("/") == 2:
            name = names_by_part.get(lower, info.filename.rsplit("/", 1)[-1])
            notes[name] = check_sheet(content, info, name, limits)
        else:  # inflated only to check its size, encoding and declarations
            for _piece in xml_pieces(content, info):
                pass
    return _Scanned(notes, uses_1904_dates(content, by_name))


def _check_entry_count(content: bytes) -> None:
    """Refuse a zip whose directory lists an absurd number of entries before zipfile builds an
    object for each of them."""
    tail = content[-(65535 + 22) :]
    end = tail.rfind(b"PK\x05\x06")
    if end < 0 or end + 22 > len(tail):
        raise RejectedFile(_(msg.CORRUPT))
    (count,) = struct.unpack_from("<H", tail, end + 10)
    if count == 0xFFFF:
        z64 = tail.rfind(b"PK\x06\x06", 0, end)
        if z64 < 0 or z64 + 40 > len(tail):
            raise RejectedFile(_(msg.CORRUPT))
        (count,) = struct.unpack_from("<Q", tail, z64 + 32)
    if count > MAX_ZIP_ENTRIES:
        raise RejectedFile(_(msg.CORRUPT))


def _check_kind(by_name: dict[str, zipfile.ZipInfo]) -> None:
    if "[content_types].xml" in by_name and "xl/workbook.xml" in by_name:
        return
    if "xl/workbook.bin" in by_name:
        raise RejectedFile(_(msg.XLSB))
    if "mimetype" in by_name or "content.xml" in by_name:
        raise RejectedFile(_(msg.ODS))
    if "word/document.xml" in by_name or "ppt/presentation.xml" in by_name:
        raise RejectedFile(_(msg.OTHER_OFFICE))
    raise RejectedFile(_(msg.NOT_WORKBOOK))


def _check_sizes(infos: list[zipfile.ZipInfo], limits: Limits) -> None:
    total = 0
    for info in infos:
        size = info.file_size
        total += size
        lower = info.filename.lower()
        if lower.startswith("xl/worksheets/"):
            cap = limits.max_member
        elif lower.endswith("sharedstrings.xml"):
            cap = limits.max_shared_strings
            if size > cap:
                raise RejectedFile(
                    _(msg.SHARED_STRINGS_TOO_BIG) % {"size": _mb(size), "limit": _mb(cap)}
                )
        elif lower.endswith(_XML_SUFFIXES):
            cap = limits.max_other_part
        else:
            cap = limits.max_member  # pictures and other binary parts, never inflated here
        if size > cap:
            raise RejectedFile(_(msg.TOO_BIG_UNCOMPRESSED) % {"size": _mb(size), "limit": _mb(cap)})
        if total > limits.max_uncompressed:
            raise RejectedFile(
                _(msg.TOO_BIG_UNCOMPRESSED)
                % {"size": _mb(total), "limit": _mb(limits.max_uncompressed)}
            )
        if size > limits.ratio_floor and size > limits.max_ratio * max(info.compress_size, 1):
            raise RejectedFile(
                _(msg.ZIP_BOMB) % {"ratio": f"{size // max(info.compress_size, 1):,}"}
            )
