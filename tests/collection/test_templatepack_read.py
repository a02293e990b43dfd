"""Reading a template pack (collection/templatepack/pack.py, read.py, identify.py, report.py):
plain Python on bytes, no database."""

from __future__ import annotations

import io
import zipfile

import pytest

from collection.schema import RejectedFile
from collection.templatepack import pack as packs
from collection.templatepack.identify import identify
from collection.templatepack.read import read_template
from collection.templatepack.report import read_pack
from tests.collection.excel import hostile_files as hostile
from tests.collection.excel.test_hostile import patch_member
from tests.collection.templatepacks import (
    DEGREES,
    GENDERS,
    pack_2018,
    pack_2024,
    xlsx_template,
    zipped,
)


@pytest.fixture(autouse=True)
def _chinese():
    from django.utils import translation

    with translation.override("zh-hans"):
        yield


def read(files: list[tuple[str, bytes]]):
    name, content = packs.stored_pack(files)
    return read_pack(name, content)


def test_the_2018_pack_is_read_whole_with_exact_sheet_names():
    reading = read(pack_2018())
    assert len(reading.templates) == 90 and not reading.skipped and not reading.conflicts
    by_code = {r.identity.code: r for r in reading.templates}
    staff = by_code["表1-6-1"]
    assert staff.template.sheet_name == " 教职工基本信息"  # the leading space kept
    assert staff.identity.name == "教职工基本信息" and staff.template.header_row == 1
    assert staff.template.headers[:3] == ["工号", "姓名", "性别"]
    assert by_code["表SF-13"].template.sheet_name == "表SF-13：师范技能竞赛奖励情况"
    assert by_code["表SF-13"].identity.code_from == "sheet"
    art = by_code["表6-6-4"]  # its sheet is just "data": the file name names it
    assert art.template.sheet_name == "data"
    assert art.identity.name == "学生获专业比赛奖励情况（艺术类专业用）"


def test_a_zip_with_gbk_names_folders_and_mac_junk_is_read_like_the_files():
    files = pack_2024()
    content = zipped(files, folder="2024年度模板/基本表", gbk=True, junk=True)
    zip_names = zipfile.ZipFile(io.BytesIO(content)).namelist()
    assert any(n.startswith("__MACOSX/") for n in zip_names)
    assert not any("表" in n for n in zip_names)  # GBK bytes, read by zipfile as CP437
    reading = read_pack("模板.zip", content)
    assert len(reading.templates) == len(files) and not reading.skipped
    assert {r.template.filename.rsplit("/", 1)[-1] for r in reading.templates} == {
        name for name, _content in files
    }
    assert all(r.template.filename.startswith("2024年度模板/基本表/") for r in reading.templates)
    utf8 = read_pack("模板.zip", zipped(files, gbk=False, junk=False))
    assert sorted(r.identity.code for r in utf8.templates) == sorted(
        r.identity.code for r in reading.templates
    )


def test_files_chosen_one_by_one_are_kept_as_one_zip():
    files = pack_2018()[:3]
    name, content = packs.stored_pack(files)
    assert name.endswith(".zip")
    assert zipfile.ZipFile(io.BytesIO(content)).namelist() == [n for n, _c in files]
    same_zip = zipped(files)
    assert packs.stored_pack([("模板.zip", same_zip)]) == ("模板.zip", same_zip)  # as it came


def test_a_template_with_a_title_row_and_drop_down_lists():
    content = xlsx_template(
        " 教职工基本信息",
        ["工号", "姓名", "性别", "学历", "最高学位"],
        title="表1-5-1 教职工基本信息（2024）",
        lists={"性别": GENDERS},
        hidden_lists={"学历": DEGREES},
        named_lists={"最高学位": ["博士", "硕士"]},
    )
    template = read_template("表1-5-1 教职工基本信息.xlsx", content)
    assert template.header_row == 2 and template.sheet_name == " 教职工基本信息"
    assert template.headers == ["工号", "姓名", "性别", "学历", "最高学位"]
    assert template.codes == {"性别": GENDERS, "学历": DEGREES, "最高学位": ["博士", "硕士"]}


def test_a_hidden_list_sheet_headed_by_a_column_gives_its_list():
    from openpyxl import Workbook

    book = Workbook()
    book.active.title = " 学生社团"
    book.active.append(["社团名称", "社团类别"])
    lists = book.create_sheet("字典")
    lists.sheet_state = "hidden"
    for row in (["社团类别"], ["科技类"], ["体育类"], ["科技类"]):
        lists.append(row)
    out = io.BytesIO()
    book.save(out)
    template = read_template("表6-8 学生社团.xlsx", out.getvalue())
    assert template.codes == {"社团类别": ["科技类", "体育类"]}


@pytest.mark.parametrize(
    ("filename", "sheet", "code", "name"),
    [
        ("表1-6-1 教职工基本信息.xls", " 教职工基本信息", "表1-6-1", "教职工基本信息"),
        (
            "表SF-13：师范技能竞赛奖励情况.xls",
            "表SF-13：师范技能竞赛奖励情况",
            "表SF-13",
            "师范技能竞赛奖励情况",
        ),
        (
            "x/表６-６-４ 学生获专业比赛奖励情况（艺术类专业用）.xls",
            "data",
            "表6-6-4",
            "学生获专业比赛奖励情况（艺术类专业用）",
        ),
        ("副本.xls", "表2-5 固定资产", "表2-5", "固定资产"),
        ("1-5-1教职工基本信息.xlsx", "Sheet1", "表1-5-1", "教职工基本信息"),
        ("固定资产.xls", " 固定资产", "", "固定资产"),
    ],
)
def test_the_table_is_named_by_its_file_and_sheet(filename, sheet, code, name):
    identity = identify(filename, sheet)
    assert (identity.code, identity.name) == (code, name)


def test_two_files_claiming_one_table_are_both_refused_naming_both():
    other = xlsx_template(" 教职工基本信息", ["工号", "姓名"])
    reading = read([*pack_2018(), ("表1-6-1 教职工基本信息（新）.xlsx", other)])
    assert reading.conflicts == [
        ("表1-6-1", ["表1-6-1 教职工基本信息.xls", "表1-6-1 教职工基本信息（新）.xlsx"])
    ]
    reasons = {s.name: s.reason for s in reading.skipped}
    assert "表1-6-1 教职工基本信息.xls" in reasons
    assert "表1-6-1 由两个文件声明" in reasons["表1-6-1 教职工基本信息（新）.xlsx"]
    assert "表1-6-1 教职工基本信息.xls" in reasons["表1-6-1 教职工基本信息（新）.xlsx"]
    assert "表1-6-1" not in {r.identity.code for r in reading.templates}


def test_the_same_file_twice_is_read_once():
    files = pack_2018()[:2]
    reading = read([*files, (f"副本/{files[0][0]}", files[0][1])])
    assert len(reading.templates) == 2
    assert "内容完全相同" in reading.skipped[0].reason


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (hostile.zip_bomb(), "压缩"),
        (hostile.macro_xlsm(), "宏"),
        (hostile.encrypted(), "密码"),
        (hostile.html_export(), "网页"),
        (hostile.not_a_workbook(), "不是"),
    ],
)
def test_a_hostile_file_is_refused_by_name_and_the_rest_is_read(content, words):
    files = pack_2018()[:2]
    reading = read([*files, ("表9-9 坏文件.xlsx", content)])
    assert len(reading.templates) == 2
    (skipped,) = reading.skipped
    assert skipped.name == "表9-9 坏文件.xlsx" and words in skipped.reason


def test_files_that_are_no_template_are_skipped_with_the_reason():
    empty_sheet = xlsx_template(" 空白", ["x"])
    from openpyxl import Workbook

    book = Workbook()
    out = io.BytesIO()
    book.save(out)
    reading = read(
        [
            *pack_2018()[:1],
            ("填报指南.pdf", b"%PDF-1.4"),
            ("说明.txt", "请按时填报".encode()),
            ("无表头.xlsx", out.getvalue()),
            ("内层.zip", zipped(pack_2018()[1:2])),
        ]
    )
    assert len(reading.templates) == 1 and empty_sheet
    reasons = {s.name: s.reason for s in reading.skipped}
    assert "不是 Excel 文件" in reasons["填报指南.pdf"] and "不是 Excel 文件" in reasons["说明.txt"]
    assert "没有找到表头行" in reasons["无表头.xlsx"]
    assert "压缩包中的压缩包" in reasons["内层.zip"]


def test_a_pack_with_nothing_usable_is_refused_naming_the_files():
    with pytest.raises(RejectedFile) as refused:
        read([("填报指南.pdf", b"%PDF-1.4"), ("表9-9 坏文件.xlsx", hostile.macro_xlsm())])
    assert "填报指南.pdf" in str(refused.value) and "表9-9 坏文件.xlsx" in str(refused.value)


def test_a_pack_beyond_its_bounds_is_refused_before_reading():
    many = zipped([(f"表1-{i} 表.xls", b"x") for i in range(packs.MAX_MEMBERS + 1)], junk=False)
    with pytest.raises(RejectedFile, match="501 个文件"):
        read_pack("多.zip", many)
    # A member that declares far more than a pack may unpack to.
    bomb = patch_member(
        zipped(pack_2018()[:1], gbk=False, junk=False),
        pack_2018()[0][0],
        size=packs.MAX_UNPACKED + 1,
    )
    with pytest.raises(RejectedFile, match="解压后"):
        read_pack("炸弹.zip", bomb)
    with pytest.raises(RejectedFile, match="已损坏"):
        read_pack("坏.zip", b"PK\x03\x04" + bytes(100))


def _with_sheet_xml(content: bytes, change) -> bytes:  # type: ignore[no-untyped-def]
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(content)) as old, zipfile.ZipFile(out, "w") as new:
        for info in old.infolist():
            data = old.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = change(data.decode()).encode()
            new.writestr(info, data)
    return out.getvalue()


def test_excel_2010_lists_on_another_sheet_are_read():
    """Excel 2010 and later write a list on another sheet as an x14 extension."""
    content = xlsx_template(" 教职工基本信息", ["工号", "学历"], hidden_lists={"学历": DEGREES})
    x14 = (
        '<extLst><ext uri="{CCE6A557-97BC-4b89-ADB6-D9C93CAAB3DF}" '
        'xmlns:x14="http://schemas.microsoft.com/office/spreadsheetml/2009/9/main">'
        '<x14:dataValidations count="1" xmlns:xm="http://schemas.microsoft.com/office/excel/2006/main">'
        '<x14:dataValidation type="list" allowBlank="1"><x14:formula1><xm:f>代码表!$A$1:$A$4</xm:f>'
        "</x14:formula1><xm:sqref>B2:B1048576</xm:sqref></x14:dataValidation></x14:dataValidations>"
        "</ext></extLst></worksheet>"
    )

    def excel_2010(xml: str) -> str:
        start = xml.index("<dataValidations")
        end = xml.index("</dataValidations>") + len("</dataValidations>")
        return (xml[:start] + xml[end:]).replace("</worksheet>", x14)

    template = read_template("表1-5-1 教职工基本信息.xlsx", _with_sheet_xml(content, excel_2010))
    assert template.codes == {"学历": DEGREES}


def test_a_list_that_cannot_be_read_says_so():
    content = xlsx_template(" 学生社团", ["社团名称", "社团类别"])

    def indirect(xml: str) -> str:
        rule = (
            '<dataValidations count="1"><dataValidation type="list" sqref="B2:B99">'
            "<formula1>INDIRECT(&quot;类别&quot;)</formula1></dataValidation></dataValidations>"
        )
        return xml.replace("<pageMargins", rule + "<pageMargins")

    template = read_template("表6-8 学生社团.xlsx", _with_sheet_xml(content, indirect))
    assert template.codes == {}
    assert template.notes == [
        '“社团类别”的下拉列表引用“INDIRECT("类别")”，无法读取；该列沿用原有代码表。'
    ]
