from django.core.management.base import BaseCommand
from django.utils import timezone

from collection.services.rules_refresh import cycle_rules_refresh
from collection.services.specs import catalog_load


class Command(BaseCommand):
    help = "Load the platform's tables from the project catalog into a cycle (created if missing)."

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("--cycle", type=int, default=None, help="Year, default: this year.")
        parser.add_argument(
            "--refresh-rules",
            action="store_true",
            help="Also replace the rules of the cycle's existing tables with the catalog's "
            "(e.g. cross-table rules mapped after the cycle was created).",
        )

    def handle(self, *args: object, **options: object) -> None:
        year = options["cycle"] or timezone.localdate().year
        cycle, added = catalog_load(actor=None, year=int(year))  # type: ignore[call-overload]
        total = cycle.tables.count()
        self.stdout.write(f"{cycle}：新增 {added} 张表，共 {total} 张表。")
        if options["refresh_rules"]:
            changed = cycle_rules_refresh(actor=None, cycle=cycle)
            self.stdout.write(f"更新了 {len(changed)} 张表的校验规则：{'、'.join(changed) or '无'}")
