"""The programme over the API: agreements, quotas, secondments (with activities and the
mentor's evaluation), 1对1 firm pairings with goals and progress reports, targets and
official statistics. Writes and state changes call pairing.services."""

from __future__ import annotations

from django.db.models import Count, OuterRef, Prefetch, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework.decorators import action

from accounts.api.viewsets import IDEMPOTENCY_KEY, IF_MATCH, ScopedModelViewSet
from lawyers.api.service_input import ServiceInputViewSetMixin

from .. import services
from ..filters import (
    FirmPairingFilterSet,
    PairingAgreementFilterSet,
    PairingGoalFilterSet,
    ProgramTargetFilterSet,
    ProgressReportFilterSet,
    QuotaFilterSet,
    SecondmentFilterSet,
    StatSnapshotFilterSet,
    TrainingActivityFilterSet,
)
from ..models import (
    FirmPairing,
    PairingAgreement,
    PairingGoal,
    ProgramTarget,
    ProgressReport,
    Quota,
    Secondment,
    SecondmentStatus,
    StatSnapshot,
    TrainingActivity,
)
from .serializers import (
    EvaluationSerializer,
    FirmPairingSerializer,
    LongReasonSerializer,
    PairingAgreementSerializer,
    PairingGoalSerializer,
    ProgramTargetSerializer,
    ProgressReportSerializer,
    QuotaSerializer,
    ReasonSerializer,
    SecondmentSerializer,
    StatSnapshotSerializer,
    TrainingActivitySerializer,
)

READ_ONLY = ["get", "head", "options"]
ACTION_PARAMETERS = [IF_MATCH, IDEMPOTENCY_KEY]


def state_change(summary: str, response: type, request: type | None = None):  # type: ignore[no-untyped-def]
    """The schema of a POST /{id}/<verb>/ action: the body it takes (or none) and the
    record as it is afterwards; 400 when the record is not in a state that allows it."""
    return extend_schema(
        summary=summary,
        request=request,
        responses={200: response},
        parameters=ACTION_PARAMETERS,
    )


def valid(serializer_class: type, request) -> dict:  # type: ignore[no-untyped-def]
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


# --- agreements and quotas -----------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(summary="List pairing agreements 对口帮扶协议列表"),
    retrieve=extend_schema(summary="A pairing agreement 对口帮扶协议详情"),
    create=extend_schema(summary="Record an agreement 登记对口帮扶协议"),
    update=extend_schema(summary="Replace an agreement's details 更新协议"),
    partial_update=extend_schema(summary="Change some details 部分更新协议"),
)
class PairingAgreementViewSet(ScopedModelViewSet):
    model = PairingAgreement
    serializer_class = PairingAgreementSerializer
    filterset_class = PairingAgreementFilterSet
    select_related = ("helper_province", "recipient_province")
    ordering = ("recipient_province__code", "helper_province__code", "level", "id")
    writable = True

    def save_instance(self, instance, *, created):
        return services.save_agreement(actor=self.request.user, agreement=instance)


@extend_schema_view(
    list=extend_schema(summary="List secondment quotas 跟班学习名额列表"),
    retrieve=extend_schema(summary="A quota 名额详情"),
    create=extend_schema(summary="Set a quota 设定名额"),
    update=extend_schema(summary="Replace a quota 更新名额"),
    partial_update=extend_schema(summary="Change a quota 部分更新名额"),
)
class QuotaViewSet(ServiceInputViewSetMixin, ScopedModelViewSet):
    model = Quota
    serializer_class = QuotaSerializer
    filterset_class = QuotaFilterSet
    prefetch_related = {"host_provinces": "host_provinces", "source_provinces": "source_provinces"}
    ordering = ("-year", "name", "id")
    writable = True

    def base_queryset(self):
        taken = (
            Secondment.objects.filter(quota=OuterRef("pk"))
            .exclude(status=SecondmentStatus.CANCELLED)
            .order_by()
            .values("quota")
            .annotate(n=Count("pk"))
            .values("n")
        )
        # (not named seats_taken: that is the model's method, which the services call)
        return super().base_queryset().annotate(seats_booked=Coalesce(Subquery(taken), 0))

    def read_data(self, instance):
        # the seats taken and the provinces as stored
        return super().read_data(self.base_queryset().get(pk=instance.pk))

    def save_instance(self, instance, *, created):
        return services.save_quota(actor=self.request.user, quota=instance, **self.service_input())


# --- secondments ---------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(summary="List secondments 跟班学习列表"),
    retrieve=extend_schema(summary="A secondment with activities and evaluation 跟班学习详情"),
    create=extend_schema(summary="Book a secondment on a quota seat 预订跟班学习名额"),
    update=extend_schema(summary="Change a planned secondment 修改计划中的跟班学习"),
    partial_update=extend_schema(summary="Change some details of a planned secondment 部分修改"),
)
class SecondmentViewSet(ScopedModelViewSet):
    model = Secondment
    serializer_class = SecondmentSerializer
    filterset_class = SecondmentFilterSet
    select_related = ("trainee__lawyer", "trainee__home_province", "host_firm__province", "mentor")
    prefetch_related = {
        "activities": Prefetch(
            "activities", queryset=TrainingActivity.objects.order_by("held_on", "id")
        )
    }
    ordering = ("-start_date", "id")
    large_table = True
    writable = True

    def save_instance(self, instance, *, created):
        if created:  # books a quota seat under the quota's lock
            return services.book_secondment(actor=self.request.user, secondment=instance)
        return services.change_secondment(actor=self.request.user, secondment=instance)

    @state_change("Start (on or after the start date) 开始跟班学习", SecondmentSerializer)
    @action(detail=True, methods=["post"])
    def start(self, request, pk=None):
        return self.transition(
            request, services.start_secondment, argument="secondment", today=timezone.localdate()
        )

    @state_change("Complete (on or after the end date) 完成跟班学习", SecondmentSerializer)
    @action(detail=True, methods=["post"])
    def complete(self, request, pk=None):
        return self.transition(
            request,
            services.complete_secondment,
            argument="secondment",
            today=timezone.localdate(),
        )

    @state_change(
        "Cancel, with the reason 取消跟班学习（须说明原因）", SecondmentSerializer, ReasonSerializer
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        body = valid(ReasonSerializer, request)
        return self.transition(
            request, services.cancel_secondment, argument="secondment", reason=body["reason"]
        )

    @state_change("The mentor's evaluation 导师评价", SecondmentSerializer, EvaluationSerializer)
    @action(detail=True, methods=["post"])
    def evaluate(self, request, pk=None):
        body = valid(EvaluationSerializer, request)
        return self.transition(
            request,
            services.evaluate_secondment,
            argument="secondment",
            grade=body["evaluation_grade"],
            comment=body["evaluation_comment"],
            today=timezone.localdate(),
        )

    @state_change("The home bar association's sign-off 派出地律协确认", SecondmentSerializer)
    @action(detail=True, methods=["post"], url_path="sign-off", url_name="sign-off")
    def sign_off(self, request, pk=None):
        return self.transition(
            request,
            services.sign_off_secondment,
            argument="secondment",
            today=timezone.localdate(),
        )


@extend_schema_view(
    list=extend_schema(summary="List training activities 培训活动列表"),
    retrieve=extend_schema(summary="A training activity 培训活动详情"),
    create=extend_schema(summary="Record an activity of a secondment 登记培训活动"),
    update=extend_schema(summary="Replace an activity 更新培训活动"),
    partial_update=extend_schema(summary="Change an activity 部分更新培训活动"),
)
class TrainingActivityViewSet(ScopedModelViewSet):
    model = TrainingActivity
    serializer_class = TrainingActivitySerializer
    filterset_class = TrainingActivityFilterSet
    ordering = ("secondment_id", "held_on", "id")
    large_table = True
    writable = True

    def save_instance(self, instance, *, created):
        return services.record_activity(actor=self.request.user, activity=instance)


# --- firm pairings ----------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(summary="List 1对1 firm pairings 律所结对列表"),
    retrieve=extend_schema(summary="A firm pairing with goals and reports 律所结对详情"),
    create=extend_schema(summary="Propose a pairing 提出律所结对"),
    update=extend_schema(summary="Change an open pairing's terms 修改结对条款"),
    partial_update=extend_schema(summary="Change some terms 部分修改结对条款"),
)
class FirmPairingViewSet(ScopedModelViewSet):
    model = FirmPairing
    serializer_class = FirmPairingSerializer
    filterset_class = FirmPairingFilterSet
    select_related = ("helper_firm__province", "recipient_firm__province")
    prefetch_related = {
        "goals": Prefetch("goals", queryset=PairingGoal.objects.order_by("due_date", "id")),
        "reports": Prefetch(
            "reports", queryset=ProgressReport.objects.order_by("-period_start", "id")
        ),
    }
    ordering = ("-term_start", "id")
    writable = True

    def save_instance(self, instance, *, created):
        if created:
            return services.propose_pairing(actor=self.request.user, pairing=instance)
        return services.change_pairing(actor=self.request.user, pairing=instance)

    @state_change(
        "Activate (1对1: one active pairing per firm and side) 启动结对", FirmPairingSerializer
    )
    @action(detail=True, methods=["post"])
    def activate(self, request, pk=None):
        return self.transition(request, services.activate_pairing, argument="pairing")

    @state_change("End (term completed) 结对期满结束", FirmPairingSerializer)
    @action(detail=True, methods=["post"])
    def end(self, request, pk=None):
        return self.transition(
            request, services.end_pairing, argument="pairing", today=timezone.localdate()
        )

    @state_change(
        "Dissolve, with the reason 解除结对（须说明原因）", FirmPairingSerializer, ReasonSerializer
    )
    @action(detail=True, methods=["post"])
    def dissolve(self, request, pk=None):
        body = valid(ReasonSerializer, request)
        return self.transition(
            request,
            services.dissolve_pairing,
            argument="pairing",
            reason=body["reason"],
            today=timezone.localdate(),
        )


@extend_schema_view(
    list=extend_schema(summary="List pairing goals 结对目标列表"),
    retrieve=extend_schema(summary="A pairing goal 结对目标详情"),
    create=extend_schema(summary="Add a goal to a pairing 添加结对目标"),
    update=extend_schema(summary="Replace a goal 更新结对目标"),
    partial_update=extend_schema(summary="Change a goal (e.g. achieved on) 部分更新结对目标"),
)
class PairingGoalViewSet(ScopedModelViewSet):
    model = PairingGoal
    serializer_class = PairingGoalSerializer
    filterset_class = PairingGoalFilterSet
    ordering = ("pairing_id", "due_date", "id")
    writable = True

    def save_instance(self, instance, *, created):
        return services.save_pairing_goal(actor=self.request.user, goal=instance)


@extend_schema_view(
    list=extend_schema(summary="List progress reports 结对进展报告列表"),
    retrieve=extend_schema(summary="A progress report 进展报告详情"),
    create=extend_schema(summary="Start a report (draft) 新建报告草稿"),
    update=extend_schema(summary="Replace a draft or returned report 更新报告草稿"),
    partial_update=extend_schema(summary="Change a draft or returned report 部分更新报告草稿"),
)
class ProgressReportViewSet(ScopedModelViewSet):
    model = ProgressReport
    serializer_class = ProgressReportSerializer
    filterset_class = ProgressReportFilterSet
    ordering = ("-period_start", "id")
    large_table = True
    writable = True

    def save_instance(self, instance, *, created):
        return services.save_report_draft(actor=self.request.user, report=instance)

    @state_change("Submit (needs the narrative) 提交报告", ProgressReportSerializer)
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        return self.transition(request, services.submit_report, argument="report")

    @state_change("Accept a submitted report 审核通过", ProgressReportSerializer)
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        return self.transition(request, services.accept_report, argument="report")

    @state_change(
        "Return a submitted report, with the reason 退回报告（须说明原因）",
        ProgressReportSerializer,
        LongReasonSerializer,
    )
    @action(detail=True, methods=["post"], url_path="return", url_name="return")
    def return_(self, request, pk=None):
        body = valid(LongReasonSerializer, request)
        return self.transition(
            request, services.return_report, argument="report", reason=body["reason"]
        )


# --- reference figures -----------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(summary="List programme targets 工程目标列表"),
    retrieve=extend_schema(summary="A programme target 工程目标详情"),
)
class ProgramTargetViewSet(ScopedModelViewSet):
    model = ProgramTarget
    serializer_class = ProgramTargetSerializer
    filterset_class = ProgramTargetFilterSet
    select_related = ("province",)
    ordering = ("metric", "province__code", "year", "id")
    http_method_names = READ_ONLY


@extend_schema_view(
    list=extend_schema(summary="List official statistics 官方统计数据列表"),
    retrieve=extend_schema(summary="An official statistic 官方统计数据详情"),
)
class StatSnapshotViewSet(ScopedModelViewSet):
    model = StatSnapshot
    serializer_class = StatSnapshotSerializer
    filterset_class = StatSnapshotFilterSet
    select_related = ("province",)
    ordering = ("key", "-as_of", "id")
    http_method_names = READ_ONLY
