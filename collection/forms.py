from typing import Any

from django import forms
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from accounts.forms import StyledForm
from accounts.notifications import mask_url
from collection.models import Cycle, DependencyMode, FieldSpec
from collection.selectors import SET_LABELS


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


class CycleSupplementsForm(forms.Form):
    """The supplementary table sets the college fills (Cycle.supplements)."""

    supplements = forms.MultipleChoiceField(
        label=_("Supplementary table sets"),
        choices=[(value, label) for value, label in SET_LABELS.items()],
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
        help_text=_(
            "Tick the sets the college fills by its 专业类别: the teacher education set "
            "(师范类专业补充表, 表SF) for 师范类 majors, the medical set (医学类专业补充表) for "
            "medical majors, the engineering set (工科类专业补充表, 表GK) for engineering "
            "majors. The tables of an unticked set stay out of the task breakdown, the "
            "templates, the dashboard and the export; a table already in the task breakdown "
            "stays in it."
        ),
    )


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
                    for f in (
                        "YYYY",
                        "YYYY-MM",
                        "YYYYMM",
                        "YYYY-MM-DD",
                        "url",
                        "mobile",
                        "email",
                        "percent",
                    )
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


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files from one field (Django's own recipe)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        one = super().clean
        if isinstance(data, list | tuple):
            return [one(item, initial) for item in data] if data else [one(None, initial)]
        return [one(data, initial)]


class TemplatePackForm(StyledForm, forms.Form):
    """The year's template pack: the .zip as downloaded, or the template files chosen at once."""

    templates = MultipleFileField(
        label=_("The template pack (.zip) or the template files (.xls/.xlsx)"),
        widget=MultipleFileInput(attrs={"accept": ".zip,.xls,.xlsx"}),
        error_messages={
            "required": _(
                "Choose the template pack (.zip) as downloaded from the platform, or the "
                "template files (.xls/.xlsx) themselves, and upload again."
            )
        },
        help_text=_(
            "Download the year's blank templates from the platform (批量下载模板) and upload the "
            "zip file as it came, or select all template files at once (at most 100 files; "
            "upload the zip when there are more). Nothing changes until you have read the change "
            "report and confirmed it."
        ),
    )

    def clean_templates(self) -> list[Any]:
        from django.utils.translation import gettext

        from collection.templatepack import messages as msg
        from collection.templatepack.pack import MAX_PACK_BYTES

        found = self.cleaned_data["templates"]
        total = sum(f.size or 0 for f in found)
        if total > MAX_PACK_BYTES:
            raise forms.ValidationError(
                gettext(msg.PACK_TOO_BIG)
                % {"size": round(total / 1048576, 1), "limit": MAX_PACK_BYTES // 1048576}
            )
        return list(found)
