"""FilterSet building blocks shared by every app's filters.py (API and portal lists)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django_filters.filterset import FILTER_FOR_DBFIELD_DEFAULTS


class CharInFilter(django_filters.BaseInFilter, django_filters.CharFilter):
    """Comma-separated values: `?province__in=43,54`."""


class YearFilter(django_filters.NumberFilter):
    """A calendar year, 1 to 9999 (a date's year outside that range is a 400, not an
    error in the date lookup)."""

    field_class = forms.IntegerField

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", 9999)
        super().__init__(*args, **kwargs)


class UtcDateTimeField(forms.DateTimeField):
    """A date-time, sent to the database in UTC. Python accepts UTC offsets up to ±23:59,
    PostgreSQL only to ±15:59: an offset beyond that would be a database error, so every
    value is converted to UTC here (and one that leaves the calendar is a 400)."""

    def to_python(self, value: Any) -> dt.datetime | None:
        moment = super().to_python(value)
        if moment is None:
            return None
        try:
            return moment.astimezone(dt.UTC)
        except (OverflowError, ValueError) as exc:
            raise ValidationError(self.error_messages["invalid"], code="invalid") from exc


class UtcDateTimeFilter(django_filters.DateTimeFilter):
    field_class = UtcDateTimeField


class BaseFilterSet(django_filters.FilterSet):
    """The FilterSet of the registry and the programme: date-times in UTC."""

    FILTER_DEFAULTS = {
        **FILTER_FOR_DBFIELD_DEFAULTS,
        models.DateTimeField: {"filter_class": UtcDateTimeFilter},
    }
