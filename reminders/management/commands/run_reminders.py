"""manage.py run_reminders [--date YYYY-MM-DD] [--dry-run] [--rule ID ...]

Run the daily reminder sweep for a day (default: today, Asia/Shanghai): to backfill a day
the scheduler missed, or (--dry-run) to preview what it would send. Safe to repeat: a
notification is never written twice.
"""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from reminders.sweep import run_sweep


class Command(BaseCommand):
    help = "Run the reminder sweep for a day (backfill), or preview it with --dry-run."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--date", help="YYYY-MM-DD (default: today)")
        parser.add_argument("--dry-run", action="store_true", help="write nothing; list")
        parser.add_argument("--rule", type=int, action="append", help="only these rule ids")

    def handle(self, *args: object, **options: object) -> None:
        raw = options.get("date")
        if raw:
            try:
                day = dt.date.fromisoformat(str(raw))
            except ValueError as exc:
                raise CommandError(f"--date: expected YYYY-MM-DD, got {raw!r}") from exc
        else:
            day = timezone.localdate()
        dry_run = bool(options.get("dry_run"))
        results = run_sweep(on=day, dry_run=dry_run, rule_ids=options.get("rule"))
        verb = "would write" if dry_run else "wrote"
        for r in results:
            count = len(r.would_send) if dry_run else r.notifications
            self.stdout.write(
                f"{day} rule {r.rule.pk} {r.rule.name}: {r.obligations} due, {verb} "
                f"{count} notifications, {len(r.unreachable)} unreachable, "
                f"{r.queries} queries, {r.seconds * 1000:.0f} ms"
            )
            if dry_run:
                for n in r.would_send:
                    to = n.address or f"user {n.recipient_id}"
                    self.stdout.write(f"    {n.channel} → {to}: {n.subject}")
