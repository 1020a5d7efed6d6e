"""How the access layer appears in the OpenAPI schema (drf-spectacular extensions)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import (
    OpenApiAuthenticationExtension,
    OpenApiSerializerFieldExtension,
)
from drf_spectacular.plumbing import build_basic_type
from drf_spectacular.types import OpenApiTypes


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.api.authentication.ApiKeyAuthentication"
    name = "ApiKey"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": (
                "`Authorization: Api-Key <key>` (or `X-API-Key: <key>`). Keys are issued by "
                "ministry or provincial staff in the admin, with scopes read / write / "
                "personal_data. 在请求头中携带 API 密钥；密钥由司法部或省级司法厅工作人员在"
                "后台签发，权限范围为 read（读）、write（写）、personal_data（个人信息）。"
            ),
        }


class NaturalKeyFieldSchema(OpenApiSerializerFieldExtension):
    target_class = "accounts.api.serializers.NaturalKeyRelatedField"

    def map_serializer_field(self, auto_schema: Any, direction: str) -> dict[str, Any]:
        field = self.target
        label = str(field.model._meta.get_field(field.natural_key).verbose_name)
        text = build_basic_type(OpenApiTypes.STR)
        text["description"] = f"{label} ({field.natural_key})"
        if direction == "response":
            return text
        return {
            "oneOf": [text, {"type": "integer", "description": "id"}],
            "description": f"{label} or id / {label}或 id",
        }
