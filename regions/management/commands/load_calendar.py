"""`manage.py load_calendar`: seed the holiday calendar; safe to run again."""

from django.core.management.base import BaseCommand

from regions.services import load_calendar


class Command(BaseCommand):
    help = "Seed public holidays and adjusted working days (2004–2026) from chinese-calendar."

    def handle(self, *args, **options) -> None:
        self.stdout.write(f"calendar: added {load_calendar()} days")
