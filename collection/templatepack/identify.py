"""Which table a template is, from its file name and sheet name.

Plain Python. The platform names its files ``表1-6-1 教职工基本信息.xls`` or
``表SF-13：师范技能竞赛奖励情况.xls``, and its sheets `` 教职工基本信息`` (a leading space),
``表SF-1：学生发展成长指导教师情况``, a truncated name (31 characters at most), or just ``data``.
A code in the sheet name wins over the file name's (the platform reads the sheet; a file can
be renamed on the way); the name comes from the file name when it has one (sheet names are
cut at 31 characters), else from the sheet. A template with no code anywhere is identified
later by its name and columns (``match``), or not at all.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# 表1-6-1, 表SF-13, 表GK-2, also without 表 (1-6-1教职工基本信息) when digits lead.
_CODE = re.compile(r"^\s*(?:表\s*([A-Za-z]{2,3}\s*-\s*\d+|\d+(?:\s*-\s*\d+)*)|(\d+(?:-\d+)+))")
_SEPARATORS = " \t\u3000：:._-、，,"
_PLAIN_SHEETS = {"data", "sheet1", "sheet", "工作表1"}


@dataclass(frozen=True)
class Identity:
    code: str  # "" when neither name carries one
    name: str
    code_from: str  # "file", "sheet" or ""
    disagreeing_code: str = ""  # the file name's code when the sheet says another


def split_code(text: str) -> tuple[str, str]:
    """("表1-6-1", "教职工基本信息") from "表1-6-1 教职工基本信息"; ("", text) without a code.
    The code is read width-insensitively (表１-６); the name is kept as written."""
    text = text.strip()
    folded = unicodedata.normalize("NFKC", text)
    match = _CODE.match(folded)
    if match is None:
        return "", text.strip(_SEPARATORS)
    raw = re.sub(r"\s+", "", match.group(1) or match.group(2)).upper()
    rest = folded[match.end() :] if len(folded) != len(text) else text[match.end() :]
    if rest[:1].isdigit():  # "表1-61" is not a code followed by "1"
        return "", text
    return f"表{raw}", rest.strip(_SEPARATORS)


def identify(filename: str, sheet_name: str) -> Identity:
    stem = filename.replace("\\", "/").rsplit("/", 1)[-1]
    if "." in stem:
        stem = stem.rsplit(".", 1)[0]
    file_code, file_name = split_code(stem)
    sheet_code, sheet_text = split_code(sheet_name)
    if sheet_text.lower() in _PLAIN_SHEETS:
        sheet_text = ""
    code = sheet_code or file_code
    # The file name is not cut at 31 characters; without a code it is no platform name.
    name = file_name if file_code or not sheet_text else sheet_text
    if sheet_code and file_code and sheet_code != file_code:
        return Identity(sheet_code, sheet_text or file_name, "sheet", disagreeing_code=file_code)
    return Identity(code, name, "sheet" if sheet_code else ("file" if file_code else ""))


def code_order(code: str) -> tuple[int, str, tuple[int, ...]]:
    """Sort key of a table code: 表1-10 after 表1-9, the supplements (表SF-n, …) after 表7."""
    body = code.removeprefix("表")
    head, _dash, rest = body.partition("-")
    if head.isdigit():
        return (0, "", tuple(int(p) for p in body.split("-") if p.isdigit()))
    return (1, head, tuple(int(p) for p in rest.split("-") if p.isdigit()))
