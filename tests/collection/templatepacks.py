"""Template packs for the tests (and bench/templatepack.py).

``pack_2018()`` is last year's pack: the 90 real blank templates of the 2018 collection in
tests/fixtures/templates-2018 (2019 numbering: 表1-6-1 教职工基本信息 …), read at test time.
``pack_2024()`` is a next-year pack derived from it with the changes public evidence shows for
2024 (collection/catalog/evidence-2024.json, platform-2024-evidence.md): section 1 renumbered as
in 2020, sections 2–7 renumbered (2-6 → 2-5 固定资产 …), renamed tables (图书当年新增情况 →
图书新增情况 …), dropped tables (校园网 …), the new 表1-7-3 学校基层教学组织 (its columns are
not public: made up here), and some changed columns. Renumbered tables whose sheet carries no
code are the 2018 .xls files under a new file name, as the platform would ship them; the others
are written as .xlsx, some with drop-down lists (inline, on a hidden list sheet, by a name).
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from openpyxl import Workbook
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation

ROOT = Path(__file__).resolve().parents[2]
# The platform's real blank templates of the 2018 collection, header rows only (see the
# folder's README.md for where they come from).
TEMPLATES_2018 = ROOT / "tests" / "fixtures" / "templates-2018"

DROPPED = {
    "表1-2",  # 校区及地址 (its code went to 学校相关党政单位)
    "表1-9",  # 办学指导思想
    "表2-5",  # 校园网
    "表3-5-1",
    "表3-5-2",
    "表3-5-6",
    "表5-1-3",
    "表5-2-2",
    "表5-3-1",
    "表5-3-2",
    "表6-3-3",
    "表7-1",
}
# 2018 code → (2024 code, 2024 name or None when unchanged)
MOVES: dict[str, tuple[str, str | None]] = {
    "表1-3": ("表1-2", None),
    "表1-4": ("表1-3", None),
    "表1-5-1": ("表1-4-1", None),
    "表1-6-1": ("表1-5-1", None),
    "表1-6-2": ("表1-5-2", None),
    "表1-6-3": ("表1-5-3", "外聘和兼职教师基本信息"),
    "表1-7": ("表1-6", None),
    "表1-8-1": ("表1-7-1", None),
    "表1-8-2": ("表1-7-2", None),
    "表1-10": ("表1-8", None),
    "表2-3-2": ("表2-3-2", "图书新增情况"),
    "表2-4": ("表2-4", "校内外实习、实践、实训基地"),
    "表2-6": ("表2-5", None),
    "表2-7": ("表2-6", None),
    "表2-8": ("表2-7-1", "实验教学示范中心、虚拟仿真实验示范中心"),
    "表2-9-1": ("表2-8-1", None),
    "表2-9-2": ("表2-8-2", None),
    "表2-10": ("表2-9", None),
    "表3-5-4": ("表3-5-1", "教师出版专著和主编教材情况"),
    "表4-1-3": ("表4-1-2", "博士点、硕士点"),
    "表4-1-4": ("表4-1-3", "一流学科"),
    "表4-3": ("表4-3", "优势(一流)专业情况"),
    "表5-1-4": ("表5-1-3", "分专业（大类）专业实验课情况"),
    "表5-1-5": ("表5-1-4", None),
    "表5-2-1": ("表5-2", "学生毕业综合训练情况"),
    "表6-3-4": ("表6-3-3", "近一级各专业(大类)招生报到情况"),
    "表7-2": ("表7-1", None),
    "表7-3-1": ("表7-2-1", None),
    "表7-3-2": ("表7-2-2", "教学成果奖"),
    "表7-3-3": ("表7-2-3", "省级及以上本科教学项目建设情况"),
    "表7-4": ("表7-3", None),
}
# The expected report: 2018 code → 2024 code of every table that changes its code.
RENUMBERED = {old: new for old, (new, _name) in MOVES.items() if new != old}
NEW_TABLE = ("表1-7-3", "学校基层教学组织")
NEW_HEADERS = [
    "基层教学组织名称",
    "组织类型",
    "所属单位号",
    "所属单位名称",
    "负责人工号",
    "负责人姓名",
    "成立时间",
]
GENDERS = ["男", "女"]
DEGREES = ["博士研究生", "硕士研究生", "本科", "专科及以下"]


def _code_and_name(filename: str) -> tuple[str, str]:
    stem = filename.rsplit(".", 1)[0]
    code, _space, name = stem.partition(" ")
    if "：" in code:
        code, _colon, name = code.partition("：")
    return code, name


def pack_2018() -> list[tuple[str, bytes]]:
    """Last year's pack: the 2018 templates as downloaded (file name, bytes)."""
    return [
        (path.name, path.read_bytes())
        for path in sorted(TEMPLATES_2018.iterdir())
        if path.suffix == ".xls"
    ]


def headers_2018(content: bytes) -> tuple[str, list[str]]:
    from python_calamine import CalamineWorkbook

    book = CalamineWorkbook.from_filelike(io.BytesIO(content))
    name = book.sheet_names[0]
    return name, [str(c) for c in book.get_sheet_by_name(name).to_python()[0]]


def xlsx_template(
    sheet: str,
    headers: list[str],
    *,
    title: str = "",
    lists: dict[str, list[str]] | None = None,
    hidden_lists: dict[str, list[str]] | None = None,
    named_lists: dict[str, list[str]] | None = None,
) -> bytes:
    """A blank template as the platform might ship it as .xlsx: an optional title row, the
    header row, drop-down lists written out (``lists``), on a hidden sheet “代码表”
    (``hidden_lists``, by range) or through a defined name (``named_lists``)."""
    book = Workbook()
    ws = book.active
    ws.title = sheet
    if title:
        ws.append([title])
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(headers))
    ws.append(headers)
    row = ws.max_row
    codes = book.create_sheet("代码表")
    codes.sheet_state = "hidden"
    column = 0
    for header, values in {**(hidden_lists or {}), **(named_lists or {})}.items():
        column += 1
        letter = chr(64 + column)
        for i, value in enumerate(values, start=1):
            codes.cell(row=i, column=column, value=value)
        target = f"'代码表'!${letter}$1:${letter}${len(values)}"
        if header in (named_lists or {}):
            name = f"列表{column}"
            book.defined_names[name] = DefinedName(name, attr_text=target)
            target = name
        _validate(ws, headers, header, row, target)
    for header, values in (lists or {}).items():
        _validate(ws, headers, header, row, '"' + ",".join(values) + '"')
    if column == 0:
        book.remove(codes)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _validate(ws, headers: list[str], header: str, row: int, formula: str) -> None:  # type: ignore[no-untyped-def]
    letter = chr(65 + headers.index(header))
    rule = DataValidation(type="list", formula1=formula, allow_blank=True)
    rule.add(f"{letter}{row + 1}:{letter}5000")
    ws.add_data_validation(rule)


def _changed_columns(code: str, headers: list[str]) -> list[str]:
    """The 2024 pack's column changes (made up where the evidence has none)."""
    headers = list(headers)
    if code == "表2-4":  # one column renamed, one added, one removed, one moved
        headers[headers.index("院系（单位）号")] = "单位号"
        headers.remove("地址")
        headers.insert(1, "基地类型")
        headers.append(headers.pop(headers.index("建立时间")))
    elif code == "表2-3-2":
        headers[headers.index("当年新增纸质图书数量")] = "新增纸质图书数量"
    elif code == "表1-6-1":
        headers.append("国籍")
    return headers


def pack_2024() -> list[tuple[str, bytes]]:
    """The next-year pack (see the module docstring), as (file name, bytes)."""
    files = []
    for filename, content in pack_2018():
        code, name = _code_and_name(filename)
        if code in DROPPED:
            continue
        new_code, new_name = MOVES.get(code, (code, None))
        sheet, headers = headers_2018(content)
        changed = _changed_columns(code, headers)
        if new_name is None and changed == headers:
            files.append((filename.replace(code, new_code, 1), content))
            continue
        new_name = new_name or name
        new_sheet = f"表{new_code[1:]}：{new_name}" if sheet.startswith("表") else f" {new_name}"
        extra = {}
        if code == "表1-6-1":  # lists written out, on a hidden sheet, through a name
            extra = {
                "lists": {"性别": GENDERS},
                "hidden_lists": {"学历": DEGREES},
                "named_lists": {"最高学位": ["博士", "硕士", "学士", "无学位"]},
            }
        files.append(
            (
                f"{new_code} {new_name}.xlsx",
                xlsx_template(new_sheet[:31], changed, **extra),  # type: ignore[arg-type]
            )
        )
    code, name = NEW_TABLE
    files.append(
        (
            f"{code} {name}.xlsx",
            xlsx_template(
                f" {name}",
                NEW_HEADERS,
                title=f"{code} {name}",
                lists={"组织类型": ["教研室", "课程组", "教学团队"]},
            ),
        )
    )
    return files


def zipped(
    files: list[tuple[str, bytes]], *, folder: str = "", gbk: bool = True, junk: bool = True
) -> bytes:
    """The files as a zip as the platform's download or a Windows packer makes it: GBK names
    without the UTF-8 flag (``gbk``), in a folder, with macOS' shadow files (``junk``)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        if folder:
            archive.writestr(_info(f"{folder}/", gbk), b"")
        for name, content in files:
            path = f"{folder}/{name}" if folder else name
            archive.writestr(_info(path, gbk), content)
            if junk:
                shadow = f"__MACOSX/{folder}/._{name}" if folder else f"__MACOSX/._{name}"
                archive.writestr(_info(shadow, gbk), b"\0")
        if junk:
            archive.writestr(_info(f"{folder}/.DS_Store" if folder else ".DS_Store", gbk), b"\0")
    return out.getvalue()


class _GbkInfo(zipfile.ZipInfo):
    """zipfile writes a non-ASCII name as flagged UTF-8; Chinese Windows packers write GBK
    bytes without the flag."""

    def _encodeFilenameFlags(self):  # type: ignore[no-untyped-def]
        return self.filename.encode("gbk"), self.flag_bits & ~0x800


def _info(name: str, gbk: bool) -> zipfile.ZipInfo:
    info = (_GbkInfo if gbk else zipfile.ZipInfo)(name, (2024, 9, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    return info
