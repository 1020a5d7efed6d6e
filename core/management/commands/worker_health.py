"""`manage.py worker_health`: exits 1 unless a Celery worker ran the heartbeat task
recently (docker-compose.yml's worker health check).

`celery inspect ping` only shows that the worker's main process answers; a worker whose
pool processes cannot run tasks (say, every task fails on a broken database connection)
answers it too. The heartbeat (core.tasks.heartbeat, sent by beat) succeeds only when a
task can read the database and write the cache.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from core.health import check_worker


class Command(BaseCommand):
    help = "Exit 1 unless a Celery worker ran the heartbeat task recently."

    def handle(self, *args: Any, **options: Any) -> None:
        state = check_worker()
        if state not in ("ok", "eager"):
            raise CommandError(
                f"worker {state}: no heartbeat task succeeded in the last "
                f"{settings.WORKER_HEARTBEAT_MAX_AGE_SECONDS} s "
                "(the worker cannot run tasks, or beat is not running)"
            )
        self.stdout.write(f"worker {state}")
