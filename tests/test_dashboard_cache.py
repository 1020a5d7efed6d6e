"""The dashboard's aggregates are reused per scope and day for DASHBOARD_CACHE_SECONDS
(branches.dashboard, core.cached_figures). The promise: a write is visible on the
dashboard within that minute, whatever path made it — the API (a service), a set-based
UPDATE and an import's COPY are written here and looked for, with time frozen and moved by
time-machine against the real Redis and PostgreSQL. The reused figures are the figures
(they equal an independent count and a fresh computation), no scope ever sees another's,
a reused page runs fewer queries, and a dead Redis only means computing them again."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import time_machine
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from branches.dashboard import programme_dashboard
from core.bulk import bulk_insert
from pairing.models import FirmPairing, PairingStatus, ProgressReport, ReportStatus
from tests.test_dashboard import (
    TODAY,
    assert_figures_match,
    demo,  # noqa: F401 (a fixture, used by name)
    independent,
    noon,
)

INDEX = "/admin/"
HOME = "/portal/"
SECONDS = 60
# scope by scope: the same province under two roles, two provinces, the ministry
USERS = ("hunan_dept", "xizang_dept", "hunan_bar", "xizang_bar", "hunan_partner", "ministry")


@pytest.fixture
def clock(demo, db, settings):  # noqa: F811 (the fixture imported above)
    """Caching on (the test settings turn it off), nothing cached yet, time frozen."""
    settings.DASHBOARD_CACHE_SECONDS = SECONDS
    cache.clear()  # figures of earlier tests (same database name, same day, other rows)
    with time_machine.travel(noon(TODAY), tick=False) as traveller:
        yield traveller


def headline(client, metric: str) -> int:
    response = client.get(INDEX)
    assert response.status_code == 200
    return next(p.count for p in response.context["dashboard"].progress if p.metric == metric)


def reports_due(client) -> int:
    response = client.get(INDEX)
    assert response.status_code == 200
    return response.context["dashboard"].reports_due


# --- the promise: within a minute, through every path -------------------------------------


def test_a_pairing_dissolved_through_the_api_shows_within_a_minute(clock, users, client):
    client.force_login(users["ministry"])
    before = headline(client, "firm_pairings")
    active = FirmPairing.objects.filter(status=PairingStatus.ACTIVE).order_by("pk").first()

    clock.shift(dt.timedelta(seconds=1))
    response = client.post(
        f"/api/v1/firm-pairings/{active.pk}/dissolve/",
        json.dumps({"reason": "律所合并"}),
        content_type="application/json",
    )
    assert response.status_code == 200, response.content[:300]
    clock.shift(dt.timedelta(seconds=SECONDS - 2))
    reused = headline(client, "firm_pairings")
    clock.shift(dt.timedelta(seconds=1))  # a minute after the figures were counted
    after = headline(client, "firm_pairings")

    assert reused == before  # the figures were reused for the minute
    assert after == before - 1


def test_a_set_based_update_shows_within_a_minute(clock, users, client):
    """No save(), no signal (what a bulk status change or a Celery sweep does)."""
    client.force_login(users["ministry"])
    overdue = ProgressReport.objects.filter(ProgressReport.overdue_q(TODAY))
    assert overdue.exists()
    before = client.get(INDEX).context["dashboard"].reports_overdue

    clock.shift(dt.timedelta(seconds=30))
    changed = overdue.update(status=ReportStatus.SUBMITTED, submitted_at=noon(TODAY))
    clock.shift(dt.timedelta(seconds=SECONDS - 30))

    assert changed > 0
    assert client.get(INDEX).context["dashboard"].reports_overdue == before - changed


def test_rows_copied_in_by_an_import_show_within_a_minute(clock, users, client):
    """core.bulk's COPY (the spreadsheet imports' writer): no save(), no signal."""
    client.force_login(users["ministry"])
    before = reports_due(client)
    pairing = FirmPairing.objects.filter(status=PairingStatus.ACTIVE).order_by("pk").first()
    taken = set(pairing.reports.values_list("period_start", flat=True))
    start = next(
        d
        for d in (dt.date(2025, 1, 1) + dt.timedelta(days=n) for n in range(300))
        if d not in taken
    )

    bulk_insert(
        ProgressReport,
        [
            ProgressReport(
                pairing=pairing,
                period_start=start,
                period_end=start,
                due_date=start + dt.timedelta(days=10),
            )
        ],
    )
    clock.shift(dt.timedelta(seconds=SECONDS))

    assert reports_due(client) == before + 1


# --- reused figures are the figures, per scope ---------------------------------------------


@pytest.mark.parametrize(("who", "code"), [("ministry", None), ("hunan_dept", "43")])
def test_reused_figures_equal_the_independent_counts(clock, users, who, code):
    with CaptureQueriesContext(connection) as first:
        programme_dashboard(user=users[who], today=TODAY)
    with CaptureQueriesContext(connection) as second:
        d = programme_dashboard(user=users[who], today=TODAY)

    assert len(second) < len(first)  # reused
    assert_figures_match(d, independent(code, TODAY), TODAY)


def test_no_scope_ever_sees_another_scopes_figures(clock, users, settings):
    for name in USERS:  # every scope's figures in the cache first
        programme_dashboard(user=users[name], today=TODAY)
    reused = {name: programme_dashboard(user=users[name], today=TODAY) for name in USERS}

    settings.DASHBOARD_CACHE_SECONDS = 0
    fresh = {name: programme_dashboard(user=users[name], today=TODAY) for name in USERS}

    for name in USERS:
        assert reused[name] == fresh[name], name
    # the scopes differ in the demo, so a shared entry could not have passed the above
    assert reused["hunan_dept"].reports_due != reused["xizang_dept"].reports_due
    assert reused["ministry"].reports_due != reused["hunan_dept"].reports_due


def test_another_day_is_counted_for_that_day(clock, users, settings):
    """The day is in the key: what is due and overdue depends on it."""
    ministry = users["ministry"]
    later = TODAY + dt.timedelta(days=365)
    on_today = programme_dashboard(user=ministry, today=TODAY)

    reused_later = programme_dashboard(user=ministry, today=later)
    settings.DASHBOARD_CACHE_SECONDS = 0
    fresh_later = programme_dashboard(user=ministry, today=later)

    assert reused_later == fresh_later
    assert fresh_later.reports_due != on_today.reports_due


# --- cost ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("who", "url", "most"), [("ministry", INDEX, 17), ("hunan_bar", HOME, 18)])
def test_a_reused_dashboard_page_runs_few_queries(
    clock, users, client, django_assert_max_num_queries, who, url, most
):
    client.force_login(users[who])
    with CaptureQueriesContext(connection) as first:
        assert client.get(url).status_code == 200

    with django_assert_max_num_queries(most) as reused:
        assert client.get(url).status_code == 200

    assert len(reused) <= len(first) - 6  # the six aggregates and the targets, not re-run


# --- Redis down -------------------------------------------------------------------------------


def test_a_dead_redis_means_the_figures_are_computed(clock, users, client, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens on port 1
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }
    client.force_login(users["hunan_dept"])

    response = client.get(INDEX)

    assert response.status_code == 200
    assert_figures_match(response.context["dashboard"], independent("43", TODAY), TODAY)
