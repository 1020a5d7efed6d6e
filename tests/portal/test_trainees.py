"""Portal: the young lawyers' list (filters, pinyin search, export), a trainee's page, and
nominating a young lawyer through nominate_trainee (eligible: saved; ineligible: the error
beside the field, the input kept, nothing saved). Another province's trainee is a 404."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from lawyers.models import ExperienceGroup, Trainee, TraineeStatus
from tests.factories import (
    LawFirmFactory,
    LawyerFactory,
    SecondmentFactory,
    TraineeFactory,
    province,
)

pytestmark = pytest.mark.django_db

LIST = reverse("portal:trainees")
NOMINATE = reverse("portal:trainee_nominate")


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def xizang_trainee(name: str, initials: str, **kwargs) -> Trainee:
    lawyer = LawyerFactory(
        name=name,
        name_initials=initials,
        province=province("54"),
        firm=LawFirmFactory(province=province("54")),
    )
    return TraineeFactory(lawyer=lawyer, home_province=province("54"), **kwargs)


def hunan_hosted_trainee() -> Trainee:
    """A 重庆 trainee seconded to a 湖南 firm: 湖南's record, not 西藏's."""
    trainee = TraineeFactory(home_province=province("50"))
    SecondmentFactory(trainee=trainee, host_firm=LawFirmFactory(province=province("43")))
    return trainee


def names(response) -> list[str]:
    return [t.lawyer.name for t in response.context["rows"]]


# --- the list --------------------------------------------------------------------------------


def test_list_shows_only_trainees_of_the_users_province(users):
    ours = xizang_trainee("张三", "zs")
    theirs = hunan_hosted_trainee()

    response = client_for(users["xizang_bar"]).get(LIST)

    assert response.status_code == 200
    assert names(response) == [ours.lawyer.name]
    hunan = client_for(users["hunan_bar"]).get(LIST)
    assert names(hunan) == [theirs.lawyer.name]


def test_search_finds_by_pinyin_initials_licence_number_and_name(users):
    zhang = xizang_trainee("张三", "zs")
    xizang_trainee("李四", "ls")
    client = client_for(users["xizang_bar"])

    assert names(client.get(LIST, {"q": "zs"})) == ["张三"]
    assert names(client.get(LIST, {"q": "ZS"})) == ["张三"]
    assert names(client.get(LIST, {"q": zhang.lawyer.current_licence_no})) == ["张三"]
    assert names(client.get(LIST, {"q": "李"})) == ["李四"]
    assert names(client.get(LIST, {"q": zhang.lawyer.current_licence_no[:10]})) == []


def test_filters_by_status_and_cohort_year(users):
    xizang_trainee("张三", "zs", status=TraineeStatus.SELECTED, cohort_year=2025)
    xizang_trainee("李四", "ls", status=TraineeStatus.NOMINATED, cohort_year=2026)
    client = client_for(users["xizang_bar"])

    assert names(client.get(LIST, {"status": "selected"})) == ["张三"]
    assert names(client.get(LIST, {"year": "2026"})) == ["李四"]
    assert names(client.get(LIST, {"year": "2026", "status": "selected"})) == []


def test_list_pages_through_25_rows_at_a_time(users):
    for i in range(27):
        xizang_trainee(f"王{i}", "w")
    client = client_for(users["xizang_bar"])

    first, second = client.get(LIST), client.get(LIST, {"page": 2})

    assert len(first.context["rows"]) == 25
    assert len(second.context["rows"]) == 2
    assert not set(names(first)) & set(names(second))


def test_export_is_the_filtered_rows_of_the_province_as_xlsx(users):
    zhang = xizang_trainee("张三", "zs")
    xizang_trainee("李四", "ls")
    hunan_hosted_trainee()

    response = client_for(users["xizang_bar"]).get(LIST, {"q": "zs", "format": "xlsx"})

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "执业证号"
    assert [r[0] for r in rows[1:]] == [zhang.lawyer.current_licence_no]


def test_list_page_offers_nomination_to_a_bar_association_only(users):
    bar = client_for(users["xizang_bar"]).get(LIST).content.decode()
    partner = client_for(users["hunan_partner"]).get(LIST).content.decode()

    assert NOMINATE in bar
    assert NOMINATE not in partner


# --- a trainee's page -----------------------------------------------------------------------


def test_detail_shows_plan_and_the_visible_secondments(users):
    trainee = TraineeFactory(
        home_province=province("50"), plan_goals="掌握涉外商事仲裁", plan_activities="模拟法庭"
    )
    hosted = SecondmentFactory(
        trainee=trainee, host_firm=LawFirmFactory(province=province("43"), name="潇湘律师事务所")
    )
    SecondmentFactory(  # in 上海 (31): not 湖南's to see
        trainee=trainee,
        host_firm=LawFirmFactory(province=province("31"), name="浦江律师事务所"),
        start_date=dt.date(2026, 7, 1),
    )

    response = client_for(users["hunan_bar"]).get(
        reverse("portal:trainee_detail", args=[trainee.pk])
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert "掌握涉外商事仲裁" in page
    assert "模拟法庭" in page
    assert "潇湘律师事务所" in page
    assert reverse("portal:secondment_detail", args=[hosted.pk]) in page
    assert "浦江律师事务所" not in page


# --- nominating -------------------------------------------------------------------------------


def nomination(lawyer, **overrides) -> dict[str, str]:
    data = {
        "licence_no": lawyer.current_licence_no,
        "home_province": str(province("54").pk),
        "cohort_year": "2026",
        "selection_date": "2026-03-01",
        "practice_track": "civil",
        "plan_goals": "熟悉民商事诉讼",
        "plan_activities": "",
    }
    data.update(overrides)
    return data


def young_xizang_lawyer(**kwargs):
    return LawyerFactory(
        province=province("54"), firm=LawFirmFactory(province=province("54")), **kwargs
    )


def test_get_shows_the_form_and_changes_nothing(users):
    response = client_for(users["xizang_bar"]).get(NOMINATE)

    page = response.content.decode()
    assert response.status_code == 200
    assert '<input type="text" name="licence_no"' in page
    assert "<select" not in page.split('name="licence_no"')[0].split("<form")[-1]
    assert 'name="csrfmiddlewaretoken"' in page
    assert '<label for="id_licence_no">' in page
    # the province is the user's own; the lawyer is typed in, not picked from a table
    assert list(response.context["form"].fields["home_province"].queryset) == [province("54")]
    # <input type="date"> needs ISO dates, whatever the locale's date format
    assert f'name="selection_date" value="{timezone.localdate():%Y-%m-%d}"' in page
    assert Trainee.objects.count() == 0


def test_nominating_an_eligible_lawyer_saves_the_trainee(users):
    lawyer = young_xizang_lawyer(birth_date=dt.date(1990, 5, 1), first_licence_year=2019)

    response = client_for(users["xizang_bar"]).post(NOMINATE, nomination(lawyer))

    trainee = Trainee.objects.get(lawyer=lawyer)
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:trainee_detail", args=[trainee.pk])
    assert trainee.home_province.code == "54"
    assert trainee.status == TraineeStatus.NOMINATED
    assert trainee.experience_group == ExperienceGroup.FROM_5_TO_10  # 2019 → 2026: 7 years
    assert trainee.plan_goals == "熟悉民商事诉讼"
    follow = client_for(users["xizang_bar"]).get(response["Location"])
    assert lawyer.name in follow.content.decode()


def test_nominating_a_lawyer_of_40_shows_the_error_beside_the_field_and_saves_nothing(users):
    lawyer = young_xizang_lawyer(birth_date=dt.date(1986, 2, 28))  # 40 on 2026-03-01

    response = client_for(users["xizang_bar"]).post(NOMINATE, nomination(lawyer))

    page = response.content.decode()
    assert response.status_code == 200
    assert Trainee.objects.count() == 0
    errors = response.context["form"].errors
    assert list(errors) == ["licence_no"]
    assert "须未满 40 周岁" in errors["licence_no"][0]
    # beside the field: inside the licence number's row, which keeps the input
    row = page.split('<label for="id_licence_no">')[1].split('class="form-row')[0]
    assert "须未满 40 周岁" in row
    assert f'value="{lawyer.current_licence_no}"' in row
    assert "熟悉民商事诉讼" in page  # the rest of the input is kept too
    assert 'class="form-row has-error"' in page


def test_nominating_an_enrolled_lawyer_is_refused_beside_the_licence(users):
    trainee = xizang_trainee("张三", "zs")

    response = client_for(users["xizang_bar"]).post(NOMINATE, nomination(trainee.lawyer))

    assert response.status_code == 200
    assert Trainee.objects.count() == 1
    errors = response.context["form"].errors.as_data()
    assert list(errors) == ["licence_no"]
    assert [e.code for e in errors["licence_no"]] == ["unique"]


def test_nominating_another_provinces_lawyer_finds_no_one(users):
    sichuan = LawyerFactory(province=province("51"))

    response = client_for(users["xizang_bar"]).post(NOMINATE, nomination(sichuan))

    assert response.status_code == 200
    assert "licence_no" in response.context["form"].errors
    assert Trainee.objects.count() == 0


def test_a_surrendered_licence_is_not_valid_for_a_nomination(users):
    from lawyers.services import replace_licence
    from tests.factories import licence_number

    lawyer = young_xizang_lawyer()
    old = lawyer.current_licence_no
    replace_licence(
        actor=users["ministry"],
        lawyer=lawyer,
        number=licence_number("54", 999),
        issuing_province_id=province("54").pk,
        valid_from=dt.date(2025, 1, 1),
    )

    response = client_for(users["xizang_bar"]).post(NOMINATE, nomination(lawyer, licence_no=old))

    assert "licence_no" in response.context["form"].errors
    assert Trainee.objects.count() == 0


def test_a_province_outside_the_programme_cannot_nominate_its_own_lawyers(users):
    hunan_lawyer = LawyerFactory(province=province("43"))

    response = client_for(users["hunan_bar"]).post(
        NOMINATE, nomination(hunan_lawyer, home_province=str(province("43").pk))
    )

    errors = response.context["form"].errors
    assert list(errors) == ["home_province"]
    assert Trainee.objects.count() == 0


def test_the_province_field_offers_only_the_users_province(users):
    lawyer = young_xizang_lawyer()

    response = client_for(users["hunan_bar"]).post(NOMINATE, nomination(lawyer))

    assert "home_province" in response.context["form"].errors
    assert Trainee.objects.count() == 0


def test_wrong_input_is_reported_per_field(users):
    lawyer = young_xizang_lawyer()

    response = client_for(users["xizang_bar"]).post(
        NOMINATE, nomination(lawyer, selection_date="2026-02-30", cohort_year="1999")
    )

    assert set(response.context["form"].errors) == {"selection_date", "cohort_year"}
    assert Trainee.objects.count() == 0


def test_a_partner_system_may_not_nominate(users):
    assert client_for(users["hunan_partner"]).get(NOMINATE).status_code == 403


def test_nominating_needs_the_csrf_token(users):
    lawyer = young_xizang_lawyer()
    client = Client(enforce_csrf_checks=True)
    client.force_login(users["xizang_bar"])

    response = client.post(NOMINATE, nomination(lawyer))

    assert response.status_code == 403
    assert Trainee.objects.count() == 0


# --- scope and queries --------------------------------------------------------------------------


def test_another_provinces_trainee_is_a_404(users):
    hunan = hunan_hosted_trainee()
    xizang = xizang_trainee("张三", "zs")

    assert (
        client_for(users["xizang_bar"])
        .get(reverse("portal:trainee_detail", args=[hunan.pk]))
        .status_code
        == 404
    )
    assert (
        client_for(users["hunan_bar"])
        .get(reverse("portal:trainee_detail", args=[xizang.pk]))
        .status_code
        == 404
    )
    assert (
        client_for(users["hunan_bar"])
        .get(reverse("portal:trainee_detail", args=[hunan.pk]))
        .status_code
        == 200
    )


def count_queries(client: Client, url: str) -> int:
    client.get(url)  # warm up (session, caches)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def test_list_queries_do_not_grow_with_rows(users):
    client = client_for(users["hunan_bar"])
    for _ in range(2):
        hunan_hosted_trainee()
    small = count_queries(client, LIST)
    for _ in range(18):
        hunan_hosted_trainee()
    large = count_queries(client, LIST)

    assert len(client.get(LIST).context["rows"]) == 20
    assert large == small


def test_detail_queries_do_not_grow_with_secondments(users):
    trainee = TraineeFactory(home_province=province("50"))
    hunan_firm = LawFirmFactory(province=province("43"))

    def second(i: int) -> None:
        SecondmentFactory(
            trainee=trainee,
            host_firm=hunan_firm,
            start_date=dt.date(2026, 1, 1) + dt.timedelta(days=70 * i),
        )

    client = client_for(users["hunan_bar"])
    url = reverse("portal:trainee_detail", args=[trainee.pk])
    for i in range(2):
        second(i)
    small = count_queries(client, url)
    for i in range(2, 20):
        second(i)
    large = count_queries(client, url)

    assert len(client.get(url).context["secondments"]) == 20
    assert large == small


def test_a_helper_provinces_bar_association_is_not_offered_nominating(client, users):
    client.force_login(users["hunan_bar"])  # 湖南 helps; it does not nominate
    assert client.get(reverse("portal:trainees")).context["can_nominate"] is False
    client.force_login(users["xizang_bar"])  # 西藏 is a recipient province
    assert client.get(reverse("portal:trainees")).context["can_nominate"] is True
