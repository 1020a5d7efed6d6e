"""FilterSets shared by the API and portal lists."""

import django_filters

from core.filters import BaseFilterSet

from .models import County, Province


class ProvinceFilterSet(BaseFilterSet):
    class Meta:
        model = Province
        fields = {"code": ["exact", "in"], "region": ["exact", "in"], "is_recipient": ["exact"]}


class CountyFilterSet(BaseFilterSet):
    province = django_filters.CharFilter(field_name="province__code", label="province code")
    active = django_filters.BooleanFilter(
        field_name="valid_to", lookup_expr="isnull", label="in force (no end date)"
    )

    class Meta:
        model = County
        fields = {
            "code": ["exact", "in", "startswith"],
            "lawyer_status": ["exact", "in"],
            "was_no_lawyer": ["exact"],
            "is_corps": ["exact"],
        }
