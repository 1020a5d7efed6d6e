"""The read-only reference-data API: /api/v1/provinces/ and /api/v1/counties/."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from regions.models import County, LawyerStatus, Province

pytestmark = pytest.mark.django_db

PROVINCES = "/api/v1/provinces/"
COUNTIES = "/api/v1/counties/"


@pytest.fixture
def api(client, users):
    client.force_login(users["hunan_partner"])
    return client


@pytest.mark.parametrize("url", [PROVINCES, COUNTIES, f"{COUNTIES}?province=54"])
def test_anonymous_requests_are_refused(client, regions, url):
    response = client.get(url)

    assert response.status_code in (401, 403)
    body = response.json()
    assert body["status"] == response.status_code
    assert body["code"] == "not_authenticated"
    assert "results" not in body


def test_an_inactive_user_is_refused(client, users):
    user = users["hunan_partner"]
    user.is_active = False
    user.save(update_fields=["is_active"])
    client.force_login(user)

    assert client.get(COUNTIES).status_code in (401, 403)


def test_a_user_of_a_deactivated_organisation_reads_nothing(client, users):
    user = users["hunan_partner"]
    user.organisation.is_active = False
    user.organisation.save(update_fields=["is_active"])
    client.force_login(user)

    provinces = client.get(PROVINCES)
    counties = client.get(COUNTIES)

    # no role, no grant: the policy refuses before any row is read
    assert provinces.status_code == counties.status_code == 403
    assert "results" not in counties.json()


@pytest.mark.parametrize("role", ["ministry", "hunan_dept", "hunan_bar", "hunan_partner"])
def test_every_role_reads_all_provinces(client, users, role):
    client.force_login(users[role])

    response = client.get(PROVINCES)

    assert response.status_code == 200
    rows = response.json()
    assert [p["code"] for p in rows] == list(
        Province.objects.order_by("code").values_list("code", flat=True)
    )
    assert len(rows) == 32
    xizang = next(p for p in rows if p["code"] == "54")
    assert (xizang["name"], xizang["is_recipient"]) == ("西藏自治区", True)


def test_province_filters(api):
    response = api.get(PROVINCES, {"is_recipient": "true"})

    assert response.status_code == 200
    assert {p["code"] for p in response.json()} == set(
        Province.objects.filter(is_recipient=True).values_list("code", flat=True)
    )
    assert len(response.json()) == 13


@pytest.mark.parametrize("role", ["ministry", "hunan_dept", "hunan_bar", "hunan_partner"])
def test_every_role_reads_all_counties(client, users, role):
    client.force_login(users[role])

    response = client.get(COUNTIES)

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == County.objects.count()
    assert body["count"] >= 2800
    first = body["results"][0]
    expected = County.objects.order_by("code").first()
    assert (first["code"], first["name"], first["province"]) == (
        expected.code,
        expected.name,
        expected.province.code,
    )


def test_filter_by_province_gives_its_74_tibetan_counties(api):
    first = api.get(COUNTIES, {"province": "54", "page_size": 50}).json()
    second = api.get(first["next"]).json()

    assert first["count"] == 74
    codes = [c["code"] for c in first["results"] + second["results"]]
    assert len(codes) == 74
    assert set(codes) == set(
        County.objects.filter(province__code="54").values_list("code", flat=True)
    )
    assert {c["province"] for c in first["results"] + second["results"]} == {"54"}
    assert second["next"] is None


def test_filter_by_lawyer_status(api):
    no_lawyer = list(
        County.objects.filter(province__code="54").order_by("code").values_list("pk", flat=True)[:3]
    )
    County.objects.filter(pk__in=no_lawyer).update(
        lawyer_status=LawyerStatus.NO_LAWYER, was_no_lawyer=True
    )
    branch = County.objects.filter(province__code="63").order_by("code").first()
    County.objects.filter(pk=branch.pk).update(lawyer_status=LawyerStatus.BRANCH)

    only_no_lawyer = api.get(COUNTIES, {"lawyer_status": "no_lawyer"}).json()
    either = api.get(COUNTIES, {"lawyer_status__in": "no_lawyer,branch"}).json()
    tibet_local = api.get(COUNTIES, {"province": "54", "lawyer_status": "local"}).json()

    assert {c["id"] for c in only_no_lawyer["results"]} == set(no_lawyer)
    assert {c["id"] for c in either["results"]} == {*no_lawyer, branch.pk}
    assert tibet_local["count"] == 74 - 3


def test_an_unknown_filter_value_is_a_400(api):
    response = api.get(COUNTIES, {"lawyer_status": "plenty"})

    assert response.status_code == 400
    assert "lawyer_status" in response.json()["detail"]


@pytest.mark.parametrize(("asked", "given"), [(None, 50), (10, 10), (100, 100), (1000, 100)])
def test_page_size_is_capped_at_100(api, asked, given):
    params = {} if asked is None else {"page_size": asked}

    body = api.get(COUNTIES, params).json()

    assert len(body["results"]) == given
    assert body["count"] == County.objects.count()


def test_county_list_query_count_does_not_grow_with_page_size(api, django_assert_max_num_queries):
    def queries(page_size: int) -> int:
        with CaptureQueriesContext(connection) as ctx:
            response = api.get(COUNTIES, {"page_size": page_size})
        assert len(response.json()["results"]) == page_size
        return len(ctx.captured_queries)

    assert queries(10) == queries(100)
    # session, user (with organisation), COUNT, page; the session's savepoint and update
    with django_assert_max_num_queries(7):
        api.get(COUNTIES, {"page_size": 100})
