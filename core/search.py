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
from django.db.models import Func, TextField
from django.db.models.functions import Upper
from django.db.models.lookups import IContains

GRAMS_FUNCTION = "search_grams"


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
