"""The messages of a template pack's reading, report and confirmation, marked for makemessages.

Translated where they are used (``gettext(NOT_EXCEL)``), so the language is the request's.
"""

from django.utils.translation import gettext_noop

# -- the pack as a whole -----------------------------------------------------------------------
NOTHING_UPLOADED = gettext_noop(
    "Choose the template pack (.zip) as downloaded from the platform, or the template files "
    "(.xls/.xlsx) themselves, and upload again."
)
PACK_TOO_BIG = gettext_noop(
    "The upload is %(size)s MB, more than the %(limit)s MB a template pack may be. Check that "
    "it is the platform's blank template pack (templates hold no data)."
)
PACK_TOO_MANY = gettext_noop(
    "The pack holds %(count)s files, more than the %(limit)s a template pack may hold. Check "
    "that it is the platform's template pack and upload only the templates."
)
PACK_TOO_BIG_UNPACKED = gettext_noop(
    "The pack unpacks to %(size)s MB, more than the %(limit)s MB a template pack may be; it may "
    "be a malformed or malicious zip file. Download the pack from the platform again."
)
PACK_CORRUPT = gettext_noop(
    "The zip file “%(file)s” is damaged and cannot be opened. Download the template pack from "
    "the platform again and upload it."
)
PACK_NOTHING_USABLE = gettext_noop(
    "No file of the upload is a usable platform template, so nothing was kept. Skipped: %(files)s"
)

# -- one file of the pack (skipped, the rest is read) ------------------------------------------
NOT_EXCEL = gettext_noop("Not an Excel file (.xls/.xlsx): not read.")
ZIP_IN_ZIP = gettext_noop(
    "A zip file inside the pack is not read: unpack it and upload its templates."
)
MEMBER_ENCRYPTED = gettext_noop(
    "Protected with a password inside the zip: not read. Pack the templates again without a "
    "password."
)
MEMBER_DAMAGED = gettext_noop(
    "Damaged inside the zip (it does not unpack): not read. Download the pack again."
)
MEMBER_TOO_BIG = gettext_noop(
    "%(size)s MB, more than the %(limit)s MB a blank template may be: not read."
)
SAME_FILE_TWICE = gettext_noop("The same file as “%(other)s” (identical content): read once.")
CSV_NOT_TEMPLATE = gettext_noop(
    "A text (CSV) file is not a platform template: the platform's templates are .xls or .xlsx "
    "files."
)
NO_HEADER_ROW = gettext_noop(
    "No header row was found in the first %(rows)s rows of sheet “%(sheet)s”: this is not a "
    "blank platform template."
)
REPEATED_HEADER = gettext_noop(
    "Sheet “%(sheet)s” repeats the column header “%(header)s”: check that this is the "
    "platform's blank template."
)
NOT_IDENTIFIED = gettext_noop(
    "Neither the file name nor the sheet name carries a table code (such as 表1-1), and no "
    "table of this cycle has this name and these columns: this is not a platform template. If "
    "it is one, name the file as the platform does (表X-Y 名称.xls) and upload the pack again."
)
TWO_FILES = gettext_noop(
    "%(table)s is claimed by two files, “%(first)s” and “%(second)s”: keep the right one, "
    "remove the other from the pack and upload it again."
)

# -- notes on a template that was read ---------------------------------------------------------
CODE_DISAGREES = gettext_noop(
    "The file name says %(file_code)s but the sheet name says %(sheet_code)s; the sheet's code "
    "is used (the platform reads the sheet)."
)
CODE_FROM_MATCH = gettext_noop(
    "The file carries no table code; it was identified as %(table)s by its name and columns."
)
LIST_UNREADABLE = gettext_noop(
    "The drop-down list of “%(header)s” refers to “%(formula)s”, which cannot be read; the "
    "column keeps its code list."
)
XLS_LISTS = gettext_noop(
    "The drop-down lists (data validations) of .xls templates cannot be read: those columns keep "
    "their code lists. Hidden list sheets of the templates are still read."
)
LIST_SHEET_UNUSED = gettext_noop(
    "Hidden sheet “%(sheet)s” holds lists that no column of the template names; not used."
)
