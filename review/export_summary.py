"""The package's texts for people: 汇总.xlsx (the manifest as a workbook) and 说明.txt.

Always Chinese, whatever the language of the page that started the export (review/export.py).
Both say which tables are written in this year's platform template and which in caiji's
standard layout because no template is loaded (review/export_layout.py), and every warning.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

import xlsxwriter

from collection.models import Cycle, TableReportState
from config.xlsx import TextCells
from review.export_layout import CAIJI, LAYOUT_TEXT, PLATFORM

if TYPE_CHECKING:
    from review.export import Package

R = TableReportState
HEADERS = [
    "表号",
    "表名",
    "状态",
    "行数",
    "文件",
    "文件 SHA-256",
    "内容哈希",
    "各单位版本",
    "二审",
    "采集小组审核",
    "学院审定",
    "版式",
    "平台模板文件",
    "模板 SHA-256",
]
WIDTHS = [10, 30, 10, 8, 40, 66, 66, 30, 24, 24, 24, 36, 40, 66]


def _layout_lines(package: Package) -> list[tuple[str, str]]:
    platform = [t.code for t in package.tables if t.layout != CAIJI]
    caiji = [t.code for t in package.tables if t.layout == CAIJI]
    lines = [("按平台模板", f"{len(platform)} 张表按本年度国家平台模板填写")]
    if caiji:
        lines.append(
            (
                "caiji 标准格式",
                f"{len(caiji)} 张表未加载本年度模板，按 caiji 标准格式导出（{'、'.join(caiji)}）；"
                "在年度采集页面载入本年度模板包后重新导出，文件即为平台模板本身。",
            )
        )
    return lines


def summary_xlsx(package: Package, cycle: Cycle) -> bytes:
    from review.export import STAGES, STATE_TEXT  # that module writes the package with this

    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    cells = TextCells(book)  # table and unit names stay text, never a formula
    bold = cells.format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
    warn = cells.format({"bold": True, "font_color": "#9C0006", "bg_color": "#FFC7CE"})
    sheet = book.add_worksheet("汇总")
    for col, (header, width) in enumerate(zip(HEADERS, WIDTHS, strict=True)):
        sheet.write_string(0, col, header, bold)
        sheet.set_column(col, col, width)
    sheet.freeze_panes(1, 0)
    for number, t in enumerate(package.tables, start=1):
        by_stage = {
            a["stage"]: f"{a['name']} {a['at'][:16].replace('T', ' ')}" for a in t.approvers
        }
        versions = "；".join(f"{v['unit_name']} 第{v['version']}版" for v in t.versions)
        values = [
            t.code,
            t.name,
            STATE_TEXT.get(R(t.state), t.state),
            t.rows,
            t.file,
            t.sha256,
            t.content_hash,
            versions,
            *(by_stage.get(str(stage), "") for stage in STAGES),
            LAYOUT_TEXT[t.layout],
            (t.template or {}).get("file", ""),
            (t.template or {}).get("sha256", ""),
        ]
        for col, value in enumerate(values):
            flagged = (col == 2 and not t.approved) or (col == 11 and t.layout != PLATFORM)
            cells.write(sheet, number, col, value, warn if flagged else None)
    _info_sheet(book, cells, bold, warn, package, cycle)
    if package.not_included:
        missing = book.add_worksheet("未包含的表")
        for col, header in enumerate(("表号", "表名", "原因")):
            missing.write_string(0, col, header, bold)
        missing.set_column(0, 0, 10)
        missing.set_column(1, 2, 40)
        for row, item in enumerate(package.not_included, start=1):
            cells.write_row(missing, row, 0, [item["code"], item["name"], item["reason"]])
    book.close()
    return out.getvalue()


def _info_sheet(
    book: xlsxwriter.Workbook,
    cells: TextCells,
    bold: object,
    warn: object,
    package: Package,
    cycle: Cycle,
) -> None:
    info = book.add_worksheet("说明")
    info.set_column(0, 0, 16)
    info.set_column(1, 1, 80)
    lines = [
        ("年度", f"{cycle.year}"),
        ("数据包", package.filename),
        ("生成时间", package.generated_at),
        ("生成人", (package.generated_by or {}).get("name", "命令行")),
        ("表数", str(len(package.tables))),
        ("数据行数", str(package.rows)),
        ("是否完整", "是" if package.complete else "否"),
        *_layout_lines(package),
    ]
    if package.unapproved:
        lines.append(
            (
                "注意",
                f"本数据包含未审定的表（{'、'.join(package.unapproved)}），请勿上传到国家平台。",
            )
        )
    lines += [("提醒", text) for text in package.warnings]
    for row, (key, value) in enumerate(lines):
        info.write_string(row, 0, key, bold)  # type: ignore[arg-type]
        flagged = key in ("注意", "提醒", "caiji 标准格式")
        cells.write(info, row, 1, value, warn if flagged else None)  # type: ignore[arg-type]


def readme(package: Package) -> bytes:
    from review.export import UNAPPROVED_DIR

    lines = [
        f"高等教育质量监测国家数据平台 {package.cycle} 年度数据包（caiji 导出）",
        "",
        "每张已审定的表一个文件：已载入本年度平台模板的表，文件就是平台下载的模板本身"
        "（同一文件类型、工作表名称、表头行和列顺序），数据写在表头下方，可直接在平台导入；",
        "未载入模板的表按 caiji 标准格式导出（一个工作表，第 1 行为表头）；",
        "json 文件夹为每张表的字段与数据（供平台接口报送使用）；",
        "manifest.json 与 汇总.xlsx 列出每张表的版式、行数、文件哈希、各单位版本和审核人。",
        "",
        *(f"{key}：{value}" for key, value in _layout_lines(package)),
    ]
    if package.unapproved:
        lines += [
            "",
            f"注意：本数据包含 {len(package.unapproved)} 张未审定的表，放在“{UNAPPROVED_DIR}”"
            "文件夹中，仅供核对，请勿上传到国家平台。",
        ]
    if package.warnings:
        lines += ["", "提醒：", *package.warnings]
    if package.not_included:
        lines += ["", "未包含的表（见 汇总.xlsx）："]
        lines += [f"{t['code']} {t['name']}：{t['reason']}" for t in package.not_included]
    return "\r\n".join(lines).encode("utf-8-sig") + b"\r\n"
