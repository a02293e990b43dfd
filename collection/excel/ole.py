"""Just enough of the OLE2 compound file format (CFB) and of BIFF8 to check an upload before
calamine reads it: the names of the streams (an encrypted .xlsx, a macro, a Word file) and the
extent of every sheet of a .xls workbook (calamine allocates rows × columns cells).

Every loop is bounded by the number of sectors in the file, so a hostile file cannot make it
spin or allocate more than the file's own size.
"""

from __future__ import annotations

import struct
from array import array
from dataclasses import dataclass, field

from collection.excel.cellnotes import BIFF_ERRORS, SheetNotes

SIGNATURE = bytes.fromhex("D0CF11E0A1B11AE1")
_END_OF_CHAIN = 0xFFFFFFFE
_MAX_REGULAR = 0xFFFFFFFA
_STORAGE, _STREAM, _ROOT = 1, 2, 5


class OleError(ValueError):
    """The compound file is damaged."""


@dataclass(frozen=True)
class OleEntry:
    name: str
    kind: int  # 1 storage, 2 stream, 5 root
    start: int
    size: int

    @property
    def is_stream(self) -> bool:
        return self.kind == _STREAM


class OleFile:
    def __init__(self, data: bytes) -> None:
        if len(data) < 512 or not data.startswith(SIGNATURE):
            raise OleError("not a compound file")
        self._data = data
        shift, mini_shift = struct.unpack_from("<HH", data, 0x1E)
        if shift not in (9, 12) or mini_shift != 6:
            raise OleError("bad sector size")
        self._size = 1 << shift
        self._sectors = (len(data) - 1) // self._size  # sectors after the header
        n_fat, first_dir = struct.unpack_from("<II", data, 0x2C)
        self._cutoff, first_minifat, n_minifat, first_difat, n_difat = struct.unpack_from(
            "<IIIII", data, 0x38
        )
        self._fat = self._read_fat(n_fat, first_difat, n_difat)
        self.entries = self._read_directory(first_dir)
        root = self.entries[0] if self.entries and self.entries[0].kind == _ROOT else None
        self._mini_stream = b""
        self._minifat = array("I")
        if root is not None and root.size and n_minifat:
            self._mini_stream = self._read_chain(root.start, root.size)
            self._minifat = _u32_array(self._read_chain(first_minifat, n_minifat * self._size))

    def names(self) -> set[str]:
        return {entry.name for entry in self.entries}

    def find(self, *names: str) -> OleEntry | None:
        wanted = {name.lower() for name in names}
        for entry in self.entries:
            if entry.is_stream and entry.name.lower() in wanted:
                return entry
        return None

    def read(self, entry: OleEntry) -> bytes:
        if entry.size < self._cutoff and entry.kind == _STREAM:
            return self._read_mini(entry.start, entry.size)
        return self._read_chain(entry.start, entry.size)

    # -- internals ----------------------------------------------------------------------------

    def _sector(self, index: int) -> bytes:
        if index >= self._sectors:
            raise OleError("sector out of range")
        offset = (index + 1) * self._size
        return self._data[offset : offset + self._size]

    def _read_fat(self, n_fat: int, first_difat: int, n_difat: int) -> array[int]:
        if n_fat > self._sectors:
            raise OleError("FAT larger than the file")
        ids = list(struct.unpack_from("<109I", self._data, 0x4C))
        sector, seen = first_difat, 0
        while sector < _MAX_REGULAR and seen <= n_difat and seen <= self._sectors:
            block = _u32_array(self._sector(sector))
            ids.extend(block[:-1])
            sector = block[-1]
            seen += 1
        fat = array("I")
        for index in ids[:n_fat]:
            fat.extend(_u32_array(self._sector(index)))
        return fat

    def _chain(self, start: int, fat: array[int], limit: int) -> list[int]:
        chain: list[int] = []
        sector = start
        while sector < _MAX_REGULAR:
            if len(chain) > limit or sector >= len(fat):
                raise OleError("broken sector chain")
            chain.append(sector)
            sector = fat[sector]
        return chain

    def _read_chain(self, start: int, size: int) -> bytes:
        if size > len(self._data):
            raise OleError("stream larger than the file")
        chain = self._chain(start, self._fat, self._sectors)
        data = b"".join(self._sector(index) for index in chain)
        if len(data) < size:
            raise OleError("stream shorter than declared")
        return data[:size]

    def _read_mini(self, start: int, size: int) -> bytes:
        count = len(self._mini_stream) // 64
        chain = self._chain(start, self._minifat, count)
        data = b"".join(self._mini_stream[i * 64 : i * 64 + 64] for i in chain)
        if len(data) < size:
            raise OleError("stream shorter than declared")
        return data[:size]

    def _read_directory(self, first: int) -> list[OleEntry]:
        chain = self._chain(first, self._fat, self._sectors)
        raw = b"".join(self._sector(index) for index in chain)
        entries = []
        for offset in range(0, len(raw) - 127, 128):
            name_len, kind = struct.unpack_from("<HB", raw, offset + 64)
            if kind not in (_STORAGE, _STREAM, _ROOT):
                continue
            name = raw[offset : offset + min(name_len, 64)].decode("utf-16-le", "replace")
            start, size = struct.unpack_from("<IQ", raw, offset + 116)
            if self._size == 512:
                size &= 0xFFFFFFFF  # version 3 files leave the high half undefined
            entries.append(OleEntry(name.rstrip("\x00"), kind, start, size))
        return entries


def _u32_array(data: bytes) -> array[int]:
    values = array("I")
    values.frombytes(data[: len(data) // 4 * 4])
    if values.itemsize != 4:  # pragma: no cover - every platform caiji runs on has 4-byte I
        raise OleError("unsupported platform")
    return values


# ---------------------------------------------------------------------------------------------
# BIFF8


@dataclass
class SheetExtent:
    name: str
    rows: int = 0  # last used row, 1-based (0: no cell)
    columns: int = 0  # last used column, 1-based
    cells: int = 0
    declared_rows: int = 0  # from the DIMENSIONS record: one past the last row and column
    declared_columns: int = 0
    declared_first_row: int = 0  # … and the first ones (calamine sizes the sheet from both)
    declared_first_column: int = 0
    notes: SheetNotes = field(default_factory=SheetNotes)  # error cells and hidden rows
    max_string: int = -1  # the highest shared-string index of a LABELSST cell


@dataclass
class BiffScan:
    encrypted: bool = False
    macro_sheets: bool = False
    sheets: list[SheetExtent] = field(default_factory=list)
    date1904: bool = False  # the DATEMODE record: date serials count from 1904
    strings: int = 0  # how many strings the SST record really holds

    def missing_strings(self) -> SheetExtent | None:
        """The first sheet with a cell pointing past the shared strings (calamine reads such a
        cell as empty, without a word)."""
        return next((s for s in self.sheets if s.max_string >= self.strings), None)


_BOF, _EOF, _FILEPASS, _DIMENSIONS, _BOUNDSHEET = 0x0809, 0x000A, 0x002F, 0x0200, 0x0085
_FORMULA, _BOOLERR, _ROW, _DATEMODE, _MERGEDCELLS = 0x0006, 0x0205, 0x0208, 0x0022, 0x00E5
_SST, _CONTINUE, _LABELSST = 0x00FC, 0x003C, 0x00FD
_CELLS = frozenset({0x0006, 0x00D6, 0x00FD, 0x0201, 0x0203, 0x0204, 0x0205, 0x027E, 0x0406})
_MULTI_CELLS = frozenset({0x00BD, 0x00BE})  # MULRK, MULBLANK: first column … last column
_WORKSHEET, _MACRO_SHEET = 0x0010, 0x0040


def scan_biff(stream: bytes) -> BiffScan:
    """Walk the records of a Workbook stream: is it encrypted, does it hold Excel 4.0 macro
    sheets, how far does each worksheet go, which of its cells hold an error value, which rows
    are hidden and how many ranges are merged. One unpack per record (about 0.5 µs)."""
    header = struct.Struct("<HHHH").unpack_from  # type, length, then row and column of a cell
    scan = BiffScan()
    names: dict[int, str] = {}
    current: SheetExtent | None = None
    # Every record can be read as if it had its longest fixed part (a ROW's flags end 18 bytes
    # in), even the last one of a stream cut short.
    data = stream + bytes(16)
    pos, end = 0, len(stream) - 4
    rows = columns = cells = 0
    while pos <= end:
        kind, length, row, column = header(data, pos)
        start, pos = pos, pos + 4 + length
        if kind in _CELLS:
            cells += 1
            if row >= rows:
                rows = row + 1
            if column >= columns:
                columns = column + 1
            if kind in (_BOOLERR, _FORMULA) and current is not None:
                _note_error(current.notes, kind, data, start, length, row, column)
            elif kind == _LABELSST and current is not None and length >= 10:
                index = struct.unpack_from("<I", data, start + 10)[0]
                if index > current.max_string:
                    current.max_string = index
        elif kind in _MULTI_CELLS:
            last = struct.unpack_from("<H", data, pos - 2)[0] if length >= 6 else column
            cells += max(last - column + 1, 1)
            rows = max(rows, row + 1)
            columns = max(columns, last + 1, column + 1)
        elif kind in (_BOF, _EOF):
            if current is not None:
                current.rows, current.columns, current.cells = rows, columns, cells
            current, rows, columns, cells = None, 0, 0, 0
            # A BOF record holds the BIFF version, then the substream's type.
            if kind == _BOF and length >= 4 and column == _WORKSHEET:
                current = SheetExtent(names.get(start, f"#{len(scan.sheets) + 1}"))
                scan.sheets.append(current)
            elif kind == _BOF and length >= 4 and column == _MACRO_SHEET:
                scan.macro_sheets = True
        elif kind == _FILEPASS:
            scan.encrypted = True
            return scan
        elif kind == _BOUNDSHEET and length >= 8:
            offset, _state, sheet_kind, count, flags = struct.unpack_from("<IBBBB", data, start + 4)
            if sheet_kind == 1:
                scan.macro_sheets = True
            raw = data[start + 12 : pos]
            names[offset] = (
                raw[: count * 2].decode("utf-16-le", "replace")
                if flags & 1
                else raw[:count].decode("latin-1")
            )
        elif kind == _ROW and current is not None and length >= 16:
            if struct.unpack_from("<H", data, start + 16)[0] & 0x20:  # fDyZero: hidden
                current.notes.add_hidden_row(row + 1)
        elif kind == _MERGEDCELLS and current is not None and length >= 2:
            current.notes.merged_ranges += row  # the record's first two bytes: how many
        elif kind == _SST:
            scan.strings = count_strings(_with_continues(data, start, end))
        elif kind == _DATEMODE and length >= 2:
            scan.date1904 = row == 1  # the record's first two bytes
        elif kind == _DIMENSIONS and current is not None and length >= 12:
            first_row, last_row, first_column, last_column = struct.unpack_from(
                "<IIHH", data, start + 4
            )
            current.declared_rows, current.declared_columns = last_row, last_column
            current.declared_first_row, current.declared_first_column = first_row, first_column
    if current is not None:
        current.rows, current.columns, current.cells = rows, columns, cells
    return scan


def _note_error(
    notes: SheetNotes, kind: int, data: bytes, start: int, length: int, row: int, column: int
) -> None:
    """A BOOLERR holding an error, or a FORMULA whose cached result is an error."""
    body = start + 4
    if kind == _BOOLERR and length >= 8 and data[body + 7] == 1:
        notes.add_error(row + 1, column + 1, BIFF_ERRORS.get(data[body + 6], "#N/A"))
    elif (
        kind == _FORMULA
        and length >= 14
        and data[body + 12 : body + 14] == b"\xff\xff"
        and data[body + 6] == 2
    ):
        notes.add_error(row + 1, column + 1, BIFF_ERRORS.get(data[body + 8], "#N/A"))


# ---------------------------------------------------------------------------------------------
# The shared strings (SST)


def _with_continues(data: bytes, start: int, end: int) -> list[bytes]:
    """The bodies of the record at ``start`` and of the CONTINUE records that follow it."""
    bodies: list[bytes] = []
    pos = start
    while pos <= end:
        kind, length = struct.unpack_from("<HH", data, pos)
        if bodies and kind != _CONTINUE:
            break
        bodies.append(data[pos + 4 : pos + 4 + length])
        pos += 4 + length
    return bodies


def count_strings(bodies: list[bytes]) -> int:
    """How many strings an SST record holds: the count it declares, or fewer when its data ends
    first. Each string is a header (length, flags, rich-text runs, extended data), its
    characters (one or two bytes each, the width flag repeated where a CONTINUE splits them),
    then its runs and extended data. A plain string inside one record is passed in a few
    operations (about 0.4 µs); the others go through ``_Cursor``."""
    if not bodies or len(bodies[0]) < 8:
        return 0
    declared = struct.unpack_from("<I", bodies[0], 4)[0]
    header = struct.Struct("<HB").unpack_from
    cursor = _Cursor(bodies, 8)
    body, count = bodies[0], 0
    while count < declared:
        pos = cursor.pos
        if pos + 3 <= len(body):
            length, flags = header(body, pos)
            end = pos + 3 + (length << (flags & 0x01))
            if not flags & 0x0C and end <= len(body):
                cursor.pos = end
                count += 1
                continue
        if not cursor.string():
            break
        body = bodies[cursor.index]
        count += 1
    return count


class _Cursor:
    def __init__(self, bodies: list[bytes], pos: int) -> None:
        self.bodies, self.index, self.pos = bodies, 0, pos

    def skip(self, size: int) -> bytes | None:
        """Pass ``size`` bytes, across CONTINUE records, and return them when they are few
        (a header field); None at the end of the data."""
        kept, keep = b"", size <= 8
        while size:
            body = self.bodies[self.index]
            if self.pos >= len(body):
                if self.index + 1 >= len(self.bodies):
                    return None
                self.index, self.pos = self.index + 1, 0
                continue
            take = min(size, len(body) - self.pos)
            if keep:
                kept += body[self.pos : self.pos + take]
            self.pos += take
            size -= take
        return kept

    def string(self) -> bool:
        head = self.skip(3)
        if head is None or len(head) != 3:
            return False
        length, flags = struct.unpack("<HB", head)
        runs = self.skip(2) if flags & 0x08 else b"\0\0"
        extended = self.skip(4) if flags & 0x04 else b"\0\0\0\0"
        if runs is None or extended is None or len(runs) != 2 or len(extended) != 4:
            return False
        width = 2 if flags & 0x01 else 1
        while length:
            body = self.bodies[self.index]
            take = min(length, (len(body) - self.pos) // width)
            self.pos += take * width
            length -= take
            if length:  # the characters go on in the next CONTINUE, after a new width flag
                if self.index + 1 >= len(self.bodies) or not self.bodies[self.index + 1]:
                    return False
                self.index, self.pos = self.index + 1, 1
                width = 2 if self.bodies[self.index][0] & 0x01 else 1
        tail = 4 * struct.unpack("<H", runs)[0] + struct.unpack("<I", extended)[0]
        return self.skip(tail) is not None
