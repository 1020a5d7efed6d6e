from rest_framework import serializers

from accounts.api.serializers import ScopedModelSerializer
from regions.models import County, Province


class ProvinceSerializer(ScopedModelSerializer):
    class Meta:
        model = Province
        fields = (
            "id",
            "code",
            "name",
            "short_name",
            "name_en",
            "region",
            "is_recipient",
            "is_corps",
            "in_gb2260",
            "updated_at",
        )
        brief_fields = ("id", "code", "name")


class CountySerializer(ScopedModelSerializer):
    province = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = County
        fields = (
            "id",
            "code",
            "name",
            "kind",
            "prefecture_code",
            "prefecture_name",
            "province",
            "is_corps",
            "valid_from",
            "valid_to",
            "lawyer_status",
            "lawyer_status_since",
            "was_no_lawyer",
            "volunteer_coverage",
            "updated_at",
        )
        brief_fields = ("id", "code", "name", "province")
