"""Every list of a large table (the API viewsets and admin changelists marked
`large_table`) is ordered by columns an index can walk: a page of the newest (or first)
rows then reads about a page of the index instead of sorting the table. At national scale
the service records' API page sorted 341,333 rows (2.4 s) until service_newest_idx
(issue 14: measured with the national dataset)."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.db import connection

from config.api_router import router


def _large_lists() -> list[tuple[str, type, list[str]]]:
    lists = []
    for _prefix, viewset, basename in router.registry:
        if getattr(viewset, "large_table", False):
            model = viewset.model
            ordering = list(getattr(viewset, "ordering", None) or model._meta.ordering)
            lists.append((f"api {basename}", model, ordering))
    for model, model_admin in admin.site._registry.items():
        if getattr(model_admin, "large_table", False):
            ordering = list(model_admin.ordering or model._meta.ordering)
            lists.append((f"admin {model._meta.label}", model, ordering))
    return lists


def _columns(model: type, ordering: list[str]) -> list[tuple[str, str]]:
    """(column, ASC|DESC) of an ordering of plain fields."""
    result = []
    for item in ordering:
        name = item.lstrip("-")
        field = model._meta.pk if name == "pk" else model._meta.get_field(name)
        result.append((field.column, "DESC" if item.startswith("-") else "ASC"))
    return result


def _walkable(table: str, wanted: list[tuple[str, str]]) -> bool:
    """Some btree index starts with the ordering's first column, and where it holds the
    next ones too, in the same directions (or all of them reversed: a backward scan)."""
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, table)
    flip = {"ASC": "DESC", "DESC": "ASC"}
    for info in constraints.values():
        if not info["index"] or info.get("type") not in ("btree", "idx") or not info["columns"]:
            continue
        have = list(
            zip(info["columns"], info.get("orders") or ["ASC"] * len(info["columns"]), strict=False)
        )
        if have[0][0] != wanted[0][0]:
            continue
        n = min(len(have), len(wanted))
        same = all(have[i] == wanted[i] for i in range(n))
        reversed_ = all(have[i] == (wanted[i][0], flip[wanted[i][1]]) for i in range(n))
        # one column: either direction; more: all the same way round, or all reversed
        if n == 1 or same or reversed_:
            return True
    return False


# Lists flagged large whose whole table sorts in milliseconds even at national scale (the
# rows of `generate_national_dataset --scale 1.0`): no index is kept for their order.
SORTED_IN_MEMORY = {
    "api trainee": "4,000 trainees",
    "api secondment": "6,300 secondments",
    "api progress-report": "24,600 reports",
    "admin firms.LawFirm": "40,000 firms, ordered by the province's code (a join)",
}


def test_the_lists_sorted_in_memory_are_real_large_lists():
    assert set(SORTED_IN_MEMORY) <= {name for name, _, _ in _large_lists()}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "model", "ordering"),
    [entry for entry in _large_lists() if entry[0] not in SORTED_IN_MEMORY],
    ids=lambda v: str(v),
)
def test_a_large_list_is_ordered_along_an_index(name, model, ordering):
    wanted = _columns(model, ordering)
    assert _walkable(model._meta.db_table, wanted), (
        f"{name}: no index walks its order {ordering} on {model._meta.db_table}"
    )
