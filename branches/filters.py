"""FilterSets shared by the API and the portal's lists.

Every branch record is filtered by where its branch stands: `province` (code), `region`
and `county` (code) are the host county's, `parent_province` the parent firm's (the
helping province), each with an `__in` form taking comma-separated codes.
"""

from __future__ import annotations

import django_filters
from django.db.models import Q, QuerySet

from core.filters import BaseFilterSet, YearFilter
from regions.models import Region

from .models import BranchOffice, CareVisit, Posting, ServiceRecord, SupportContract


def _place_filters(prefix: str) -> dict[str, django_filters.Filter]:
    """Where the branch (reached through `prefix`) stands, and whom it belongs to."""
    county = f"{prefix}county"
    return {
        "province": django_filters.CharFilter(
            field_name=f"{county}__province__code", label="province code of the branch's county"
        ),
        "province__in": django_filters.BaseInFilter(
            field_name=f"{county}__province__code", label="province codes (comma-separated)"
        ),
        "region": django_filters.ChoiceFilter(
            field_name=f"{county}__province__region", choices=Region.choices, label="NBS region"
        ),
        "county": django_filters.CharFilter(field_name=f"{county}__code", label="county code"),
        "county__in": django_filters.BaseInFilter(
            field_name=f"{county}__code", label="county codes (comma-separated)"
        ),
        "parent_province": django_filters.CharFilter(
            field_name=f"{prefix}parent_firm__province__code",
            label="province code of the parent firm",
        ),
        "parent_province__in": django_filters.BaseInFilter(
            field_name=f"{prefix}parent_firm__province__code",
            label="parent firms' province codes (comma-separated)",
        ),
    }


def _branch_filters() -> dict[str, django_filters.Filter]:
    """The branch of a record, by its credit code."""
    return {
        "branch": django_filters.CharFilter(
            field_name="branch__credit_code", label="branch credit code"
        ),
        "branch__in": django_filters.BaseInFilter(
            field_name="branch__credit_code", label="branch credit codes (comma-separated)"
        ),
        "branch_id": django_filters.NumberFilter(field_name="branch_id", label="branch id"),
        **_place_filters("branch__"),
    }


# bases declaring those filters (FilterSet's metaclass collects them from the bases)
BranchPlaceFilterSet = type("BranchPlaceFilterSet", (BaseFilterSet,), _place_filters(""))
BranchRecordFilterSet = type("BranchRecordFilterSet", (BaseFilterSet,), _branch_filters())


class BranchOfficeFilterSet(BranchPlaceFilterSet):
    parent_firm = django_filters.CharFilter(
        field_name="parent_firm__credit_code", label="parent firm credit code"
    )
    year = YearFilter(field_name="established_on__year", label="year established")

    class Meta:
        model = BranchOffice
        fields = {
            "credit_code": ["exact", "in"],
            "name": ["exact", "icontains"],
            "status": ["exact", "in"],
            "minimum_staff": ["gte", "lte"],
            "established_on": ["gte", "lte"],
            "updated_at": ["gte", "lte"],
        }


class PostingFilterSet(BranchRecordFilterSet):
    lawyer = django_filters.CharFilter(
        field_name="lawyer__current_licence_no", label="lawyer's licence number"
    )
    lawyer_province = django_filters.CharFilter(
        field_name="lawyer__province__code", label="province code of the lawyer's registration"
    )
    year = YearFilter(field_name="start_date__year", label="start year")
    open = django_filters.BooleanFilter(
        field_name="end_date", lookup_expr="isnull", label="no end date"
    )
    active_on = django_filters.DateFilter(
        method="filter_active_on", label="posted on this day (start ≤ day ≤ end)"
    )
    # a generated column, which django-filter does not map by itself
    checklist_complete = django_filters.BooleanFilter(label="dispatch checklist complete")

    class Meta:
        model = Posting
        fields = {
            "kind": ["exact", "in"],
            "agreement_signed": ["exact"],
            "medical_passed": ["exact"],
            "licence_transferred": ["exact"],
            "gap_confirmed": ["exact"],
            "start_date": ["gte", "lte"],
            "end_date": ["gte", "lte"],
            "updated_at": ["gte", "lte"],
        }

    def filter_active_on(self, queryset: QuerySet, name: str, value) -> QuerySet:
        return queryset.filter(start_date__lte=value).filter(
            Q(end_date__isnull=True) | Q(end_date__gte=value)
        )


class ServiceRecordFilterSet(BranchRecordFilterSet):
    lawyer = django_filters.CharFilter(
        field_name="lawyer__current_licence_no", label="lawyer's licence number"
    )
    year = YearFilter(field_name="served_on__year", label="year")

    class Meta:
        model = ServiceRecord
        fields = {
            "kind": ["exact", "in"],
            "served_on": ["exact", "gte", "lte"],
            "quantity": ["gte", "lte"],
            "updated_at": ["gte", "lte"],
        }


class SupportContractFilterSet(BranchRecordFilterSet):
    year = YearFilter(field_name="start_date__year", label="start year")
    active_on = django_filters.DateFilter(
        method="filter_active_on", label="in force on this day (start ≤ day ≤ end)"
    )

    class Meta:
        model = SupportContract
        fields = {
            "kind": ["exact", "in"],
            "counterparty": ["exact", "icontains"],
            "funding_source": ["exact", "icontains"],
            "amount": ["gte", "lte"],
            "start_date": ["gte", "lte"],
            "end_date": ["gte", "lte"],
            "updated_at": ["gte", "lte"],
        }

    def filter_active_on(self, queryset: QuerySet, name: str, value) -> QuerySet:
        return queryset.filter(start_date__lte=value, end_date__gte=value)


class CareVisitFilterSet(BranchRecordFilterSet):
    year = YearFilter(field_name="visited_on__year", label="year")

    class Meta:
        model = CareVisit
        fields = {
            "visited_on": ["exact", "gte", "lte"],
            "visitor_organisation": ["exact", "icontains"],
            "updated_at": ["gte", "lte"],
        }
