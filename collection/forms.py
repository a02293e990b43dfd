from typing import Any

from django import forms
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from accounts.forms import StyledForm
from accounts.notifications import mask_url
from collection.models import Cycle, DependencyMode, FieldSpec


class CycleCreateForm(StyledForm, forms.Form):
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
    previous = forms.ModelChoiceField(
        label=_("Copy from"),
        queryset=Cycle.objects.all(),
        required=False,
        empty_label=_("The project catalog (first cycle)"),
        help_text=_("A new year normally starts from last year's tables, which you then adjust."),
    )


class CycleDatesForm(StyledForm, forms.ModelForm):
    # Not required, so that a form without it keeps the cycle's setting.
    dependency_mode = forms.ChoiceField(
        label=_("Unfinished prerequisite tables"),
        choices=DependencyMode.choices,
        required=False,
        help_text=_(
            "What a table shows while the tables it depends on (基础表) are not yet delivered."
        ),
    )
    webhook_url = forms.URLField(
        label=capfirst(Cycle._meta.get_field("webhook_url").verbose_name),
        max_length=500,
        required=False,
        assume_scheme="https",
        help_text=_(
            "Optional: the address of a WeCom or DingTalk group robot. Publication, "
            "returns, approvals and the daily overdue list are posted to the group."
        ),
    )

    class Meta:
        model = Cycle
        fields = [
            "snapshot_date",
            "academic_start",
            "academic_end",
            "natural_start",
            "natural_end",
            "deployment_deadline",
            "collection_deadline",
            "review_deadline",
            "dependency_mode",
            "change_threshold",
            "change_floor",
            "webhook_url",
        ]
        widgets = {
            name: forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
            for name in fields
            if name not in ("dependency_mode", "webhook_url", "change_threshold", "change_floor")
        }
        help_texts = {
            "change_threshold": _(
                "Year over year: a change beyond this percentage asks for an explanation "
                "(a column may set its own)."
            ),
            "change_floor": _("Changes smaller than this never ask for an explanation."),
        }

    def clean_dependency_mode(self) -> str:
        return str(self.cleaned_data.get("dependency_mode") or self.instance.dependency_mode)

    def clean_change_threshold(self) -> Any:
        value = self.cleaned_data.get("change_threshold")
        return self.instance.change_threshold if value is None else value

    def clean_change_floor(self) -> Any:
        value = self.cleaned_data.get("change_floor")
        return self.instance.change_floor if value is None else value

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("change_threshold", "change_floor"):  # a form without them keeps them
            self.fields[name].required = False
        # The robot address carries its secret key: pages show it masked.
        self.initial["webhook_url"] = mask_url(self.instance.webhook_url)

    def clean_webhook_url(self) -> str:
        """The masked address sent back (or no field at all) keeps the address."""
        value = (self.cleaned_data.get("webhook_url") or "").strip()
        current = self.instance.webhook_url
        if "webhook_url" not in self.data or (current and value == mask_url(current)):
            return current
        return value


class FieldSpecForm(StyledForm, forms.ModelForm):
    codes = forms.CharField(
        label=_("Allowed values"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("One value per line; empty means any value."),
    )

    class Meta:
        model = FieldSpec
        fields = [
            "required",
            "max_len",
            "format",
            "multi",
            "help",
            "change_threshold",
            "change_floor",
        ]
        help_texts = {
            "change_threshold": _(
                "Numbers only: a change from last year beyond this percentage asks for an "
                "explanation. Empty: the cycle's setting."
            ),
            "change_floor": _(
                "Changes smaller than this (in the field's unit) never ask for an explanation, "
                "so that small numbers do not flap. Empty: the cycle's setting."
            ),
        }
        widgets = {
            "help": forms.Textarea(attrs={"rows": 3}),
            "format": forms.Select(
                choices=[("", "—")]
                + [
                    (f, f)
                    for f in ("YYYY", "YYYY-MM", "YYYYMM", "YYYY-MM-DD", "url", "mobile", "email")
                ]
            ),
        }

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        instance = self.instance
        if instance and instance.code_list_id:
            self.fields["codes"].initial = "\n".join(instance.code_list.values)

    def clean_codes(self) -> list[str]:
        lines = [line.strip() for line in self.cleaned_data["codes"].splitlines()]
        return list(dict.fromkeys(line for line in lines if line))


class TemplateUploadForm(StyledForm, forms.Form):
    file = forms.FileField(label=_("The platform's blank template (.xls or .xlsx)"))


class CheckForm(StyledForm, forms.Form):
    table = forms.ChoiceField(label=_("Table"))
    file = forms.FileField(label=_("Filled template (.xlsx, .xls or .csv)"), allow_empty_file=True)

    def __init__(self, *args: object, tables: list[tuple[str, str]], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["table"].choices = tables
