"""Admin list filters shared by the back office's changelists (province, region, year). Choices come from fixed
lists or the user's pickable provinces (policy PICK scope), never from a scan of a large
table, and every filter maps to an indexed column."""

from __future__ import annotations

import datetime as dt
from functools import reduce
from operator import or_
from typing import Any

from django.contrib import admin
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import Province, Region


def _any_path(paths: tuple[str, ...], suffix: str, value: Any) -> Q:
    return reduce(or_, (Q(**{f"{p}__{suffix}": value}) for p in paths))


def province_filter(*paths: str, title: Any = None) -> type[admin.SimpleListFilter]:
    """Filter rows involving a province (any of `paths`, each leading to a Province)."""

    class ProvinceFilter(admin.SimpleListFilter):
        parameter_name = "province"

        def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
            # all 32 units: a 湖南 clerk filters 湖南's pairings by the other side's province
            return list(Province.objects.order_by("code").values_list("code", "name"))

        def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
            if self.value():
                return queryset.filter(_any_path(paths, "code", self.value())).distinct()
            return queryset

    ProvinceFilter.title = title or _("province")
    return ProvinceFilter


def region_filter(*paths: str) -> type[admin.SimpleListFilter]:
    """Filter by the NBS region (east, central, west, northeast) of any of `paths`."""

    class RegionFilter(admin.SimpleListFilter):
        title = _("region")
        parameter_name = "region"

        def lookups(self, request: HttpRequest, model_admin: Any) -> list:
            return list(Region.choices)

        def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
            if self.value() in Region.values:
                return queryset.filter(_any_path(paths, "region", self.value())).distinct()
            return queryset

    return RegionFilter


def year_filter(
    field: str, *, title: Any = None, first: int = 2023
) -> type[admin.SimpleListFilter]:
    """Filter a date (or year) field by year: the programme's years, no table scan."""

    class YearFilter(admin.SimpleListFilter):
        parameter_name = f"{field}_year"

        def lookups(self, request: HttpRequest, model_admin: Any) -> list:
            last = timezone.localdate().year + 1
            return [(str(y), str(y)) for y in range(last, first - 1, -1)]

        def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
            value = self.value()
            # only the years offered: "１２" or a 30-digit number is no year (dt.date overflows)
            if value not in {y for y, _ in self.lookup_choices}:
                return queryset
            year = int(value)
            model_field = queryset.model._meta.get_field(field)
            if model_field.get_internal_type() == "DateField":
                return queryset.filter(
                    **{f"{field}__gte": dt.date(year, 1, 1), f"{field}__lte": dt.date(year, 12, 31)}
                )
            return queryset.filter(**{field: year})

    YearFilter.title = title or _("year")
    return YearFilter
