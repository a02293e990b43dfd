"""The office's pages for units, people and roles."""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts import selectors, services
from accounts.access import get_person_for_office, get_unit_for_office, office_required
from accounts.forms import (
    CollegeRoleForm,
    PasswordResetByOfficeForm,
    PersonCreateForm,
    PersonEditForm,
    PersonUnitRoleAssignForm,
    RoleRevokeForm,
    UnitForm,
    UnitRoleAssignForm,
)
from accounts.models import Unit, User
from accounts.roles import CollegeRole, UnitRole


def _form_errors_to_messages(request: HttpRequest, exc: ValidationError) -> None:
    for message in exc.messages:
        messages.error(request, message)


def _warn_head_reviewer(
    request: HttpRequest, person: User, role: UnitRole | CollegeRole, unit: Unit | None
) -> None:
    """After giving the head or reviewer role: warn when the person now holds both in the unit
    (allowed, but they can never both approve and sign the same data)."""
    if (
        unit is not None
        and role in (UnitRole.HEAD, UnitRole.SOURCE_REVIEWER)
        and selectors.holds_head_and_reviewer(person, unit)
    ):
        messages.warning(request, selectors.head_reviewer_warning(person, unit))


@office_required
def unit_list(request: HttpRequest) -> HttpResponse:
    staffing = selectors.unit_staffing_list(Unit.objects.all())
    return render(
        request,
        "office/unit_list.html",
        {
            "staffing": staffing,
            "warning_count": sum(1 for s in staffing if s.unit.active and s.warnings),
        },
    )


@office_required
@require_http_methods(["GET", "POST"])
def unit_create(request: HttpRequest) -> HttpResponse:
    form = UnitForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        unit = services.unit_create(actor=request.user, **form.cleaned_data)  # type: ignore[arg-type]
        messages.success(request, _("Unit %(unit)s has been added.") % {"unit": unit})
        return redirect("accounts:unit_detail", pk=unit.pk)
    return render(
        request, "office/unit_form.html", {"form": form}, status=422 if form.errors else 200
    )


@require_http_methods(["GET", "POST"])
def unit_edit(request: HttpRequest, pk: int) -> HttpResponse:
    unit = get_unit_for_office(request.user, pk)  # type: ignore[arg-type]
    form = UnitForm(request.POST or None, instance=Unit.objects.get(pk=unit.pk))
    if request.method == "POST" and form.is_valid():
        services.unit_update(actor=request.user, unit=unit, **form.cleaned_data)  # type: ignore[arg-type]
        messages.success(
            request, _("Unit %(unit)s has been saved.") % {"unit": form.cleaned_data["name"]}
        )
        return redirect("accounts:unit_detail", pk=unit.pk)
    return render(
        request,
        "office/unit_form.html",
        {"form": form, "unit": unit},
        status=422 if form.errors else 200,
    )


def unit_detail(request: HttpRequest, pk: int) -> HttpResponse:
    unit = get_unit_for_office(request.user, pk)  # type: ignore[arg-type]
    form = UnitRoleAssignForm(initial={"role": UnitRole.COLLECTOR})
    form.fields["user"].queryset = (
        User.objects.filter(is_active=True)
        .select_related("unit")
        .order_by("unit__code", "username")
    )
    return render(
        request,
        "office/unit_detail.html",
        {
            "unit": unit,
            "staffing": selectors.unit_staffing(unit),
            "form": form,
            "members": unit.members.order_by("username"),
            "events": selectors.events_for_unit(unit),
        },
    )


@require_POST
def unit_role_assign(request: HttpRequest, pk: int) -> HttpResponse:
    unit = get_unit_for_office(request.user, pk)  # type: ignore[arg-type]
    form = UnitRoleAssignForm(request.POST)
    if form.is_valid():
        try:
            role = UnitRole(form.cleaned_data["role"])
            person = form.cleaned_data["user"]
            if services.role_assign(actor=request.user, user=person, role=role, unit=unit):  # type: ignore[arg-type]
                messages.success(
                    request,
                    _("%(person)s is now %(role)s of %(unit)s.")
                    % {"person": person, "role": role.label, "unit": unit},
                )
                _warn_head_reviewer(request, person, role, unit)
            else:
                messages.info(
                    request, _("%(person)s already holds this role.") % {"person": person}
                )
        except ValidationError as exc:
            _form_errors_to_messages(request, exc)
    else:
        messages.error(request, _("Choose a person and a role."))
    return redirect("accounts:unit_detail", pk=unit.pk)


@require_POST
def role_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    """Revoke a unit or college-wide role of person ``pk``; back to where the form came from."""
    person = get_person_for_office(request.user, pk)  # type: ignore[arg-type]
    form = RoleRevokeForm(request.POST)
    if form.is_valid():
        role = form.cleaned_data["role"]
        unit = form.cleaned_data["unit"] if isinstance(role, UnitRole) else None
        try:
            services.role_revoke(actor=request.user, user=person, role=role, unit=unit)  # type: ignore[arg-type]
            messages.success(
                request,
                _("%(person)s no longer holds the role %(role)s.")
                % {"person": person, "role": role.label},
            )
        except ValidationError as exc:
            _form_errors_to_messages(request, exc)
    next_url = request.POST.get("next", "")
    if next_url.startswith("/office/"):
        return redirect(next_url)
    return redirect("accounts:person_detail", pk=person.pk)


@office_required
def person_list(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()
    unit_id = request.GET.get("unit", "")
    people = selectors.people_list(query=query, unit_id=int(unit_id) if unit_id.isdigit() else None)
    page = Paginator(people, 50).get_page(request.GET.get("page"))
    roles = selectors.unit_roles_by_user(User.objects.filter(pk__in=[p.pk for p in page]))
    rows = [(person, roles.get(person.pk, [])) for person in page]
    return render(
        request,
        "office/person_list.html",
        {
            "page": page,
            "rows": rows,
            "q": query,
            "unit_id": unit_id,
            "units": Unit.objects.all(),
        },
    )


@office_required
@require_http_methods(["GET", "POST"])
def person_create(request: HttpRequest) -> HttpResponse:
    form = PersonCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        person = services.person_create(actor=request.user, **form.cleaned_data)  # type: ignore[arg-type]
        messages.success(request, _("%(person)s has been added.") % {"person": person})
        return redirect("accounts:person_detail", pk=person.pk)
    return render(
        request, "office/person_form.html", {"form": form}, status=422 if form.errors else 200
    )


@require_http_methods(["GET", "POST"])
def person_detail(request: HttpRequest, pk: int) -> HttpResponse:
    person = get_person_for_office(request.user, pk)  # type: ignore[arg-type]
    form = PersonEditForm(request.POST or None, instance=User.objects.get(pk=person.pk))
    if request.method == "POST" and form.is_valid():
        services.person_update(actor=request.user, person=person, **form.cleaned_data)  # type: ignore[arg-type]
        messages.success(request, _("%(person)s has been saved.") % {"person": person})
        return redirect("accounts:person_detail", pk=person.pk)
    unit_roles = selectors.unit_roles_of_user(person)
    return render(
        request,
        "office/person_detail.html",
        {
            "person": person,
            "form": form,
            "unit_roles": unit_roles,
            "head_reviewer_warnings": [
                selectors.head_reviewer_warning(person, unit)
                for unit in selectors.head_reviewer_units(unit_roles)
            ],
            "college_roles": selectors.college_roles_of_user(person),
            "unit_role_form": PersonUnitRoleAssignForm(initial={"unit": person.unit_id}),
            "college_role_form": CollegeRoleForm(),
            "password_form": PasswordResetByOfficeForm(),
            "events": selectors.events_for_object(person),
            "locked": is_locked(person),
        },
        status=422 if form.errors else 200,
    )


@require_POST
def person_role_assign(request: HttpRequest, pk: int) -> HttpResponse:
    person = get_person_for_office(request.user, pk)  # type: ignore[arg-type]
    if "unit" in request.POST:
        form: PersonUnitRoleAssignForm | CollegeRoleForm = PersonUnitRoleAssignForm(request.POST)
    else:
        form = CollegeRoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a role (and a unit for a unit role)."))
        return redirect("accounts:person_detail", pk=person.pk)
    value = form.cleaned_data["role"]
    role: UnitRole | CollegeRole = (
        UnitRole(value) if value in UnitRole.values else CollegeRole(value)
    )
    try:
        if services.role_assign(
            actor=request.user,
            user=person,
            role=role,  # type: ignore[arg-type]
            unit=form.cleaned_data.get("unit"),
        ):
            messages.success(
                request,
                _("%(person)s now holds the role %(role)s.")
                % {"person": person, "role": role.label},
            )
            _warn_head_reviewer(request, person, role, form.cleaned_data.get("unit"))
        else:
            messages.info(request, _("%(person)s already holds this role.") % {"person": person})
    except ValidationError as exc:
        _form_errors_to_messages(request, exc)
    return redirect("accounts:person_detail", pk=person.pk)


@require_POST
def person_password_reset(request: HttpRequest, pk: int) -> HttpResponse:
    person = get_person_for_office(request.user, pk)  # type: ignore[arg-type]
    form = PasswordResetByOfficeForm(request.POST)
    if form.is_valid():
        services.person_set_password(
            actor=request.user,
            person=person,  # type: ignore[arg-type]
            password=form.cleaned_data["password"],
            must_change=True,
        )
        messages.success(
            request,
            _("The password of %(person)s has been reset; they must change it at the next sign-in.")
            % {"person": person},
        )
    else:
        for error in form.errors.get("password", []):
            messages.error(request, error)
    return redirect("accounts:person_detail", pk=person.pk)


@office_required
def role_overview(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "office/role_overview.html",
        {
            "college": selectors.college_role_holders(),
        },
    )


def is_locked(person: User) -> bool:
    from axes.models import AccessAttempt

    return AccessAttempt.objects.filter(
        username=person.username, failures_since_start__gte=settings.AXES_FAILURE_LIMIT
    ).exists()


@require_POST
def person_unlock(request: HttpRequest, pk: int) -> HttpResponse:
    person = get_person_for_office(request.user, pk)  # type: ignore[arg-type]
    services.person_unlock(actor=request.user, person=person)  # type: ignore[arg-type]
    messages.success(request, _("%(person)s can sign in again.") % {"person": person})
    return redirect("accounts:person_detail", pk=person.pk)
