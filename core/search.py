"""Substring search on Chinese names that an index can answer.

Django's `icontains` is `UPPER(col) LIKE UPPER('%term%')`. A pg_trgm index answers it for
terms of three characters or more, but most Chinese names are two or three characters and
the commonest searches are two (张伟) or one (a surname): such a term has no trigram, so
PostgreSQL reads every row (751,520 lawyers, seconds per search). `NameContains` adds to
the same condition `search_grams(UPPER(col)) @> search_grams(UPPER(term))` — every
character and every pair of adjacent characters of the term occurs in the name — which a
GIN index on `search_grams(UPPER(col))` answers; the LIKE then checks the order. The
function (an IMMUTABLE SQL function, so it can be indexed) is created by core's migration
0005. Elsewhere than PostgreSQL the lookup is Django's `icontains`.

Registered on the name fields that admin and portal search (`field.register_lookup`), so
`name__icontains` everywhere — admin `search_fields`, portal search, API filters — uses it.
"""

from __future__ import annotations

from typing import Any

from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.db.models import Func, TextField
from django.db.models.functions import Upper
from django.db.models.lookups import IContains

GRAMS_FUNCTION = "search_grams"
# what the SQLite demo runs instead of an index it cannot have (a schema editor executes
# whatever create_sql returns)
NO_INDEX = "SELECT 1"


class PostgresOnlyIndexMixin:
    """An index that exists on PostgreSQL only (operator classes, GIN, search_grams()).
    Elsewhere (the SQLite demo) nothing is created: searches there read the table."""

    def create_sql(self, model: Any, schema_editor: Any, *args: Any, **kwargs: Any) -> Any:
        if schema_editor.connection.vendor != "postgresql":
            return NO_INDEX
        return super().create_sql(model, schema_editor, *args, **kwargs)  # type: ignore[misc]

    def remove_sql(self, model: Any, schema_editor: Any, *args: Any, **kwargs: Any) -> Any:
        if schema_editor.connection.vendor != "postgresql":
            return NO_INDEX
        return super().remove_sql(model, schema_editor, *args, **kwargs)  # type: ignore[misc]


class PostgresOnlyIndex(PostgresOnlyIndexMixin, models.Index):
    """A B-tree index with operator classes, on PostgreSQL only."""


class PostgresOnlyGinIndex(PostgresOnlyIndexMixin, GinIndex):
    """A GIN index (trigrams, search_grams), on PostgreSQL only."""


def grams_index_expression(field_name: str) -> Func:
    """The expression to index with GIN: search_grams(UPPER(field))."""
    return Func(Upper(field_name), function=GRAMS_FUNCTION, output_field=ArrayField(TextField()))


class NameContains(IContains):
    lookup_name = "icontains"

    def as_postgresql(self, compiler: Any, connection: Any) -> tuple[str, Any]:
        sql, params = self.as_sql(compiler, connection)
        term = self.rhs
        if not self.rhs_is_direct_value() or not isinstance(term, str) or not term:
            return sql, params
        lhs_sql, lhs_params = self.process_lhs(compiler, connection)  # UPPER(col::text)
        return (
            f"({GRAMS_FUNCTION}({lhs_sql}) @> {GRAMS_FUNCTION}(UPPER(%s)) AND {sql})",
            (*lhs_params, term, *params),
        )
