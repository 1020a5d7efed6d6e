"""Read-only reference data for partner systems."""

from drf_spectacular.utils import extend_schema, extend_schema_view

from accounts.api.viewsets import ScopedModelViewSet
from regions.filters import CountyFilterSet, ProvinceFilterSet
from regions.models import County, Province

from .serializers import CountySerializer, ProvinceSerializer

READ_ONLY = ["get", "head", "options"]


@extend_schema_view(
    list=extend_schema(summary="List provinces 省级行政区列表"),
    retrieve=extend_schema(summary="A province 省级行政区详情"),
)
class ProvinceViewSet(ScopedModelViewSet):
    model = Province
    serializer_class = ProvinceSerializer
    filterset_class = ProvinceFilterSet
    pagination_class = None  # 32 rows
    ordering = ("code",)
    http_method_names = READ_ONLY


@extend_schema_view(
    list=extend_schema(summary="List counties 县级行政区列表"),
    retrieve=extend_schema(summary="A county 县级行政区详情"),
)
class CountyViewSet(ScopedModelViewSet):
    model = County
    serializer_class = CountySerializer
    filterset_class = CountyFilterSet
    select_related = ("province",)
    ordering = ("code",)
    http_method_names = READ_ONLY
