"""The cases of `make bench`: what is requested, by whom, and what counts as its raw SQL.

Every case is a request through the whole stack (Django's test client, in-process: the
middleware, sessions or API-key authentication, the rate limit, the policy's scoping,
the view, the template or JSON) built per database from the rows `actors.pick_rows`
chose there, so the same case reads the same kind of row at every scale.

`raw` says which of the request's statements its raw SQL is (re-run on a psycopg2 cursor):
- "rows": the SELECTs that fetched the rows shown (no COUNT, no session, user, key or
  content-type lookups): the API lists, where issue 14's ratio target applies;
- "page": every SELECT of the page but the session, user, key and content-type lookups
  (counts, filters' choices, the dashboard's aggregates included);
- "all": every statement but savepoints (writes: re-run in a transaction rolled back).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .actors import HUNAN, Actors


@dataclass
class Request:
    client: str  # ministry | dept | bar | partner | writer
    path: str
    method: str = "GET"
    data: Any = None
    raw: str = "page"  # rows | page | all
    page10: str | None = None  # the same list at page size 10 (API lists)
    rollback: bool = False  # a write: run in a transaction rolled back, so rounds repeat
    status: int = 200
    headers: Callable[[], dict[str, str]] = field(default=dict)


@dataclass
class Case:
    name: str
    group: str  # api | admin | portal | import | sweep
    actor: str
    build: Callable[[Actors, dict[str, Any]], Request | None] | None = None
    kind: str = "request"  # request | import | sweep
    size: int = 0  # rows of an import


def _since(context: dict[str, Any], key: str) -> str:
    return context[key].isoformat().replace("+", "%2B")


def api_lists() -> list[Case]:
    """Pages of 100 as the 湖南 partner's key (and the unfiltered lawyers as the
    ministry's own key would not be scoped: the ministry's national page is the admin's)."""
    cases = []
    lists = {
        "lawyers": {
            "unfiltered": "page=3",
            "by province": f"province={HUNAN}&page=2",
            "brief": "brief=true&page=3",
        },
        "firms": {
            "unfiltered": "page=3",
            "by province": f"province={HUNAN}&page=2",
            "by state": "organisation_form=partnership&page=2",
            "brief": "brief=true&page=3",
        },
        "secondments": {
            "unfiltered": "page=1",
            "by province": f"host_province={HUNAN}",
            "by state": "status=completed",
            "brief": "brief=true",
        },
        "service-records": {"unfiltered": "page=2"},
    }
    for resource, variants in lists.items():
        for label, query in variants.items():

            def build(actors: Actors, context: dict[str, Any], r=resource, q=query) -> Request:
                base = f"/api/v1/{r}/?{q}"
                return Request(
                    "partner",
                    f"{base}&page_size=100",
                    raw="rows",
                    page10=f"{base}&page_size=10",
                )

            cases.append(Case(f"api {resource}: {label}", "api", "partner", build))
        for label in ("updated_since", "cursor"):

            def build_sync(
                actors: Actors, context: dict[str, Any], r=resource, mode=label
            ) -> Request | None:
                position = context.get(f"sync:{r}")
                if position is None:
                    return None
                if mode == "updated_since":
                    query = f"updated_since={position[0].isoformat().replace('+', '%2B')}"
                else:
                    from core.pagination import encode_cursor

                    query = f"cursor={encode_cursor(position)}"
                base = f"/api/v1/{r}/?{query}"
                return Request(
                    "partner", f"{base}&page_size=100", raw="rows", page10=f"{base}&page_size=10"
                )

            if resource != "service-records" or label == "cursor":
                cases.append(Case(f"api {resource}: {label}", "api", "partner", build_sync))
    return cases


def api_single() -> list[Case]:
    def lawyer(actors: Actors, context: dict[str, Any]) -> Request | None:
        row = actors.picks["lawyer"]
        return row and Request("partner", f"/api/v1/lawyers/{row.pk}/", raw="rows")

    def secondment(actors: Actors, context: dict[str, Any]) -> Request | None:
        row = actors.picks["secondment"]
        return row and Request("partner", f"/api/v1/secondments/{row.pk}/", raw="rows")

    def post(actors: Actors, context: dict[str, Any]) -> Request | None:
        branch = actors.picks["branch"]
        if branch is None:
            return None
        served_on = max(branch["established_on"], dt.date(2026, 1, 5))
        return Request(
            "writer",
            "/api/v1/service-records/",
            method="POST",
            data={
                "branch": branch["credit_code"],
                "kind": "legal_aid",
                "served_on": served_on.isoformat(),
                "quantity": 1,
                "note": "bench suite",
            },
            raw="all",
            rollback=True,
            status=201,
            headers=lambda: {"Idempotency-Key": str(uuid.uuid4())},
        )

    def state_change(actors: Actors, context: dict[str, Any]) -> Request | None:
        # cancel a planned or active secondment, else dissolve an active pairing
        row, path = actors.picks["cancellable"], "/api/v1/secondments/{}/cancel/"
        if row is None:
            row, path = actors.picks["dissolvable"], "/api/v1/firm-pairings/{}/dissolve/"
        return row and Request(
            "writer",
            path.format(row.pk),
            method="POST",
            data={"reason": "bench suite"},
            raw="all",
            rollback=True,
        )

    return [
        Case("api lawyers: detail", "api", "partner", lawyer),
        Case("api secondments: detail", "api", "partner", secondment),
        Case("api write: POST service record", "api", "dept key", post),
        Case("api write: state change (cancel/dissolve)", "api", "dept key", state_change),
    ]


# the changelists, with the sort and filter a clerk uses most (list_display columns are
# 1-based in ?o=): name search for lawyers, the largest partnerships, the active
# secondments by latest start, this year's service records newest first
CHANGELISTS = {
    "lawyers": ("/admin/lawyers/lawyer/", "q={name}"),
    "firms": ("/admin/firms/lawfirm/", "organisation_form=partnership&o=-5"),
    "secondments": ("/admin/pairing/secondment/", "status=active&o=-4"),
    "service records": ("/admin/branches/servicerecord/", "served_on_year=2026&o=-3"),
}
CHANGE_FORMS = {
    "lawyers": ("/admin/lawyers/lawyer/{}/change/", "lawyer"),
    "firms": ("/admin/firms/lawfirm/{}/change/", "firm"),
    "secondments": ("/admin/pairing/secondment/{}/change/", "secondment"),
    "service records": ("/admin/branches/servicerecord/{}/change/", "service_record"),
}


def admin() -> list[Case]:
    cases = []
    for who, client in (("湖南 dept", "dept"), ("ministry", "ministry")):
        for label, (url, clerk) in CHANGELISTS.items():

            def default(actors: Actors, context: dict[str, Any], u=url, c=client) -> Request:
                return Request(c, u)

            def used(
                actors: Actors, context: dict[str, Any], u=url, q=clerk, c=client
            ) -> Request | None:
                if "{name}" in q:
                    lawyer = actors.picks["lawyer"]
                    if lawyer is None:
                        return None
                    from urllib.parse import quote

                    q = q.format(name=quote(lawyer.name))
                return Request(c, f"{u}?{q}")

            cases.append(Case(f"admin {label}: list, {who}", "admin", who, default))
            cases.append(Case(f"admin {label}: list sorted+filtered, {who}", "admin", who, used))
        for label, (url, pick) in CHANGE_FORMS.items():

            def form(actors: Actors, context: dict[str, Any], u=url, p=pick, c=client):
                row = actors.picks[p]
                return row and Request(c, u.format(row.pk))

            cases.append(Case(f"admin {label}: change form, {who}", "admin", who, form))

        def log(actors: Actors, context: dict[str, Any], c=client) -> Request:
            return Request(c, "/admin/accounts/auditevent/")

        def log_search(actors: Actors, context: dict[str, Any], c=client) -> Request | None:
            lawyer = actors.picks["lawyer"]
            return lawyer and Request(
                c, f"/admin/accounts/auditevent/?model=lawyers.Lawyer&q={lawyer.pk}"
            )

        def pipl(actors: Actors, context: dict[str, Any], c=client) -> Request:
            username = actors.picks["access_username"] or actors.users["dept"].username
            return Request(c, f"/admin/accounts/personaldataaccess/?q={username}")

        def dashboard(actors: Actors, context: dict[str, Any], c=client) -> Request:
            return Request(c, "/admin/")

        cases += [
            Case(f"admin change log, {who}", "admin", who, log),
            Case(f"admin change log search, {who}", "admin", who, log_search),
            Case(f"admin PIPL access log search, {who}", "admin", who, pipl),
            Case(f"admin dashboard, {who}", "admin", who, dashboard),
        ]
    return cases


PORTAL = {
    "home": "/portal/",
    "trainees": "/portal/trainees/",
    "secondments": "/portal/secondments/",
    "secondments, active": "/portal/secondments/?status=active",
    "pairings": "/portal/pairings/",
    "branches": "/portal/branches/",
    "notifications": "/portal/notifications/",
}


def portal() -> list[Case]:
    cases = []
    for label, url in PORTAL.items():

        def build(actors: Actors, context: dict[str, Any], u=url) -> Request:
            return Request("bar", u)

        cases.append(Case(f"portal {label}, 湖南 bar", "portal", "湖南 bar", build))
    return cases


def all_cases(import_sizes: tuple[int, ...]) -> list[Case]:
    imports = [
        Case(f"import {n:,} firms (upload+preview+apply)", "import", "clerk", kind="import", size=n)
        for n in import_sizes
    ]
    sweep = [Case("reminder sweep (rolled back)", "sweep", "system", kind="sweep")]
    return [*api_lists(), *api_single(), *admin(), *portal(), *imports, *sweep]
