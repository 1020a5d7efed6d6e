"""FilterSets shared by the API and the portal's lists (lawyers and trainees)."""

from __future__ import annotations

import django_filters
from django.db.models import Exists, OuterRef, QuerySet

from core.filters import BaseFilterSet, CharInFilter, YearFilter

from .models import ExperienceGroup, Gender, Lawyer, LawyerLicence, PracticeArea, Trainee


class LawyerFilterSet(BaseFilterSet):
    province = django_filters.CharFilter(
        field_name="province__code", label="province code (of the current licence)"
    )
    province__in = CharInFilter(field_name="province__code", label="province codes")
    region = django_filters.CharFilter(field_name="province__region", label="NBS region")
    region__in = CharInFilter(field_name="province__region", label="NBS regions")
    firm = django_filters.CharFilter(field_name="firm__credit_code", label="firm credit code")
    firm__in = CharInFilter(field_name="firm__credit_code", label="firm credit codes")
    firm_province = django_filters.CharFilter(
        field_name="firm__province__code", label="province code of the firm"
    )
    licence_no = django_filters.CharFilter(
        field_name="current_licence_no", label="current licence number"
    )
    licence_no__in = CharInFilter(field_name="current_licence_no", label="current licence numbers")
    licence = django_filters.CharFilter(
        method="filter_any_licence", label="any licence number the lawyer held"
    )
    initials = django_filters.CharFilter(
        field_name="name_initials", lookup_expr="startswith", label="pinyin initials (zs)"
    )
    gender = django_filters.ChoiceFilter(choices=Gender.choices)
    practice_area = django_filters.ChoiceFilter(
        choices=PracticeArea.choices, method="filter_practice_area", label="practice area"
    )

    class Meta:
        model = Lawyer
        # (no filter on political status or contact details: a key without the personal-data
        # scope could read them back through a filter)
        fields = {
            "name": ["exact"],
            "first_licence_year": ["exact", "gte", "lte"],
            "birth_date": ["gte", "lte"],
            "updated_at": ["gte", "lte"],
        }

    def filter_any_licence(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        held = LawyerLicence.objects.filter(lawyer=OuterRef("pk"), number=value.strip())
        return queryset.filter(Exists(held))

    def filter_practice_area(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(practice_areas__contains=[value])


class TraineeFilterSet(BaseFilterSet):
    province = django_filters.CharFilter(field_name="home_province__code", label="home province")
    province__in = CharInFilter(field_name="home_province__code", label="home province codes")
    region = django_filters.CharFilter(field_name="home_province__region", label="NBS region")
    region__in = CharInFilter(field_name="home_province__region", label="NBS regions")
    host_province = django_filters.CharFilter(
        method="filter_host_province", label="province of a host firm of the trainee"
    )
    lawyer = django_filters.CharFilter(
        field_name="lawyer__current_licence_no", label="lawyer's current licence number"
    )
    year = YearFilter(field_name="cohort_year", label="cohort year")
    status__in = CharInFilter(field_name="status", label="statuses")
    experience_group = django_filters.ChoiceFilter(choices=ExperienceGroup.choices)

    class Meta:
        model = Trainee
        fields = {
            "cohort_year": ["exact", "in", "gte", "lte"],
            "status": ["exact"],
            "practice_track": ["exact", "in"],
            "selection_date": ["gte", "lte"],
            "updated_at": ["gte", "lte"],
        }

    def filter_host_province(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        # the reverse relation's model (lawyers does not import pairing, which comes after it)
        secondment = Trainee._meta.get_field("secondments").related_model
        hosted = secondment._default_manager.filter(
            trainee=OuterRef("pk"), host_firm__province__code=value.strip()
        )
        return queryset.filter(Exists(hosted))
