"""The caller's own notifications: list, read one, mark read."""

from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.api.viewsets import IDEMPOTENCY_KEY, IF_MATCH, ScopedModelViewSet

from ..filters import NotificationFilterSet
from ..models import Notification
from ..services import mark_all_notifications_read, mark_notification_read
from .serializers import NotificationSerializer, ReadAllResultSerializer


@extend_schema_view(
    list=extend_schema(
        summary="List my notifications 我的通知列表",
        description="Only the caller's own notifications, newest first; `?unread=true` for the "
        "unread ones. 仅返回调用者本人的通知，最新的在前；`?unread=true` 只看未读。",
    ),
    retrieve=extend_schema(summary="One of my notifications 通知详情"),
    create=extend_schema(exclude=True),  # POST only for the actions below; create is a 405
)
class NotificationViewSet(ScopedModelViewSet):
    model = Notification
    serializer_class = NotificationSerializer
    filterset_class = NotificationFilterSet
    ordering = ("-created_at", "-id")
    http_method_names = ["get", "post", "head", "options"]

    def get_queryset(self):
        # the policy lets the ministry (and a province its own users') see more; here
        # every caller, the ministry included, gets only what was sent to them
        queryset = super().get_queryset()
        if getattr(self, "swagger_fake_view", False):
            return queryset
        return queryset.filter(recipient_id=self.request.user.pk)

    @extend_schema(
        summary="Mark read 标记为已读",
        description="Marks the notification read (reading it again keeps the first time). "
        "将通知标记为已读（重复标记保留首次阅读时间）。",
        request=None,
        responses=NotificationSerializer,
        parameters=[IF_MATCH, IDEMPOTENCY_KEY],
    )
    @action(detail=True, methods=["post"])
    def read(self, request: Request, pk: str | None = None) -> Response:
        return self.transition(
            request, mark_notification_read, argument="notification", now=timezone.now()
        )

    @extend_schema(
        summary="Mark all read 全部标记为已读",
        description="Marks every unread notification of the caller read. "
        "将调用者的全部未读通知标记为已读。",
        request=None,
        responses=ReadAllResultSerializer,
    )
    @action(detail=False, methods=["post"], url_path="read-all")
    def read_all(self, request: Request) -> Response:
        marked = mark_all_notifications_read(actor=request.user, now=timezone.now())
        return Response(ReadAllResultSerializer({"marked": marked}).data)
