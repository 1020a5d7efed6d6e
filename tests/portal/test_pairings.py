"""Portal: firm pairings and their progress reports — the list (filters, search, export),
a pairing's goals and report history, a report written as a draft, submitted (and seen
as submitted in the portal and the admin), returned with a reason, fixed and resubmitted;
another province's pairing is a 404 everywhere; query counts do not grow with rows."""

from __future__ import annotations

import datetime as dt
import io
import re

import openpyxl
import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from accounts.policy import Role
from pairing.models import PairingGoal, PairingStatus, ProgressReport, ReportStatus
from pairing.services import return_report, submit_report
from tests.conftest import make_org, make_user
from tests.factories import (
    FirmPairingFactory,
    LawFirmFactory,
    PairingAgreementFactory,
    province,
)

NOW = dt.datetime(2026, 11, 27, 10, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def fixed_time():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def xizang(users) -> Client:
    client = Client()
    client.force_login(users["xizang_bar"])
    return client


@pytest.fixture
def hunan(users) -> Client:
    client = Client()
    client.force_login(users["hunan_bar"])
    return client


def pairing_of(helper: str = "11", recipient: str = "54", **kwargs):
    agreement = PairingAgreementFactory(
        helper_province=province(helper), recipient_province=province(recipient)
    )
    return FirmPairingFactory(agreement=agreement, **kwargs)


def report_of(pairing, **kwargs) -> ProgressReport:
    defaults = {
        "period_start": dt.date(2026, 7, 1),
        "period_end": dt.date(2026, 9, 30),
        "due_date": dt.date(2026, 10, 15),
        "narrative": "开展了两次培训。",
    }
    return ProgressReport.objects.create(pairing=pairing, **{**defaults, **kwargs})


def count_queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def form_row(html: str, field: str) -> str:
    """The form row of `field`, with the errors rendered inside it."""
    at = html.index(f'id="row-{field}"')
    start = html.rindex("<div", 0, at)
    end = html.find('<div class="form-row', at)
    return html[start : end if end != -1 else html.index("</form>", at)]


# --- the list ------------------------------------------------------------------------------


def test_the_list_shows_the_provinces_pairings_and_filters_them(regions, xizang):
    active = pairing_of(status=PairingStatus.ACTIVE)
    proposed = pairing_of()
    other = pairing_of("43", "45")  # 湖南 → 广西: not 西藏's

    response = xizang.get(reverse("portal:pairings"))
    html = response.content.decode()
    assert response.status_code == 200
    assert active.helper_firm.name in html
    assert proposed.helper_firm.name in html
    assert other.helper_firm.name not in html

    html = xizang.get(reverse("portal:pairings"), {"status": "active"}).content.decode()
    assert active.helper_firm.name in html
    assert proposed.helper_firm.name not in html


def test_search_finds_a_pairing_by_firm_name_initials_or_credit_code(regions, xizang):
    wanted = pairing_of(
        helper_firm=LawFirmFactory(name="北京金杜律师事务所", province=province("11"))
    )
    other = pairing_of()
    url = reverse("portal:pairings")
    for term in ("金杜", "bjjd", wanted.recipient_firm.credit_code):
        html = xizang.get(url, {"q": term}).content.decode()
        assert wanted.helper_firm.name in html, term
        assert other.helper_firm.name not in html, term


def test_an_overdue_report_is_flagged_and_filtered(regions, xizang):
    late = pairing_of(status=PairingStatus.ACTIVE)
    report_of(late, due_date=dt.date(2026, 11, 1))  # draft, past due
    on_time = pairing_of(status=PairingStatus.ACTIVE)
    report_of(on_time, due_date=dt.date(2026, 12, 15))
    html = xizang.get(reverse("portal:pairings"), {"report_overdue": "true"}).content.decode()
    assert late.helper_firm.name in html
    assert on_time.helper_firm.name not in html


def test_the_list_exports_the_filtered_pairings_as_xlsx(regions, xizang):
    active = pairing_of(status=PairingStatus.ACTIVE)
    pairing_of()
    response = xizang.get(reverse("portal:pairings"), {"status": "active", "format": "xlsx"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert len(values) == 2  # the header and the one active pairing
    assert active.helper_firm.credit_code in values[1]


def test_htmx_filtering_swaps_only_the_results(regions, xizang):
    pairing_of()
    response = xizang.get(reverse("portal:pairings"), HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert "<table" in html
    assert "portal-nav" not in html
    assert "<html" not in html


def test_the_list_keeps_its_query_count_as_pairings_grow(regions, xizang):
    for _ in range(2):
        report_of(pairing_of(status=PairingStatus.ACTIVE), due_date=dt.date(2026, 11, 1))
    small = count_queries(xizang, reverse("portal:pairings"))
    for _ in range(18):
        report_of(pairing_of(status=PairingStatus.ACTIVE), due_date=dt.date(2026, 11, 1))
    assert count_queries(xizang, reverse("portal:pairings")) == small


# --- a pairing ---------------------------------------------------------------------------------


def test_a_pairing_is_visible_to_both_sides(regions, users, xizang):
    pairing = pairing_of("43", "54")
    beijing = Client()
    beijing.force_login(make_user("beijing_bar", make_org(Role.BAR_ASSOCIATION, regions["11"])))
    hunan = Client()
    hunan.force_login(users["hunan_bar"])
    url = reverse("portal:pairing_detail", args=[pairing.pk])
    assert xizang.get(url).status_code == 200
    assert hunan.get(url).status_code == 200
    assert beijing.get(url).status_code == 404


def test_the_detail_shows_goals_and_the_report_history_with_the_return_reason(
    regions, users, xizang
):
    pairing = pairing_of(status=PairingStatus.ACTIVE)
    PairingGoal.objects.create(
        pairing=pairing, title="建立联合培训机制", due_date=dt.date(2027, 6, 30)
    )
    accepted = report_of(pairing, period_start=dt.date(2026, 1, 1), period_end=dt.date(2026, 3, 31))
    returned = report_of(pairing)
    dept = users["xizang_dept"]
    submit_report(actor=dept, report=accepted)
    submit_report(actor=dept, report=returned)
    return_report(actor=dept, report=returned, reason="请补充培训人数")

    html = xizang.get(reverse("portal:pairing_detail", args=[pairing.pk])).content.decode()
    assert "建立联合培训机制" in html
    assert "请补充培训人数" in html
    assert 'data-status="returned"' in html
    assert 'data-status="submitted"' in html
    assert reverse("portal:report_edit", args=[returned.pk]) in html


def test_the_detail_keeps_its_query_count_as_goals_and_reports_grow(regions, users, xizang):
    pairing = pairing_of(status=PairingStatus.ACTIVE)

    def add(n: int, offset: int) -> None:
        for i in range(offset, offset + n):
            PairingGoal.objects.create(
                pairing=pairing, title=f"目标{i}", due_date=dt.date(2027, 1, 1)
            )
            report = report_of(
                pairing,
                period_start=dt.date(2023, 1, 1) + dt.timedelta(days=31 * i),
                period_end=dt.date(2023, 1, 1) + dt.timedelta(days=31 * i + 30),
            )
            submit_report(actor=users["xizang_dept"], report=report)

    url = reverse("portal:pairing_detail", args=[pairing.pk])
    add(2, 0)
    small = count_queries(xizang, url)
    add(18, 2)
    assert count_queries(xizang, url) == small


# --- progress reports -------------------------------------------------------------------------


def report_form(**changes) -> dict[str, str]:
    data = {
        "period_start": "2026-10-01",
        "period_end": "2026-12-31",
        "due_date": "2027-01-15",
        "narrative": "",
        "trainings_held": "1",
        "lawyers_trained": "8",
        "joint_cases": "0",
        "rules_adopted": "0",
        "intent": "draft",
    }
    data.update(changes)
    return data


def test_a_report_is_written_as_a_draft_then_submitted_and_shows_as_submitted(
    regions, users, xizang
):
    pairing = pairing_of(status=PairingStatus.ACTIVE)

    # a draft, without a narrative yet
    response = xizang.post(reverse("portal:report_new", args=[pairing.pk]), report_form())
    assert response.status_code == 302
    report = ProgressReport.objects.get(pairing=pairing)
    assert report.status == ReportStatus.DRAFT
    assert report.lawyers_trained == 8

    # edited
    edit = reverse("portal:report_edit", args=[report.pk])
    page = xizang.get(edit).content.decode()
    assert 'name="narrative"' in page
    xizang.post(edit, report_form(narrative="两所联合开展培训一次。", lawyers_trained="9"))
    report.refresh_from_db()
    assert (report.narrative, report.lawyers_trained, report.status) == (
        "两所联合开展培训一次。",
        9,
        ReportStatus.DRAFT,
    )

    # GET of the submit page changes nothing; POST submits
    submit = reverse("portal:report_submit", args=[report.pk])
    assert xizang.get(submit).status_code == 200
    report.refresh_from_db()
    assert report.status == ReportStatus.DRAFT
    response = xizang.post(submit)
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.status == ReportStatus.SUBMITTED
    assert report.submitted_by == users["xizang_bar"]

    # the portal shows it as submitted, and it is no longer editable
    html = xizang.get(reverse("portal:pairing_detail", args=[pairing.pk])).content.decode()
    assert 'data-status="submitted"' in html
    page = xizang.get(edit).content.decode()
    assert 'name="narrative"' not in page
    assert 'data-status="submitted"' in page

    # the admin shows the same record as submitted
    admin = Client()
    admin.force_login(users["xizang_dept"])
    page = admin.get(
        reverse("admin:pairing_progressreport_change", args=[report.pk])
    ).content.decode()
    with translation.override("zh-hans"):
        label = str(ReportStatus.SUBMITTED.label)
    assert re.search(rf'field-status.*?<div class="readonly">{label}</div>', page, re.S)


def test_save_and_submit_needs_a_narrative_and_saves_nothing_without_one(regions, xizang):
    pairing = pairing_of(status=PairingStatus.ACTIVE)
    report = report_of(pairing, narrative="", lawyers_trained=1)
    response = xizang.post(
        reverse("portal:report_edit", args=[report.pk]),
        # the period the report was opened for (its due date, 2026-10-15, is kept)
        report_form(
            period_start="2026-07-01", period_end="2026-09-30", lawyers_trained="5", intent="submit"
        ),
    )
    assert response.status_code == 200
    html = response.content.decode()
    row = form_row(html, "narrative")
    assert "has-error" in row
    assert "errorlist" in row
    assert 'value="5"' in html  # the input is kept
    report.refresh_from_db()
    assert (report.status, report.lawyers_trained) == (ReportStatus.DRAFT, 1)  # nothing saved


def test_bad_input_shows_each_error_beside_its_field_and_keeps_the_input(regions, xizang):
    pairing = pairing_of(status=PairingStatus.ACTIVE)
    response = xizang.post(
        reverse("portal:report_new", args=[pairing.pk]),
        report_form(period_end="2026-09-01", trainings_held="-1", narrative="草稿内容"),
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "has-error" in form_row(html, "period_end")
    assert "has-error" in form_row(html, "trainings_held")
    assert "has-error" not in form_row(html, "lawyers_trained")
    assert "草稿内容" in html
    assert 'value="2026-09-01"' in html
    assert ProgressReport.objects.count() == 0


def test_a_returned_report_shows_the_reason_and_is_fixed_and_resubmitted(regions, users, xizang):
    pairing = pairing_of(status=PairingStatus.ACTIVE)
    report = report_of(pairing)
    submit_report(actor=users["xizang_bar"], report=report)
    return_report(actor=users["xizang_dept"], report=report, reason="缺少联合办案数据")

    edit = reverse("portal:report_edit", args=[report.pk])
    page = xizang.get(edit).content.decode()
    assert "缺少联合办案数据" in page
    assert 'name="narrative"' in page

    response = xizang.post(
        edit,
        report_form(
            period_start="2026-07-01",
            period_end="2026-09-30",
            narrative="已补充：联合办案三件。",
            joint_cases="3",
            intent="submit",
        ),
    )
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.status == ReportStatus.SUBMITTED
    assert (report.joint_cases, report.return_reason) == (3, "")
    assert report.due_date == dt.date(2026, 10, 15)  # the deadline is not the writer's


def test_a_submitted_report_cannot_be_changed_from_the_portal(regions, users, xizang):
    report = report_of(pairing_of(status=PairingStatus.ACTIVE))
    submit_report(actor=users["xizang_bar"], report=report)
    response = xizang.post(
        reverse("portal:report_edit", args=[report.pk]),
        report_form(period_start="2026-07-01", narrative="改动"),
    )
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.narrative == "开展了两次培训。"
    assert report.status == ReportStatus.SUBMITTED


def test_htmx_save_answers_with_a_redirect_header(regions, xizang):
    pairing = pairing_of(status=PairingStatus.ACTIVE)
    response = xizang.post(
        reverse("portal:report_new", args=[pairing.pk]), report_form(), HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 204
    assert response["HX-Redirect"] == reverse("portal:pairing_detail", args=[pairing.pk])


def test_posting_without_the_csrf_token_is_refused(regions, users):
    pairing = pairing_of(status=PairingStatus.ACTIVE)
    client = Client(enforce_csrf_checks=True)
    client.force_login(users["xizang_bar"])
    response = client.post(reverse("portal:report_new", args=[pairing.pk]), report_form())
    assert response.status_code == 403
    assert ProgressReport.objects.count() == 0


def test_a_partner_system_may_read_but_not_write_reports(regions, users):
    pairing = pairing_of("43", "54", status=PairingStatus.ACTIVE)
    client = Client()
    client.force_login(users["hunan_partner"])
    assert client.get(reverse("portal:pairing_detail", args=[pairing.pk])).status_code == 200
    response = client.post(reverse("portal:report_new", args=[pairing.pk]), report_form())
    assert response.status_code == 403
    assert ProgressReport.objects.count() == 0


def test_another_provinces_pairing_is_a_404_on_every_url(regions, users, hunan):
    pairing = pairing_of(status=PairingStatus.ACTIVE)  # 北京 ⇄ 西藏
    report = report_of(pairing)
    detail = reverse("portal:pairing_detail", args=[pairing.pk])
    forms = [
        reverse("portal:report_new", args=[pairing.pk]),
        reverse("portal:report_edit", args=[report.pk]),
        reverse("portal:report_submit", args=[report.pk]),
    ]
    assert hunan.get(detail).status_code == 404
    for url in forms:
        assert hunan.get(url).status_code == 404, url
        assert hunan.post(url, report_form(narrative="x", intent="submit")).status_code == 404, url
    report.refresh_from_db()
    assert report.status == ReportStatus.DRAFT
    assert ProgressReport.objects.count() == 1
    assert pairing.helper_firm.name not in hunan.get(reverse("portal:pairings")).content.decode()
