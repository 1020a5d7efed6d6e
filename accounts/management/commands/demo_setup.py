"""`manage.py demo_setup`: everything `make demo` needs before the server starts.

Migrates, loads reference data, creates the demo accounts and then runs every loader
listed in settings.DEMO_LOADERS (each app adds its demo data there). Safe to rerun.
"""

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.utils import timezone
from django.utils.module_loading import import_string

from accounts.demo import create_demo_accounts


class Command(BaseCommand):
    help = "Prepare the demo: migrate, load reference and demo data, create demo accounts."

    def handle(self, *args, **options) -> None:
        call_command("migrate", interactive=False, verbosity=0)
        self.stdout.write("migrations applied")
        call_command("load_regions", stdout=self.stdout)
        call_command("load_calendar", stdout=self.stdout)
        today = timezone.localdate()
        accounts = create_demo_accounts(today=today)
        for dotted in settings.DEMO_LOADERS:
            summary = import_string(dotted)(today=today)
            self.stdout.write(f"{dotted}: {summary}")
        self.stdout.write("")
        self.stdout.write("Demo accounts (演示账号):")
        for a in accounts:
            where = "/admin/" if a.is_staff else "/portal/"
            self.stdout.write(
                f"  {a.username:<14} {a.password:<18} {where:<9} {a.role} · {a.organisation}"
            )
