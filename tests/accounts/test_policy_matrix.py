"""The scoping policy as a matrix: role × model × action, each cell its own test.

The oracle is written here, independently of accounts.policy: a table of what each role
may reach ("all" rows, its "own" province's rows, or "none"), and plain ORM filters that
say what "own" means for each model. Every cell compares exact id sets.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.db import models

from accounts.models import Organisation, User
from accounts.policy import Action, Role, ensure_can
from regions.models import County, LawyerStatus, Province
from tests.conftest import make_org, make_user

pytestmark = pytest.mark.django_db

V, P, A, C, D = Action.VIEW, Action.PICK, Action.ADD, Action.CHANGE, Action.DELETE
EVERY_ACTION = (V, P, A, C, D)
MODELS: tuple[type[models.Model], ...] = (Organisation, User, Province, County)

# --- the oracle ----------------------------------------------------------------------------
# Rows "of a province", as plain ORM filters.
OWN_ROWS: dict[type[models.Model], Callable[[str], models.QuerySet]] = {
    Organisation: lambda code: Organisation.objects.filter(province__code=code),
    User: lambda code: User.objects.filter(organisation__province__code=code),
    Province: lambda code: Province.objects.filter(code=code),
    County: lambda code: County.objects.filter(province__code=code),
}

EVERYTHING = {model: dict.fromkeys(EVERY_ACTION, "all") for model in MODELS}
NOTHING = {model: dict.fromkeys(EVERY_ACTION, "none") for model in MODELS}
# Bar associations and partner systems read their own province's organisations and the
# reference data; a form offers them (PICK) their own province's rows only.
PORTAL_ROLE = {
    Organisation: {V: "own", P: "own", A: "none", C: "none", D: "none"},
    User: dict.fromkeys(EVERY_ACTION, "none"),
    Province: {V: "all", P: "own", A: "none", C: "none", D: "none"},
    County: {V: "all", P: "own", A: "none", C: "none", D: "none"},
}
EXPECTED: dict[str, dict[type[models.Model], dict[Action, str]]] = {
    "ministry": EVERYTHING,
    "superuser": EVERYTHING,
    # the provincial justice department administers its province's organisations and
    # users (never deletes), keeps its own counties' lawyer status, reads the rest of the
    # reference data
    "hunan_dept": {
        Organisation: {V: "own", P: "own", A: "own", C: "own", D: "none"},
        User: {V: "own", P: "own", A: "own", C: "own", D: "none"},
        Province: {V: "all", P: "own", A: "none", C: "none", D: "none"},
        County: {V: "all", P: "own", A: "none", C: "own", D: "none"},
    },
    "hunan_bar": PORTAL_ROLE,
    "hunan_partner": PORTAL_ROLE,
    "inactive_user": NOTHING,
    "inactive_org_user": NOTHING,
    "anonymous": NOTHING,
}
PROVINCE_OF_ROLE = {"hunan_dept": "43", "hunan_bar": "43", "hunan_partner": "43"}

CELLS = [
    pytest.param(role, model, action, id=f"{role}-{model.__name__}-{action}")
    for role in EXPECTED
    for model in MODELS
    for action in EVERY_ACTION
]


@pytest.fixture
def actors(users, regions) -> dict[str, User | AnonymousUser]:
    """The role users, plus rows in several provinces so that "own" ≠ "all" everywhere."""
    hunan, xizang, beijing = regions["43"], regions["54"], regions["11"]
    xizang_org = make_org(Role.PARTNER, xizang, "西藏哨兵")
    make_user("xizang_sentinel_user", xizang_org, staff=False)
    make_user("hunan_clerk", users["hunan_dept"].organisation)
    inactive_user = make_user("hunan_inactive", users["hunan_dept"].organisation)
    inactive_user.is_active = False
    inactive_user.save(update_fields=["is_active"])
    closed_org = Organisation.objects.create(
        kind=Role.JUSTICE_DEPARTMENT, province=beijing, name="北京市司法局（停用）", is_active=False
    )
    assert hunan.pk != xizang.pk
    return {
        **users,
        "inactive_user": inactive_user,
        "inactive_org_user": make_user("beijing_dept_closed", closed_org),
        "anonymous": AnonymousUser(),
    }


def expected_ids(role: str, model: type[models.Model], action: Action) -> set[int]:
    reach = EXPECTED[role][model][action]
    if reach == "all":
        return set(model._default_manager.values_list("pk", flat=True))
    if reach == "own":
        return set(OWN_ROWS[model](PROVINCE_OF_ROLE[role]).values_list("pk", flat=True))
    assert reach == "none"
    return set()


@pytest.mark.parametrize(("role", "model", "action"), CELLS)
def test_for_user_returns_exactly_the_rows_the_role_may_reach(actors, role, model, action):
    user = actors[role]

    got = set(model._default_manager.for_user(user, action).values_list("pk", flat=True))

    assert got == expected_ids(role, model, action)


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_the_oracle_distinguishes_own_from_all_for_every_model(actors, model):
    """Guards the matrix itself: "own" must be a non-empty strict subset of "all"."""
    everything = set(model._default_manager.values_list("pk", flat=True))
    own = set(OWN_ROWS[model]("43").values_list("pk", flat=True))
    assert own
    assert own < everything


# --- writes through ensure_can --------------------------------------------------------------
def save_as(user, action: Action, obj: models.Model) -> None:
    """What a service does: check the write, then save."""
    ensure_can(user, action, obj)
    obj.save()


@pytest.fixture
def hunan_org(users) -> Organisation:
    return users["hunan_partner"].organisation


@pytest.fixture
def xizang_org(users) -> Organisation:
    return users["xizang_bar"].organisation


def test_department_cannot_move_its_organisation_into_another_province(users, regions, hunan_org):
    hunan_org.province = regions["54"]

    with pytest.raises(PermissionDenied):
        save_as(users["hunan_dept"], C, hunan_org)

    hunan_org.refresh_from_db()
    assert hunan_org.province.code == "43"


def test_department_cannot_pull_another_provinces_organisation_into_its_own(
    users, regions, xizang_org
):
    name = xizang_org.name
    xizang_org.province = regions["43"]
    xizang_org.name = "被改名的西藏律协"

    with pytest.raises(PermissionDenied):
        save_as(users["hunan_dept"], C, xizang_org)

    xizang_org.refresh_from_db()
    assert (xizang_org.province.code, xizang_org.name) == ("54", name)


def test_department_changes_an_organisation_of_its_province(users, hunan_org):
    hunan_org.contact_email = "it@hunan.invalid"

    save_as(users["hunan_dept"], C, hunan_org)

    hunan_org.refresh_from_db()
    assert hunan_org.contact_email == "it@hunan.invalid"


def test_department_cannot_delete_even_its_own_provinces_organisation(users, hunan_org):
    with pytest.raises(PermissionDenied):
        ensure_can(users["hunan_dept"], D, hunan_org)


def test_department_cannot_change_another_provinces_county(users, regions):
    county = County.objects.filter(province__code="54").order_by("code").first()
    county.lawyer_status = LawyerStatus.NO_LAWYER
    county.was_no_lawyer = True

    with pytest.raises(PermissionDenied):
        save_as(users["hunan_dept"], C, county)

    county.refresh_from_db()
    assert county.lawyer_status == LawyerStatus.LOCAL


def test_department_changes_its_own_countys_lawyer_status(users, regions):
    county = County.objects.filter(province__code="43").order_by("code").first()
    county.lawyer_status = LawyerStatus.BRANCH

    save_as(users["hunan_dept"], C, county)

    county.refresh_from_db()
    assert county.lawyer_status == LawyerStatus.BRANCH


def test_department_cannot_move_its_county_into_another_province(users, regions):
    county = County.objects.filter(province__code="43").order_by("code").first()
    county.province = regions["54"]

    with pytest.raises(PermissionDenied):
        save_as(users["hunan_dept"], C, county)

    county.refresh_from_db()
    assert county.province.code == "43"


def test_department_cannot_create_a_user_in_another_provinces_organisation(users, xizang_org):
    newcomer = User(username="intruder", organisation=xizang_org)

    with pytest.raises(PermissionDenied):
        save_as(users["hunan_dept"], A, newcomer)

    assert not User.objects.filter(username="intruder").exists()


def test_department_creates_a_user_in_its_provinces_organisation(users, hunan_org):
    save_as(users["hunan_dept"], A, User(username="hunan_new", organisation=hunan_org))

    assert User.objects.get(username="hunan_new").organisation == hunan_org


def test_department_cannot_create_an_organisation_in_another_province(users, regions):
    org = Organisation(kind=Role.PARTNER, province=regions["54"], name="冒名的西藏系统")

    with pytest.raises(PermissionDenied):
        save_as(users["hunan_dept"], A, org)

    assert not Organisation.objects.filter(name="冒名的西藏系统").exists()


@pytest.mark.parametrize("role", ["hunan_bar", "hunan_partner"])
def test_portal_roles_cannot_change_even_their_own_provinces_rows(users, regions, hunan_org, role):
    county = County.objects.filter(province__code="43").first()
    with pytest.raises(PermissionDenied):
        ensure_can(users[role], C, hunan_org)
    with pytest.raises(PermissionDenied):
        ensure_can(users[role], C, county)
    with pytest.raises(PermissionDenied):
        ensure_can(users[role], A, User(username="x", organisation=hunan_org))


@pytest.mark.parametrize("role", ["ministry", "superuser"])
def test_ministry_may_write_anything_anywhere(users, regions, hunan_org, xizang_org, role):
    user = users[role]
    hunan_org.province = regions["54"]
    save_as(user, C, hunan_org)
    county = County.objects.filter(province__code="54").order_by("code").first()
    county.lawyer_status = LawyerStatus.BRANCH
    save_as(user, C, county)
    save_as(user, A, User(username="xizang_new", organisation=xizang_org))
    ensure_can(user, D, xizang_org)

    hunan_org.refresh_from_db()
    county.refresh_from_db()
    assert hunan_org.province.code == "54"
    assert county.lawyer_status == LawyerStatus.BRANCH
    assert User.objects.get(username="xizang_new").organisation == xizang_org


@pytest.mark.parametrize("role", ["anonymous", "inactive_user", "inactive_org_user"])
def test_anonymous_and_inactive_users_may_write_nothing(actors, role):
    user = actors[role]
    # the rows an active user of the same organisation would be allowed to change
    own_org = getattr(user, "organisation", None) or actors["hunan_dept"].organisation
    own_org.contact_email = "changed@example.invalid"

    with pytest.raises(PermissionDenied):
        save_as(user, C, own_org)
    with pytest.raises(PermissionDenied):
        save_as(user, A, User(username="newcomer", organisation=own_org))

    own_org.refresh_from_db()
    assert own_org.contact_email == ""
    assert not User.objects.filter(username="newcomer").exists()
