"""FilterSets shared by the API and the portal's lists."""

import django_filters

from core.filters import BaseFilterSet

from .models import BarAssociation, LawFirm


class LawFirmFilterSet(BaseFilterSet):
    province = django_filters.CharFilter(field_name="province__code", label="province code")
    province__in = django_filters.BaseInFilter(
        field_name="province__code", label="province codes (comma-separated)"
    )
    region = django_filters.CharFilter(field_name="province__region", label="NBS region")
    county = django_filters.CharFilter(field_name="county__code", label="county code")
    initials = django_filters.CharFilter(
        field_name="name_initials", lookup_expr="startswith", label="pinyin initials (zs)"
    )

    class Meta:
        model = LawFirm
        fields = {
            "credit_code": ["exact", "in"],
            "name": ["exact", "icontains"],
            "organisation_form": ["exact", "in"],
            "is_large_scale": ["exact"],
            "is_boutique": ["exact"],
            "is_model": ["exact"],
            "is_leading": ["exact"],
            "declared_lawyers": ["gte", "lte"],
            "founded_on": ["gte", "lte"],
            "updated_at": ["gte", "lte"],
        }


class BarAssociationFilterSet(BaseFilterSet):
    province = django_filters.CharFilter(field_name="province__code", label="province code")

    class Meta:
        model = BarAssociation
        fields = {"updated_at": ["gte", "lte"]}
