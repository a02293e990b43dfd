from django.core.management.base import BaseCommand
from django.utils import timezone

from collection.services.specs import catalog_load


class Command(BaseCommand):
    help = "Load the platform's tables from the project catalog into a cycle (created if missing)."

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("--cycle", type=int, default=None, help="Year, default: this year.")

    def handle(self, *args: object, **options: object) -> None:
        year = options["cycle"] or timezone.localdate().year
        cycle, added = catalog_load(actor=None, year=int(year))  # type: ignore[call-overload]
        total = cycle.tables.count()
        self.stdout.write(f"{cycle}：新增 {added} 张表，共 {total} 张表。")
