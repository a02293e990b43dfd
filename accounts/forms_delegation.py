"""Forms of the delegation pages (accounts/views/delegation.py)."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.delegation import DELEGABLE, delegable_pairs
from accounts.forms import StyledForm
from accounts.models import Unit, User
from accounts.roles import UnitRole


def _person(p: User) -> str:
    return f"{p.name}（{p.username}）"


class DateInput(forms.DateInput):
    input_type = "date"


class DelegationForm(StyledForm, forms.Form):
    """A person hands on one of their own roles."""

    what = forms.ChoiceField(label=_("Role to hand on"))
    delegate = forms.ModelChoiceField(label=_("Colleague"), queryset=User.objects.none())
    starts_on = forms.DateField(label=_("From"), widget=DateInput)
    ends_on = forms.DateField(label=_("Until (included)"), widget=DateInput)
    reason = forms.CharField(
        label=_("Reason"), required=False, max_length=500, help_text=_("e.g. 出差、休假")
    )

    def __init__(self, *args: object, user: User, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.pairs = {
            f"{unit.pk}:{role.value}": (unit, role) for unit, role in delegable_pairs(user)
        }
        self.fields["what"].choices = [  # type: ignore[attr-defined]
            (key, f"{role.label} · {unit.name}") for key, (unit, role) in self.pairs.items()
        ]
        units = {unit.pk for unit, _role in self.pairs.values()}
        self.fields["delegate"].queryset = (  # type: ignore[attr-defined]
            User.objects.filter(is_active=True, unit_id__in=units)
            .exclude(pk=user.pk)
            .order_by("unit__code", "username")
        )
        self.fields["delegate"].label_from_instance = _person  # type: ignore[attr-defined]
        self.fields["starts_on"].initial = timezone.localdate()

    def pair(self) -> tuple[Unit, UnitRole]:
        return self.pairs[self.cleaned_data["what"]]


class OfficeDelegationForm(StyledForm, forms.Form):
    """The office sets up a delegation for someone."""

    delegator = forms.ModelChoiceField(
        label=_("Person handing on the role"),
        queryset=User.objects.filter(is_active=True).order_by("username"),
    )
    unit = forms.ModelChoiceField(
        label=_("Unit"), queryset=Unit.objects.filter(active=True).order_by("code")
    )
    role = forms.ChoiceField(label=_("Role"), choices=[(r.value, r.label) for r in DELEGABLE])
    delegate = forms.ModelChoiceField(
        label=_("Colleague"), queryset=User.objects.filter(is_active=True).order_by("username")
    )
    starts_on = forms.DateField(label=_("From"), widget=DateInput)
    ends_on = forms.DateField(label=_("Until (included)"), widget=DateInput)
    reason = forms.CharField(label=_("Reason"), required=False, max_length=500)

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        for name in ("delegator", "delegate"):
            self.fields[name].label_from_instance = _person  # type: ignore[attr-defined]
