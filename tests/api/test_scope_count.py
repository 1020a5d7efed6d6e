"""A province's list of a national table with no filter but its scope reuses its row count
for SCOPE_COUNT_SECONDS (core.pagination.scope_count), in the API and the admin: the
scoped COUNT over the national table runs once, not on every page; a filtered list, and
another scope, count for themselves."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext

from core.pagination import scope_count
from lawyers.models import Lawyer
from tests.factories import LawFirmFactory, LawyerFactory, province

pytestmark = pytest.mark.django_db

LAWYERS = "/api/v1/lawyers/"


@pytest.fixture
def lawyers(settings, regions):
    settings.SCOPE_COUNT_SECONDS = 60
    cache.clear()  # counts of earlier tests (their rows are gone, the SQL is the same)
    hunan_firm = LawFirmFactory(province=province("43"))
    for _ in range(3):
        LawyerFactory(firm=hunan_firm)
    LawyerFactory(province=province("43"))  # a 湖南 lawyer of another province's firm
    LawyerFactory(firm=LawFirmFactory(province=province("54")))
    return hunan_firm


def counts(client, url: str) -> tuple[int, int]:
    """(the count the page shows, how many COUNT queries its request ran)."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, response.content[:300]
    counted = sum("COUNT(" in q["sql"].upper() for q in queries.captured_queries)
    return response.json()["count"], counted


def test_a_scoped_unfiltered_list_counts_once(client_for, lawyers):
    partner = client_for("hunan_partner:r")

    first = counts(partner, LAWYERS)
    second = counts(partner, LAWYERS + "?page_size=2&page=2&fields=id,name")

    assert first == (4, 1)
    assert second == (4, 0)


def test_the_reused_count_is_a_minute_old_at_most(client_for, lawyers):
    partner = client_for("hunan_partner:r")
    counts(partner, LAWYERS)
    LawyerFactory(firm=lawyers)

    assert counts(partner, LAWYERS) == (4, 0)  # the reused number, until it expires
    cache.clear()  # (what SCOPE_COUNT_SECONDS does)
    assert counts(partner, LAWYERS) == (5, 1)


def test_a_filtered_list_counts_every_time(client_for, lawyers):
    partner = client_for("hunan_partner:r")
    url = LAWYERS + f"?firm={lawyers.credit_code}"
    counts(partner, url)

    assert counts(partner, url) == (3, 1)


def test_another_scope_never_sees_the_reused_count(client_for, lawyers):
    counts(client_for("hunan_partner:r"), LAWYERS)

    assert counts(client_for("xizang_dept:r"), LAWYERS) == (1, 1)
    # the 湖南 department's scope of lawyers is the partner's SQL: the same rows, one number
    assert counts(client_for("hunan_dept:r"), LAWYERS) == (4, 0)


def test_another_database_never_sees_the_reused_count(lawyers):
    queryset = Lawyer.objects.filter(province__code="43")
    assert scope_count(queryset, lambda: 4) == 4
    assert scope_count(queryset, lambda: 99) == 4  # reused

    # the same SQL over another database that shares this Redis (a benchmark's tenth-scale
    # copy, a staging database) counts its own rows
    settings_dict = connections["default"].settings_dict
    name = settings_dict["NAME"]
    settings_dict["NAME"] = "another_database"
    try:
        assert scope_count(queryset, lambda: 40) == 40
    finally:
        settings_dict["NAME"] = name


def test_without_redis_the_count_is_exact(client_for, lawyers, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens on port 1
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    session = client_for("hunan_partner:r")

    assert counts(session, LAWYERS)[0] == 4


def test_the_admin_changelist_reuses_the_scope_count_and_says_about(client, users, lawyers):
    client.force_login(users["hunan_dept"])

    def admin_page(url: str) -> tuple[int, str]:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200
        counted = sum('COUNT(*) AS "__count" FROM "lawyers_lawyer"' in q["sql"] for q in queries)
        paginator = response.content.decode().split('<p class="paginator">')[1].split("</p>")[0]
        return counted, " ".join(paginator.split())

    counted, shown = admin_page("/admin/lawyers/lawyer/")
    assert counted == 1
    assert shown.startswith("4 ")  # counted now: exact

    counted, shown = admin_page("/admin/lawyers/lawyer/?o=1")
    assert counted == 0
    assert shown.startswith("约 4 ")  # reused: "about 4"

    counted, shown = admin_page("/admin/lawyers/lawyer/?q=%E5%BC%A0")  # a search counts
    assert counted == 1
    assert not shown.startswith("约")
