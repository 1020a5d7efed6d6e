"""/api/v1/lawyers/ and /api/v1/trainees/: scope, writes through the services, personal
data, natural keys, ?fields= and query counts."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

from lawyers.models import (
    ExperienceGroup,
    Gender,
    Lawyer,
    LawyerLicence,
    PoliticalStatus,
    Trainee,
    TraineeStatus,
)
from tests.factories import (
    LawFirmFactory,
    LawyerFactory,
    TraineeFactory,
    licence_number,
    province,
)

pytestmark = pytest.mark.django_db

LAWYERS = "/api/v1/lawyers/"
TRAINEES = "/api/v1/trainees/"


@pytest.fixture
def api(client_for):
    """A client for "<who>:<scope>" that reads errors in English."""

    def make(name: str):
        client = client_for(name)
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        return client

    return make


def ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def errors_of(response, field: str) -> str:
    """The error text for `field` of a 400 answer (fails when the field is not named)."""
    assert response.status_code == 400, response.content
    detail = response.json()["detail"]
    assert field in detail, detail
    return " ".join(str(m) for m in detail[field])


def refused_as_missing(response, field: str) -> None:
    text = errors_of(response, field)
    assert "that you may use" in text or "does not exist" in text, text


@pytest.fixture
def hunan_firm(regions):
    return LawFirmFactory(province=province("43"))


@pytest.fixture
def xizang_firm(regions):
    return LawFirmFactory(province=province("54"))


@pytest.fixture
def hunan_lawyer(hunan_firm):
    return LawyerFactory(
        firm=hunan_firm,
        phone="13812345678",
        email="zhang@example.cn",
        political_status=PoliticalStatus.PARTY_MEMBER,
    )


@pytest.fixture
def xizang_lawyer(xizang_firm):
    return LawyerFactory(firm=xizang_firm, phone="13900001111")


def new_lawyer_body(home_firm, **overrides):
    body = {
        "name": "李四",
        "gender": Gender.FEMALE,
        "birth_date": "1996-05-04",
        "political_status": PoliticalStatus.LEAGUE,
        "first_licence_year": 2021,
        "province": home_firm.province.code,
        "firm": home_firm.credit_code,
        "practice_areas": ["civil", "labour"],
        "phone": "13700002222",
        "email": "lisi@example.cn",
        "licence_number": licence_number(home_firm.province.code, 777, year=2021, gender="F"),
        "licence_valid_from": "2021-07-01",
    }
    body.update(overrides)
    return body


# --- lawyers: scope ---------------------------------------------------------------------------


def test_a_hunan_key_lists_and_reads_hunan_lawyers_only(api, hunan_lawyer, xizang_lawyer):
    client = api("hunan_dept:r")

    assert ids(client.get(LAWYERS)) == {hunan_lawyer.pk}
    assert client.get(f"{LAWYERS}{hunan_lawyer.pk}/").status_code == 200
    assert client.get(f"{LAWYERS}{xizang_lawyer.pk}/").status_code == 404
    assert ids(api("ministry:r").get(LAWYERS)) == {hunan_lawyer.pk, xizang_lawyer.pk}


def test_a_lawyer_comes_with_the_licence_history(api, hunan_lawyer):
    data = api("hunan_dept:r").get(f"{LAWYERS}{hunan_lawyer.pk}/").json()

    assert data["current_licence_no"] == hunan_lawyer.current_licence_no
    assert data["province"] == "43"
    assert data["firm"] == hunan_lawyer.firm.credit_code
    assert data["licences"] == [
        {
            "number": hunan_lawyer.current_licence_no,
            "issuing_province": "43",
            "valid_from": "2020-07-01",
            "valid_to": None,
            "is_current": True,
        }
    ]


def test_personal_fields_are_masked_and_political_status_left_out_without_the_scope(
    api, hunan_lawyer
):
    masked = api("hunan_dept:r").get(f"{LAWYERS}{hunan_lawyer.pk}/").json()
    listed = api("hunan_dept:r").get(LAWYERS).json()["results"][0]
    full = api("hunan_dept:rwp").get(f"{LAWYERS}{hunan_lawyer.pk}/").json()

    for row in (masked, listed):
        assert row["phone"] == "138****5678"
        assert row["email"] == "z***@example.cn"
        assert "political_status" not in row
    assert full["phone"] == "13812345678"
    assert full["email"] == "zhang@example.cn"
    assert full["political_status"] == PoliticalStatus.PARTY_MEMBER


def test_filters_by_province_firm_and_any_licence(api, hunan_lawyer, xizang_lawyer):
    client = api("ministry:r")
    old_number = licence_number("43", 999, year=2019)
    LawyerLicence.objects.filter(lawyer=hunan_lawyer).update(
        valid_from=dt.date(2021, 1, 1), is_current=True
    )
    LawyerLicence.objects.create(
        lawyer=hunan_lawyer,
        number=old_number,
        issuing_province=province("43"),
        valid_from=dt.date(2019, 7, 1),
        valid_to=dt.date(2020, 12, 31),
        is_current=False,
    )

    assert ids(client.get(LAWYERS, {"province": "54"})) == {xizang_lawyer.pk}
    assert ids(client.get(LAWYERS, {"province__in": "43,54"})) == {
        hunan_lawyer.pk,
        xizang_lawyer.pk,
    }
    assert ids(client.get(LAWYERS, {"region": "central"})) == {hunan_lawyer.pk}
    assert ids(client.get(LAWYERS, {"firm": xizang_lawyer.firm.credit_code})) == {xizang_lawyer.pk}
    assert ids(client.get(LAWYERS, {"licence": old_number})) == {hunan_lawyer.pk}
    assert ids(client.get(LAWYERS, {"licence_no": xizang_lawyer.current_licence_no})) == {
        xizang_lawyer.pk
    }
    assert ids(client.get(LAWYERS, {"first_licence_year__gte": 2021})) == set()


# --- lawyers: writes ----------------------------------------------------------------------------


def test_registering_a_lawyer_goes_through_the_service(api, hunan_firm):
    body = new_lawyer_body(hunan_firm)

    response = api("hunan_dept:rw").post(LAWYERS, body)

    assert response.status_code == 201, response.content
    lawyer = Lawyer.objects.get(pk=response.json()["id"])
    # the service set the search names and recorded the current licence
    assert lawyer.name_initials == "ls"
    assert lawyer.current_licence_no == body["licence_number"]
    licence = lawyer.licences.get()
    assert licence.is_current
    assert licence.issuing_province.code == "43"
    assert response.json()["licences"][0]["number"] == body["licence_number"]
    assert response.json()["phone"] == "137****2222"  # rw without personal data: masked


def test_a_firm_can_be_given_by_id(api, hunan_firm):
    response = api("hunan_dept:rw").post(LAWYERS, new_lawyer_body(hunan_firm, firm=hunan_firm.pk))

    assert response.status_code == 201, response.content
    assert response.json()["firm"] == hunan_firm.credit_code


def test_updating_a_lawyer_goes_through_the_service(api, hunan_lawyer):
    response = api("hunan_dept:rwp").patch(
        f"{LAWYERS}{hunan_lawyer.pk}/", {"name": "王五", "phone": "13600000000"}
    )

    assert response.status_code == 200, response.content
    hunan_lawyer.refresh_from_db()
    assert hunan_lawyer.phone == "13600000000"
    assert hunan_lawyer.name_initials == "ww"  # derived by the service
    assert response.json()["name"] == "王五"


def test_the_province_and_licence_cannot_be_changed_by_an_update(api, hunan_lawyer):
    client = api("hunan_dept:rw")
    url = f"{LAWYERS}{hunan_lawyer.pk}/"

    errors_of(client.patch(url, {"province": "11"}), "province")
    errors_of(client.patch(url, {"licence_number": licence_number("43", 555)}), "licence_number")
    hunan_lawyer.refresh_from_db()
    assert hunan_lawyer.province.code == "43"


def test_a_read_only_key_may_not_write(api, hunan_firm, hunan_lawyer):
    client = api("hunan_dept:r")

    assert client.post(LAWYERS, new_lawyer_body(hunan_firm)).status_code == 403
    assert client.patch(f"{LAWYERS}{hunan_lawyer.pk}/", {"phone": "1"}).status_code == 403
    assert not Lawyer.objects.filter(name="李四").exists()


def test_a_partner_key_with_write_scope_still_may_not_register(api, hunan_firm):
    response = api("hunan_partner:rw").post(LAWYERS, new_lawyer_body(hunan_firm))

    assert response.status_code == 403
    assert not Lawyer.objects.filter(name="李四").exists()


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ({"licence_number": "12345"}, "licence_number"),
        ({"licence_number": None}, "licence_number"),
        ({"gender": "X"}, "gender"),
        ({"birth_date": "1996-13-40"}, "birth_date"),
        ({"first_licence_year": 1970}, "first_licence_year"),
        ({"practice_areas": ["astrology"]}, "practice_areas"),
        ({"firm": True}, "firm"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(api, hunan_firm, override, field):
    body = new_lawyer_body(hunan_firm, **override)
    if override.get("licence_number", "") is None:
        del body["licence_number"]

    errors_of(api("hunan_dept:rw").post(LAWYERS, body), field)
    assert not Lawyer.objects.filter(name="李四").exists()


def test_a_licence_number_already_registered_is_refused(api, hunan_firm, hunan_lawyer):
    body = new_lawyer_body(hunan_firm, licence_number=hunan_lawyer.current_licence_no)

    assert "already registered" in errors_of(
        api("hunan_dept:rw").post(LAWYERS, body), "licence_number"
    )


def test_another_provinces_firm_or_province_does_not_exist_for_the_caller(
    api, hunan_firm, xizang_firm
):
    client = api("hunan_dept:rw")

    refused_as_missing(
        client.post(LAWYERS, new_lawyer_body(hunan_firm, firm=xizang_firm.credit_code)), "firm"
    )
    refused_as_missing(
        client.post(LAWYERS, new_lawyer_body(hunan_firm, firm=xizang_firm.pk)), "firm"
    )
    refused_as_missing(client.post(LAWYERS, new_lawyer_body(hunan_firm, province="54")), "province")
    assert not Lawyer.objects.filter(name="李四").exists()


def test_fields_trims_the_output(api, hunan_lawyer):
    client = api("hunan_dept:r")

    rows = client.get(LAWYERS, {"fields": "id,name,province"}).json()["results"]
    brief = client.get(LAWYERS, {"brief": "true"}).json()["results"]

    assert rows == [{"id": hunan_lawyer.pk, "name": hunan_lawyer.name, "province": "43"}]
    assert set(brief[0]) == {"id", "name", "current_licence_no", "province", "firm"}
    errors_of(client.get(LAWYERS, {"fields": "id,salary"}), "fields")


# --- trainees ------------------------------------------------------------------------------------


@pytest.fixture
def xizang_trainee(regions):
    return TraineeFactory()  # home province 西藏 (54)


def young_xizang_lawyer(**kwargs):
    firm = LawFirmFactory(province=province("54"))
    return LawyerFactory(
        firm=firm, birth_date=dt.date(1994, 2, 2), first_licence_year=2019, **kwargs
    )


def trainee_body(of_lawyer, **overrides):
    body = {
        "lawyer": of_lawyer.current_licence_no,
        "cohort_year": 2026,
        "home_province": "54",
        "selection_date": "2026-03-01",
        "practice_track": "criminal",
        "plan_goals": "刑事辩护",
    }
    body.update(overrides)
    return body


def test_trainees_are_scoped_to_the_callers_province(api, xizang_trainee):
    assert ids(api("xizang_dept:r").get(TRAINEES)) == {xizang_trainee.pk}
    assert ids(api("hunan_dept:r").get(TRAINEES)) == set()
    assert api("hunan_dept:r").get(f"{TRAINEES}{xizang_trainee.pk}/").status_code == 404
    detail = api("xizang_dept:r").get(f"{TRAINEES}{xizang_trainee.pk}/").json()
    assert detail["lawyer"] == xizang_trainee.lawyer.current_licence_no
    assert detail["home_province"] == "54"


def test_nominating_a_trainee_goes_through_the_service(api, regions):
    lawyer = young_xizang_lawyer()

    response = api("xizang_dept:rw").post(TRAINEES, trainee_body(lawyer))

    assert response.status_code == 201, response.content
    trainee = Trainee.objects.get(pk=response.json()["id"])
    assert trainee.lawyer == lawyer
    assert trainee.status == TraineeStatus.NOMINATED
    # derived by nominate_trainee: 2026 - 2019 = 7 years of practice
    assert trainee.experience_group == ExperienceGroup.FROM_5_TO_10
    assert response.json()["experience_group"] == ExperienceGroup.FROM_5_TO_10


def test_a_trainee_lawyer_can_be_given_by_id(api, regions):
    lawyer = young_xizang_lawyer()

    response = api("xizang_dept:rw").post(TRAINEES, trainee_body(lawyer, lawyer=lawyer.pk))

    assert response.status_code == 201, response.content
    assert response.json()["lawyer"] == lawyer.current_licence_no


def test_the_programmes_eligibility_rules_answer_400(api, regions):
    too_old = young_xizang_lawyer()
    Lawyer.objects.filter(pk=too_old.pk).update(birth_date=dt.date(1980, 1, 1))

    text = errors_of(api("xizang_dept:rw").post(TRAINEES, trainee_body(too_old)), "lawyer")

    assert "under 40" in text
    assert not Trainee.objects.exists()


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ({"cohort_year": 1999}, "cohort_year"),
        ({"practice_track": "astrology"}, "practice_track"),
        ({"selection_date": "yesterday"}, "selection_date"),
        ({"lawyer": " "}, "lawyer"),
        ({"lawyer": [1]}, "lawyer"),
    ],
)
def test_bad_trainee_input_is_a_400_naming_the_field(api, regions, override, field):
    lawyer = young_xizang_lawyer()

    errors_of(api("xizang_dept:rw").post(TRAINEES, trainee_body(lawyer, **override)), field)


def test_another_provinces_lawyer_does_not_exist_for_the_caller(api, hunan_lawyer):
    client = api("xizang_dept:rw")

    refused_as_missing(client.post(TRAINEES, trainee_body(hunan_lawyer)), "lawyer")
    refused_as_missing(
        client.post(TRAINEES, trainee_body(hunan_lawyer, lawyer=hunan_lawyer.pk)), "lawyer"
    )
    assert not Trainee.objects.exists()


def test_updating_a_trainee_goes_through_the_service(api, xizang_trainee):
    client = api("xizang_dept:rw")
    url = f"{TRAINEES}{xizang_trainee.pk}/"

    response = client.patch(url, {"plan_goals": "涉外法律服务", "selection_date": "2026-03-05"})

    assert response.status_code == 200, response.content
    xizang_trainee.refresh_from_db()
    assert xizang_trainee.plan_goals == "涉外法律服务"
    errors_of(client.patch(url, {"lawyer": young_xizang_lawyer().current_licence_no}), "lawyer")
    errors_of(client.patch(url, {"status": "completed", "cohort_year": 1900}), "cohort_year")
    xizang_trainee.refresh_from_db()
    assert xizang_trainee.status == TraineeStatus.NOMINATED


def test_a_read_only_key_may_not_nominate_or_change_trainees(api, xizang_trainee):
    client = api("xizang_dept:r")

    assert client.post(TRAINEES, trainee_body(young_xizang_lawyer())).status_code == 403
    assert client.patch(f"{TRAINEES}{xizang_trainee.pk}/", {"plan_goals": "x"}).status_code == 403
    assert Trainee.objects.count() == 1


def test_trainee_filters(api, xizang_trainee):
    client = api("ministry:r")
    other = TraineeFactory(home_province=province("53"), cohort_year=2025)

    assert ids(client.get(TRAINEES, {"province": "53"})) == {other.pk}
    assert ids(client.get(TRAINEES, {"cohort_year__in": "2025,2026"})) == {
        other.pk,
        xizang_trainee.pk,
    }
    assert ids(client.get(TRAINEES, {"year": 2026})) == {xizang_trainee.pk}
    assert ids(client.get(TRAINEES, {"lawyer": other.lawyer.current_licence_no})) == {other.pk}
    assert ids(client.get(TRAINEES, {"status": "selected"})) == set()


def test_trainee_fields_trims_the_output(api, xizang_trainee):
    rows = api("xizang_dept:r").get(TRAINEES, {"fields": "id,lawyer_name"}).json()["results"]

    assert rows == [{"id": xizang_trainee.pk, "lawyer_name": xizang_trainee.lawyer.name}]


# --- query counts --------------------------------------------------------------------------------


def make_lawyers(n: int) -> None:
    firm = LawFirmFactory(province=province("43"))
    for _ in range(n):
        LawyerFactory(firm=firm, phone="13812345678")


def make_trainees(n: int) -> None:
    for _ in range(n):
        TraineeFactory()


def list_queries(client, url: str) -> tuple[int, int]:
    # the key's last-use stamp (written once a minute), then the key's trip from the
    # database into the cache: not in the count
    client.get(url)
    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, response.content
    return len(queries), len(response.json()["results"])


@pytest.mark.parametrize(
    ("url", "make", "key"),
    [
        (LAWYERS, make_lawyers, "hunan_dept:r"),
        (LAWYERS, make_lawyers, "ministry:rwp"),
        (TRAINEES, make_trainees, "xizang_dept:r"),
    ],
)
def test_list_query_count_does_not_grow_with_the_page(api, regions, url, make, key):
    client = api(key)
    page = f"{url}?page_size=100"

    make(10)
    queries_10, rows_10 = list_queries(client, page)
    make(90)
    queries_100, rows_100 = list_queries(client, page)

    assert (rows_10, rows_100) == (10, 100)
    assert queries_10 == queries_100
