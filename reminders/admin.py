from django.contrib import admin
from django.http import HttpRequest

from accounts.scoped_admin import ScopedModelAdmin

from .models import Notification


@admin.register(Notification)
class NotificationAdmin(ScopedModelAdmin):
    """Notifications of the users in scope, read-only: the rules create them and the
    recipient marks them read (issue 6 adds resending failed e-mails as an action)."""

    large_table = True  # one row per user, rule, record, step and channel, every day
    list_display = (
        "subject",
        "recipient",
        "rule_kind",
        "channel",
        "state",
        "due_date",
        "step",
        "created_at",
        "read_at",
    )
    list_filter = ("rule_kind", "state", "channel")
    list_select_related = ("recipient",)
    search_fields = ("^recipient__username",)
    readonly_fields = (
        "recipient",
        "rule_kind",
        "channel",
        "subject",
        "body",
        "link",
        "object_label",
        "object_id",
        "due_date",
        "step",
        "state",
        "failure_reason",
        "sent_at",
        "read_at",
        "enqueued_at",
        "created_at",
        "updated_at",
    )
    fields = readonly_fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Notification | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Notification | None = None) -> bool:
        return False
