"""Database constraints that only PostgreSQL can enforce, made harmless elsewhere.

`make demo` may fall back to SQLite, which has no exclusion constraints or triggers: there
the constraint renders no SQL and model validation (each model's clean()) keeps the rule.
Rules no declarative constraint can express (a quota's seats: a count over other rows)
are constraint triggers written in a migration with `RunPostgresSQL`; their refusals are
turned into the rule's message by `database_rules` / `rule_error`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from django.contrib.postgres.constraints import ExclusionConstraint
from django.core.exceptions import ValidationError
from django.db import IntegrityError, migrations, transaction


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


class RunPostgresSQL(migrations.RunSQL):
    """RunSQL that runs on PostgreSQL only (triggers, PL/pgSQL functions)."""

    def database_forwards(self, app_label: str, schema_editor: Any, from_state, to_state) -> None:
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label: str, schema_editor: Any, from_state, to_state) -> None:
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


# --- rules the database enforces, and their messages ----------------------------------------
#
# A constraint or constraint trigger that PostgreSQL holds on every path (services, admin,
# API, imports, a path added later) refuses a write with an IntegrityError naming it. The
# rule's owner registers its field and message here once, so that every path turns that
# refusal into the same clear, translated ValidationError instead of a 500.

_RULES: dict[str, tuple[str, Any]] = {}


def register_database_rule(name: str, *, field: str, message: Any) -> None:
    """Register the field and (lazily translated) message of the constraint or constraint
    trigger `name` (the name PostgreSQL reports in the error's diagnostics)."""
    _RULES[name] = (field, message)


def violated_rule(exc: BaseException) -> str | None:
    """The name of the constraint an IntegrityError (Django's or the driver's) reports."""
    for error in (exc, exc.__cause__):
        diag = getattr(error, "diag", None)
        name = getattr(diag, "constraint_name", None)
        if name:
            return str(name)
    return None


def rule_error(exc: BaseException) -> ValidationError | None:
    """The registered rule's ValidationError for a refused write, or None."""
    rule = _RULES.get(violated_rule(exc) or "")
    if rule is None:
        return None
    field, message = rule
    return ValidationError({field: ValidationError(message, code=violated_rule(exc))})


@contextlib.contextmanager
def database_rules(using: str | None = None) -> Iterator[None]:
    """Run a write in a savepoint; a registered rule's refusal becomes its ValidationError
    (the savepoint keeps the caller's transaction usable), anything else is re-raised."""
    try:
        with transaction.atomic(using=using):
            yield
    except IntegrityError as exc:
        error = rule_error(exc)
        if error is None:
            raise
        raise error from exc
