"""Scoped reads of the accounts app: the change log across every audited model."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q, Value
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast

from .policy import Action, AnyOf, Reach

EVENT_LABELS = ("insert", "update", "delete")


def audited_models() -> list[type[models.Model]]:
    """Models whose changes pghistory records and whose rows the policy layer scopes."""
    return [
        m
        for m in apps.get_models()
        if getattr(m, "pgh_event_models", None) and hasattr(m, "scoping")
    ]


def audited_models_visible_to(user: Any) -> list[type[models.Model]]:
    return [m for m in audited_models() if m.scoping.allows(user, Action.VIEW)]


def _event_models(model: type[models.Model]) -> list[type[models.Model]]:
    seen: dict[str, type[models.Model]] = {}
    for event_model in model.pgh_event_models.values():
        seen.setdefault(event_model._meta.label, event_model)
    return list(seen.values())


def change_log(
    user: Any,
    *,
    model_labels: Sequence[str] = (),
    action: str = "",
    actor_id: int | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    search: str = "",
    offset: int = 0,
    limit: int = 50,
) -> list[dict[str, Any]]:
    """Audit events the user may see, newest first: one page of `limit` rows from `offset`
    (plus one more row, so the caller knows whether a next page exists; no COUNT).

    A user sees the events of objects currently in their VIEW scope: per model, the
    events are filtered by `pgh_obj_id IN (scoped ids)` as a subquery. Events of deleted
    objects therefore reach only users whose scope is the whole table (the ministry).
    Every filter is applied inside each per-table branch of the UNION ALL, and each branch
    is cut to `offset + limit + 1` rows before the union is sorted.

    Rows: pgh_id, pgh_created_at, pgh_label, obj_id (text), model_label, actor (user pk
    as text or None), request_id.
    """
    wanted = set(model_labels)
    branch_size = offset + limit + 1
    branches = []
    for model in audited_models_visible_to(user):
        label = model._meta.label
        if wanted and label not in wanted:
            continue
        obj_filter = Q()
        if model.scoping.reach(user, Action.VIEW) != Reach.ALL:
            scoped_ids = model._default_manager.for_user(user, Action.VIEW).order_by().values("pk")
            # the ids computed once (an InitPlan), then a hashed filter on the walk of
            # the newest events, or an index condition on pgh_obj_id: as `IN (subquery)`
            # PostgreSQL joined them, 17M comparisons for 湖南's 341,333 service records
            obj_filter = Q(AnyOf("pgh_obj_id", scoped_ids))
        search_filter = Q()
        if search:
            search_filter = Q(pgh_context__metadata__request_id=search)
            try:
                pk = model._meta.pk.to_python(search)
            except ValidationError:
                pk = None
            if pk is not None:
                search_filter |= Q(pgh_obj_id=pk)
        for event_model in _event_models(model):
            qs = event_model._default_manager.filter(obj_filter, search_filter)
            if action:
                qs = qs.filter(pgh_label=action)
            if actor_id is not None:
                qs = qs.filter(pgh_context__metadata__user=actor_id)
            if since is not None:
                qs = qs.filter(pgh_created_at__gte=since)
            if until is not None:
                qs = qs.filter(pgh_created_at__lt=until)
            qs = qs.values(
                "pgh_id",
                "pgh_created_at",
                "pgh_label",
                obj_id=Cast("pgh_obj_id", models.TextField()),
                model_label=Value(label, output_field=models.TextField()),
                actor=KeyTextTransform("user", "pgh_context__metadata"),
                request_id=KeyTextTransform("request_id", "pgh_context__metadata"),
            ).order_by("-pgh_created_at", "-pgh_id")[:branch_size]
            branches.append(qs)
    if not branches:
        return []
    first, *rest = branches
    union = first.union(*rest, all=True) if rest else first
    if rest:
        union = union.order_by("-pgh_created_at", "-pgh_id")
    return list(union[offset : offset + limit + 1])
