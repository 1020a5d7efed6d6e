"""FilterSets shared by the API and the portal's notification list."""

import django_filters

from core.filters import BaseFilterSet

from .models import Notification


class NotificationFilterSet(BaseFilterSet):
    unread = django_filters.BooleanFilter(
        field_name="read_at", lookup_expr="isnull", label="unread (not yet marked read)"
    )

    class Meta:
        model = Notification
        fields = {
            "rule_kind": ["exact", "in"],
            "state": ["exact", "in"],
            "channel": ["exact"],
            "due_date": ["gte", "lte"],
            "created_at": ["gte", "lte"],
            "updated_at": ["gte", "lte"],
        }
