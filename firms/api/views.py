"""Law firms (read, create, update) and bar associations (read, update contact details)."""

from drf_spectacular.utils import extend_schema, extend_schema_view

from accounts.api.viewsets import ScopedModelViewSet

from ..filters import BarAssociationFilterSet, LawFirmFilterSet
from ..models import BarAssociation, LawFirm
from ..services import save_bar_association, save_firm
from .serializers import BarAssociationSerializer, LawFirmSerializer


@extend_schema_view(
    list=extend_schema(summary="List law firms 律师事务所列表"),
    retrieve=extend_schema(summary="A law firm 律师事务所详情"),
    create=extend_schema(summary="Register a law firm 登记律师事务所"),
    update=extend_schema(summary="Replace a law firm's details 更新律师事务所"),
    partial_update=extend_schema(summary="Change some details 部分更新律师事务所"),
)
class LawFirmViewSet(ScopedModelViewSet):
    model = LawFirm
    serializer_class = LawFirmSerializer
    filterset_class = LawFirmFilterSet
    select_related = ("province", "county")
    ordering = ("province__code", "name", "id")
    writable = True

    def save_instance(self, instance, *, created):
        return save_firm(actor=self.request.user, firm=instance)


@extend_schema_view(
    list=extend_schema(summary="List bar associations 律师协会列表"),
    retrieve=extend_schema(summary="A bar association 律师协会详情"),
    update=extend_schema(summary="Update contact details 更新联系方式"),
    partial_update=extend_schema(summary="Update some contact details 部分更新联系方式"),
)
class BarAssociationViewSet(ScopedModelViewSet):
    model = BarAssociation
    serializer_class = BarAssociationSerializer
    filterset_class = BarAssociationFilterSet
    select_related = ("province",)
    ordering = ("province__code",)
    writable = True
    http_method_names = ["get", "put", "patch", "head", "options"]

    def save_instance(self, instance, *, created):
        return save_bar_association(actor=self.request.user, association=instance)
