"""The admin back office through the eyes of a provincial justice department (湖南) and the
ministry: what is listed, offered as a choice, reachable by URL and savable."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.admin import OrganisationAdmin
from accounts.models import Organisation, User
from accounts.policy import Role
from regions.admin import CountyAdmin
from regions.models import County, LawyerStatus
from tests.conftest import make_org, make_user

pytestmark = pytest.mark.django_db

SENTINEL_ORG = "西藏哨兵"
SENTINEL_USER = "西藏哨兵用户"


@pytest.fixture
def world(users, regions):
    """Rows on both sides: 湖南 (43), which the department administers, and 西藏 (54), whose
    names must never reach a 湖南 page."""
    hunan, xizang = regions["43"], regions["54"]
    xizang_org = make_org(Role.PARTNER, xizang, SENTINEL_ORG)
    xizang_user = make_user("xizang_sentinel", xizang_org, staff=False)
    xizang_user.last_name = SENTINEL_USER
    xizang_user.save(update_fields=["last_name"])
    return {
        "hunan": hunan,
        "xizang": xizang,
        "hunan_org": users["hunan_partner"].organisation,
        "hunan_user": users["hunan_partner"],
        "xizang_org": xizang_org,
        "xizang_user": xizang_user,
        "hunan_county": County.objects.filter(province=hunan).order_by("code").first(),
        "xizang_county": County.objects.filter(province=xizang).order_by("code").first(),
    }


@pytest.fixture
def hunan_client(client, users):
    client.force_login(users["hunan_dept"])
    return client


@pytest.fixture
def ministry_client(client, users):
    client.force_login(users["ministry"])
    return client


def change_url(obj) -> str:
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])


def autocomplete(client, app_label: str, model_name: str, field_name: str, term: str = ""):
    response = client.get(
        reverse("admin:autocomplete"),
        {"app_label": app_label, "model_name": model_name, "field_name": field_name, "term": term},
    )
    assert response.status_code == 200
    return {int(r["id"]) for r in response.json()["results"]}


def organisation_form_data(org: Organisation, **changes) -> dict:
    data = {
        "name": org.name,
        "kind": org.kind,
        "province": org.province_id,
        "is_active": "on" if org.is_active else "",
        "contact_email": org.contact_email,
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v != ""}


# --- what the department sees ---------------------------------------------------------------
def test_department_changelists_list_only_its_provinces_rows(hunan_client, world):
    orgs = hunan_client.get(reverse("admin:accounts_organisation_changelist"))
    users = hunan_client.get(reverse("admin:accounts_user_changelist"))

    assert orgs.status_code == users.status_code == 200
    listed_orgs = {o.pk for o in orgs.context["cl"].result_list}
    listed_users = {u.pk for u in users.context["cl"].result_list}
    assert listed_orgs == set(
        Organisation.objects.filter(province__code="43").values_list("pk", flat=True)
    )
    assert listed_users == set(
        User.objects.filter(organisation__province__code="43").values_list("pk", flat=True)
    )
    assert world["hunan_org"].pk in listed_orgs
    assert world["hunan_user"].pk in listed_users


def test_no_page_the_department_reaches_mentions_another_provinces_rows(hunan_client, world):
    hunan_org, hunan_user = world["hunan_org"], world["hunan_user"]
    pages = [
        reverse("admin:index"),
        reverse("admin:app_list", args=["accounts"]),
        reverse("admin:accounts_organisation_changelist"),
        reverse("admin:accounts_organisation_changelist") + "?q=西藏",
        reverse("admin:accounts_organisation_changelist")
        + f"?province__id__exact={world['xizang'].pk}",
        reverse("admin:accounts_organisation_add"),
        change_url(hunan_org),
        reverse("admin:accounts_organisation_history", args=[hunan_org.pk]),
        reverse("admin:accounts_user_changelist"),
        reverse("admin:accounts_user_changelist") + "?q=xizang",
        reverse("admin:accounts_user_add"),
        change_url(hunan_user),
        reverse("admin:auth_user_password_change", args=[hunan_user.pk]),
    ]
    for url in pages:
        response = hunan_client.get(url)
        assert response.status_code == 200, url
        body = response.content.decode()
        assert SENTINEL_ORG not in body, url
        assert SENTINEL_USER not in body, url
        assert "xizang_sentinel" not in body, url


def test_organisation_list_filter_offers_only_the_departments_province(hunan_client, world):
    response = hunan_client.get(reverse("admin:accounts_organisation_changelist"))

    assert province_filter_choices(response) == {world["hunan"].pk}
    assert f"province__id__exact={world['xizang'].pk}" not in response.content.decode()


@pytest.mark.parametrize(
    ("app_label", "model_name", "field_name", "target"),
    [
        ("accounts", "user", "organisation", Organisation),
        ("accounts", "organisation", "province", "province"),
        ("regions", "county", "province", "province"),
    ],
)
def test_autocomplete_offers_only_the_departments_province(
    hunan_client, world, app_label, model_name, field_name, target
):
    offered = autocomplete(hunan_client, app_label, model_name, field_name)

    if target is Organisation:
        expected = set(
            Organisation.objects.filter(province__code="43").values_list("pk", flat=True)
        )
        assert world["xizang_org"].pk not in offered
    else:
        expected = {world["hunan"].pk}
    assert offered == expected
    # searching by the other province's name finds nothing either
    assert autocomplete(hunan_client, app_label, model_name, field_name, term="西藏") == set()


def test_autocomplete_offers_the_ministry_everything(ministry_client, world):
    orgs = autocomplete(ministry_client, "accounts", "user", "organisation", term="哨兵")
    provinces = autocomplete(ministry_client, "regions", "county", "province")

    assert orgs == {world["xizang_org"].pk}
    assert len(provinces) == 20  # the autocomplete's first page of 32 provinces


def test_foreign_key_select_offers_only_the_departments_rows(hunan_client, world):
    """The form field behind the autocomplete widget validates against the same choices."""
    response = hunan_client.get(reverse("admin:accounts_user_add"))

    field = response.context["adminform"].form.fields["organisation"]
    assert set(field.queryset.values_list("pk", flat=True)) == set(
        Organisation.objects.filter(province__code="43").values_list("pk", flat=True)
    )


@pytest.mark.parametrize("name", ["xizang_org", "xizang_user"])
def test_another_provinces_object_is_not_found(hunan_client, world, name):
    obj = world[name]
    urls = [
        change_url(obj),
        reverse(f"admin:accounts_{obj._meta.model_name}_history", args=[obj.pk]),
        reverse(f"admin:accounts_{obj._meta.model_name}_delete", args=[obj.pk]),
    ]
    if name == "xizang_user":
        urls.append(reverse("admin:auth_user_password_change", args=[obj.pk]))

    for url in urls:
        assert hunan_client.get(url).status_code == 404, url


def test_ministry_sees_every_province(ministry_client, world):
    counties = ministry_client.get(reverse("admin:regions_county_changelist"))
    assert len(province_filter_choices(counties)) == 32
    orgs = ministry_client.get(reverse("admin:accounts_organisation_changelist"))
    users = ministry_client.get(reverse("admin:accounts_user_changelist") + "?q=xizang_sentinel")
    xizang_page = ministry_client.get(change_url(world["xizang_org"]))

    assert SENTINEL_ORG in orgs.content.decode()
    assert SENTINEL_USER in users.content.decode()
    assert xizang_page.status_code == 200
    assert {o.pk for o in orgs.context["cl"].result_list} == set(
        Organisation.objects.values_list("pk", flat=True)
    )


# --- what the department may save -----------------------------------------------------------
def test_moving_an_organisation_into_another_province_is_rejected(hunan_client, world):
    org = world["hunan_org"]
    name = org.name
    data = organisation_form_data(org, province=world["xizang"].pk, name="搬去西藏")

    response = hunan_client.post(change_url(org), data)

    assert response.status_code == 200
    assert "province" in response.context["adminform"].form.errors
    org.refresh_from_db()
    assert (org.province_id, org.name) == (world["hunan"].pk, name)


def test_department_saves_its_own_organisation(hunan_client, world):
    org = world["hunan_org"]

    response = hunan_client.post(
        change_url(org), organisation_form_data(org, contact_email="it@hunan.invalid")
    )

    assert response.status_code == 302
    org.refresh_from_db()
    assert org.contact_email == "it@hunan.invalid"


def test_department_cannot_create_a_ministry_organisation(hunan_client, world):
    """No province choice to refuse here (the ministry has none): the form-level write check
    stops it, as a form error rather than a 403 after the fact."""
    response = hunan_client.post(
        reverse("admin:accounts_organisation_add"),
        {"name": "另一个司法部", "kind": Role.MINISTRY, "is_active": "on"},
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.non_field_errors()
    assert not Organisation.objects.filter(name="另一个司法部").exists()


def test_creating_a_user_in_another_provinces_organisation_is_rejected(hunan_client, world):
    response = hunan_client.post(
        reverse("admin:accounts_user_add"),
        {
            "username": "intruder",
            "organisation": world["xizang_org"].pk,
            "is_staff": "on",
            "usable_password": "true",
            "password1": "Test-pass-2026!",
            "password2": "Test-pass-2026!",
        },
    )

    assert response.status_code == 200
    assert "organisation" in response.context["adminform"].form.errors
    assert not User.objects.filter(username="intruder").exists()


def test_department_creates_a_user_in_its_own_organisation(hunan_client, world):
    response = hunan_client.post(
        reverse("admin:accounts_user_add"),
        {
            "username": "hunan_new",
            "organisation": world["hunan_org"].pk,
            "usable_password": "true",
            "password1": "Test-pass-2026!",
            "password2": "Test-pass-2026!",
        },
    )

    assert response.status_code == 302
    assert User.objects.get(username="hunan_new").organisation == world["hunan_org"]


def test_department_cannot_grant_superuser_rights(hunan_client, world):
    user = world["hunan_user"]
    response = hunan_client.get(change_url(user))
    form = response.context["adminform"].form
    assert "is_superuser" not in form.fields
    assert "user_permissions" not in form.fields

    hunan_client.post(
        change_url(user),
        {
            "username": user.username,
            "organisation": user.organisation_id,
            "is_active": "on",
            "is_superuser": "on",
            "date_joined_0": "2026-11-27",
            "date_joined_1": "10:00:00",
        },
    )

    user.refresh_from_db()
    assert not user.is_superuser


def test_county_form_lets_the_department_change_lawyer_status_only(hunan_client, world):
    county = world["hunan_county"]
    code, name = county.code, county.name
    form_page = hunan_client.get(change_url(county))
    form = form_page.context["adminform"].form
    assert set(form.fields) == {"lawyer_status", "lawyer_status_since", "volunteer_coverage"}

    response = hunan_client.post(
        change_url(county),
        {
            "lawyer_status": LawyerStatus.NO_LAWYER,
            "lawyer_status_since": "2026-11-01",
            # crafted: read-only fields must be ignored
            "province": world["xizang"].pk,
            "code": "549999",
            "name": "改名县",
        },
    )

    assert response.status_code == 302
    county.refresh_from_db()
    assert county.lawyer_status == LawyerStatus.NO_LAWYER
    assert county.was_no_lawyer  # a no-lawyer county is remembered as one
    assert (county.province_id, county.code, county.name) == (world["hunan"].pk, code, name)


def test_department_may_read_but_not_change_another_provinces_county(hunan_client, world):
    county = world["xizang_county"]

    page = hunan_client.get(change_url(county))
    post = hunan_client.post(change_url(county), {"lawyer_status": LawyerStatus.NO_LAWYER})

    assert page.status_code == 200
    assert not page.context["has_change_permission"]
    assert post.status_code == 403
    county.refresh_from_db()
    assert county.lawyer_status == LawyerStatus.LOCAL


def province_filter_choices(response) -> set[int]:
    return {
        pk
        for spec in response.context["cl"].filter_specs
        if spec.field_path == "province"
        for pk, _ in spec.lookup_choices
    }


def test_county_province_filter_offers_only_the_departments_province(hunan_client, world):
    """The department reads every county, but filters (PICK) by its own province only; with a
    single choice Django hides the filter altogether."""
    response = hunan_client.get(reverse("admin:regions_county_changelist"))

    assert province_filter_choices(response) <= {world["hunan"].pk}
    assert f"province__id__exact={world['xizang'].pk}" not in response.content.decode()


@pytest.mark.parametrize("role", ["hunan_bar", "hunan_partner"])
def test_portal_users_are_sent_to_the_admin_login(client, users, role):
    client.force_login(users[role])

    for url in (
        reverse("admin:index"),
        reverse("admin:accounts_organisation_changelist"),
        reverse("admin:autocomplete")
        + "?app_label=accounts&model_name=user&field_name=organisation",
    ):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("admin:login")), url


# --- query counts -----------------------------------------------------------------------------
# The same bound at 10 and at 200 listed rows: a changelist costs a fixed number of queries.
CHANGELIST_QUERY_BOUND = 11


def add_hunan_orgs(regions, n: int) -> None:
    """More 湖南 organisations: partner systems, of which a province may have any number."""
    start = Organisation.objects.filter(name__startswith="湖南测试系统").count()
    Organisation.objects.bulk_create(
        Organisation(kind=Role.PARTNER, province=regions["43"], name=f"湖南测试系统{i:03}")
        for i in range(start, start + n)
    )


@pytest.fixture
def many_orgs(regions, request):
    add_hunan_orgs(regions, request.param)
    return request.param


def _list_everything(monkeypatch, admin_class) -> None:
    monkeypatch.setattr(admin_class, "list_per_page", 1000)


@pytest.mark.parametrize("many_orgs", [10, 200], indirect=True)
@pytest.mark.parametrize("role", ["ministry", "hunan_dept"])
def test_organisation_changelist_query_count_does_not_grow_with_rows(
    client, users, many_orgs, role, monkeypatch, django_assert_max_num_queries
):
    _list_everything(monkeypatch, OrganisationAdmin)
    client.force_login(users[role])

    with django_assert_max_num_queries(CHANGELIST_QUERY_BOUND):
        response = client.get(reverse("admin:accounts_organisation_changelist"))

    assert response.status_code == 200
    assert len(response.context["cl"].result_list) >= many_orgs


@pytest.mark.parametrize("rows", [10, 200])
@pytest.mark.parametrize("role", ["ministry", "hunan_dept"])
def test_county_changelist_query_count_does_not_grow_with_rows(
    client, users, rows, role, monkeypatch, django_assert_max_num_queries
):
    monkeypatch.setattr(CountyAdmin, "list_per_page", rows)
    client.force_login(users[role])

    with django_assert_max_num_queries(CHANGELIST_QUERY_BOUND):
        response = client.get(reverse("admin:regions_county_changelist"))

    assert response.status_code == 200
    assert len(response.context["cl"].result_list) == rows


@pytest.mark.parametrize("role", ["ministry", "hunan_dept"])
def test_organisation_changelist_costs_the_same_queries_at_10_and_200_rows(
    client, users, regions, role, monkeypatch
):
    _list_everything(monkeypatch, OrganisationAdmin)
    client.force_login(users[role])
    url = reverse("admin:accounts_organisation_changelist")

    def queries_for_listing() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url)
        return len(ctx.captured_queries), len(response.context["cl"].result_list)

    add_hunan_orgs(regions, 10)
    few, few_rows = queries_for_listing()
    add_hunan_orgs(regions, 190)
    many, many_rows = queries_for_listing()

    assert many_rows - few_rows == 190
    assert many == few
