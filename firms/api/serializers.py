from rest_framework import serializers

from accounts.api.serializers import NaturalKeyRelatedField, ScopedModelSerializer
from regions.models import County, Province

from ..models import BarAssociation, LawFirm


class LawFirmSerializer(ScopedModelSerializer):
    """A law firm. `province` is the province code ("43"), `county` the county code;
    both accept the code or the id on writes."""

    province = NaturalKeyRelatedField(model=Province, natural_key="code")
    county = NaturalKeyRelatedField(
        model=County, natural_key="code", required=False, allow_null=True
    )
    name_initials = serializers.CharField(read_only=True)

    class Meta:
        model = LawFirm
        fields = (
            "id",
            "credit_code",
            "name",
            "name_initials",
            "province",
            "county",
            "organisation_form",
            "founded_on",
            "declared_lawyers",
            "declared_as_of",
            "is_large_scale",
            "is_boutique",
            "is_model",
            "is_leading",
            "party_organisation",
            "legacy_licence_no",
            "address",
            "phone",
            "email",
            "created_at",
            "updated_at",
        )
        read_only_fields = ("created_at", "updated_at")
        brief_fields = ("id", "credit_code", "name", "province")
        write_only_on_create = ("credit_code",)


class BarAssociationSerializer(ScopedModelSerializer):
    province = NaturalKeyRelatedField(model=Province, natural_key="code", read_only=True)

    class Meta:
        model = BarAssociation
        fields = ("id", "name", "province", "address", "phone", "email", "updated_at")
        read_only_fields = ("name", "updated_at")
        brief_fields = ("id", "name", "province")
