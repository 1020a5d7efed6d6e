"""Related fields for the registry and programme resources: a lawyer written as the
current licence number, a trainee as their lawyer's licence number, and scoped ids for rows
without a natural key (quotas, agreements, secondments, pairings). Like every related
field of the API, their choices are the rows the caller may PICK (the policy layer)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import MultipleObjectsReturned
from django.db import models
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.plumbing import build_basic_type
from drf_spectacular.types import OpenApiTypes
from rest_framework import serializers

from accounts.api.schema import NaturalKeyFieldSchema
from accounts.api.serializers import NaturalKeyRelatedField
from accounts.policy import Action

from ..models import Lawyer, Trainee


def _picker_queryset(field: serializers.Field, model: type[models.Model]) -> models.QuerySet:
    request = field.context.get("request")
    user = getattr(request, "user", None)
    return model._default_manager.for_user(user, Action.PICK)  # type: ignore[attr-defined]


class LawyerKeyField(NaturalKeyRelatedField):
    """A lawyer: the current licence number (text) or the id; read as the licence number."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(model=Lawyer, natural_key="current_licence_no", **kwargs)

    def to_internal_value(self, data: Any) -> models.Model:
        label = Lawyer._meta.get_field("current_licence_no").verbose_name
        if isinstance(data, str) and not data.strip():
            self.fail("invalid", field=label)
        try:
            return super().to_internal_value(data)
        except MultipleObjectsReturned:  # (only ever a blank number, refused above)
            self.fail(
                "does_not_exist", model=Lawyer._meta.verbose_name, field=label, value=str(data)
            )


class TraineeKeyField(NaturalKeyRelatedField):
    """A trainee: their lawyer's current licence number (text) or the trainee's id; read as
    the licence number."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(model=Trainee, natural_key="lawyer__current_licence_no", **kwargs)

    def to_internal_value(self, data: Any) -> models.Model:
        label = Lawyer._meta.get_field("current_licence_no").verbose_name
        text = isinstance(data, str)
        if isinstance(data, bool) or not isinstance(data, int | str) or (text and not data.strip()):
            self.fail("invalid", field=label)
        lookup = {self.natural_key: data.strip()} if text else {"pk": data}
        try:
            return self.get_queryset().get(**lookup)
        except (Trainee.DoesNotExist, MultipleObjectsReturned, ValueError, TypeError):
            self.fail(
                "does_not_exist",
                model=Trainee._meta.verbose_name,
                field=label if text else "id",
                value=str(data)[:64],
            )

    def to_representation(self, value: Trainee) -> Any:
        return value.lawyer.current_licence_no


class ScopedPrimaryKeyRelatedField(serializers.PrimaryKeyRelatedField):
    """A row without a natural key (quota, agreement, secondment, pairing), written and
    read as its id; another province's row is "does not exist", whatever its id."""

    def __init__(self, *, model: type[models.Model], **kwargs: Any) -> None:
        self.model = model
        if not kwargs.get("read_only"):
            kwargs.setdefault("queryset", model._default_manager.none())
        super().__init__(**kwargs)

    def get_queryset(self) -> models.QuerySet:
        return _picker_queryset(self, self.model)

    def get_choices(self, cutoff: int | None = None) -> dict:
        return {}  # never list a national table in the browsable API


class ChoiceListField(serializers.ListField):
    """A JSON list of choice values (practice areas, focus areas), each one checked. The
    items are plain strings in the schema, with the values in the description: the same
    choices are documented as an enum where a single field takes them."""

    def __init__(self, *, choices: Any, **kwargs: Any) -> None:
        self.choices = dict(choices)
        values = ", ".join(self.choices)
        kwargs.setdefault("help_text", f"Any of / 可选值: {values}")
        super().__init__(child=serializers.CharField(), **kwargs)

    def to_internal_value(self, data: Any) -> list[str]:
        values = super().to_internal_value(data)
        unknown = [v for v in values if v not in self.choices]
        if unknown:
            raise serializers.ValidationError(
                _("Not a valid choice: %(values)s. Choose from %(choices)s.")
                % {"values": ", ".join(unknown)[:200], "choices": ", ".join(self.choices)}
            )
        return list(dict.fromkeys(values))


class LawyerKeyFieldSchema(NaturalKeyFieldSchema):
    target_class = "lawyers.api.fields.LawyerKeyField"


class TraineeKeyFieldSchema(OpenApiSerializerFieldExtension):
    target_class = "lawyers.api.fields.TraineeKeyField"

    def map_serializer_field(self, auto_schema: Any, direction: str) -> dict[str, Any]:
        text = build_basic_type(OpenApiTypes.STR)
        text["description"] = "the trainee's current licence number 学员的执业证号"
        if direction == "response":
            return text
        return {
            "oneOf": [text, {"type": "integer", "description": "trainee id 学员 id"}],
            "description": "licence number or trainee id / 执业证号或学员 id",
        }
