from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.policy import Action
from accounts.scoped_admin import ScopedModelAdmin

from .models import Notification
from .services import resend_notifications


@admin.register(Notification)
class NotificationAdmin(ScopedModelAdmin):
    """Notifications of the users in scope, read-only: the rules create them and the
    recipient marks them read. Failed and unknown e-mails are resent with an action."""

    large_table = True  # one row per user, rule, record, step and channel, every day
    list_display = (
        "subject",
        "recipient",
        "address",
        "rule_kind",
        "channel",
        "state",
        "due_date",
        "step",
        "created_at",
        "read_at",
    )
    # "rule" becomes a scoped filter (ScopedModelAdmin); the rules table is small
    list_filter = (
        "rule",
        "state",
        "channel",
        "rule_kind",
        ("created_at", admin.DateFieldListFilter),
        ("due_date", admin.DateFieldListFilter),
    )
    list_select_related = ("recipient",)
    search_fields = ("^recipient__username", "=address")
    actions = ("resend_notifications",)
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
        "address",
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

    def has_resend_permission(self, request: HttpRequest) -> bool:
        return self._may(request, Action.CHANGE, None)

    @admin.action(
        description=gettext_lazy("Resend the selected failed or unknown e-mails"),
        permissions=["resend"],
    )
    def resend_notifications(self, request: HttpRequest, queryset: QuerySet) -> None:
        selected = list(queryset.select_related(None).only("pk"))
        try:
            resent = resend_notifications(actor=request.user, notifications=selected)
        except PermissionDenied as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return
        if resent:
            self.message_user(
                request,
                _("%(n)d e-mails will be sent again.") % {"n": len(resent)},
                messages.SUCCESS,
            )
        skipped = len(selected) - len(resent)
        if skipped:
            self.message_user(
                request,
                _(
                    "%(n)d selected notifications were left alone: only failed or unknown "
                    "e-mails are resent."
                )
                % {"n": skipped},
                messages.WARNING,
            )
