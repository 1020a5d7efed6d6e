"""Write input that is not a column of the row: a new lawyer's licence, a quota's
provinces. The serializer takes it out of the validated data (which the viewset turns into
the model instance) and the viewset hands it to the service, so the service sees the
whole write at once (its scope check, validation and transaction cover it)."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers


class ServiceInputSerializerMixin(serializers.Serializer):
    """`Meta.service_input`: fields moved from the validated data to `service_input`."""

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)
        names = getattr(self.Meta, "service_input", ())  # type: ignore[attr-defined]
        self.service_input = {n: attrs.pop(n) for n in names if n in attrs}
        return attrs


class ServiceInputViewSetMixin:
    """Keeps the write serializer of the request, for `save_instance` to read
    `self.service_input()`."""

    def get_serializer(self, *args: Any, **kwargs: Any) -> Any:
        serializer = super().get_serializer(*args, **kwargs)  # type: ignore[misc]
        self._write_serializer = serializer
        return serializer

    def service_input(self) -> dict[str, Any]:
        serializer = getattr(self, "_write_serializer", None)
        return dict(getattr(serializer, "service_input", {}))
