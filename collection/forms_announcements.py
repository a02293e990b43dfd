"""Forms of the announcement pages (collection/views_announcements.py)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.forms import StyledForm
from accounts.models import Unit
from collection.models import Cycle


class AnnouncementForm(StyledForm, forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    body = forms.CharField(
        label=_("Text"), widget=forms.Textarea(attrs={"rows": 8}), required=False
    )
    cycle = forms.ModelChoiceField(
        label=_("Year"), queryset=Cycle.objects.order_by("-year"), required=False
    )
    all_units = forms.BooleanField(label=_("To every unit"), required=False, initial=True)
    units = forms.ModelMultipleChoiceField(
        label=_("To these units"),
        queryset=Unit.objects.filter(active=True).order_by("code"),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 10}),
        help_text=_("Used when “To every unit” is not ticked. Hold Ctrl to choose several."),
    )


class AttachmentForm(StyledForm, forms.Form):
    file = forms.FileField(label=_("Attachment"))
