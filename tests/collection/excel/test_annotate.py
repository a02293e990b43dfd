import io

import openpyxl
import pytest
from python_calamine import CalamineWorkbook

from collection.excel.annotate import annotate
from collection.schema import Finding, ParsedSheet, Severity, catalog_schemas

SCHEMA = catalog_schemas()["表1-6"]  # 学号 学生姓名 性别 校内专业（大类）名称 … 年级 入学年份
RED, YELLOW, BLUE = "FFFFC7CE", "FFFFEB9C", "FFDDEBF7"
FORMULAS = ('=HYPERLINK("http://x","点我")', "+8613800000000", "-1+2", "@SUM(A1)")


def parsed(**kwargs) -> ParsedSheet:
    rows = [
        ["00123", FORMULAS[0], "男", "药学", "100701", "境内", "2023", "2023"],
        ["00124", FORMULAS[1], "男", "护理学", "", "境内", "2023", "2023"],
        ["00125", "李四", "女", FORMULAS[2], "101101", FORMULAS[3], "2022", "2022"],
    ]
    defaults = {"sheet_name": "学生", "header_row": 3}
    return ParsedSheet(schema=SCHEMA, rows=rows, row_numbers=[4, 6, 9], **(defaults | kwargs))


FINDINGS = [
    Finding(Severity.ERROR, "“学号”重复，请删除重复行。", row=4, column="学号", value="00123"),
    Finding(Severity.HINT, "学号较短，请核对。", row=4, column="学号", value="00123"),
    Finding(Severity.EXPLAIN, "性别与去年不同，请说明。", row=6, column="性别", value="男"),
    Finding(Severity.ERROR, "“校内专业（大类）代码”必填。", row=6, column="校内专业（大类）代码"),
    Finding(Severity.HINT, "年级早于入学年份？", row=9, column="年级", value="2022"),
    Finding(Severity.ERROR, "该行与第 4 行重复。", row=9),
    Finding(Severity.HINT, "多余的列“备注”已忽略。", row=3, column="备注", column_letter="J"),
    Finding(Severity.ERROR, "缺少列“入学年份”之外的模板标记。", row=None),
    Finding(Severity.EXPLAIN, "值看起来像公式。", row=6, column="学生姓名", value=FORMULAS[1]),
]


@pytest.fixture(scope="module")
def workbook():
    return openpyxl.load_workbook(io.BytesIO(annotate(parsed(), FINDINGS)))


def fill(cell) -> str | None:
    return cell.fill.fgColor.rgb if cell.fill.fill_type == "solid" else None


def test_summary_comes_first_then_the_data_sheet_under_the_users_name(workbook):
    assert workbook.sheetnames == ["校验结果", "学生"]


def test_rows_keep_their_excel_row_numbers(workbook):
    ws = workbook["学生"]
    assert [c.value for c in ws[3]] == SCHEMA.headers
    assert all(c.value is None for row in (1, 2, 5, 7, 8) for c in ws[row])
    assert [ws.cell(n, 1).value for n in (4, 6, 9)] == ["00123", "00124", "00125"]
    assert ws["E6"].value is None  # an empty cell stays empty
    assert ws.freeze_panes == "A4"


def test_fills_follow_the_worst_severity_of_the_cell(workbook):
    ws = workbook["学生"]
    assert fill(ws["A4"]) == RED  # error and hint on one cell: red wins
    assert fill(ws["C6"]) == YELLOW
    assert fill(ws["E6"]) == RED  # an empty cell is still marked
    assert fill(ws["G9"]) == BLUE
    assert fill(ws["A9"]) == RED  # a row finding without a column marks the first cell
    assert fill(ws["B4"]) is None and fill(ws["C9"]) is None


def test_messages_are_cell_comments(workbook):
    ws = workbook["学生"]
    assert ws["A4"].comment.text == "【错误】“学号”重复，请删除重复行。\n【提示】学号较短，请核对。"
    assert "请说明" in ws["C6"].comment.text
    assert "与第 4 行重复" in ws["A9"].comment.text
    assert "“备注”" in ws["A3"].comment.text  # unknown column: first cell of its row
    comments = [c.comment.text for row in ws.iter_rows() for c in row if c.comment]
    assert not any("模板标记" in text for text in comments)  # sheet-level: summary only


def test_summary_counts_and_lists_every_finding(workbook):
    ws = workbook["校验结果"]
    assert ws["A1"].value == "表1-6 本科生基本情况 校验结果"
    counts = {ws.cell(r, 1).value: ws.cell(r, 2).value for r in (3, 4, 5)}
    assert counts == {"错误": 4, "需说明": 2, "提示": 3}
    assert fill(ws["A3"]) == RED
    assert [c.value for c in ws[7]] == ["行", "列", "列名", "值", "级别", "说明"]
    table = [[c.value for c in row] for row in ws.iter_rows(min_row=8)]
    assert len(table) == len(FINDINGS)
    assert table[0] == [None, None, None, None, "错误", "缺少列“入学年份”之外的模板标记。"]
    assert table[1][:5] == [3, "J", "备注", None, "提示"]
    assert [row[0] for row in table[1:]] == [3, 4, 4, 6, 6, 6, 9, 9]
    assert ws["A9"].hyperlink.location == "'学生'!A3"
    assert ws["A10"].hyperlink.location == "'学生'!A4"
    assert ws["A8"].hyperlink is None


def test_formula_like_text_stays_text(workbook):
    ws = workbook["学生"]
    cells = [ws["B4"], ws["B6"], ws["D9"], ws["F9"]]
    assert [c.value for c in cells] == list(FORMULAS)
    assert all(c.data_type == "s" for c in cells)
    summary = workbook["校验结果"]
    value = next(c for c in summary["D"] if c.value == FORMULAS[1])
    assert value.data_type == "s"


def read(data: bytes, sheet: str = "学生") -> list[list]:
    """With python-calamine, the project's reader, which also decodes Excel's _xHHHH_ escapes."""
    book = CalamineWorkbook.from_filelike(io.BytesIO(data))
    return book.get_sheet_by_name(sheet).to_python(skip_empty_area=False)


def test_the_project_reader_sees_the_same_text():
    rows = read(annotate(parsed(), FINDINGS))
    assert rows[2] == SCHEMA.headers
    assert rows[3][:2] == ["00123", FORMULAS[0]]
    assert rows[8][3] == FORMULAS[2]


def test_awkward_text_survives():
    awkward = ["a<b>&c", " 前后空格 ", "响\x07铃", "_x0041_", "x" * 40_000]
    sheet = parsed(header_row=1)
    sheet.rows[0][1:6] = awkward
    assert read(annotate(sheet, []))[3][1:6] == [*awkward[:4], "x" * 32_767]


def test_unusable_sheet_names_fall_back_to_the_schemas():
    for name in ("", "a:b", "校验结果", "x" * 32):
        wb = openpyxl.load_workbook(io.BytesIO(annotate(parsed(sheet_name=name), [])))
        assert wb.sheetnames == ["校验结果", SCHEMA.sheet_name]
