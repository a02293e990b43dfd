"""Forms of the workflow pages: they validate input only; the services do the rest."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.forms import StyledForm


class VersionUploadForm(StyledForm, forms.Form):
    file = forms.FileField(label=_("Filled template (.xlsx, .xls or .csv)"), allow_empty_file=True)


class ReturnForm(StyledForm, forms.Form):
    reason = forms.CharField(
        label=_("Reason for the return"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,  # the transition refuses an empty reason with its own message
    )


class ExplanationForm(StyledForm, forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    finding_key = forms.CharField(max_length=300, widget=forms.HiddenInput)
    text = forms.CharField(
        label=_("Explanation"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
