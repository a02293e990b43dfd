from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import NON_FIELD_ERRORS
from django.utils.translation import gettext_lazy as _

from accounts.models import Unit, User
from accounts.roles import CollegeRole, UnitRole


class StyledForm:
    """Give every widget its Bootstrap class, so templates render fields plainly."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[call-arg]
        for field in self.fields.values():  # type: ignore[attr-defined]
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
                css = "form-check-input"
            elif isinstance(widget, forms.Select):
                css = "form-select"
            else:
                css = "form-control"
            widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()


class SignInForm(AuthenticationForm):
    username = forms.CharField(
        label=_("Staff ID"),
        max_length=30,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username"}),
    )
    error_messages = {
        "invalid_login": _(
            "The staff ID or password is wrong. Check both (passwords are case-sensitive) "
            "and try again; after 5 failures the account is locked for a while."
        ),
        "inactive": _("This account has been deactivated. Ask the office to activate it."),
        # A wrong password past CAIJI_LOGIN_RATE (config/ratelimit.py); the right one still
        # signs in, so say so rather than "wait".
        "too_many_failures": _(
            "The staff ID or password is wrong, and there have been too many failed sign-ins "
            "from your network in a short time. Check both carefully before you try again "
            "(passwords are case-sensitive): the right staff ID and password still sign you in."
        ),
    }

    def clean_username(self) -> str:
        return self.cleaned_data["username"].strip()

    def refuse_as_too_many_failures(self) -> bool:
        """Replace the "wrong staff ID or password" error with the one saying the network is
        over the limit; False (nothing changed) when the form failed for another reason."""
        if not self.has_error(NON_FIELD_ERRORS, "invalid_login"):
            return False
        self.errors[NON_FIELD_ERRORS] = self.error_class(
            [str(self.error_messages["too_many_failures"])], error_class="nonfield"
        )
        return True

    def get_invalid_login_error(self) -> forms.ValidationError:
        # The default backend refuses inactive people like wrong passwords; tell them the truth
        # when the password was right, so they ask the office instead of retrying.
        person = User.objects.filter(username=self.cleaned_data.get("username")).first()
        if (
            person is not None
            and not person.is_active
            and person.check_password(self.cleaned_data.get("password") or "")
        ):
            return forms.ValidationError(self.error_messages["inactive"], code="inactive")
        return super().get_invalid_login_error()


class OwnPasswordChangeForm(StyledForm, PasswordChangeForm):
    pass


class UnitForm(StyledForm, forms.ModelForm):
    class Meta:
        model = Unit
        fields = ["code", "name", "kind", "active"]


class PersonForm(StyledForm, forms.ModelForm):
    class Meta:
        model = User
        fields = ["username", "name", "unit", "phone", "email", "is_active"]
        labels = {"is_active": _("active")}


class PersonCreateForm(PersonForm):
    password = forms.CharField(
        label=_("Initial password"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("The person must change it at the first sign-in."),
    )

    class Meta(PersonForm.Meta):
        fields = ["username", "name", "unit", "phone", "email"]

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        validate_password(password)
        return password


class PersonEditForm(PersonForm):
    class Meta(PersonForm.Meta):
        fields = ["name", "unit", "phone", "email", "is_active"]


class PasswordResetByOfficeForm(StyledForm, forms.Form):
    password = forms.CharField(
        label=_("New temporary password"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("The person must change it at the next sign-in."),
    )

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        validate_password(password)
        return password


class UnitRoleAssignForm(StyledForm, forms.Form):
    user = forms.ModelChoiceField(
        label=_("Person"), queryset=User.objects.filter(is_active=True).select_related("unit")
    )
    role = forms.ChoiceField(label=_("Role"), choices=UnitRole.choices)


class PersonUnitRoleAssignForm(StyledForm, forms.Form):
    unit = forms.ModelChoiceField(label=_("Unit"), queryset=Unit.objects.filter(active=True))
    role = forms.ChoiceField(label=_("Role"), choices=UnitRole.choices)


class CollegeRoleForm(StyledForm, forms.Form):
    role = forms.ChoiceField(label=_("College-wide role"), choices=CollegeRole.choices)


class RoleRevokeForm(forms.Form):
    user = forms.ModelChoiceField(queryset=User.objects.all(), required=False)
    unit = forms.ModelChoiceField(queryset=Unit.objects.all(), required=False)
    role = forms.CharField()

    def clean_role(self) -> UnitRole | CollegeRole:
        value = self.cleaned_data["role"]
        if value in UnitRole.values:
            return UnitRole(value)
        if value in CollegeRole.values:
            return CollegeRole(value)
        raise forms.ValidationError(_("Unknown role."))


class ImportUploadForm(StyledForm, forms.Form):
    file = forms.FileField(
        label=_("Excel file (.xlsx)"),
        help_text=_("Use the sheet that the export button gives: one row per unit or person."),
    )
    initial_password = forms.CharField(
        label=_("Initial password for new people"),
        required=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("Only for the people import. New people must change it at first sign-in."),
    )

    def __init__(self, *args: object, needs_password: bool = False, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.needs_password = needs_password
        if not needs_password:
            del self.fields["initial_password"]

    def clean_file(self) -> bytes:
        upload = self.cleaned_data["file"]
        if upload.size > settings.CAIJI_IMPORT_MAX_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(mb)s MB. Remove what is not needed and upload again.")
                % {"mb": settings.CAIJI_IMPORT_MAX_BYTES // (1024 * 1024)}
            )
        return bytes(upload.read())

    def clean_initial_password(self) -> str:
        password = self.cleaned_data.get("initial_password", "")
        if password:
            validate_password(password)
        return password
