"""The year's template pack (cycle page → 加载本年度模板包): upload, the change report with the
office's corrections, confirm, discard. Office only: everyone else gets 403, whatever the pack.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import User
from collection.access import get_cycle
from collection.forms import TemplatePackForm
from collection.models import Cycle
from collection.models_templates import TemplatePack
from collection.schema import RejectedFile
from collection.services.closed import closed_message
from collection.templatepack.confirm import problems, template_pack_confirm
from collection.templatepack.plan import NEW, build_plan
from collection.templatepack.services import (
    cycle_tables,
    pack_prepare,
    plan_token,
    template_pack_discard,
    template_pack_match,
    template_pack_upload,
)
from config.ratelimit import upload_limit


def _pack(user: User, year: int, pk: int) -> tuple[Cycle, TemplatePack]:
    cycle = get_cycle(user, year, edit=True)
    return cycle, get_object_or_404(
        TemplatePack.objects.select_related("uploaded_by"), pk=pk, cycle=cycle
    )


@require_http_methods(["GET", "POST"])
@upload_limit
def templatepack_upload(request: HttpRequest, year: int) -> HttpResponse:
    cycle = get_cycle(request.user, year, edit=True)  # type: ignore[arg-type]
    posted = request.method == "POST"
    form = TemplatePackForm(request.POST if posted else None, request.FILES if posted else None)
    if posted and form.is_valid():
        pack = _upload(request, cycle, form)
        if pack is not None:
            messages.success(
                request,
                _(
                    "The pack has been read. Check the change report; nothing changes until you confirm it."
                ),
            )
            return redirect("collection:templatepack_report", year=year, pk=pack.pk)
    return render(
        request,
        "collection/templatepack_upload.html",
        {
            "cycle": cycle,
            "form": form,
            "packs": cycle.template_packs.select_related("uploaded_by", "decided_by")[:20],
        },
        status=422 if form.errors else 200,
    )


def _upload(request: HttpRequest, cycle: Cycle, form: TemplatePackForm) -> TemplatePack | None:
    """Read the pack, then keep it with its report; a refusal goes onto the form."""
    if cycle.is_closed:
        form.add_error(None, closed_message(cycle))
        return None
    try:
        files = form.cleaned_data["templates"]
        prepared = pack_prepare([(f.name or "", f.read()) for f in files])
        return template_pack_upload(actor=request.user, cycle=cycle, prepared=prepared)  # type: ignore[arg-type]
    except RejectedFile as exc:
        form.add_error("templates", str(exc))
    except ValidationError as exc:
        form.add_error(None, exc)
    return None


@require_GET
def templatepack_report(request: HttpRequest, year: int, pk: int) -> HttpResponse:
    """The change report: what confirming will do (a waiting pack), or what it did."""
    cycle, pack = _pack(request.user, year, pk)  # type: ignore[arg-type]
    context = {"cycle": cycle, "pack": pack, "report": pack.report}
    if pack.state == TemplatePack.State.PREVIEW:
        tables = cycle_tables(cycle)
        plan = build_plan(pack.report, pack.decisions, tables)
        context.update(
            plan=plan,
            token=plan_token(pack, tables),
            problems=problems(plan, pack.report),
            can_act=not cycle.is_closed,
            new_choice=NEW,
        )
    return render(request, "collection/templatepack_report.html", context)


@require_POST
def templatepack_match(request: HttpRequest, year: int, pk: int) -> HttpResponse:
    """The office's corrections of the matches (one select per table of the pack)."""
    _cycle, pack = _pack(request.user, year, pk)  # type: ignore[arg-type]
    choices: dict[str, int | str] = {}
    try:
        for index, table in enumerate(pack.report.get("tables", [])):
            value = request.POST.get(f"match-{index}")
            if value is not None:
                choices[table["code"]] = NEW if value == NEW else int(value)
        template_pack_match(actor=request.user, pack=pack, choices=choices)  # type: ignore[arg-type]
    except ValueError:
        messages.error(request, _("Choose one of the tables offered for each table of the pack."))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The matches have been saved; the report follows them."))
    return redirect("collection:templatepack_report", year=year, pk=pack.pk)


@require_POST
def templatepack_confirm(request: HttpRequest, year: int, pk: int) -> HttpResponse:
    _cycle, pack = _pack(request.user, year, pk)  # type: ignore[arg-type]
    try:
        done = template_pack_confirm(
            actor=request.user,  # type: ignore[arg-type]
            pack=pack,
            token=request.POST.get("token", ""),
        )
    except ValidationError as exc:
        for text in exc.messages:
            messages.error(request, text)
        return redirect("collection:templatepack_report", year=year, pk=pack.pk)
    summary = done.summary
    messages.success(
        request,
        _(
            "The template pack has been applied: %(tables)s tables follow it (%(new)s new, "
            "%(renumbered)s renumbered), %(removed)s tables removed."
        )
        % {
            "tables": summary["tables"],
            "new": len(summary["added"]),
            "renumbered": len(summary["mapping"]),
            "removed": len(summary["removed"]),
        },
    )
    return redirect("review:cycle_detail", year=year)


@require_POST
def templatepack_discard(request: HttpRequest, year: int, pk: int) -> HttpResponse:
    _cycle, pack = _pack(request.user, year, pk)  # type: ignore[arg-type]
    try:
        template_pack_discard(actor=request.user, pack=pack)  # type: ignore[arg-type]
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("collection:templatepack_report", year=year, pk=pack.pk)
    messages.success(request, _("The template pack has been discarded; the cycle is unchanged."))
    return redirect("collection:templatepack_upload", year=year)
