"""Pagination: bounded page numbers for human-facing lists, keyset pages for sync."""

from __future__ import annotations

import base64
import datetime as dt
import functools
import hashlib
import json
import logging
from typing import Any

import redis
from django.conf import settings
from django.core.cache import cache
from django.core.paginator import Paginator as DjangoPaginator
from django.db import connection, connections, models
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from rest_framework import pagination
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

from .redis_client import Breaker, cache_redis

logger = logging.getLogger(__name__)


class PageNumberPagination(pagination.PageNumberPagination):
    """Page-number pagination with a client-chosen page size capped at 100."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 100


class EstimatedCountPaginator(DjangoPaginator):
    """A Django paginator that does not COUNT(*) an unfiltered national table.

    The exact count is the only part of a list request that grows with the table (20 ms
    at 730,000 rows, PERFORMANCE.md). With no WHERE clause on PostgreSQL, and a planner
    estimate (pg_class.reltuples, kept fresh by autovacuum) above ESTIMATE_FROM rows,
    the estimate is used; filtered or smaller lists count exactly.
    """

    ESTIMATE_FROM = 100_000

    def __init__(self, *args: Any, scope_only: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        #: the caller's own filters are absent: the only WHERE is the caller's scope
        self.scope_only = scope_only
        #: `count` is the planner's estimate or a reused count (the admin says "about N")
        self.estimated = False

    @cached_property
    def count(self) -> int:
        queryset = self.object_list
        query = getattr(queryset, "query", None)
        if query is not None and not query.where and connection.vendor == "postgresql":
            estimate = table_estimate(queryset.model._meta.db_table)
            if estimate >= self.ESTIMATE_FROM:
                self.estimated = True
                return estimate
        if query is not None and self.scope_only:
            number, self.estimated = _scope_count(
                queryset, lambda: DjangoPaginator.count.func(self)
            )
            return number
        return super().count


_count_breaker = Breaker(logger, "scope counts counted every time: Redis failed")


def scope_count(queryset: models.QuerySet, exact: Any) -> int:
    """The exact row count of a scoped list that has no filter but its scope, reused for
    settings.SCOPE_COUNT_SECONDS by every caller whose scope is the same SQL (the key is
    a digest of the COUNT's SQL and parameters, so no other scope's number is ever
    shown). A province's COUNT over a national table reads every page holding one of its
    rows (~60–100 ms for 湖南's 25,618 of 751,520 lawyers): once a minute, not on every
    page. Redis unreachable: counted every time."""
    return _scope_count(queryset, exact)[0]


def _scope_count(queryset: models.QuerySet, exact: Any) -> tuple[int, bool]:
    """scope_count, and whether the number was reused."""
    seconds = settings.SCOPE_COUNT_SECONDS
    if seconds <= 0:
        return exact(), False
    # the rows' SQL without the page's columns, joins for columns and order: what counts;
    # and the database's name (the same SQL counts other rows in another database that
    # shares this Redis: a benchmark's tenth-scale copy, a staging database)
    sql, params = queryset.order_by().values_list("pk").query.sql_with_params()
    database = connections[queryset.db].settings_dict["NAME"]
    name = "scope-count:" + hashlib.sha256(repr((database, sql, params)).encode()).hexdigest()
    client = cache_redis()
    if client is None:  # a local cache (the demo without Redis)
        cached = cache.get(name)
        if isinstance(cached, int):
            return cached, True
        number = exact()
        cache.set(name, number, seconds)
        return number, False
    # the fast client (no retry, API_THROTTLE_TIMEOUT): a hung Redis must not hold a list
    # for the cache's socket timeout
    if _count_breaker.is_open():
        return exact(), False
    key = cache.make_key(name)
    try:
        cached = client.get(key)
    except redis.RedisError as exc:
        _count_breaker.trip(exc)
        return exact(), False
    if cached is not None:
        return int(cached), True
    number = exact()
    try:
        client.set(key, number, ex=seconds)
    except redis.RedisError as exc:
        _count_breaker.trip(exc)
    return number, False


def table_estimate(table: str) -> int:
    """The planner's row estimate for a table (-1 when never analysed)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass", [table])
        row = cursor.fetchone()
    return int(row[0]) if row else -1


class ApiPagination(PageNumberPagination):
    """Page numbers for people (`?page=`, `?page_size=` up to 100, counts estimated on
    unfiltered national tables), and keyset pages for partner sync: with `?updated_since=`
    or `?cursor=`, rows come in (updated_at, id) order after the cursor, at constant cost
    (an index range scan on (updated_at, id), no COUNT, no OFFSET), and a row inserted or
    changed while a client pages is never skipped: its updated_at is later than any cursor
    already handed out, once it is older than the settle window (API_SYNC_SETTLE_SECONDS:
    rows changed in the last seconds, whose transactions may not have committed yet, wait
    for the next poll).
    """

    cursor_query_param = "cursor"
    since_query_param = "updated_since"
    #: query parameters that choose the page or its shape, not the rows
    non_filter_params = frozenset({"page", "page_size", "fields", "brief", "format"})

    def paginate_queryset(self, queryset, request, view=None):  # type: ignore[no-untyped-def]
        self.keyset = KeysetPage.wants(request)
        if self.keyset:
            self.keyset_page = KeysetPage(request, self.get_page_size(request) or self.page_size)
            return self.keyset_page.rows(queryset)
        # national tables (view.large_table) estimate their unfiltered count, and reuse
        # a scoped caller's count of the list without filters for a while
        if getattr(view, "large_table", False):
            scope_only = set(request.query_params) <= self.non_filter_params
            self.django_paginator_class = functools.partial(  # type: ignore[assignment]
                EstimatedCountPaginator, scope_only=scope_only
            )
        else:
            self.django_paginator_class = DjangoPaginator
        return super().paginate_queryset(queryset, request, view)

    def get_paginated_response(self, data):  # type: ignore[no-untyped-def]
        if self.keyset:
            return self.keyset_page.response(data)
        return super().get_paginated_response(data)

    def get_paginated_response_schema(self, schema):  # type: ignore[no-untyped-def]
        page = super().get_paginated_response_schema(schema)
        page["properties"]["next_cursor"] = {
            "type": "string",
            "nullable": True,
            "description": "Keyset mode (updated_since / cursor): pass as ?cursor= to go on. "
            "增量同步模式：作为 ?cursor= 传入以继续。",
        }
        page["properties"]["has_more"] = {"type": "boolean"}
        return page


class KeysetPage:
    """One keyset page over (updated_at, id)."""

    def __init__(self, request: Any, page_size: int) -> None:
        self.request = request
        self.page_size = page_size
        self.last: tuple[dt.datetime, int] | None = None
        self.has_more = False
        self.cursor_in: tuple[dt.datetime, int] | None = None
        raw_cursor = request.query_params.get(ApiPagination.cursor_query_param)
        raw_since = request.query_params.get(ApiPagination.since_query_param)
        if raw_cursor:
            self.cursor_in = decode_cursor(raw_cursor)
        self.since = parse_since(raw_since) if raw_since else None

    @staticmethod
    def wants(request: Any) -> bool:
        params = request.query_params
        return bool(
            params.get(ApiPagination.cursor_query_param)
            or params.get(ApiPagination.since_query_param)
        )

    def rows(self, queryset: models.QuerySet) -> list[Any]:
        table = connection.ops.quote_name(queryset.model._meta.db_table)
        settle = dt.timedelta(seconds=settings.API_SYNC_SETTLE_SECONDS)
        queryset = queryset.filter(updated_at__lt=timezone.now() - settle)
        if self.since is not None:
            queryset = queryset.filter(updated_at__gte=self.since)
        if self.cursor_in is not None:
            # a row comparison, so PostgreSQL scans the (updated_at, id) index from the cursor
            queryset = queryset.extra(  # noqa: S610 (constant SQL, parameters bound)
                where=[f"({table}.updated_at, {table}.id) > (%s, %s)"],
                params=[self.cursor_in[0], self.cursor_in[1]],
            )
        page = list(queryset.order_by("updated_at", "pk")[: self.page_size + 1])
        self.has_more = len(page) > self.page_size
        page = page[: self.page_size]
        if page:
            self.last = (page[-1].updated_at, page[-1].pk)
        return page

    def next_cursor(self) -> str | None:
        position = self.last or self.cursor_in
        if position is None:
            if self.since is None:
                return None
            # nothing yet: resume at `since` ((since, 0) precedes every row of that moment)
            return encode_cursor((self.since, 0))
        return encode_cursor(position)

    def response(self, data: Any) -> Response:
        cursor = self.next_cursor()
        next_url = None
        if cursor is not None and self.has_more:
            next_url = replace_query_param(
                self.request.build_absolute_uri(), ApiPagination.cursor_query_param, cursor
            )
            next_url = remove_query_param(next_url, ApiPagination.since_query_param)
        return Response(
            {
                "next": next_url,
                "next_cursor": cursor,
                "has_more": self.has_more,
                "results": data,
            }
        )


def encode_cursor(position: tuple[dt.datetime, int]) -> str:
    raw = json.dumps([position[0].isoformat(), position[1]]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


#: longer than any cursor encode_cursor makes (a 32-character time and a 19-digit id)
MAX_CURSOR_LENGTH = 200


def decode_cursor(text: str) -> tuple[dt.datetime, int]:
    """The (updated_at, id) position of a cursor that encode_cursor made; 400 naming
    `cursor` for anything else (never an error of the json module, the calendar or the
    database: the moment comes back in UTC, which PostgreSQL takes whatever its offset)."""
    try:
        if len(text) > MAX_CURSOR_LENGTH:
            raise ValueError
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        stamp, pk = json.loads(raw)
        moment = dt.datetime.fromisoformat(stamp)
        if moment.tzinfo is None or not isinstance(pk, int) or not 0 <= pk < 2**63:
            raise ValueError
        moment = moment.astimezone(dt.UTC)
    except (
        ValueError,
        TypeError,
        OverflowError,
        RecursionError,
        json.JSONDecodeError,
        UnicodeDecodeError,
    ) as exc:
        raise ValidationError({"cursor": [_("Cursor: not a cursor this API handed out.")]}) from exc
    return moment, pk


def parse_since(text: str) -> dt.datetime:
    """`?updated_since=` as a moment in UTC; 400 naming `updated_since` for a text that is
    not a date or time, or names none (an offset past ±24 h, 30 February, a moment that
    leaves the years 1–9999 in UTC)."""
    text = text.strip()
    try:
        moment = parse_datetime(text)
        if moment is None:
            day = dt.date.fromisoformat(text)
            moment = dt.datetime.combine(day, dt.time.min)
    except ValueError as exc:
        # not a date or time at all, or well-formed and not in the calendar
        raise ValidationError(
            {
                "updated_since": [
                    _("updated_since: an ISO 8601 date or time, e.g. 2026-11-27T08:00:00+08:00.")
                ]
            }
        ) from exc
    try:
        if timezone.is_naive(moment):
            moment = timezone.make_aware(moment)
        # PostgreSQL takes UTC offsets up to ±15:59 only (Python up to ±23:59)
        return moment.astimezone(dt.UTC)
    except (OverflowError, ValueError) as exc:
        raise ValidationError(
            {"updated_since": [_("updated_since: not a moment in the calendar.")]}
        ) from exc
