"""Portal: secondments — the list (filters, search, export), the month's timeline, a
secondment's page, and its forms through pairing.services (activities, the mentor's
evaluation, the bar's sign-off), with htmx answering the changed section. Another
province's secondment is a 404 on every URL."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import openpyxl
import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from pairing.models import EvaluationGrade, Secondment, SecondmentStatus, TrainingActivity
from tests.factories import (
    LawFirmFactory,
    LawyerFactory,
    PairingAgreementFactory,
    QuotaFactory,
    SecondmentFactory,
    TraineeFactory,
    province,
)

pytestmark = pytest.mark.django_db

LIST = reverse("portal:secondments")
CALENDAR = reverse("portal:secondment_calendar")
HTMX = {"HTTP_HX_REQUEST": "true"}


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def hunan_secondment(name: str = "张三", initials: str = "zs", **kwargs) -> Secondment:
    """A 重庆 trainee at a 湖南 firm (重庆 ← 湖南): 湖南's record, not 西藏's."""
    lawyer = LawyerFactory(name=name, name_initials=initials, province=province("50"))
    trainee = TraineeFactory(lawyer=lawyer, home_province=province("50"))
    hunan, chongqing = province("43"), province("50")
    PairingAgreementFactory(helper_province=hunan, recipient_province=chongqing)
    kwargs.setdefault("host_firm", LawFirmFactory(province=hunan))
    kwargs.setdefault(
        "quota",
        QuotaFactory(
            year=kwargs.get("start_date", dt.date(2026, 4, 1)).year,
            hosts=[hunan],
            sources=[chongqing],
        ),
    )
    secondment = SecondmentFactory(trainee=trainee, **kwargs)
    secondment.full_clean()  # the programme's rules hold, so the services accept it
    return secondment


def url(name: str, secondment: Secondment) -> str:
    return reverse(f"portal:{name}", args=[secondment.pk])


def trainees(response) -> list[str]:
    return [s.trainee.lawyer.name for s in response.context["rows"]]


# --- the list --------------------------------------------------------------------------------


def test_list_shows_only_the_provinces_secondments(users):
    hunan_secondment("张三", "zs")
    SecondmentFactory()  # 西藏 trainee in 北京

    assert trainees(client_for(users["hunan_bar"]).get(LIST)) == ["张三"]
    assert len(client_for(users["xizang_bar"]).get(LIST).context["rows"]) == 1


def test_search_by_pinyin_initials_licence_and_host_firm(users):
    zhang = hunan_secondment("张三", "zs")
    hunan_secondment(
        "李四", "ls", host_firm=LawFirmFactory(province=province("43"), name="岳麓律所")
    )
    client = client_for(users["hunan_bar"])

    assert trainees(client.get(LIST, {"q": "zs"})) == ["张三"]
    assert trainees(client.get(LIST, {"q": zhang.trainee.lawyer.current_licence_no})) == ["张三"]
    assert trainees(client.get(LIST, {"q": "岳麓"})) == ["李四"]


def test_filters_by_status_evaluation_and_year(users):
    hunan_secondment("张三", "zs", status=SecondmentStatus.ACTIVE, evaluation_grade="good")
    hunan_secondment("李四", "ls", start_date=dt.date(2025, 4, 1))
    client = client_for(users["hunan_bar"])

    assert trainees(client.get(LIST, {"status": "active"})) == ["张三"]
    assert trainees(client.get(LIST, {"evaluated": "true"})) == ["张三"]
    assert trainees(client.get(LIST, {"evaluated": "false"})) == ["李四"]
    assert trainees(client.get(LIST, {"year": "2025"})) == ["李四"]
    assert trainees(client.get(LIST, {"status": "nonsense"})) == []


def test_export_is_the_filtered_secondments_as_xlsx(users):
    zhang = hunan_secondment("张三", "zs")
    hunan_secondment("李四", "ls")
    SecondmentFactory()

    response = client_for(users["hunan_bar"]).get(LIST, {"q": "zs", "format": "xlsx"})

    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    rows = list(openpyxl.load_workbook(io.BytesIO(response.content)).active.values)
    assert rows[0][0] == "学员执业证号"
    assert [r[0] for r in rows[1:]] == [zhang.trainee.lawyer.current_licence_no]


# --- the month's timeline -----------------------------------------------------------------------


def test_calendar_shows_the_secondments_running_in_the_month_as_bars(users):
    april = hunan_secondment("张三", "zs", start_date=dt.date(2026, 4, 10))  # to 05-25
    march = hunan_secondment("李四", "ls", start_date=dt.date(2026, 2, 20))  # to 04-06
    hunan_secondment("王五", "ww", start_date=dt.date(2026, 6, 1))

    response = client_for(users["hunan_bar"]).get(CALENDAR, {"month": "2026-04"})

    bars = {b["secondment"].pk: b for b in response.context["bars"]}
    assert set(bars) == {april.pk, march.pk}
    assert (bars[april.pk]["x"], bars[april.pk]["width"]) == (9, 21)  # 10th to 30th
    assert (bars[march.pk]["x"], bars[march.pk]["width"]) == (0, 6)  # 1st to 6th
    assert bars[april.pk]["starts"]
    assert not bars[april.pk]["ends"]
    page = response.content.decode()
    assert 'viewBox="0 0 30 1"' in page
    assert "style=" not in page  # the CSP allows no inline styles
    assert "month=2026-03" in page
    assert "month=2026-05" in page


def test_calendar_filters_and_searches_like_the_list(users):
    hunan_secondment("张三", "zs", status=SecondmentStatus.ACTIVE)
    hunan_secondment("李四", "ls")
    client = client_for(users["hunan_bar"])

    def shown(**params) -> list[str]:
        response = client.get(CALENDAR, {"month": "2026-04", **params})
        return [b["secondment"].trainee.lawyer.name for b in response.context["bars"]]

    assert shown(status="active") == ["张三"]
    assert shown(q="ls") == ["李四"]


def test_calendar_without_parameters_shows_this_month(users):
    running = hunan_secondment(start_date=dt.date(2026, 4, 10))

    with time_machine.travel(dt.datetime(2026, 5, 3, 10, tzinfo=dt.UTC)):
        response = client_for(users["hunan_bar"]).get(CALENDAR)

    assert response.context["first"] == dt.date(2026, 5, 1)
    assert [b["secondment"] for b in response.context["bars"]] == [running]
    assert response.context["today_x"] == 2


def test_calendar_with_a_wrong_month_shows_this_month_and_says_so(users):
    response = client_for(users["hunan_bar"]).get(CALENDAR, {"month": "2026-13"})

    assert response.status_code == 200
    assert response.context["first"] == timezone.localdate().replace(day=1)
    assert not response.context["month_ok"]
    assert client_for(users["hunan_bar"]).get(CALENDAR).context["month_ok"]


def test_calendar_does_not_show_another_provinces_secondments(users):
    hunan_secondment()

    response = client_for(users["xizang_bar"]).get(CALENDAR, {"month": "2026-04"})

    assert response.context["bars"] == []


# --- a secondment's page ----------------------------------------------------------------------


def test_detail_shows_the_secondment_and_its_activities(users):
    s = hunan_secondment("张三", "zs", status=SecondmentStatus.ACTIVE)
    TrainingActivity.objects.create(
        secondment=s, kind="lecture", held_on=dt.date(2026, 4, 3), hours=3, title="刑事辩护讲座"
    )

    response = client_for(users["hunan_bar"]).get(url("secondment_detail", s))

    page = response.content.decode()
    assert response.status_code == 200
    assert "张三" in page
    assert s.host_firm.name in page
    assert s.mentor.name in page
    assert "刑事辩护讲座" in page
    assert url("secondment_activity_add", s) in page
    assert url("secondment_evaluate", s) in page
    assert 'name="csrfmiddlewaretoken"' in page


def test_a_partner_system_sees_the_page_without_forms(users):
    s = hunan_secondment(status=SecondmentStatus.ACTIVE)

    page = client_for(users["hunan_partner"]).get(url("secondment_detail", s)).content.decode()

    assert url("secondment_activity_add", s) not in page
    assert url("secondment_evaluate", s) not in page


# --- training activities ----------------------------------------------------------------------


def activity(**overrides) -> dict[str, str]:
    return {"kind": "moot_court", "held_on": "2026-04-10", "hours": "2.5", "title": "模拟法庭"} | (
        overrides
    )


def test_recording_an_activity_saves_it_and_returns_to_the_page(users):
    s = hunan_secondment(status=SecondmentStatus.ACTIVE)

    response = client_for(users["hunan_bar"]).post(url("secondment_activity_add", s), activity())

    assert response.status_code == 302
    assert response["Location"] == url("secondment_detail", s) + "#activities"
    saved = TrainingActivity.objects.get(secondment=s)
    assert (saved.kind, saved.held_on, saved.hours) == (
        "moot_court",
        dt.date(2026, 4, 10),
        Decimal("2.5"),
    )


def test_htmx_gets_the_activity_list_again_with_the_new_one(users):
    s = hunan_secondment(status=SecondmentStatus.ACTIVE)

    response = client_for(users["hunan_bar"]).post(
        url("secondment_activity_add", s), activity(), **HTMX
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert page.lstrip().startswith("<section")
    assert 'id="activities"' in page
    assert "<html" not in page
    assert "模拟法庭" in page
    assert TrainingActivity.objects.filter(secondment=s).count() == 1


def test_an_activity_outside_the_secondment_is_refused_beside_the_date(users):
    s = hunan_secondment(status=SecondmentStatus.ACTIVE)  # 2026-04-01 to 05-16
    client = client_for(users["hunan_bar"])

    plain = client.post(url("secondment_activity_add", s), activity(held_on="2026-06-01"))
    htmx = client.post(url("secondment_activity_add", s), activity(held_on="2026-06-01"), **HTMX)

    assert plain.status_code == 200
    assert list(plain.context["activity_form"].errors) == ["held_on"]
    assert "<html" in plain.content.decode()  # the whole page, with the input kept
    assert 'value="2026-06-01"' in plain.content.decode()
    assert htmx.status_code == 200
    assert "<html" not in htmx.content.decode()
    assert 'class="form-row has-error"' in htmx.content.decode()
    assert not TrainingActivity.objects.exists()


def test_wrong_activity_input_is_reported_per_field(users):
    s = hunan_secondment(status=SecondmentStatus.ACTIVE)

    response = client_for(users["hunan_bar"]).post(
        url("secondment_activity_add", s), activity(kind="party", hours="30", held_on="")
    )

    assert set(response.context["activity_form"].errors) == {"kind", "hours", "held_on"}
    assert not TrainingActivity.objects.exists()


# --- the mentor's evaluation and the bar's sign-off -------------------------------------------


def test_recording_the_evaluation(users):
    s = hunan_secondment(status=SecondmentStatus.ACTIVE)

    response = client_for(users["hunan_bar"]).post(
        url("secondment_evaluate", s), {"grade": "excellent", "comment": "认真负责"}, **HTMX
    )

    s.refresh_from_db()
    assert response.status_code == 200
    assert 'id="assessment"' in response.content.decode()
    assert (s.evaluation_grade, s.evaluation_comment) == (EvaluationGrade.EXCELLENT, "认真负责")
    assert s.evaluated_on == timezone.localdate()


def test_evaluation_without_a_grade_or_too_early_is_refused(users):
    active = hunan_secondment(status=SecondmentStatus.ACTIVE)
    planned = hunan_secondment("李四", "ls")
    client = client_for(users["hunan_bar"])

    missing = client.post(url("secondment_evaluate", active), {"grade": "", "comment": "x"})
    early = client.post(url("secondment_evaluate", planned), {"grade": "good", "comment": ""})

    assert list(missing.context["evaluation_form"].errors) == ["grade"]
    assert early.status_code == 200
    assert early.context["evaluation_form"].non_field_errors()
    assert "x" in missing.content.decode()
    assert not Secondment.objects.exclude(evaluation_grade="").exists()


def test_signing_off_a_completed_evaluated_secondment(users):
    s = hunan_secondment(status=SecondmentStatus.COMPLETED, evaluation_grade="good")

    response = client_for(users["hunan_bar"]).post(url("secondment_sign_off", s))

    s.refresh_from_db()
    assert response.status_code == 302
    assert s.bar_signed_off_on == timezone.localdate()


def test_signing_off_before_the_evaluation_is_refused(users):
    s = hunan_secondment(status=SecondmentStatus.COMPLETED)

    response = client_for(users["hunan_bar"]).post(url("secondment_sign_off", s), **HTMX)

    s.refresh_from_db()
    assert response.status_code == 200
    assert 'role="alert"' in response.content.decode()
    assert s.bar_signed_off_on is None


def test_forms_need_the_csrf_token(users):
    s = hunan_secondment(status=SecondmentStatus.ACTIVE)
    client = Client(enforce_csrf_checks=True)
    client.force_login(users["hunan_bar"])

    assert client.post(url("secondment_activity_add", s), activity()).status_code == 403
    assert client.post(url("secondment_evaluate", s), {"grade": "good"}).status_code == 403
    assert not TrainingActivity.objects.exists()


def test_get_on_a_form_url_changes_nothing(users):
    s = hunan_secondment(status=SecondmentStatus.COMPLETED, evaluation_grade="good")
    client = client_for(users["hunan_bar"])

    for name in ("secondment_activity_add", "secondment_evaluate", "secondment_sign_off"):
        response = client.get(url(name, s), activity() | {"grade": "fail"})
        assert response.status_code == 302
        assert response["Location"].startswith(url("secondment_detail", s))

    s.refresh_from_db()
    assert s.bar_signed_off_on is None
    assert s.evaluation_grade == "good"
    assert not TrainingActivity.objects.exists()


# --- scope ----------------------------------------------------------------------------------------


FORM_URLS = ("secondment_activity_add", "secondment_evaluate", "secondment_sign_off")


def test_every_url_of_another_provinces_secondment_is_a_404(users):
    s = hunan_secondment(status=SecondmentStatus.COMPLETED, evaluation_grade="good")
    client = client_for(users["xizang_bar"])

    assert client.get(url("secondment_detail", s)).status_code == 404
    for name in FORM_URLS:
        assert client.get(url(name, s)).status_code == 404
        assert client.post(url(name, s), activity() | {"grade": "fail"}).status_code == 404
        assert client.post(url(name, s), activity(), **HTMX).status_code == 404

    s.refresh_from_db()
    assert (s.evaluation_grade, s.bar_signed_off_on) == ("good", None)
    assert not TrainingActivity.objects.exists()


def test_a_secondment_of_the_trainees_home_province_is_theirs_too(users):
    s = SecondmentFactory()  # 西藏 trainee at a 北京 firm

    assert client_for(users["xizang_bar"]).get(url("secondment_detail", s)).status_code == 200
    assert client_for(users["hunan_bar"]).get(url("secondment_detail", s)).status_code == 404


# --- queries ------------------------------------------------------------------------------------


def count_queries(client: Client, path: str, params: dict | None = None) -> int:
    client.get(path, params)  # warm up (session, caches)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path, params)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize(
    ("path", "params"), [(LIST, None), (CALENDAR, {"month": "2026-04"})], ids=["list", "calendar"]
)
def test_list_queries_do_not_grow_with_rows(users, path, params):
    client = client_for(users["hunan_bar"])
    for i in range(2):
        hunan_secondment(f"甲{i}", "j")
    small = count_queries(client, path, params)
    for i in range(18):
        hunan_secondment(f"乙{i}", "y")
    large = count_queries(client, path, params)

    assert Secondment.objects.count() == 20
    assert large == small


def test_detail_queries_do_not_grow_with_activities(users):
    s = hunan_secondment(status=SecondmentStatus.ACTIVE, evaluation_grade="good")
    client = client_for(users["hunan_bar"])

    def add(n: int) -> None:
        TrainingActivity.objects.bulk_create(
            TrainingActivity(secondment=s, kind="lecture", held_on=s.start_date, hours=1)
            for _ in range(n)
        )

    add(2)
    small = count_queries(client, url("secondment_detail", s))
    add(18)
    large = count_queries(client, url("secondment_detail", s))

    assert len(client.get(url("secondment_detail", s)).context["activities"]) == 20
    assert large == small
