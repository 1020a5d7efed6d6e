"""Lawyers (with licence history) and trainees of the 千名青年律师 programme."""

from __future__ import annotations

from django.db.models import Prefetch
from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_view

from accounts.api.viewsets import ScopedModelViewSet

from ..filters import LawyerFilterSet, TraineeFilterSet
from ..models import Lawyer, LawyerLicence, Trainee
from ..services import nominate_trainee, register_lawyer, save_lawyer, save_trainee
from .serializers import LawyerSerializer, LawyerWriteSerializer, TraineeSerializer
from .service_input import ServiceInputViewSetMixin


@extend_schema_view(
    list=extend_schema(summary="List lawyers 律师列表"),
    retrieve=extend_schema(summary="A lawyer with licence history 律师详情（含执业证历史）"),
    create=extend_schema(
        summary="Register a lawyer with the current licence 登记律师及现执业证",
        request=LawyerWriteSerializer,
        responses={201: LawyerSerializer},
    ),
    update=extend_schema(
        summary="Replace a lawyer's details 更新律师信息",
        request=LawyerWriteSerializer,
        responses={200: LawyerSerializer},
    ),
    partial_update=extend_schema(
        summary="Change some details 部分更新律师信息",
        request=LawyerWriteSerializer,
        responses={200: LawyerSerializer},
    ),
)
class LawyerViewSet(ServiceInputViewSetMixin, ScopedModelViewSet):
    model = Lawyer
    serializer_class = LawyerSerializer
    write_serializer_class = LawyerWriteSerializer
    filterset_class = LawyerFilterSet
    select_related = ("province", "firm")
    prefetch_related = {
        "licences": Prefetch(
            "licences",
            queryset=LawyerLicence.objects.select_related("issuing_province").order_by(
                "-valid_from", "id"
            ),
        )
    }
    ordering = ("name_pinyin", "id")
    personal_data_permission = "lawyers.view_personal_data"
    large_table = True
    writable = True

    def save_instance(self, instance, *, created):
        if not created:
            return save_lawyer(actor=self.request.user, lawyer=instance)
        licence = self.service_input()
        return register_lawyer(
            actor=self.request.user,
            lawyer=instance,
            licence_number=licence["licence_number"],
            licence_valid_from=licence["licence_valid_from"],
        )


@extend_schema_view(
    list=extend_schema(summary="List trainees 青年律师学员列表"),
    retrieve=extend_schema(summary="A trainee 学员详情"),
    create=extend_schema(summary="Nominate a trainee 推荐学员"),
    update=extend_schema(summary="Replace a trainee's details 更新学员信息"),
    partial_update=extend_schema(summary="Change some details 部分更新学员信息"),
)
class TraineeViewSet(ScopedModelViewSet):
    model = Trainee
    serializer_class = TraineeSerializer
    filterset_class = TraineeFilterSet
    select_related = ("lawyer", "home_province")
    ordering = ("-cohort_year", "id")
    large_table = True
    writable = True

    def save_instance(self, instance, *, created):
        if created:  # checks eligibility, derives the experience group
            return nominate_trainee(
                actor=self.request.user, trainee=instance, today=timezone.localdate()
            )
        return save_trainee(actor=self.request.user, trainee=instance)
