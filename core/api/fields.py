"""`?fields=a,b,c` and `?brief=true`: fewer fields in the output AND in the query.

The serializer drops the fields not asked for; `trim_queryset` then loads only the
columns and joins the remaining fields read (`.only()` and a matching `select_related`),
and drops prefetches of fields not asked for.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers
from rest_framework.exceptions import ValidationError

FIELDS_PARAM = "fields"
BRIEF_PARAM = "brief"
TRUE_VALUES = {"1", "true", "yes", "on"}


def requested_fields(
    query_params: Any, available: Iterable[str], brief: Iterable[str]
) -> list[str] | None:
    """The field names asked for, None for all; 400 naming any unknown field."""
    available = list(available)
    raw = query_params.get(FIELDS_PARAM)
    if raw:
        names = [n.strip() for n in raw.split(",") if n.strip()]
        unknown = [n for n in names if n not in available]
        if unknown:
            raise ValidationError(
                {
                    FIELDS_PARAM: [
                        _("fields: unknown field(s) %(unknown)s; available: %(available)s.")
                        % {"unknown": ", ".join(unknown)[:200], "available": ", ".join(available)}
                    ]
                }
            )
        return list(dict.fromkeys(names))
    if str(query_params.get(BRIEF_PARAM, "")).lower() in TRUE_VALUES:
        return [n for n in brief if n in available]
    return None


class SelectableFieldsMixin(serializers.Serializer):
    """A serializer whose context may name the fields to keep (`context["fields"]`)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        keep = self.context.get("fields")
        if keep is not None:
            for name in list(self.fields):
                if name not in keep:
                    self.fields.pop(name)


def _model_path(model: type[models.Model], parts: list[str]) -> tuple[list[str], str] | None:
    """(relation path, last column) when `parts` walks foreign keys to a concrete field."""
    relations: list[str] = []
    for index, part in enumerate(parts):
        try:
            field = model._meta.get_field(part)
        except FieldDoesNotExist:
            return None
        last = index == len(parts) - 1
        if field.many_to_many or field.one_to_many:
            return None
        if last:
            if not field.concrete:
                return None
            return relations, part
        if not field.is_relation:
            return None
        relations.append(part)
        model = field.related_model
    return None


def trim_queryset(
    queryset: models.QuerySet,
    serializer: serializers.Serializer,
    prefetches: dict[str, Any] | None = None,
) -> models.QuerySet:
    """Load only what `serializer`'s fields read. Fields whose source is not a plain
    column chain (methods, properties, nested lists) keep the full rows."""
    only: set[str] = {"pk"}
    joins: set[str] = set()
    needs_full_rows = False
    for name, field in serializer.fields.items():
        if name in (prefetches or {}):
            continue
        source = getattr(field, "source_attrs", None) or [name]
        if isinstance(field, serializers.ManyRelatedField):
            needs_full_rows = True
            continue
        # a natural key reads the related row's key column through a join; any other field
        # its own column (a foreign key: the id column, no join)
        natural_keys = getattr(field, "natural_key_path", None)
        paths = [[*source, *p.split("__")] for p in natural_keys] if natural_keys else [source]
        for path in paths:
            resolved = _model_path(queryset.model, path)
            if resolved is None:
                needs_full_rows = True
                continue
            relations, column = resolved
            only.add("__".join([*relations, column]))
            joins.update("__".join(relations[:i]) for i in range(1, len(relations) + 1))
    if prefetches:
        queryset = queryset.prefetch_related(None)
        kept = [p for name, p in prefetches.items() if name in serializer.fields]
        if kept:
            queryset = queryset.prefetch_related(*kept)
            needs_full_rows = True  # prefetches join back on columns we may not list
    if needs_full_rows:
        return queryset
    if _has(queryset.model, "updated_at"):
        only.add("updated_at")  # the ETag and the sync cursor read it
    queryset = queryset.select_related(None)
    if joins:  # (select_related() without names would follow every foreign key)
        queryset = queryset.select_related(*sorted(joins))
    return queryset.only(*sorted(only))


def _has(model: type[models.Model], name: str) -> bool:
    try:
        model._meta.get_field(name)
    except FieldDoesNotExist:
        return False
    return True
