"""Which layout each table of the export package is written in, and its file.

Where the office loaded this year's platform template for a table (``TableSpec.template``), the
table's file is that template filled with the rows (``collection.excel.templatefill``): the same
file type, sheets, sheet name and header row, so that the platform's import takes it. Without a
loaded template, the table is written in caiji's standard layout (``collection.excel.export``),
and the package, its manifest and the export page say so.

The package's own texts are Chinese whatever the page's language (as in review/export.py).
"""

from __future__ import annotations

import hashlib
import re
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from collection.excel.export import table_xlsx
from collection.excel.templatefill import (
    XLS_MAX_ROWS,
    TemplateError,
    TemplateSource,
    fill_template,
)
from collection.models import TableReport, TableSpec
from collection.models_templates import TemplateFile
from collection.schema import TableSchema
from collection.services.uploads import unpack

PLATFORM = "platform-template"
PLATFORM_AS_XLSX = "platform-template-as-xlsx"  # an .xls template too small for the rows
CAIJI = "caiji"
LAYOUT_TEXT = {
    PLATFORM: "按本年度国家平台模板",
    PLATFORM_AS_XLSX: "按本年度国家平台模板的版式写成 .xlsx（行数超过 .xls 上限）",
    CAIJI: "caiji 标准格式：未加载本年度模板",
}


@dataclass
class TableFile:
    name: str  # in the package, without the folder
    content: bytes
    layout: str
    template: dict[str, Any] | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def sheet(self) -> str:
        """The sheet's name in the file: the template's, when the template was filled."""
        return self.template["sheet"] if self.template and self.layout != CAIJI else ""


def table_filename(schema: TableSchema, extension: str = "xlsx") -> str:
    # As the templates: a "/" would make a folder, the others are refused by Windows.
    return re.sub(r'[\\/:*?"<>|]', "_", f"{schema.code} {schema.name}") + f".{extension}"


def template_info(template: TemplateFile) -> dict[str, Any]:
    return {
        "file": template.filename,
        "sha256": template.sha256,
        "kind": template.kind,
        "sheet": template.sheet_name,
        "header_row": template.header_row,
    }


def _template_bytes(template: TemplateFile) -> bytes:
    try:
        with template.file.open("rb") as handle:
            content = handle.read()
    except OSError as exc:
        raise TemplateError("模板文件在文件存储中找不到或无法读取") from exc
    if hashlib.sha256(content).hexdigest() != template.sha256:
        raise TemplateError("保存的模板文件与载入时的 SHA-256 不一致")
    return content


def _quoted(names: Sequence[str]) -> str:
    return "、".join(f"“{n}”" for n in names)


def table_file(spec: TableSpec, schema: TableSchema, rows: Sequence[Sequence[str]]) -> TableFile:
    """The table's file in the platform's template when one is loaded, else caiji's layout."""
    template = spec.template
    if template is None:
        return TableFile(table_filename(schema), table_xlsx(schema, rows), CAIJI)
    info = template_info(template)
    try:
        source = TemplateSource(
            template.kind, _template_bytes(template), template.sheet_name, template.header_row
        )
        filled = fill_template(source, schema, rows)
    except TemplateError as exc:
        return TableFile(
            table_filename(schema),
            table_xlsx(schema, rows),
            CAIJI,
            info,
            [
                f"{schema.code}：载入的平台模板“{template.filename}”无法填写（{exc}），"
                "已按 caiji 标准格式导出，平台可能不接受；请重新载入本年度模板包后再导出。"
            ],
        )
    warnings = []
    if filled.overflow:
        warnings.append(
            f"{schema.code}：共 {len(rows)} 行，超过 .xls 文件最多可容纳的 "
            f"{XLS_MAX_ROWS - template.header_row} 行数据（平台模板是 .xls），已按模板的版式写成 "
            ".xlsx 文件；请先确认平台是否接受 .xlsx，或向平台咨询分批导入。"
        )
    if filled.unplaced_fields:
        warnings.append(
            f"{schema.code}：字段{_quoted(filled.unplaced_fields)}在本年度模板中没有对应的列，"
            "未导出；请核对模板与数据表的字段。"
        )
    if filled.empty_columns:
        warnings.append(
            f"{schema.code}：模板的列{_quoted(filled.empty_columns)}在 caiji 中没有对应字段，"
            "导出时留空。"
        )
    if filled.replaced_rows:
        warnings.append(
            f"{schema.code}：模板表头下方原有 {filled.replaced_rows} 行内容（示例行），"
            "已由审定数据替换。"
        )
    return TableFile(
        table_filename(schema, filled.kind),
        filled.content,
        PLATFORM_AS_XLSX if filled.overflow else PLATFORM,
        info,
        warnings,
    )


def rows_at_most(report: TableReport) -> int:
    """An upper bound of the rows stored for ``report``, without decoding them: the stored JSON
    separates rows by "],[" (a value holding that text only raises the bound)."""
    if not report.merged_blob:
        return 0
    return zlib.decompress(bytes(report.merged_blob)).count(b"],[") + 1


def layout_view(report: TableReport, *, count_rows: bool) -> dict[str, Any]:
    """What the export page says of a table's layout (the page words it). With ``count_rows``
    (approved tables), a table too long for its .xls template is marked with its rows."""
    template = report.assignment.table.template
    if template is None:
        return {"layout": CAIJI, "template": None, "overflow": 0}
    limit = XLS_MAX_ROWS - template.header_row
    overflow = 0
    if count_rows and template.kind == TemplateFile.Kind.XLS and rows_at_most(report) > limit:
        data = unpack(report.merged_blob)  # the exact count, only for a table near the limit
        rows = len(data.get("rows", [])) if isinstance(data, dict) else 0
        overflow = rows if rows > limit else 0
    return {
        "layout": PLATFORM_AS_XLSX if overflow else PLATFORM,
        "template": template,
        "overflow": overflow,
        "limit": limit,
    }


def export_layouts(readiness: dict[str, Any]) -> dict[str, Any]:
    """The export page's layout lists: (report, layout) pairs of the approved and the waiting
    tables, how many go out in the platform's template and in caiji's layout, and the approved
    tables too long for their .xls template."""
    ready = [(r, layout_view(r, count_rows=True)) for r in readiness["ready"]]
    waiting = [(r, layout_view(r, count_rows=False)) for r in readiness["waiting"]]
    both = ready + waiting
    return {
        "ready_rows": ready,
        "waiting_rows": waiting,
        "in_template": sum(view["layout"] != CAIJI for _r, view in both),
        "in_caiji": sum(view["layout"] == CAIJI for _r, view in both),
        "overflow": [(r, view) for r, view in ready if view["overflow"]],
    }
