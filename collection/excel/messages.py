"""The messages of the upload checks and the reader, marked for makemessages.

Each says what is wrong and what the collector can do about it; they are translated when used
(``gettext(EMPTY)``), so the language is the one active for the request.
"""

from django.utils.translation import gettext_noop

# -- the file as a whole (RejectedFile) --------------------------------------------------------
EMPTY = gettext_noop(
    "The file is empty (0 bytes). Check that you chose the right file and upload it again."
)
TOO_BIG = gettext_noop(
    "The file is %(size)s MB, more than the %(limit)s MB limit. Delete unused sheets, pictures "
    "and empty rows, or split the data into several files, and upload again."
)
NOT_WORKBOOK = gettext_noop(
    "This file is not an Excel workbook (.xlsx/.xls) or a CSV file; it may be a web page or "
    "another file whose extension was changed. Open the template in Excel, save it as .xlsx and "
    "upload it again."
)
HTML = gettext_noop(
    "This file is a web page (HTML) with an Excel extension, not a real workbook. Open it in "
    "Excel, choose File → Save As → Excel Workbook (.xlsx), and upload the saved file."
)
XML_SPREADSHEET = gettext_noop(
    "This file is in the old “XML Spreadsheet 2003” format. Open it in Excel, save it as an "
    "Excel Workbook (.xlsx) and upload it again."
)
XLSB = gettext_noop(
    "This workbook is in the binary .xlsb format, which cannot be read. Open it in Excel, save "
    "it as an Excel Workbook (.xlsx) and upload it again."
)
ODS = gettext_noop(
    "This is an OpenDocument spreadsheet (.ods). Open it in WPS or Excel, save it as an Excel "
    "Workbook (.xlsx) and upload it again."
)
OTHER_OFFICE = gettext_noop(
    "This file is a Word or PowerPoint document, not an Excel workbook. Upload the filled Excel "
    "template (.xlsx)."
)
CORRUPT = gettext_noop(
    "The file is damaged or incomplete and cannot be read. Open it in Excel to check it, save "
    "it again as .xlsx and upload again; if Excel cannot open it either, fill in a new template."
)
UNREADABLE = gettext_noop(
    "The workbook could not be read; it may be damaged or saved in a format this system does "
    "not support. Open it in Excel, save it as an Excel Workbook (.xlsx) and upload it again."
)
ENCRYPTED = gettext_noop(
    "The workbook is protected with a password (encrypted), so it cannot be read. In Excel "
    "choose File → Info → Protect Workbook → Encrypt with Password, clear the password, save it "
    "as .xlsx and upload it again."
)
MACRO = gettext_noop(
    "The workbook contains macros, which are not accepted for security reasons. In Excel choose "
    "Save As → Excel Workbook (*.xlsx), which removes the macros, and upload that file."
)
TOO_BIG_UNCOMPRESSED = gettext_noop(
    "The workbook expands to %(size)s MB when opened, more than the %(limit)s MB limit; it may "
    "hold a great many empty formatted rows or pictures, or be a malformed file. Copy the data "
    "into a new template (paste values only) and upload that."
)
ZIP_BOMB = gettext_noop(
    "The workbook is compressed %(ratio)s times, far more than any real workbook: it may be a "
    "maliciously crafted file and was refused. Fill in a new template and upload that."
)
SHARED_STRINGS_TOO_BIG = gettext_noop(
    "The workbook's text is %(size)s MB, more than the %(limit)s MB limit; a cell may hold a "
    "very long pasted text. Delete the excess text and upload again."
)
XML_ENTITY = gettext_noop(
    "The workbook contains an XML document type or entity declaration (DOCTYPE/ENTITY), which "
    "Excel never writes; it may be a maliciously crafted file and was refused. Fill in a new "
    "template and upload that."
)
XML_ENCODING = gettext_noop(
    "Part of the workbook uses a text encoding Excel does not write. Open it in Excel, save it "
    "as an Excel Workbook (.xlsx) and upload it again."
)
BEYOND_EXCEL = gettext_noop(
    "Sheet “%(sheet)s” has cells beyond what Excel allows (cell %(cell)s; Excel has at most "
    "1,048,576 rows and 16,384 columns), so the file is damaged or was not written by Excel. "
    "Copy the data into a new template and upload that."
)
TOO_MANY_ROWS = gettext_noop(
    "Sheet “%(sheet)s” reaches row %(rows)s, more than the limit of %(limit)s rows per upload. "
    "Delete the empty rows below the data, or split the data into several files and upload them "
    "one by one."
)
TOO_MANY_DATA_ROWS = gettext_noop(
    "The file has more than %(limit)s data rows, the limit per upload. Split the data into "
    "several files and upload them one by one."
)
TOO_MANY_COLUMNS = gettext_noop(
    "Sheet “%(sheet)s” reaches column %(column)s (%(count)s columns), more than the limit of "
    "%(limit)s columns. Delete the extra columns to the right of the data and upload again."
)
TOO_MANY_CELLS = gettext_noop(
    "Sheet “%(sheet)s” spans %(rows)s rows × %(columns)s columns, more cells than can be read "
    "(at most %(limit)s). Delete the empty rows and columns around the data, or split the data "
    "into several files."
)
IRREGULAR = gettext_noop(
    "Sheet “%(sheet)s” is written in an unusual way that cannot be checked safely. Open the file "
    "in Excel, save it as an Excel Workbook (.xlsx) and upload it again."
)
TOO_MANY_MERGES = gettext_noop(
    "Sheet “%(sheet)s” has %(count)s merged cell ranges, more than can be checked (at most "
    "%(limit)s). Select the whole sheet, unmerge all cells, fill in the values and upload again."
)
CSV_BINARY = gettext_noop(
    "This file is named .csv but holds binary data, not text. In Excel save the table as “CSV "
    "UTF-8 (Comma delimited)”, or upload the .xlsx template instead."
)
SHARED_STRING_INDEX = gettext_noop(
    "Sheet “%(sheet)s” has a cell that points to text the workbook does not hold (a damaged "
    "shared-strings reference), so the file is damaged or was not written by Excel and its "
    "values cannot be read reliably. Open it in Excel or WPS, save it again as .xlsx and upload "
    "it again; if it will not open, fill in a new template."
)
NO_SHEET = gettext_noop(
    "The workbook has no worksheet with data. Fill in the template's first sheet and upload it "
    "again."
)

# -- findings on the sheet (the file is read) --------------------------------------------------
NO_HEADER = gettext_noop(
    "No header row of %(table)s was found in the first %(count)s rows of sheet “%(sheet)s”. Use "
    "the template of this table and keep its header row."
)
MISSING_REQUIRED_COLUMN = gettext_noop(
    "Column “%(column)s” is missing. Add it to the header row (copy the header from the "
    "template) and fill it in."
)
MISSING_OPTIONAL_COLUMN = gettext_noop(
    "Column “%(column)s” is missing; it is optional, so its cells are taken as empty. Add the "
    "column if you have the data."
)
UNKNOWN_COLUMN = gettext_noop(
    "Column %(letter)s “%(column)s” is not part of %(table)s and was ignored. If it should be "
    "one of the table's columns, check the header's wording; otherwise you can delete it."
)
DUPLICATE_COLUMN = gettext_noop(
    "Column “%(column)s” appears twice (columns %(first)s and %(second)s); only column "
    "%(first)s was read. Delete the duplicate column and upload again."
)
OTHER_TABLE_TEMPLATE = gettext_noop(
    "This is the template of %(other)s (%(other_name)s), not of %(table)s (%(name)s). Download "
    "the template of %(table)s, copy your data into it and upload that."
)
OTHER_YEAR_TEMPLATE = gettext_noop(
    "This template is from the %(year)s collection, but this is the %(expected)s collection and "
    "the table's columns may have changed. Download this year's template and copy your data "
    "into it."
)
OLD_SPEC_VERSION = gettext_noop(
    "This template was made for an earlier version of %(table)s (version %(version)s, now "
    "%(current)s). Check the columns against the current template."
)
LOOKS_LIKE_OTHER_TABLE = gettext_noop(
    "The headers match %(other)s (%(other_name)s) better than %(table)s (%(name)s). Check that "
    "you uploaded the file to the right table."
)
EXCEL_ERROR = gettext_noop(
    "Cell %(cell)s shows the Excel error %(value)s (a formula that failed, such as a VLOOKUP "
    "that found nothing), not a value. Correct the formula or type the value, and upload again."
)
UNCOMPUTED_FORMULA = gettext_noop(
    "Cell %(cell)s holds a formula whose result was never calculated (the file was written by a "
    "program and never saved in Excel), so it was read as empty. Open the file in Excel or WPS, "
    "save it, and upload it again."
)
MERGED_CELLS = gettext_noop(
    "Cells %(range)s are merged: only %(first)s holds the value, and the other cells of the "
    "range are read as empty. Unmerge the cells, fill in every cell, and upload again."
)
HIDDEN_ROWS = gettext_noop(
    "Hidden rows were read like the others: row %(rows)s (%(count)s in all). Unhide them to "
    "check them, and delete the ones that should not be uploaded."
)
CONTROL_CHAR = gettext_noop(
    "Cell %(cell)s (“%(column)s”) contains an invisible control character (%(chars)s), as text "
    "exported or copied from another system may carry. It cannot be stored and was removed "
    "from the value read. Delete the cell's content, type the value again and upload again."
)
LINE_BREAK_IN_ID = gettext_noop(
    "Cell %(cell)s (“%(column)s”) has a line break or a tab inside the value, but an identifier "
    "or code is written on one line. Delete the line break or tab (type the value again on one "
    "line) and upload again."
)
