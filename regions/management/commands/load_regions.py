"""`manage.py load_regions`: load provinces and counties; safe to run again."""

from django.core.management.base import BaseCommand
from django.utils import timezone

from regions.services import load_regions


class Command(BaseCommand):
    help = "Load the 32 provincial units and every county-level division (idempotent)."

    def handle(self, *args, **options) -> None:
        report = load_regions(today=timezone.localdate())
        created, updated = report.created, report.updated
        self.stdout.write(
            f"regions: created {created['province']} provinces, {created['county']} counties; "
            f"updated {updated['province']} provinces, {updated['county']} counties; "
            f"deactivated {report.deactivated}; reactivated {report.reactivated}"
        )
