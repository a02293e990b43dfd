"""Reading the office's units and people sheets into a tablib Dataset for django-import-export.

The sheet is read with python-calamine after cheap structural checks, so a broken or hostile
file is refused with a message before anything parses it.
"""

import io
import unicodedata
import zipfile
from datetime import date, datetime

import tablib
from django.utils.translation import gettext as _
from python_calamine import CalamineWorkbook

MAX_UNCOMPRESSED = 100 * 1024 * 1024
MAX_ROWS = 20_000
HEADER_SCAN_ROWS = 10


class ImportFileError(ValueError):
    """The file cannot be read; the message tells the office what to do."""


def _check_xlsx(content: bytes) -> None:
    if not zipfile.is_zipfile(io.BytesIO(content)):
        raise ImportFileError(
            _(
                "This is not an Excel .xlsx workbook. Open it in Excel, save it as .xlsx and upload it again."
            )
        )
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        names = archive.namelist()
        if "[Content_Types].xml" not in names:
            raise ImportFileError(_("The workbook is damaged. Save it again as .xlsx in Excel."))
        if any(name.lower().endswith("vbaproject.bin") for name in names):
            raise ImportFileError(
                _("The workbook contains macros. Save it as a plain .xlsx without macros.")
            )
        if sum(info.file_size for info in archive.infolist()) > MAX_UNCOMPRESSED:
            raise ImportFileError(
                _("The workbook is far too large once unpacked. Upload only the needed sheet.")
            )


def clean_cell(value: object) -> str:
    """Text of a cell: half-width, trimmed, integers without '.0', dates as YYYY-MM-DD."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date):
        return value.strftime("%Y-%m-%d")
    text = unicodedata.normalize("NFKC", str(value))
    text = text.replace("\u200b", "").replace("\ufeff", "")
    return text.strip()


def read_sheet(content: bytes, *, required_header: str) -> tablib.Dataset:
    """Read the first sheet that has ``required_header`` in one of its first rows."""
    _check_xlsx(content)
    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(content))
        sheets = [workbook.get_sheet_by_index(i) for i in range(len(workbook.sheet_names))]
    except Exception as exc:  # calamine raises its own error types for every broken file
        raise ImportFileError(
            _("The workbook cannot be read (%(detail)s). Save it again as .xlsx in Excel.")
            % {"detail": str(exc)[:100]}
        ) from exc
    for sheet in sheets:
        rows = sheet.to_python(skip_empty_area=False, nrows=MAX_ROWS + HEADER_SCAN_ROWS + 1)
        for index, row in enumerate(rows[:HEADER_SCAN_ROWS]):
            headers = [clean_cell(cell) for cell in row]
            if required_header in headers:
                return _dataset(headers, rows[index + 1 :], first_row=index + 2)
    raise ImportFileError(
        _(
            "No header row with the column “%(header)s” was found. Use the sheet from the export button."
        )
        % {"header": required_header}
    )


def _dataset(headers: list[str], rows: list[list[object]], *, first_row: int) -> tablib.Dataset:
    """A dataset of the non-empty rows; ``data.excel_rows[i]`` is row i's number in Excel."""
    if len(rows) > MAX_ROWS:
        raise ImportFileError(_("The sheet has more than %(max)s rows.") % {"max": MAX_ROWS})
    width = max((i + 1 for i, h in enumerate(headers) if h), default=0)
    headers = headers[:width]
    data = tablib.Dataset(headers=headers)
    data.excel_rows = []
    for offset, row in enumerate(rows):
        cells = [clean_cell(cell) for cell in row[:width]]
        cells += [""] * (width - len(cells))
        if any(cells):
            data.append(cells)
            data.excel_rows.append(first_row + offset)
    return data
