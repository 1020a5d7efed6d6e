from __future__ import annotations

from typing import Any

from rest_framework import serializers

from accounts.api.serializers import NaturalKeyRelatedField, ScopedModelSerializer
from firms.models import LawFirm
from lawyers.api.fields import (
    ChoiceListField,
    LawyerKeyField,
    ScopedPrimaryKeyRelatedField,
    TraineeKeyField,
)
from lawyers.api.service_input import ServiceInputSerializerMixin
from regions.models import Province

from ..models import (
    EvaluationGrade,
    FirmPairing,
    FocusArea,
    PairingAgreement,
    PairingGoal,
    ProgramTarget,
    ProgressReport,
    Quota,
    Secondment,
    StatSnapshot,
    TrainingActivity,
)


def province_code(**kwargs: Any) -> NaturalKeyRelatedField:
    return NaturalKeyRelatedField(model=Province, natural_key="code", **kwargs)


def firm_code(**kwargs: Any) -> NaturalKeyRelatedField:
    return NaturalKeyRelatedField(model=LawFirm, natural_key="credit_code", **kwargs)


# --- agreements and quotas -------------------------------------------------------------------


class PairingAgreementSerializer(ScopedModelSerializer):
    """A helper province ⇄ recipient province agreement; provinces by code (or id)."""

    helper_province = province_code()
    recipient_province = province_code()

    class Meta:
        model = PairingAgreement
        fields = (
            "id",
            "helper_province",
            "recipient_province",
            "level",
            "designated",
            "signed_on",
            "term_start",
            "term_end",
            "source_note",
            "is_assumed",
            "created_at",
            "updated_at",
        )
        read_only_fields = ("created_at", "updated_at")
        brief_fields = ("id", "helper_province", "recipient_province", "level")
        # (the pair and level are what the agreement is; another pair is another agreement)
        write_only_on_create = ("helper_province", "recipient_province", "level")


class QuotaSerializer(ServiceInputSerializerMixin, ScopedModelSerializer):
    """Secondment seats of a year: host provinces receive lawyers of source provinces
    (province codes, or ids). `seats_taken`: seats held by secondments not cancelled."""

    host_provinces = province_code(many=True)
    source_provinces = province_code(many=True)
    seats_taken = serializers.IntegerField(source="seats_booked", read_only=True)

    class Meta:
        model = Quota
        fields = (
            "id",
            "year",
            "name",
            "host_provinces",
            "source_provinces",
            "seats",
            "seats_taken",
            "note",
            "created_at",
            "updated_at",
        )
        read_only_fields = ("created_at", "updated_at")
        brief_fields = ("id", "year", "name", "seats")
        service_input = ("host_provinces", "source_provinces")


# --- secondments ------------------------------------------------------------------------------


class TrainingActivitySerializer(ScopedModelSerializer):
    """One training activity of a secondment (`secondment`: its id)."""

    secondment = ScopedPrimaryKeyRelatedField(model=Secondment)

    class Meta:
        model = TrainingActivity
        fields = (
            "id",
            "secondment",
            "kind",
            "held_on",
            "hours",
            "title",
            "created_at",
            "updated_at",
        )
        read_only_fields = ("created_at", "updated_at")
        brief_fields = ("id", "secondment", "kind", "held_on", "hours")
        write_only_on_create = ("secondment",)


class NestedActivitySerializer(serializers.ModelSerializer):
    # (plain text here: the choices are documented once, on /training-activities/)
    kind = serializers.CharField(read_only=True)

    class Meta:
        model = TrainingActivity
        fields = ("id", "kind", "held_on", "hours", "title")
        read_only_fields = fields


class SecondmentSerializer(ScopedModelSerializer):
    """跟班学习: a trainee (licence number or trainee id) at a host firm (credit code or id)
    with a mentor of that firm (licence number or id), on a quota seat (quota id). The
    status, cancellation, evaluation and sign-off change through the action endpoints."""

    trainee = TraineeKeyField()
    trainee_name = serializers.CharField(source="trainee.lawyer.name", read_only=True)
    home_province = province_code(source="trainee.home_province", read_only=True)
    host_firm = firm_code()
    host_province = province_code(source="host_firm.province", read_only=True)
    mentor = LawyerKeyField()
    mentor_name = serializers.CharField(source="mentor.name", read_only=True)
    quota = ScopedPrimaryKeyRelatedField(model=Quota)
    activities = NestedActivitySerializer(many=True, read_only=True)

    class Meta:
        model = Secondment
        fields = (
            "id",
            "trainee",
            "trainee_name",
            "home_province",
            "host_firm",
            "host_province",
            "mentor",
            "mentor_name",
            "quota",
            "start_date",
            "end_date",
            "status",
            "cancel_reason",
            "evaluation_grade",
            "evaluation_comment",
            "evaluated_on",
            "bar_signed_off_on",
            "activities",
            "created_at",
            "updated_at",
        )
        read_only_fields = (
            "status",
            "cancel_reason",
            "evaluation_grade",
            "evaluation_comment",
            "evaluated_on",
            "bar_signed_off_on",
            "created_at",
            "updated_at",
        )
        brief_fields = (
            "id",
            "trainee",
            "host_firm",
            "start_date",
            "end_date",
            "status",
        )
        write_only_on_create = ("trainee",)


class ReasonSerializer(serializers.Serializer):
    """Why (cancel a secondment, dissolve a pairing, return a report)."""

    reason = serializers.CharField(max_length=256, trim_whitespace=True)


class LongReasonSerializer(serializers.Serializer):
    """Why a report goes back to the pairing (free text)."""

    reason = serializers.CharField(max_length=4000, trim_whitespace=True)


class EvaluationSerializer(serializers.Serializer):
    """The mentor's evaluation of a secondment (named as on the secondment)."""

    evaluation_grade = serializers.ChoiceField(choices=EvaluationGrade.choices)
    evaluation_comment = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=4000
    )


# --- firm pairings ----------------------------------------------------------------------------


class NestedGoalSerializer(serializers.ModelSerializer):
    class Meta:
        model = PairingGoal
        fields = ("id", "title", "focus_area", "due_date", "achieved_on")
        read_only_fields = fields


class NestedReportSerializer(serializers.ModelSerializer):
    # (plain text here: the choices are documented once, on /progress-reports/)
    status = serializers.CharField(read_only=True)

    class Meta:
        model = ProgressReport
        fields = ("id", "period_start", "period_end", "due_date", "status")
        read_only_fields = fields


class FirmPairingSerializer(ScopedModelSerializer):
    """律师事务所“1对1”结对: helper and recipient firms (credit codes, or ids) under an
    agreement (its id). Goals and reports are listed read-only; write them at
    /pairing-goals/ and /progress-reports/. The status changes through the actions."""

    helper_firm = firm_code()
    helper_province = province_code(source="helper_firm.province", read_only=True)
    recipient_firm = firm_code()
    recipient_province = province_code(source="recipient_firm.province", read_only=True)
    agreement = ScopedPrimaryKeyRelatedField(model=PairingAgreement)
    focus_areas = ChoiceListField(choices=FocusArea.choices, required=False)
    goals = NestedGoalSerializer(many=True, read_only=True)
    reports = NestedReportSerializer(many=True, read_only=True)

    class Meta:
        model = FirmPairing
        fields = (
            "id",
            "helper_firm",
            "helper_province",
            "recipient_firm",
            "recipient_province",
            "agreement",
            "mode",
            "focus_areas",
            "term_start",
            "term_end",
            "status",
            "ended_on",
            "dissolve_reason",
            "goals",
            "reports",
            "created_at",
            "updated_at",
        )
        read_only_fields = ("status", "ended_on", "dissolve_reason", "created_at", "updated_at")
        brief_fields = ("id", "helper_firm", "recipient_firm", "mode", "status")
        write_only_on_create = ("helper_firm", "recipient_firm", "agreement")


class PairingGoalSerializer(ScopedModelSerializer):
    """A goal of a pairing (`pairing`: its id)."""

    pairing = ScopedPrimaryKeyRelatedField(model=FirmPairing)

    class Meta:
        model = PairingGoal
        fields = (
            "id",
            "pairing",
            "title",
            "focus_area",
            "due_date",
            "achieved_on",
            "created_at",
            "updated_at",
        )
        read_only_fields = ("created_at", "updated_at")
        brief_fields = ("id", "pairing", "title", "due_date", "achieved_on")
        write_only_on_create = ("pairing",)


class ProgressReportSerializer(ScopedModelSerializer):
    """A progress report of a pairing (`pairing`: its id). Drafts (and returned reports)
    are written here; submit, accept and return are actions."""

    pairing = ScopedPrimaryKeyRelatedField(model=FirmPairing)

    class Meta:
        model = ProgressReport
        fields = (
            "id",
            "pairing",
            "period_start",
            "period_end",
            "due_date",
            "status",
            "narrative",
            "trainings_held",
            "lawyers_trained",
            "joint_cases",
            "rules_adopted",
            "submitted_at",
            "reviewed_at",
            "return_reason",
            "created_at",
            "updated_at",
        )
        read_only_fields = (
            "status",
            "submitted_at",
            "reviewed_at",
            "return_reason",
            "created_at",
            "updated_at",
        )
        brief_fields = ("id", "pairing", "period_start", "period_end", "due_date", "status")
        write_only_on_create = ("pairing",)


# --- reference figures -------------------------------------------------------------------------


class ProgramTargetSerializer(ScopedModelSerializer):
    """A programme target: national when `province` is null, for the whole programme when
    `year` is null."""

    province = province_code(read_only=True)

    class Meta:
        model = ProgramTarget
        fields = ("id", "metric", "province", "year", "value", "source_note", "updated_at")
        read_only_fields = fields
        brief_fields = ("id", "metric", "province", "year", "value")


class StatSnapshotSerializer(ScopedModelSerializer):
    """An official statistic as published, with its source and date."""

    province = province_code(read_only=True)

    class Meta:
        model = StatSnapshot
        fields = (
            "id",
            "key",
            "label",
            "value",
            "unit",
            "province",
            "region_note",
            "as_of",
            "source",
            "updated_at",
        )
        read_only_fields = fields
        brief_fields = ("id", "key", "value", "unit", "as_of")
