"""FilterSets shared by the API and the portal's lists (the programme's records).

`province` / `region` match a record on either side where it has two (helper and
recipient, home and host); `helper_province`, `recipient_province`, `home_province` and
`host_province` pick one side. Province filters take codes ("43"), `__in` a comma-separated
list of them.
"""

from __future__ import annotations

from functools import reduce
from operator import or_
from typing import Any

import django_filters
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from core.filters import BaseFilterSet, CharInFilter, YearFilter

from .models import (
    FirmPairing,
    PairingAgreement,
    PairingGoal,
    ProgramTarget,
    ProgressReport,
    Quota,
    Secondment,
    StatSnapshot,
    TrainingActivity,
)


def _values(value: Any) -> list[str]:
    values = value if isinstance(value, list | tuple) else [value]
    return [str(v).strip() for v in values if str(v).strip()]


class EitherSideFilterSet(BaseFilterSet):
    """`province`, `province__in`, `region`, `region__in` over both sides of a record:
    subclasses name the paths to a Province in `province_paths`."""

    province_paths: tuple[str, ...] = ()

    province = django_filters.CharFilter(
        method="filter_province", label="province code (either side)"
    )
    province__in = CharInFilter(method="filter_province", label="province codes (either side)")
    region = django_filters.CharFilter(method="filter_region", label="NBS region (either side)")
    region__in = CharInFilter(method="filter_region", label="NBS regions (either side)")

    def _either(self, queryset: QuerySet, column: str, value: Any) -> QuerySet:
        values = _values(value)
        if not values:
            return queryset
        return queryset.filter(
            reduce(or_, (Q(**{f"{p}__{column}__in": values}) for p in self.province_paths))
        )

    def filter_province(self, queryset: QuerySet, name: str, value: Any) -> QuerySet:
        return self._either(queryset, "code", value)

    def filter_region(self, queryset: QuerySet, name: str, value: Any) -> QuerySet:
        return self._either(queryset, "region", value)


# --- agreements and quotas ---------------------------------------------------------------------


class PairingAgreementFilterSet(EitherSideFilterSet):
    province_paths = ("helper_province", "recipient_province")

    helper_province = django_filters.CharFilter(
        field_name="helper_province__code", label="helper province code"
    )
    helper_province__in = CharInFilter(
        field_name="helper_province__code", label="helper province codes"
    )
    recipient_province = django_filters.CharFilter(
        field_name="recipient_province__code", label="recipient province code"
    )
    recipient_province__in = CharInFilter(
        field_name="recipient_province__code", label="recipient province codes"
    )
    year = YearFilter(field_name="signed_on__year", label="year signed")

    class Meta:
        model = PairingAgreement
        fields = {
            "level": ["exact", "in"],
            "designated": ["exact"],
            "is_assumed": ["exact"],
            "signed_on": ["gte", "lte"],
            "term_start": ["gte", "lte"],
            "term_end": ["gte", "lte"],
            "updated_at": ["gte", "lte"],
        }


class QuotaFilterSet(BaseFilterSet):
    province = django_filters.CharFilter(
        method="filter_province", label="province code (host or source)"
    )
    province__in = CharInFilter(method="filter_province", label="province codes (host or source)")
    host_province = django_filters.CharFilter(method="filter_host", label="host province code")
    host_province__in = CharInFilter(method="filter_host", label="host province codes")
    source_province = django_filters.CharFilter(
        method="filter_source", label="source province code"
    )
    source_province__in = CharInFilter(method="filter_source", label="source province codes")

    class Meta:
        model = Quota
        fields = {
            "year": ["exact", "in", "gte", "lte"],
            "name": ["exact", "icontains"],
            "seats": ["gte", "lte"],
            "updated_at": ["gte", "lte"],
        }

    # many-to-many: EXISTS, so a quota with two matching provinces is listed once
    @staticmethod
    def _with(field: str, value: Any) -> Q:
        through = getattr(Quota, field).through
        return Q(
            Exists(through.objects.filter(quota=OuterRef("pk"), province__code__in=_values(value)))
        )

    def filter_host(self, queryset: QuerySet, name: str, value: Any) -> QuerySet:
        return queryset.filter(self._with("host_provinces", value))

    def filter_source(self, queryset: QuerySet, name: str, value: Any) -> QuerySet:
        return queryset.filter(self._with("source_provinces", value))

    def filter_province(self, queryset: QuerySet, name: str, value: Any) -> QuerySet:
        return queryset.filter(
            self._with("host_provinces", value) | self._with("source_provinces", value)
        )


# --- secondments ----------------------------------------------------------------------------------


class SecondmentFilterSet(EitherSideFilterSet):
    province_paths = ("trainee__home_province", "host_firm__province")

    home_province = django_filters.CharFilter(
        field_name="trainee__home_province__code", label="trainee's home province code"
    )
    home_province__in = CharInFilter(
        field_name="trainee__home_province__code", label="trainee's home province codes"
    )
    host_province = django_filters.CharFilter(
        field_name="host_firm__province__code", label="host firm's province code"
    )
    host_province__in = CharInFilter(
        field_name="host_firm__province__code", label="host firm's province codes"
    )
    host_firm = django_filters.CharFilter(
        field_name="host_firm__credit_code", label="host firm credit code"
    )
    mentor = django_filters.CharFilter(
        field_name="mentor__current_licence_no", label="mentor's licence number"
    )
    trainee = django_filters.CharFilter(
        field_name="trainee__lawyer__current_licence_no", label="trainee's licence number"
    )
    trainee_id = django_filters.NumberFilter(field_name="trainee_id", label="trainee id")
    quota = django_filters.NumberFilter(field_name="quota_id", label="quota id")
    year = YearFilter(field_name="start_date__year", label="start year")
    evaluated = django_filters.BooleanFilter(
        method="filter_evaluated", label="has the mentor's evaluation"
    )
    signed_off = django_filters.BooleanFilter(
        field_name="bar_signed_off_on", lookup_expr="isnull", exclude=True, label="signed off"
    )

    class Meta:
        model = Secondment
        fields = {
            "status": ["exact", "in"],
            "evaluation_grade": ["exact", "in"],
            "start_date": ["gte", "lte"],
            "end_date": ["gte", "lte"],
            "updated_at": ["gte", "lte"],
        }

    def filter_evaluated(self, queryset: QuerySet, name: str, value: bool) -> QuerySet:
        return (
            queryset.exclude(evaluation_grade="") if value else queryset.filter(evaluation_grade="")
        )


class TrainingActivityFilterSet(EitherSideFilterSet):
    province_paths = ("secondment__trainee__home_province", "secondment__host_firm__province")

    secondment = django_filters.NumberFilter(field_name="secondment_id", label="secondment id")
    year = YearFilter(field_name="held_on__year", label="year held")

    class Meta:
        model = TrainingActivity
        fields = {
            "kind": ["exact", "in"],
            "held_on": ["gte", "lte"],
            "updated_at": ["gte", "lte"],
        }


# --- firm pairings -------------------------------------------------------------------------------


class FirmPairingFilterSet(EitherSideFilterSet):
    province_paths = ("helper_firm__province", "recipient_firm__province")

    helper_province = django_filters.CharFilter(
        field_name="helper_firm__province__code", label="helper firm's province code"
    )
    helper_province__in = CharInFilter(
        field_name="helper_firm__province__code", label="helper firm's province codes"
    )
    recipient_province = django_filters.CharFilter(
        field_name="recipient_firm__province__code", label="recipient firm's province code"
    )
    recipient_province__in = CharInFilter(
        field_name="recipient_firm__province__code", label="recipient firm's province codes"
    )
    helper_firm = django_filters.CharFilter(
        field_name="helper_firm__credit_code", label="helper firm credit code"
    )
    recipient_firm = django_filters.CharFilter(
        field_name="recipient_firm__credit_code", label="recipient firm credit code"
    )
    firm = django_filters.CharFilter(method="filter_firm", label="credit code of either firm")
    agreement = django_filters.NumberFilter(field_name="agreement_id", label="agreement id")
    year = YearFilter(field_name="term_start__year", label="start year")
    report_overdue = django_filters.BooleanFilter(
        method="filter_report_overdue", label="has a progress report past due and not submitted"
    )

    class Meta:
        model = FirmPairing
        fields = {
            "status": ["exact", "in"],
            "mode": ["exact", "in"],
            "term_start": ["gte", "lte"],
            "term_end": ["gte", "lte"],
            "ended_on": ["gte", "lte"],
            "updated_at": ["gte", "lte"],
        }

    def filter_firm(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        code = value.strip().upper()
        return queryset.filter(
            Q(helper_firm__credit_code=code) | Q(recipient_firm__credit_code=code)
        )

    def filter_report_overdue(self, queryset: QuerySet, name: str, value: bool) -> QuerySet:
        overdue = ProgressReport.objects.filter(
            ProgressReport.overdue_q(timezone.localdate()), pairing=OuterRef("pk")
        )
        return queryset.filter(Exists(overdue)) if value else queryset.exclude(Exists(overdue))


class PairingGoalFilterSet(EitherSideFilterSet):
    province_paths = ("pairing__helper_firm__province", "pairing__recipient_firm__province")

    pairing = django_filters.NumberFilter(field_name="pairing_id", label="pairing id")
    achieved = django_filters.BooleanFilter(
        field_name="achieved_on", lookup_expr="isnull", exclude=True, label="achieved"
    )
    year = YearFilter(field_name="due_date__year", label="due year")

    class Meta:
        model = PairingGoal
        fields = {
            "focus_area": ["exact", "in"],
            "due_date": ["gte", "lte"],
            "achieved_on": ["gte", "lte"],
            "updated_at": ["gte", "lte"],
        }


class ProgressReportFilterSet(EitherSideFilterSet):
    province_paths = ("pairing__helper_firm__province", "pairing__recipient_firm__province")

    pairing = django_filters.NumberFilter(field_name="pairing_id", label="pairing id")
    year = YearFilter(field_name="period_start__year", label="year of the period")
    overdue = django_filters.BooleanFilter(
        method="filter_overdue", label="past its due date and not submitted"
    )

    class Meta:
        model = ProgressReport
        fields = {
            "status": ["exact", "in"],
            "period_start": ["gte", "lte"],
            "period_end": ["gte", "lte"],
            "due_date": ["gte", "lte"],
            "submitted_at": ["gte", "lte"],
            "updated_at": ["gte", "lte"],
        }

    def filter_overdue(self, queryset: QuerySet, name: str, value: bool) -> QuerySet:
        overdue = ProgressReport.overdue_q(timezone.localdate())
        return queryset.filter(overdue) if value else queryset.exclude(overdue)


# --- reference figures ----------------------------------------------------------------------------


class ProgramTargetFilterSet(BaseFilterSet):
    province = django_filters.CharFilter(field_name="province__code", label="province code")
    province__in = CharInFilter(field_name="province__code", label="province codes")
    national = django_filters.BooleanFilter(
        field_name="province", lookup_expr="isnull", label="national targets (no province)"
    )

    class Meta:
        model = ProgramTarget
        fields = {
            "metric": ["exact", "in"],
            "year": ["exact", "in", "gte", "lte"],
            "updated_at": ["gte", "lte"],
        }


class StatSnapshotFilterSet(BaseFilterSet):
    province = django_filters.CharFilter(field_name="province__code", label="province code")
    province__in = CharInFilter(field_name="province__code", label="province codes")
    year = YearFilter(field_name="as_of__year", label="year of the figure")

    class Meta:
        model = StatSnapshot
        fields = {
            "key": ["exact", "in"],
            "as_of": ["gte", "lte"],
            "updated_at": ["gte", "lte"],
        }
