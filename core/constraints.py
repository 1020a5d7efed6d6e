"""Database constraints that only PostgreSQL can enforce, made harmless elsewhere.

`make demo` may fall back to SQLite, which has no exclusion constraints: there the
constraint renders no SQL and model validation (each model's clean()) keeps the rule.
"""

from __future__ import annotations

from typing import Any

from django.contrib.postgres.constraints import ExclusionConstraint


class PostgresExclusionConstraint(ExclusionConstraint):
    """An ExclusionConstraint that is a no-op on databases other than PostgreSQL."""

    def constraint_sql(self, model: Any, schema_editor: Any) -> Any:
        if schema_editor.connection.vendor != "postgresql":
            return None
        return super().constraint_sql(model, schema_editor)

    def create_sql(self, model: Any, schema_editor: Any) -> Any:
        if schema_editor.connection.vendor != "postgresql":
            return None
        return super().create_sql(model, schema_editor)

    def remove_sql(self, model: Any, schema_editor: Any) -> Any:
        if schema_editor.connection.vendor != "postgresql":
            return None
        return super().remove_sql(model, schema_editor)

    def validate(
        self, model: Any, instance: Any, exclude: Any = None, using: str = "default"
    ) -> None:
        from django.db import connections

        if connections[using].vendor != "postgresql":
            return
        # Django's ExclusionConstraint.validate() crashes (FieldError) when its condition
        # names a field the form excludes (a read-only `status` in the admin);
        # UniqueConstraint skips that case, and so do we: the model's clean() gives the
        # rule's message and PostgreSQL still enforces it.
        if (
            exclude
            and self.condition is not None
            and set(exclude) & self.condition.referenced_base_fields
        ):
            return
        super().validate(model, instance, exclude=exclude, using=using)
