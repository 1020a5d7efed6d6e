"""The one Celery app. Settings come from Django settings under the CELERY_ namespace."""

from __future__ import annotations

import os
from typing import Any

from celery import Celery
from celery.signals import task_prerun

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("duikou")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@task_prerun.connect(weak=False)
def drop_unusable_database_connections(sender: Any = None, **kwargs: Any) -> None:
    """Before each task, what Django does before each request: close a connection that
    broke (the server restarted, or dropped it), or that outlived CONN_MAX_AGE, and let
    CONN_HEALTH_CHECKS test the one kept before its next query.

    With CELERY_DB_REUSE_MAX set, Celery's Django fixup (celery/fixups/django.py,
    `DjangoWorkerFixup.close_database`) only counts tasks and closes the connections every
    2 × CELERY_DB_REUSE_MAX of them; nothing else ever looks at a kept connection, so after
    a PostgreSQL restart every task of a pool process failed with `InterfaceError:
    connection already closed` until that count ran out.
    """
    from django.db import connections

    request = getattr(sender, "request", None)
    if getattr(request, "is_eager", False):
        return  # runs inside the caller's request, perhaps inside its transaction
    for connection in connections.all(initialized_only=True):
        if not connection.in_atomic_block:
            connection.close_if_unusable_or_obsolete()
