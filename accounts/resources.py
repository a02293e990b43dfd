"""The office's units and people sheets (django-import-export resources).

The column headers are the sheet's fixed Chinese vocabulary (like the platform's templates),
not UI strings, so an exported sheet imports again whatever the interface language is.
Every write goes through accounts.services, so imports are audited like page edits.
Exports go through config.xlsx (``TextExport``): a name like =HYPERLINK(…) stays text.
"""

import re
from collections import Counter
from typing import Any

from django.utils.translation import gettext as _
from import_export import fields, resources, widgets

from accounts import services
from accounts.models import Unit, User
from accounts.roles import CollegeRole, UnitRole
from accounts.selectors import college_roles_of_user, unit_roles_by_user
from config.xlsx import TextExport

KIND_LABELS = {
    Unit.Kind.FUNCTIONAL: "职能部门",
    Unit.Kind.TEACHING: "教学单位",
    Unit.Kind.DIRECT: "直属单位",
}
KIND_ALIASES = {
    **{v: k for k, v in KIND_LABELS.items()},
    "职能处室": Unit.Kind.FUNCTIONAL,
    "二级学院": Unit.Kind.TEACHING,
    "二级学院(部)": Unit.Kind.TEACHING,
    **{k.value: k for k in Unit.Kind},
}
UNIT_ROLE_LABELS = {
    UnitRole.COLLECTOR: "数据采集员",
    UnitRole.SOURCE_REVIEWER: "审核人",
    UnitRole.HEAD: "负责人",
    UnitRole.SECOND_REVIEWER: "二审专人",
}
UNIT_ROLE_ALIASES = {
    **{v: k for k, v in UNIT_ROLE_LABELS.items()},
    "采集员": UnitRole.COLLECTOR,
    "来源审核人": UnitRole.SOURCE_REVIEWER,
    "单位负责人": UnitRole.HEAD,
    "第一责任人": UnitRole.HEAD,
    "二审": UnitRole.SECOND_REVIEWER,
    **{r.value: r for r in UnitRole},
}
COLLEGE_ROLE_LABELS = {
    CollegeRole.COLLECTION_GROUP: "数据采集小组",
    CollegeRole.COLLEGE_REVIEW_GROUP: "学院审核小组",
    CollegeRole.OFFICE: "领导小组办公室",
    CollegeRole.LEADERSHIP: "学院领导",
}
COLLEGE_ROLE_ALIASES = {
    **{v: k for k, v in COLLEGE_ROLE_LABELS.items()},
    "采集小组": CollegeRole.COLLECTION_GROUP,
    "办公室": CollegeRole.OFFICE,
    "领导": CollegeRole.LEADERSHIP,
    **{r.value: r for r in CollegeRole},
}
YES = {"是", "Y", "y", "yes", "Yes", "YES", "1", "true", "True", "TRUE", "启用", "在职", "√"}
NO = {"否", "N", "n", "no", "No", "NO", "0", "false", "False", "FALSE", "停用", "离职", "×", ""}
SEPARATORS = re.compile(r"[;；,，、\s]+")


class YesNoWidget(widgets.Widget):
    def clean(self, value: Any, row: Any = None, **kwargs: Any) -> bool:
        text = str(value or "").strip()
        if text in YES:
            return True
        if text in NO:
            return False
        raise ValueError(_("Write 是 or 否, not “%(value)s”.") % {"value": text})

    def render(self, value: Any, obj: Any = None, **kwargs: Any) -> str:
        return "是" if value else "否"


class KindWidget(widgets.Widget):
    def clean(self, value: Any, row: Any = None, **kwargs: Any) -> str:
        text = str(value or "").strip()
        if text not in KIND_ALIASES:
            raise ValueError(
                _("Unknown unit kind “%(value)s”; write one of %(choices)s.")
                % {"value": text, "choices": "、".join(KIND_LABELS.values())}
            )
        return str(KIND_ALIASES[text])

    def render(self, value: Any, obj: Any = None, **kwargs: Any) -> str:
        return KIND_LABELS.get(value, value or "")


class UnitCodeWidget(widgets.ForeignKeyWidget):
    def clean(self, value: Any, row: Any = None, **kwargs: Any) -> Unit | None:
        code = str(value or "").strip()
        if not code:
            return None
        try:
            return Unit.objects.get(code=code)
        except Unit.DoesNotExist:
            raise ValueError(
                _("No unit has the code “%(code)s”; import the units first or correct the code.")
                % {"code": code}
            ) from None


class UnitResource(TextExport, resources.ModelResource):
    code = fields.Field(attribute="code", column_name="单位号", widget=widgets.CharWidget())
    name = fields.Field(attribute="name", column_name="单位名称", widget=widgets.CharWidget())
    kind = fields.Field(attribute="kind", column_name="单位类型", widget=KindWidget())
    active = fields.Field(attribute="active", column_name="是否启用", widget=YesNoWidget())

    class Meta:
        model = Unit
        fields = ("code", "name", "kind", "active")
        import_id_fields = ("code",)
        clean_model_instances = True
        skip_unchanged = True
        report_skipped = True

    def __init__(self, *, actor: User | None = None) -> None:
        super().__init__()
        self.actor = actor

    def before_import(self, dataset: Any, **kwargs: Any) -> None:
        self.duplicates = _duplicates(dataset, "单位号")

    def validate_instance(
        self, instance: Unit, import_validation_errors: Any = None, validate_unique: bool = True
    ) -> None:
        errors = dict(import_validation_errors or {})
        if instance.code in self.duplicates:
            errors["code"] = [_("This unit code appears more than once in the file.")]
        super().validate_instance(instance, errors, validate_unique)

    def save_instance(self, instance: Unit, is_create: bool, row: Any, **kwargs: Any) -> None:
        values = {
            "code": instance.code,
            "name": instance.name,
            "kind": instance.kind,
            "active": instance.active,
        }
        if is_create:
            saved = services.unit_create(actor=self.actor, **values)
        else:
            saved = services.unit_update(actor=self.actor, unit=instance, **values)
        instance.pk = saved.pk


def _duplicates(dataset: Any, header: str) -> set[str]:
    if header not in (dataset.headers or []):
        return set()
    counts = Counter(str(v).strip() for v in dataset[header] if str(v).strip())
    return {value for value, n in counts.items() if n > 1}


def parse_unit_roles(
    text: str, own_unit: Unit | None
) -> tuple[set[tuple[str, UnitRole]], list[str]]:
    """'数据采集员、审核人' (own unit) or '0102:审核人' (another unit) -> {(unit code, role)}."""
    found: set[tuple[str, UnitRole]] = set()
    errors: list[str] = []
    for item in SEPARATORS.split(text.strip()):
        if not item:
            continue
        code, _sep, label = item.rpartition(":") if ":" in item else item.rpartition("：")
        role = UNIT_ROLE_ALIASES.get(label)
        if role is None:
            errors.append(
                _("Unknown unit role “%(role)s”; write one of %(choices)s.")
                % {"role": label, "choices": "、".join(UNIT_ROLE_LABELS.values())}
            )
            continue
        if not code:
            if own_unit is None:
                errors.append(
                    _(
                        "A unit role needs the person's unit (单位号) or a unit code before it, like 0102:审核人."
                    )
                )
                continue
            code = own_unit.code
        found.add((code, role))
    return found, errors


def parse_college_roles(text: str) -> tuple[set[CollegeRole], list[str]]:
    found: set[CollegeRole] = set()
    errors: list[str] = []
    for item in SEPARATORS.split(text.strip()):
        if not item:
            continue
        role = COLLEGE_ROLE_ALIASES.get(item)
        if role is None:
            errors.append(
                _("Unknown college-wide role “%(role)s”; write one of %(choices)s.")
                % {"role": item, "choices": "、".join(COLLEGE_ROLE_LABELS.values())}
            )
        else:
            found.add(role)
    return found, errors


class PersonResource(TextExport, resources.ModelResource):
    username = fields.Field(attribute="username", column_name="工号", widget=widgets.CharWidget())
    name = fields.Field(attribute="name", column_name="姓名", widget=widgets.CharWidget())
    unit = fields.Field(attribute="unit", column_name="单位号", widget=UnitCodeWidget(Unit, "code"))
    unit_name = fields.Field(column_name="单位名称", readonly=True)
    phone = fields.Field(attribute="phone", column_name="手机", widget=widgets.CharWidget())
    email = fields.Field(attribute="email", column_name="邮箱", widget=widgets.CharWidget())
    is_active = fields.Field(attribute="is_active", column_name="是否启用", widget=YesNoWidget())
    unit_roles = fields.Field(column_name="单位角色", readonly=True)
    college_roles = fields.Field(column_name="校级角色", readonly=True)

    class Meta:
        model = User
        fields = (
            "username",
            "name",
            "unit",
            "unit_name",
            "phone",
            "email",
            "is_active",
            "unit_roles",
            "college_roles",
        )
        import_id_fields = ("username",)
        clean_model_instances = True
        skip_unchanged = False

    def __init__(self, *, actor: User | None = None, password_hash: str = "") -> None:
        super().__init__()
        self.actor = actor
        self.password_hash = password_hash
        self._roles_by_user: dict[int, list[tuple[str, UnitRole]]] | None = None

    # Export
    def dehydrate_unit_name(self, person: User) -> str:
        return person.unit.name if person.unit else ""

    def dehydrate_unit_roles(self, person: User) -> str:
        if self._roles_by_user is None:
            self._roles_by_user = unit_roles_by_user(User.objects.all())
        own = person.unit.code if person.unit else None
        items = sorted(
            self._roles_by_user.get(person.pk, []),
            key=lambda p: (p[0] != own, p[0], list(UnitRole).index(p[1])),
        )
        return "、".join(
            UNIT_ROLE_LABELS[role] if code == own else f"{code}:{UNIT_ROLE_LABELS[role]}"
            for code, role in items
        )

    def dehydrate_college_roles(self, person: User) -> str:
        return "、".join(COLLEGE_ROLE_LABELS[r] for r in college_roles_of_user(person))

    def get_export_queryset(self, request: Any = None) -> Any:
        return (
            User.objects.select_related("unit")
            .prefetch_related("groups")
            .order_by("unit__code", "username")
        )

    # Import
    def before_import(self, dataset: Any, **kwargs: Any) -> None:
        self.duplicates = _duplicates(dataset, "工号")
        self.has_unit_roles = "单位角色" in (dataset.headers or [])
        self.has_college_roles = "校级角色" in (dataset.headers or [])

    def validate_instance(
        self, instance: User, import_validation_errors: Any = None, validate_unique: bool = True
    ) -> None:
        errors = dict(import_validation_errors or {})
        row = self._current_row
        if instance._state.adding:
            instance.set_unusable_password()  # the real one is set by person_create
        if instance.username in self.duplicates:
            errors["username"] = [_("This staff ID appears more than once in the file.")]
        if instance._state.adding and not self.password_hash:
            errors["password"] = [
                _("A new person needs an initial password: fill it in the upload form.")
            ]
        unit_roles, role_errors = parse_unit_roles(str(row.get("单位角色") or ""), instance.unit)
        college_roles, college_errors = parse_college_roles(str(row.get("校级角色") or ""))
        codes = {code for code, _r in unit_roles}
        known = set(Unit.objects.filter(code__in=codes, active=True).values_list("code", flat=True))
        role_errors += [
            _("No active unit has the code “%(code)s”.") % {"code": code}
            for code in sorted(codes - known)
        ]
        if role_errors:
            errors["unit_roles"] = role_errors
        if college_errors:
            errors["college_roles"] = college_errors
        if not instance.is_active and (unit_roles or college_roles):
            errors["is_active"] = [
                _("An inactive person cannot hold a role: clear the roles or write 是.")
            ]
        instance._import_roles = (unit_roles, college_roles)
        super().validate_instance(instance, errors, validate_unique)

    def import_row(self, row: Any, instance_loader: Any, **kwargs: Any) -> Any:
        self._current_row = row
        return super().import_row(row, instance_loader, **kwargs)

    def save_instance(self, instance: User, is_create: bool, row: Any, **kwargs: Any) -> None:
        details = {
            "name": instance.name,
            "unit": instance.unit,
            "phone": instance.phone or "",
            "email": instance.email or "",
        }
        if is_create:
            saved = services.person_create(
                actor=self.actor,
                username=instance.username,
                password=None,
                password_hash=self.password_hash,
                is_active=instance.is_active,
                **details,
            )
        else:
            saved = services.person_update(
                actor=self.actor, person=instance, is_active=instance.is_active, **details
            )
        instance.pk = saved.pk
        self._sync_roles(saved, *instance._import_roles)

    def _sync_roles(
        self, person: User, unit_roles: set[tuple[str, UnitRole]], college_roles: set[CollegeRole]
    ) -> None:
        from accounts.selectors import unit_roles_of_user

        if self.has_unit_roles:
            units = {u.code: u for u in Unit.objects.filter(code__in={c for c, _r in unit_roles})}
            current = {(u.code, r): u for u, r in unit_roles_of_user(person)}
            for code, role in unit_roles - set(current):
                services.role_assign(actor=self.actor, user=person, role=role, unit=units[code])
            for key in set(current) - unit_roles:
                services.role_revoke(actor=self.actor, user=person, role=key[1], unit=current[key])
        if self.has_college_roles:
            held = set(college_roles_of_user(person))
            for role in college_roles - held:
                services.role_assign(actor=self.actor, user=person, role=role)
            for role in held - college_roles:
                services.role_revoke(actor=self.actor, user=person, role=role)
