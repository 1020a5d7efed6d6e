"""Serializer building blocks: related objects by natural key or id (scoped), and
personal data masked without the personal-data scope."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from core.api.fields import SelectableFieldsMixin

from ..imports.exporting import mask
from ..policy import Action


class NaturalKeyRelatedField(serializers.RelatedField):
    """A foreign key written as its natural key (a string: credit code, licence number,
    province code…) or its id (an integer), and read as the natural key. Choices are the
    rows the caller may PICK (the policy layer): another province's row is "does not
    exist", whatever its id."""

    # DRF's fail() fills placeholders with str.format: {name}, never %(name)s
    default_error_messages = {
        "does_not_exist": _("No {model} with {field} “{value}” that you may use."),
        "invalid": _("Give the {field} (text) or the id (a whole number)."),
    }

    def __init__(self, *, model: type[models.Model], natural_key: str, **kwargs: Any) -> None:
        self.model = model
        self.natural_key = natural_key
        self.natural_key_path = [natural_key]
        if not kwargs.get("read_only"):
            kwargs.setdefault("queryset", model._default_manager.none())
        super().__init__(**kwargs)

    def get_queryset(self) -> models.QuerySet:
        request = self.context.get("request")
        user = getattr(request, "user", None)
        return self.model._default_manager.for_user(user, Action.PICK)  # type: ignore[attr-defined]

    def to_internal_value(self, data: Any) -> models.Model:
        queryset = self.get_queryset()
        label = self.model._meta.get_field(self.natural_key).verbose_name
        if isinstance(data, bool) or not isinstance(data, int | str):
            self.fail("invalid", field=label)
        lookup = {"pk": data} if isinstance(data, int) else {self.natural_key: data.strip()}
        if isinstance(data, str) and self.natural_key in ("credit_code",):
            lookup = {self.natural_key: data.strip().upper()}
        try:
            return queryset.get(**lookup)
        except (self.model.DoesNotExist, ValueError, TypeError):
            self.fail(
                "does_not_exist",
                model=self.model._meta.verbose_name,
                field=label if isinstance(data, str) else "id",
                value=str(data)[:64],
            )

    def to_representation(self, value: models.Model) -> Any:
        return getattr(value, self.natural_key)

    def get_choices(self, cutoff: int | None = None) -> dict:
        return {}  # never list a national table in the browsable API or the schema


class ScopedModelSerializer(SelectableFieldsMixin, serializers.ModelSerializer):
    """Base of every API serializer.

    - `Meta.brief_fields`: the fields of `?brief=true`.
    - `Meta.personal_fields`: masked (138****5678, z***@x.cn) unless the caller may see
      personal data; `Meta.sensitive_fields` (political status): omitted then.
    - `Meta.write_only_on_create`: fields that can be set on create but never changed.
    - Writes never reach `Model.objects.create`: the viewset builds the instance and
      calls the app's service (scope check, full_clean, audit).
    """

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        model = getattr(getattr(self, "Meta", None), "model", None)
        for name, field in fields.items():
            if field.read_only and model is not None:
                describe_stored_values(field, model, field.source or name)
        return fields

    def to_representation(self, instance: Any) -> dict[str, Any]:
        data = super().to_representation(instance)
        if not self.context.get("personal_data", False):
            for name in getattr(self.Meta, "personal_fields", ()):
                if name in data and data[name] not in (None, ""):
                    data[name] = mask(data[name])
            for name in getattr(self.Meta, "sensitive_fields", ()):
                data.pop(name, None)
        return data

    def create(self, validated_data: dict[str, Any]) -> Any:  # pragma: no cover - guarded
        raise NotImplementedError("viewsets save through services")

    def update(self, instance: Any, validated_data: dict[str, Any]) -> Any:  # pragma: no cover
        raise NotImplementedError("viewsets save through services")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if self.instance is not None:
            frozen = [
                n
                for n in getattr(self.Meta, "write_only_on_create", ())
                if n in attrs and attrs[n] != getattr(self.instance, n)
            ]
            if frozen:
                raise serializers.ValidationError(
                    {n: [_("Cannot be changed once the record exists.")] for n in frozen}
                )
        return attrs


def describe_stored_values(
    field: serializers.Field, model: type[models.Model], source: str
) -> None:
    """Let a read-only field say what the column it reads may hold, so the published schema
    and the responses agree: null where the column is nullable (a national target has no
    province), "" where a choice column may be blank (a secondment not yet evaluated).

    DRF drops `allow_blank` from read-only model fields, and a declared read-only field
    (a natural key) knows nothing of the column; neither changes what is answered."""
    column = _column_at(model, source)
    if column is None:
        return
    if column.null and not field.allow_null:
        field.allow_null = True
    if column.blank and isinstance(field, serializers.ChoiceField) and not field.allow_blank:
        field.allow_blank = True


def _column_at(model: type[models.Model], source: str) -> models.Field | None:
    """The model field at the end of a dotted source, when every step before it is a
    foreign key that is never null (else a missing step leaves the field out)."""
    parts = source.split(".")
    for index, part in enumerate(parts):
        try:
            column = model._meta.get_field(part)
        except FieldDoesNotExist:
            return None
        if index == len(parts) - 1:
            return column if column.concrete else None
        if not (column.many_to_one or column.one_to_one) or column.null:
            return None
        model = column.related_model
    return None
