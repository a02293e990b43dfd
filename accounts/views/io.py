"""Import and export of the units and people sheets, with a dry-run preview."""

import hashlib
import uuid
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.hashers import make_password
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from import_export.results import Result

from accounts import services
from accounts.access import office_required
from accounts.forms import ImportUploadForm
from accounts.importing import ImportFileError, read_sheet
from accounts.resources import PersonResource, UnitResource

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class SheetKind:
    key: str
    resource: type
    key_header: str
    title: str


KINDS = {
    "units": SheetKind("units", UnitResource, "单位号", "units"),
    "people": SheetKind("people", PersonResource, "工号", "people"),
}


@dataclass
class RowProblem:
    row: int
    key: str
    messages: list[str]


def _kind(key: str) -> SheetKind:
    if key not in KINDS:
        raise Http404
    return KINDS[key]


def _resource(kind: SheetKind, request: HttpRequest, password_hash: str = "") -> Any:
    if kind.key == "people":
        return PersonResource(actor=request.user, password_hash=password_hash)  # type: ignore[arg-type]
    return UnitResource(actor=request.user)  # type: ignore[arg-type]


def _problems(result: Result, resource: Any, dataset: Any) -> list[RowProblem]:
    labels = {name: f.column_name for name, f in resource.fields.items()}
    labels.update({"password": _("Initial password"), "__all__": ""})
    rows = getattr(dataset, "excel_rows", [])

    def excel_row(number: int) -> int:
        return rows[number - 1] if 0 < number <= len(rows) else number

    found = []
    for invalid in result.invalid_rows:
        texts = []
        for field, errors in invalid.error_dict.items():
            label = labels.get(field, field)
            texts += [f"{label}：{e}" if label else str(e) for e in errors]
        found.append(
            RowProblem(
                excel_row(invalid.number), str(invalid.values[0] if invalid.values else ""), texts
            )
        )
    for number, errors in result.row_errors():
        found.append(RowProblem(excel_row(number), "", [str(e.error) for e in errors]))
    return sorted(found, key=lambda p: p.row)


def _run(
    kind: SheetKind, request: HttpRequest, content: bytes, password_hash: str, dry_run: bool
) -> tuple[Any, Any, Any]:
    dataset = read_sheet(content, required_header=kind.key_header)
    resource = _resource(kind, request, password_hash)
    result = resource.import_data(
        dataset,
        dry_run=dry_run,
        raise_errors=False,
        use_transactions=True,
        collect_failed_rows=True,
        rollback_on_validation_errors=True,
    )
    return dataset, resource, result


def _store(content: bytes) -> str:
    token = uuid.uuid4().hex
    folder = settings.DATA_DIR / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{token}.xlsx").write_bytes(content)
    return token


@office_required
@require_http_methods(["GET", "POST"])
def sheet_import(request: HttpRequest, kind: str) -> HttpResponse:
    sheet = _kind(kind)
    form = ImportUploadForm(
        request.POST or None, request.FILES or None, needs_password=sheet.key == "people"
    )
    context: dict[str, Any] = {"form": form, "kind": sheet}
    if request.method == "POST" and form.is_valid():
        content = form.cleaned_data["file"]
        password = form.cleaned_data.get("initial_password", "")
        # Only the hash is kept between preview and confirmation, never the password itself.
        password_hash = make_password(password) if password else ""
        try:
            dataset, resource, result = _run(sheet, request, content, password_hash, dry_run=True)
        except ImportFileError as exc:
            form.add_error("file", str(exc))
            return render(request, "office/import.html", context, status=422)
        problems = _problems(result, resource, dataset)
        token = _store(content)
        request.session[f"import-{token}"] = {
            "kind": sheet.key,
            "password_hash": password_hash,
            "sha256": hashlib.sha256(content).hexdigest(),
            "name": request.FILES["file"].name,
        }
        context.update(
            {
                "token": token,
                "problems": problems,
                "totals": result.totals,
                "rows": len(dataset),
                "preview": True,
            }
        )
        return render(request, "office/import.html", context, status=422 if problems else 200)
    return render(request, "office/import.html", context, status=422 if form.errors else 200)


@office_required
@require_POST
def sheet_import_confirm(request: HttpRequest, kind: str) -> HttpResponse:
    sheet = _kind(kind)
    token = request.POST.get("token", "")
    stored = request.session.pop(f"import-{token}", None)
    path = settings.DATA_DIR / "imports" / f"{token}.xlsx"
    if not stored or stored["kind"] != sheet.key or not token.isalnum() or not path.exists():
        messages.error(request, _("This preview has expired. Upload the file again."))
        return redirect("accounts:sheet_import", kind=sheet.key)
    _dataset, _resource_obj, result = _run(
        sheet, request, path.read_bytes(), stored["password_hash"], dry_run=False
    )
    path.unlink(missing_ok=True)
    if result.has_errors() or result.has_validation_errors():
        messages.error(
            request,
            _(
                "The data changed since the preview and the file now has errors; nothing was imported. Upload it again."
            ),
        )
        return redirect("accounts:sheet_import", kind=sheet.key)
    services.sheet_import_record(
        actor=request.user,  # type: ignore[arg-type]
        kind=sheet.key,
        sha256=stored["sha256"],
        filename=stored["name"],
        totals=dict(result.totals),
    )
    messages.success(
        request,
        _("Imported: %(new)s new, %(update)s updated, %(skip)s unchanged.")
        % {
            "new": result.totals["new"],
            "update": result.totals["update"],
            "skip": result.totals["skip"],
        },
    )
    return redirect("accounts:unit_list" if sheet.key == "units" else "accounts:person_list")


@office_required
def sheet_export(request: HttpRequest, kind: str) -> HttpResponse:
    sheet = _kind(kind)
    data = _resource(sheet, request).export()
    data.title = "单位" if sheet.key == "units" else "人员"
    response = HttpResponse(data.export("xlsx"), content_type=XLSX)
    stamp = timezone.localtime().strftime("%Y%m%d")
    filename = f"{sheet.key}-{stamp}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
