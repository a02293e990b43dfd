"""The dashboard's chart (pygal, inline SVG) and its progress report (.xlsx, xlsxwriter), drawn
from the figures of ``review.dashboard.dashboard``."""

from __future__ import annotations

import datetime
import io

from django.utils.translation import gettext_lazy as _

from config.xlsx import TextCells
from review.dashboard import Dashboard


def _without_scripts(root):  # type: ignore[no-untyped-def]
    """pygal puts a configuration <script> and a <style> into every SVG and hides its tooltip
    with a style attribute: the Content-Security-Policy allows no inline script or style, so they
    go (static/css/caiji.css styles the chart, colours included). Its <title> (shown on hover)
    says "Pygal" unless the chart has a title: it names the chart instead."""
    for parent in list(root.iter()):
        parent.attrib.pop("style", None)
        tag = parent.tag.rsplit("}", 1)[-1] if isinstance(parent.tag, str) else ""
        if tag == "title" and parent.text == "Pygal":
            parent.text = str(_("Progress"))
        for child in list(parent):
            if isinstance(child.tag, str) and child.tag.rsplit("}", 1)[-1] in ("script", "style"):
                parent.remove(child)
    return root


def progress_chart(progress: list[tuple[datetime.date, int, int]]) -> str:
    """The progress over time as an inline SVG (pygal, rendered here: no script, no CDN):
    contributions delivered and tables approved, cumulated day by day."""
    import pygal
    from pygal.style import Style

    style = Style(
        background="transparent",
        plot_background="transparent",
        colors=("#0d6efd", "#198754"),
        font_family="inherit",
    )
    chart = pygal.Line(
        style=style,
        js=[],
        disable_xml_declaration=True,
        height=280,
        width=900,
        legend_at_bottom=True,
        show_dots=len(progress) <= 40,
        x_label_rotation=30,
        show_minor_x_labels=len(progress) <= 15,
        x_labels_major_every=max(1, len(progress) // 10),
        no_data_text=str(_("Nothing delivered yet")),
        print_values=False,
        truncate_legend=-1,
    )
    chart.add_xml_filter(_without_scripts)
    chart.x_labels = [day.strftime("%m-%d") for day, _d, _a in progress]
    delivered = approved = 0
    delivered_line, approved_line = [], []
    for _day, d, a in progress:
        delivered, approved = delivered + d, approved + a
        delivered_line.append(delivered)
        approved_line.append(approved)
    chart.add(str(_("Contributions delivered")), delivered_line)
    chart.add(str(_("Tables approved")), approved_line)
    return str(chart.render(is_unicode=True))


def progress_workbook(board: Dashboard) -> bytes:
    """The progress report (.xlsx): a sheet with a row per table, one with a row per unit and
    one with every overdue contribution. Names are the units' and tables' own, so every cell goes
    through TextCells: text stays text (never a formula or a link), numbers stay numbers."""
    import xlsxwriter

    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    cells = TextCells(book)
    bold = cells.format({"bold": True})
    tables = book.add_worksheet(str(_("Tables")))
    headers = [
        _("Table"),
        _("Table name"),
        _("Category"),
        _("Responsible unit"),
        _("State"),
        _("Contributions delivered"),
        _("Contributions"),
        _("Returns"),
        _("Deadline"),
        _("Late"),
    ]
    cells.write_row(tables, 0, 0, [str(h) for h in headers], bold)
    yes, no = str(_("Yes")), str(_("No"))
    for i, t in enumerate(board.tables, start=1):
        cells.write_row(
            tables,
            i,
            0,
            [
                t.code,
                t.name,
                t.category,
                t.responsible_name,
                t.state_label(),
                t.delivered,
                t.total,
                t.returns,
                t.deadline.isoformat() if t.deadline else "",
                yes if t.late else no,
            ],
        )
    tables.freeze_panes(1, 0)
    tables.set_column(0, 0, 12)
    tables.set_column(1, 1, 36)
    tables.set_column(2, 4, 18)
    tables.set_column(5, 9, 12)
    units = book.add_worksheet(str(_("Units")))
    headers = [
        _("Unit code"),
        _("Unit"),
        _("Contributions"),
        _("Delivered"),
        _("On time"),
        _("Late"),
        _("Overdue"),
        _("Returns"),
    ]
    cells.write_row(units, 0, 0, [str(h) for h in headers], bold)
    for i, u in enumerate(board.units, start=1):
        cells.write_row(
            units,
            i,
            0,
            [u.code, u.name, u.total, u.delivered, u.on_time, u.late, u.overdue, u.returns],
        )
    units.freeze_panes(1, 0)
    units.set_column(0, 0, 10)
    units.set_column(1, 1, 24)
    units.set_column(2, 7, 10)
    late = book.add_worksheet(str(_("Overdue")))
    headers = [_("Table"), _("Table name"), _("Unit"), _("State"), _("Deadline"), _("Days late")]
    cells.write_row(late, 0, 0, [str(h) for h in headers], bold)
    for i, (t, c) in enumerate(board.overdue, start=1):
        deadline = c.deadline.isoformat() if c.deadline else ""
        row = [t.code, t.name, c.unit_name, c.state_label(), deadline, c.days_late]
        cells.write_row(late, i, 0, row)
    late.freeze_panes(1, 0)
    late.set_column(0, 0, 12)
    late.set_column(1, 2, 30)
    late.set_column(3, 5, 14)
    book.close()
    return out.getvalue()
