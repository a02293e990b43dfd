"""The online form of one record, generated from the table's spec.

Every field is plain text to the server: whatever the person types is kept and checked by the
table's validation like a cell of an uploaded file, so a wrong value becomes a finding, never a
form error or a crash. The widgets only help typing: a list for code and yes/no fields, a date
or month picker, a numeric keyboard on phones, the field's help and its maximum length.
"""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.forms import StyledForm
from collection.excel.template import FORMAT_EXAMPLES
from collection.schema import FieldSchema, FieldType, Finding, TableSchema

BOOL_CHOICES = ("是", "否")  # the platform's own values, stored as typed in the file
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
ISO_MONTH = re.compile(r"\d{4}-\d{2}")
YYYYMM = re.compile(r"(\d{4})(\d{2})")


def field_key(index: int) -> str:
    """The form field name of the schema's field ``index`` (header texts are not HTML names)."""
    return f"f{index}"


class RecordForm(StyledForm, forms.Form):
    """One row of a table: a field for each name in ``names``, pre-filled from ``row``."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)

    def __init__(
        self,
        data: Any = None,
        *,
        schema: TableSchema,
        names: list[str],
        row: list[str] | None,
        base: int,
    ) -> None:
        self.schema = schema
        self.names = names
        values = row or [""] * len(schema.headers)
        fields: dict[str, forms.Field] = {}
        initial: dict[str, object] = {"version": base}
        for index, spec in enumerate(schema.fields):
            if spec.name in names:
                key = field_key(index)
                fields[key] = _field(spec, values[index])
                initial[key] = _shown(spec, values[index])
        super().__init__(data, initial=initial)
        self.fields.update(fields)
        # StyledForm styled the fields present at its __init__: style the generated ones too.
        for key in fields:
            widget = self.fields[key].widget
            css = "form-select" if isinstance(widget, forms.Select) else "form-control"
            widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()

    def attach_findings(self, findings: list[Finding]) -> list[Finding]:
        """Show each finding under its field; return those about no field of this form."""
        keys = {spec.name: field_key(i) for i, spec in enumerate(self.schema.fields)}
        rest = []
        for finding in findings:
            key = keys.get(finding.column or "")
            if key in self.fields:
                self.fields[key].caiji_findings.append(finding)  # type: ignore[attr-defined]
            else:
                rest.append(finding)
        return rest

    def values(self) -> dict[str, str]:
        """The typed values by field name (only the fields of this form)."""
        return {
            spec.name: (self.cleaned_data.get(field_key(i)) or "")
            for i, spec in enumerate(self.schema.fields)
            if spec.name in self.names
        }


def _field(spec: FieldSchema, current: str) -> forms.Field:
    attrs: dict[str, Any] = {}
    widget: forms.Widget
    if spec.required:
        attrs["aria-required"] = "true"
    codes = spec.codes or (BOOL_CHOICES if spec.type == FieldType.BOOL else ())
    if codes and not spec.multi:
        choices = [("", "—"), *((c, c) for c in codes)]
        if current and current not in codes:
            choices.append((current, _("%(value)s (not in the code list)") % {"value": current}))
        widget = forms.Select(choices=choices, attrs=attrs)
    elif spec.type == FieldType.DATE and spec.format == "YYYY-MM-DD" and _fits(ISO_DATE, current):
        widget = forms.DateInput(attrs={**attrs, "type": "date"}, format="%Y-%m-%d")
    elif (
        spec.type == FieldType.DATE
        and spec.format in ("YYYY-MM", "YYYYMM")
        and (_fits(ISO_MONTH, _shown(spec, current)))
    ):
        widget = forms.TextInput(attrs={**attrs, "type": "month"})
    else:
        widget = forms.TextInput(attrs={**attrs, **_text_attrs(spec)})
    field = forms.CharField(
        label=spec.name,
        required=False,  # an empty required field is a finding of the version, as in a file
        strip=True,
        widget=widget,
        help_text=_help(spec),
    )
    field.caiji_required = spec.required  # type: ignore[attr-defined]
    field.caiji_findings = []  # type: ignore[attr-defined]
    return field


def _fits(pattern: re.Pattern[str], value: str) -> bool:
    return not value or bool(pattern.fullmatch(value))


def _shown(spec: FieldSchema, value: str) -> str:
    """The stored value as the widget wants it: a month picker takes 2023-09, not 202309."""
    if spec.type == FieldType.DATE and spec.format == "YYYYMM" and not spec.multi:
        match = YYYYMM.fullmatch(value)
        if match:
            return f"{match.group(1)}-{match.group(2)}"
    return value


def _text_attrs(spec: FieldSchema) -> dict[str, Any]:
    attrs: dict[str, Any] = {}
    if spec.max_len and spec.type == FieldType.TEXT and not spec.multi:
        attrs["maxlength"] = spec.max_len
    if spec.type == FieldType.INT:
        attrs["inputmode"] = "numeric"
    elif spec.type == FieldType.DECIMAL:
        attrs["inputmode"] = "decimal"
    elif spec.type == FieldType.DATE:
        attrs["inputmode"] = "numeric"
        attrs["placeholder"] = FORMAT_EXAMPLES.get(spec.format or "", "")
    elif spec.format == "mobile":
        attrs["inputmode"] = "tel"
    elif spec.format == "email":
        attrs["inputmode"] = "email"
    elif spec.format == "url":
        attrs["inputmode"] = "url"
    return attrs


def _help(spec: FieldSchema) -> str:
    parts = [spec.help] if spec.help else []
    if spec.type == FieldType.DATE and spec.format in FORMAT_EXAMPLES:
        parts.append(
            str(_("Format %(format)s, e.g. %(example)s."))
            % {"format": spec.format, "example": FORMAT_EXAMPLES[spec.format]}  # type: ignore[index]
        )
    if spec.max_len and spec.type == FieldType.TEXT:
        parts.append(str(_("At most %(count)s characters.")) % {"count": spec.max_len})
    if spec.multi:
        parts.append(str(_("Several values: separate them with a semicolon “;”.")))
        if spec.codes:
            parts.append(str(_("Allowed values: %(codes)s.")) % {"codes": "；".join(spec.codes)})
    return " ".join(parts)
