"""Forms of the workflow pages: they validate input only; the services do the rest."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import zip_longest
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from accounts.forms import StyledForm
from collection.models import TableSpec
from collection.selectors import table_schema
from config.input import EXPLANATION_MAX, REASON_MAX, REMARK_MAX


class VersionUploadForm(StyledForm, forms.Form):
    file = forms.FileField(
        label=_("Filled template (.xlsx, .xls or .csv)"),
        allow_empty_file=True,
        widget=forms.ClearableFileInput(
            attrs={"accept": ".xlsx,.xls,.csv", "data-upload-input": ""}
        ),
    )


class ReturnForm(StyledForm, forms.Form):
    """A reason and cell remarks. The remarks come as parallel lists ``remark_row``,
    ``remark_column`` and ``remark_text`` (one entry per remark line of the page); a line left
    wholly blank is skipped. ``cleaned_data["remarks"]`` is [{row, column, text}]."""

    BLANK_REMARKS = 3
    MAX_REMARKS = 200

    reason = forms.CharField(
        label=_("Reason for the return"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,  # the transition refuses an empty reason with its own message
        max_length=REASON_MAX,
    )

    def __init__(self, *args: Any, columns: Sequence[str] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.columns = list(columns)
        self.blank_remarks = range(self.BLANK_REMARKS)

    @classmethod
    def for_table(cls, table: TableSpec, data: Any = None) -> ReturnForm:
        """The form whose remark columns are the table's headers."""
        return cls(data, columns=table_schema(table).headers)

    def valid_remarks(self) -> list[dict[str, Any]]:
        """The remarks of a bound form, or a ValidationError with every problem of the form."""
        if not self.is_valid():
            raise ValidationError([m for errors in self.errors.values() for m in errors])
        return list(self.cleaned_data["remarks"])

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        cleaned["remarks"] = self._remarks()
        return cleaned

    def _remarks(self) -> list[dict[str, Any]]:
        get = getattr(self.data, "getlist", None)
        if get is None:
            return []
        lines = zip_longest(
            get("remark_row"), get("remark_column"), get("remark_text"), fillvalue=""
        )
        found: list[dict[str, Any]] = []
        for n, (row, column, text) in enumerate(lines, start=1):
            row, column, text = str(row).strip(), str(column).strip(), str(text).strip()
            if not (row or column or text):
                continue
            if not text:
                self.add_error(
                    None,
                    _("Remark %(n)s has no text: say what is wrong there, or clear the line.")
                    % {"n": n},
                )
            number = None
            if row:
                number = int(row) if row.isdigit() and int(row) > 0 else None
                if number is None:
                    self.add_error(
                        None,
                        _("Remark %(n)s: “%(row)s” is not a row number; enter a whole number.")
                        % {"n": n, "row": row[:20]},
                    )
            if len(text) > REMARK_MAX:
                self.add_error(
                    None,
                    _(
                        "Remark %(n)s is %(length)s characters long; at most %(max)s are "
                        "accepted: say it shorter, or put the details in the reason."
                    )
                    % {"n": n, "length": len(text), "max": REMARK_MAX},
                )
            if column and self.columns and column not in self.columns:
                self.add_error(
                    None,
                    _(
                        "Remark %(n)s: the table has no column “%(column)s”; choose one from the list."
                    )
                    % {"n": n, "column": column[:50]},
                )
            found.append({"row": number, "column": column or None, "text": text})
        if len(found) > self.MAX_REMARKS:
            self.add_error(
                None,
                _("At most %(max)s remarks can go with one return: put the rest in the reason.")
                % {"max": self.MAX_REMARKS},
            )
        return found


class ExplanationForm(StyledForm, forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    finding_key = forms.CharField(max_length=300, widget=forms.HiddenInput)
    text = forms.CharField(
        label=_("Explanation"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        max_length=EXPLANATION_MAX,
    )


class PackageImportForm(StyledForm, forms.Form):
    package = forms.FileField(
        label=_("Last year's exported package (.zip, one .xlsx per table)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".zip"}),
    )


class CycleCloseForm(StyledForm, forms.Form):
    """Closing the cycle (已上传): the office confirms, with an optional note for the audit."""

    confirm = forms.BooleanField(
        label=_(
            "The approved data has been imported into the national platform: close the cycle. "
            "It cannot be changed afterwards."
        ),
    )
    reason = forms.CharField(
        label=_("Note for the audit trail (optional)"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        max_length=REASON_MAX,
    )
