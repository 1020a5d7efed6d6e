"""Read-only reference data for partner systems."""

from rest_framework import viewsets

from accounts.policy import Action
from regions.filters import CountyFilterSet, ProvinceFilterSet
from regions.models import County, Province

from .serializers import CountySerializer, ProvinceSerializer


class ProvinceViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = ProvinceSerializer
    filterset_class = ProvinceFilterSet
    pagination_class = None  # 32 rows

    def get_queryset(self):
        return Province.objects.for_user(self.request.user, Action.VIEW).order_by("code")


class CountyViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = CountySerializer
    filterset_class = CountyFilterSet

    def get_queryset(self):
        return (
            County.objects.for_user(self.request.user, Action.VIEW)
            .select_related("province")
            .order_by("code")
        )
