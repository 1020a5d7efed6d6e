from rest_framework import serializers

from accounts.api.serializers import ScopedModelSerializer

from ..models import Notification


class NotificationSerializer(ScopedModelSerializer):
    """A notification to the caller. `link` is a path on this site to the record it is
    about (`object_label` + `object_id`)."""

    is_read = serializers.BooleanField(read_only=True)

    class Meta:
        model = Notification
        fields = (
            "id",
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
            "sent_at",
            "read_at",
            "is_read",
            "created_at",
            "updated_at",
        )
        read_only_fields = fields
        brief_fields = ("id", "rule_kind", "subject", "link", "read_at", "created_at")


class ReadAllResultSerializer(serializers.Serializer):
    marked = serializers.IntegerField(help_text="Notifications marked read. 标记为已读的通知数。")
