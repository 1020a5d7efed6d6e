"""FilterSets shared by the API and the portal's lists (lawyers and trainees)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Exists, OuterRef, QuerySet
from django_filters.filterset import FILTER_FOR_DBFIELD_DEFAULTS

from .models import ExperienceGroup, Gender, Lawyer, LawyerLicence, PracticeArea, Trainee


class CharInFilter(django_filters.BaseInFilter, django_filters.CharFilter):
    """Comma-separated values: `?province__in=43,54`."""


class YearFilter(django_filters.NumberFilter):
    """A calendar year, 1 to 9999 (a date's year outside that range is a 400, not an
    error in the date lookup)."""

    field_class = forms.IntegerField

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", 9999)
        super().__init__(*args, **kwargs)


class UtcDateTimeField(forms.DateTimeField):
    """A date-time, sent to the database in UTC. Python accepts UTC offsets up to ±23:59,
    PostgreSQL only to ±15:59: an offset beyond that would be a database error, so every
    value is converted to UTC here (and one that leaves the calendar is a 400)."""

    def to_python(self, value: Any) -> dt.datetime | None:
        moment = super().to_python(value)
        if moment is None:
            return None
        try:
            return moment.astimezone(dt.UTC)
        except (OverflowError, ValueError) as exc:
            raise ValidationError(self.error_messages["invalid"], code="invalid") from exc


class UtcDateTimeFilter(django_filters.DateTimeFilter):
    field_class = UtcDateTimeField


class BaseFilterSet(django_filters.FilterSet):
    """The FilterSet of the registry and the programme: date-times in UTC."""

    FILTER_DEFAULTS = {
        **FILTER_FOR_DBFIELD_DEFAULTS,
        models.DateTimeField: {"filter_class": UtcDateTimeFilter},
    }


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
