"""Branch offices, postings (ended through an action that checks staffing), service
records, support contracts and care visits."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.api.viewsets import IDEMPOTENCY_KEY, IF_MATCH, ScopedModelViewSet

from ..filters import (
    BranchOfficeFilterSet,
    CareVisitFilterSet,
    PostingFilterSet,
    ServiceRecordFilterSet,
    SupportContractFilterSet,
)
from ..models import BranchOffice, CareVisit, Posting, ServiceRecord, SupportContract
from ..services import (
    StaffingGapError,
    add_posting,
    end_posting,
    save_branch_office,
    save_branch_record,
    save_posting,
)
from .serializers import (
    BranchOfficeSerializer,
    CareVisitSerializer,
    EndPostingSerializer,
    PostingSerializer,
    ServiceRecordSerializer,
    SupportContractSerializer,
)


def staff_on(day: Any) -> Coalesce:
    """Lawyers with a complete checklist posted at the branch on `day`: one correlated
    subquery per row in the page's own query (posting_branch_dates_idx), no extra queries."""
    posted = (
        Posting.objects.filter(branch=OuterRef("pk"), checklist_complete=True, start_date__lte=day)
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=day))
        .order_by()
        .values("branch")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(posted, output_field=IntegerField()), 0)


@extend_schema_view(
    list=extend_schema(summary="List branch offices 分所列表"),
    retrieve=extend_schema(summary="A branch office 分所详情"),
    create=extend_schema(summary="Register a branch office 登记分所"),
    update=extend_schema(summary="Replace a branch office's details 更新分所"),
    partial_update=extend_schema(summary="Change some details 部分更新分所"),
)
class BranchOfficeViewSet(ScopedModelViewSet):
    model = BranchOffice
    serializer_class = BranchOfficeSerializer
    filterset_class = BranchOfficeFilterSet
    select_related = ("parent_firm", "county__province")
    ordering = ("county__code", "id")
    writable = True

    def base_queryset(self) -> QuerySet:
        return super().base_queryset().annotate(staff_today=staff_on(timezone.localdate()))

    def read_data(self, instance: BranchOffice) -> Any:
        # after a write: read it back with the staffing summary
        return super().read_data(self.base_queryset().get(pk=instance.pk))

    def save_instance(self, instance, *, created):
        return save_branch_office(actor=self.request.user, branch=instance)


@extend_schema_view(
    list=extend_schema(summary="List postings 派驻列表"),
    retrieve=extend_schema(summary="A posting 派驻详情"),
    create=extend_schema(summary="Post a lawyer to a branch 派驻律师到分所"),
    update=extend_schema(summary="Replace a posting's details 更新派驻"),
    partial_update=extend_schema(
        summary="Change some details (checklist) 部分更新派驻（派驻清单）"
    ),
)
class PostingViewSet(ScopedModelViewSet):
    model = Posting
    serializer_class = PostingSerializer
    filterset_class = PostingFilterSet
    select_related = ("lawyer", "branch")
    ordering = ("branch_id", "-start_date", "id")
    writable = True

    def save_instance(self, instance, *, created):
        if created:
            return add_posting(actor=self.request.user, posting=instance)
        # the serializer's write-only `confirm_gap`, set on the instance by the update
        confirm_gap = bool(instance.__dict__.pop("confirm_gap", False))
        return save_posting(actor=self.request.user, posting=instance, confirm_gap=confirm_gap)

    @extend_schema(
        summary="End a posting 结束派驻",
        description="Ends the posting on `end_date`. If the branch would then fall below its "
        "minimum staff within 30 days, the answer is 400 (`end_date` names the first short "
        "day, `confirm_gap` how to go ahead) unless `confirm_gap` is true; the confirmation "
        "is recorded (`gap_confirmed`). An end date before the start is a 400. "
        "在 `end_date` 结束派驻。若分所因此在30天内低于最低人员配置，除非 `confirm_gap` 为 "
        "true，否则返回 400（`end_date` 指明首个缺员日，`confirm_gap` 说明如何确认）；确认将被"
        "记录（`gap_confirmed`）。结束日期早于开始日期时返回 400。",
        request=EndPostingSerializer,
        responses=PostingSerializer,
        parameters=[IF_MATCH, IDEMPOTENCY_KEY],
    )
    @action(detail=True, methods=["post"])
    def end(self, request: Request, pk: str | None = None) -> Response:
        self.get_object()  # another province's posting: 404 before looking at the body
        body = EndPostingSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            return self.transition(request, end_posting, argument="posting", **body.validated_data)
        except StaffingGapError as exc:
            problem = exc.message_dict.get("end_date", [])
            raise serializers.ValidationError(
                {
                    "end_date": problem,
                    "confirm_gap": [
                        _(
                            "Staffing gap: ending this posting leaves the branch short of "
                            "staff. Send confirm_gap: true to end it anyway."
                        )
                    ],
                }
            ) from exc


class BranchRecordViewSet(ScopedModelViewSet):
    """Service records, support contracts and care visits: written by save_branch_record."""

    select_related = ("branch",)
    writable = True

    def save_instance(self, instance, *, created):
        return save_branch_record(actor=self.request.user, record=instance)


@extend_schema_view(
    list=extend_schema(summary="List service records 分所服务记录列表"),
    retrieve=extend_schema(summary="A service record 服务记录详情"),
    create=extend_schema(summary="Record a service 登记服务记录"),
    update=extend_schema(summary="Replace a service record 更新服务记录"),
    partial_update=extend_schema(summary="Change a service record 部分更新服务记录"),
)
class ServiceRecordViewSet(BranchRecordViewSet):
    model = ServiceRecord
    serializer_class = ServiceRecordSerializer
    filterset_class = ServiceRecordFilterSet
    select_related = ("branch", "lawyer")
    ordering = ("-served_on", "id")
    large_table = True  # millions over the years


@extend_schema_view(
    list=extend_schema(summary="List support contracts 分所保障合同列表"),
    retrieve=extend_schema(summary="A support contract 保障合同详情"),
    create=extend_schema(summary="Record a support contract 登记保障合同"),
    update=extend_schema(summary="Replace a support contract 更新保障合同"),
    partial_update=extend_schema(summary="Change a support contract 部分更新保障合同"),
)
class SupportContractViewSet(BranchRecordViewSet):
    model = SupportContract
    serializer_class = SupportContractSerializer
    filterset_class = SupportContractFilterSet
    ordering = ("-start_date", "id")


@extend_schema_view(
    list=extend_schema(summary="List care visits 走访慰问列表"),
    retrieve=extend_schema(summary="A care visit 走访慰问详情"),
    create=extend_schema(summary="Record a care visit 登记走访慰问"),
    update=extend_schema(summary="Replace a care visit 更新走访慰问"),
    partial_update=extend_schema(summary="Change a care visit 部分更新走访慰问"),
)
class CareVisitViewSet(BranchRecordViewSet):
    model = CareVisit
    serializer_class = CareVisitSerializer
    filterset_class = CareVisitFilterSet
    ordering = ("-visited_on", "id")
