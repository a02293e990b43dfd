import unicodedata

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone, translation

from accounts.demo import DEMO_PASSWORD, UNITS, seed_demo
from accounts.models import Unit
from accounts.roles import CollegeRole
from accounts.selectors import college_role_holders, unit_staffing_list
from collection.demo import seed_demo_cycle
from collection.models import Contribution, Cycle
from collection.selectors import SET_LABELS, chosen_sets


class Command(BaseCommand):
    help = (
        "Load the demo college 齐鲁医药学院 (a medical college: its cycle fills the 医学类 "
        "supplementary set) with this year's cycle and published task breakdown (idempotent) "
        "and print its logins."
    )

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("--quiet-logins", action="store_true", help="Do not print the logins.")
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Load the demo only into an empty database (used by `make run`).",
        )
        parser.add_argument(
            "--cycle", type=int, default=None, help="Year of the demo cycle, default: this year."
        )

    def handle(self, *args: object, **options: object) -> None:
        translation.activate(settings.LANGUAGE_CODE)
        has_demo = Unit.objects.filter(code=UNITS[0][0], name=UNITS[0][1]).exists()
        if options["if_empty"] and Unit.objects.exists() and not has_demo:
            self.stdout.write("数据库中已有本校数据，未加载演示学院。")
            return
        created = seed_demo()
        self.stdout.write(
            "演示学院已创建：齐鲁医药学院" if created else "演示学院已存在，未做改动。"
        )
        year = int(options["cycle"] or timezone.localdate().year)  # type: ignore[call-overload]
        cycle = seed_demo_cycle(year)
        if cycle is None:
            self.stdout.write(f"{year}年度采集的分工表已存在，未做改动。")
        else:
            self.stdout.write(describe_cycle(cycle))
        if not options["quiet_logins"]:
            print_logins(self.stdout)


def describe_cycle(cycle: Cycle) -> str:
    contributions = Contribution.objects.filter(assignment__cycle=cycle).count()
    sets = "、".join(str(SET_LABELS[s]) for s in chosen_sets(cycle)) or "无"
    return (
        f"{cycle}：已载入 {cycle.tables.count()} 张表，选用的补充表：{sets}；分工表已发布"
        f"（{cycle.assignments.count()} 张表，{contributions} 份单位填报）。"
    )


def _pad(text: str, width: int) -> str:
    """Pad to a display width: a CJK character takes two columns in a terminal."""
    shown = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
    return text + " " * max(width - shown, 1)


def print_logins(out) -> None:  # type: ignore[no-untyped-def]
    out.write(f"\n演示账号（工号 / 密码均为 {DEMO_PASSWORD}）：")
    for role, people in college_role_holders().items():
        names = "  ".join(f"{p.username} {p.name}" for p in people)
        out.write(f"  {CollegeRole(role).label}：{names}")
    out.write(f"  {_pad('系统管理员', 14)}admin（/admin/）")
    widths = [20, 16, 30, 16, 16]
    header = ["单位", "数据采集员", "审核人", "负责人", "二审专人"]
    out.write("\n  " + "".join(_pad(h, w) for h, w in zip(header, widths, strict=True)))

    def fmt(people: list) -> str:  # type: ignore[type-arg]
        return " ".join(f"{p.username} {p.name}" for p in people) or "—"

    for s in unit_staffing_list(Unit.objects.all()):
        cells = [
            s.unit.name,
            fmt(s.collectors),
            fmt(s.reviewers),
            fmt(s.heads),
            fmt(s.second_reviewers),
        ]
        out.write("  " + "".join(_pad(c, w) for c, w in zip(cells, widths, strict=True)).rstrip())
