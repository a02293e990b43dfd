"""Delegation pages: one's own delegations (give, end) and the office's list of running ones."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts import delegation
from accounts.access import office_required
from accounts.forms_delegation import DelegationForm, OfficeDelegationForm
from accounts.models import Delegation
from accounts.roles import UnitRole
from accounts.selectors import is_office


@require_http_methods(["GET", "POST"])
def delegation_mine(request: HttpRequest) -> HttpResponse:
    """What I handed on and what I hold for others; hand on one of my roles."""
    user = request.user
    form = DelegationForm(request.POST or None, user=user)  # type: ignore[arg-type]
    if request.method == "POST" and form.is_valid():
        unit, role = form.pair()
        try:
            delegation.delegation_create(
                actor=user,  # type: ignore[arg-type]
                delegator=user,  # type: ignore[arg-type]
                delegate=form.cleaned_data["delegate"],
                unit=unit,
                role=role,
                starts_on=form.cleaned_data["starts_on"],
                ends_on=form.cleaned_data["ends_on"],
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("The delegation is set up; your colleague is notified."))
            return redirect("accounts:delegation_mine")
    return render(
        request,
        "accounts/delegations.html",
        {
            "form": form,
            "can_give": bool(form.pairs),
            "delegations": _marked(delegation.delegations_of(user)),  # type: ignore[arg-type]
        },
        status=422 if form.errors else 200,
    )


@office_required
@require_http_methods(["GET", "POST"])
def delegation_office(request: HttpRequest) -> HttpResponse:
    """Every delegation running or to come; the office sets one up for someone."""
    form = OfficeDelegationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            delegation.delegation_create(actor=request.user, **form.cleaned_data)  # type: ignore[arg-type]
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("The delegation is set up; the colleague is notified."))
            return redirect("accounts:delegation_office")
    return render(
        request,
        "office/delegations.html",
        {"form": form, "delegations": _marked(delegation.current_and_coming())},
        status=422 if form.errors else 200,
    )


@require_POST
def delegation_end(request: HttpRequest, pk: int) -> HttpResponse:
    """End a delegation early: its two people and the office; 404 for anyone else."""
    user = request.user
    found = get_object_or_404(Delegation.objects.select_related("delegator", "delegate"), pk=pk)
    if user.pk not in (found.delegator_id, found.delegate_id) and not is_office(user):  # type: ignore[arg-type]
        raise Http404
    try:
        delegation.delegation_revoke(actor=user, delegation=found)  # type: ignore[arg-type]
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("The delegation has ended."))
    back = request.POST.get("next", "")
    if back and url_has_allowed_host_and_scheme(back, None):
        return redirect(back)
    return redirect("accounts:delegation_mine")


def _marked(delegations: object) -> list[Delegation]:
    today = delegation.today()
    found = list(delegations)  # type: ignore[call-overload]
    for d in found:
        d.running = delegation.is_running(d, today)
        d.endable = d.revoked_at is None and d.ends_on >= today
        d.role_label = UnitRole(d.role).label
    return found
