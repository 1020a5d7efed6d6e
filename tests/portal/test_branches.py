"""Portal: branch offices — the list (filters, search, export, a gap ahead flagged), a
branch's 60-day staffing timeline with its gaps, postings added with the dispatch
checklist (one that closes a gap makes it disappear), ending a posting that leaves a gap
(the error beside the field, then the confirmation), service records, care visits and
support contracts with bad input; another province's branch is a 404 on every URL; the
query counts do not grow with rows."""

from __future__ import annotations

import datetime as dt
import io
import re
from decimal import Decimal

import openpyxl
import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from branches.models import (
    BranchOffice,
    BranchStatus,
    CareVisit,
    ContractKind,
    Posting,
    ServiceKind,
    ServiceRecord,
    SupportContract,
)
from branches.selectors import branches_with_gap
from regions.models import County
from tests.factories import (
    BranchOfficeFactory,
    LawFirmFactory,
    LawyerFactory,
    PostingFactory,
    province,
)

NOW = dt.datetime(2026, 11, 27, 10, 0, tzinfo=dt.UTC)
TODAY = dt.date(2026, 11, 27)  # in Asia/Shanghai


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


def xizang_lawyer():
    return LawyerFactory(province=province("54"))


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


def gap_days(html: str) -> int:
    timeline = html[html.index('id="timeline"') : html.index('id="gaps"')]
    assert len(re.findall(r'class="day[ "]', timeline)) == 60
    return len(re.findall(r'class="day gap"', timeline))


def list_row(html: str, name: str) -> str:
    return next(row for row in html.split("<tr>") if f">{name}</a>" in row)


# --- the list ------------------------------------------------------------------------------


def test_the_list_shows_the_provinces_branches_and_flags_a_gap_ahead(regions, xizang):
    staffed = BranchOfficeFactory(name="墨脱分所")
    PostingFactory(branch=staffed)
    unstaffed = BranchOfficeFactory(name="措美分所")
    hunan_county = County.objects.filter(province__code="43").order_by("code").first()
    BranchOfficeFactory(name="湖南分所", county=hunan_county, parent_firm=LawFirmFactory())

    html = xizang.get(reverse("portal:branches")).content.decode()
    assert "湖南分所" not in html
    assert "staffing-gap" not in list_row(html, staffed.name)
    assert "staffing-gap" in list_row(html, unstaffed.name)
    assert "2026-11-27" in list_row(html, unstaffed.name)


def test_the_list_filters_and_searches(regions, xizang):
    active = BranchOfficeFactory(name="错那分所")
    suspended = BranchOfficeFactory(name="隆子分所", status=BranchStatus.SUSPENDED)
    url = reverse("portal:branches")

    html = xizang.get(url, {"status": "suspended"}).content.decode()
    assert suspended.name in html
    assert active.name not in html

    for term in ("错那", active.credit_code, active.parent_firm.name):
        html = xizang.get(url, {"q": term}).content.decode()
        assert active.name in html, term
        assert suspended.name not in html, term


def test_the_list_exports_the_filtered_branches_as_xlsx(regions, xizang):
    BranchOfficeFactory(name="错那分所")
    suspended = BranchOfficeFactory(name="隆子分所", status=BranchStatus.SUSPENDED)
    response = xizang.get(reverse("portal:branches"), {"status": "suspended", "format": "xlsx"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert len(values) == 2
    assert suspended.credit_code in values[1]


def test_htmx_filtering_swaps_only_the_results(regions, xizang):
    BranchOfficeFactory()
    html = xizang.get(reverse("portal:branches"), HTTP_HX_REQUEST="true").content.decode()
    assert "<table" in html
    assert "portal-nav" not in html


def test_the_list_keeps_its_query_count_as_branches_grow(regions, xizang):
    for _ in range(2):
        PostingFactory(branch=BranchOfficeFactory())
        BranchOfficeFactory()
    small = count_queries(xizang, reverse("portal:branches"))
    for _ in range(9):
        PostingFactory(branch=BranchOfficeFactory())
        BranchOfficeFactory()
    assert count_queries(xizang, reverse("portal:branches")) == small


# --- a branch ------------------------------------------------------------------------------


def test_the_timeline_marks_the_days_below_the_minimum_as_gaps(regions, xizang):
    branch = BranchOfficeFactory(minimum_staff=1)
    # staffed until 2026-12-26, then nobody: 30 gap days of 60
    PostingFactory(branch=branch, start_date=dt.date(2026, 1, 1), end_date=dt.date(2026, 12, 26))
    # an incomplete checklist does not count
    PostingFactory(branch=branch, start_date=dt.date(2026, 12, 1), medical_passed=False)

    html = xizang.get(reverse("portal:branch_detail", args=[branch.pk])).content.decode()
    assert gap_days(html) == 30
    assert "2026-12-27 – 2027-01-25" in html
    assert 'style="' not in html  # the CSP: classes only


def test_a_posting_that_closes_the_gap_removes_it_from_the_timeline_and_home(regions, xizang):
    branch = BranchOfficeFactory(minimum_staff=1)
    lawyer = xizang_lawyer()
    detail = reverse("portal:branch_detail", args=[branch.pk])
    assert gap_days(xizang.get(detail).content.decode()) == 60
    assert branches_with_gap(queryset=BranchOffice.objects.all(), today=TODAY)

    response = xizang.post(
        reverse("portal:posting_add", args=[branch.pk]),
        {
            "licence_no": lawyer.current_licence_no,
            "kind": "rotation",
            "start_date": "2026-11-27",
            "end_date": "",
            "agreement_signed": "on",
            "medical_passed": "on",
            "licence_transferred": "on",
        },
    )
    assert response.status_code == 302
    posting = Posting.objects.get(branch=branch)
    assert (posting.lawyer, posting.checklist_complete) == (lawyer, True)
    html = xizang.get(detail).content.decode()
    assert gap_days(html) == 0
    assert lawyer.name in html
    # the home page's list of branches with a gap ahead
    assert branches_with_gap(queryset=BranchOffice.objects.all(), today=TODAY) == []


def test_a_posting_without_the_full_checklist_leaves_the_gap(regions, xizang):
    branch = BranchOfficeFactory(minimum_staff=1)
    response = xizang.post(
        reverse("portal:posting_add", args=[branch.pk]),
        {
            "licence_no": xizang_lawyer().current_licence_no,
            "kind": "rotation",
            "start_date": "2026-11-27",
            "agreement_signed": "on",
            "medical_passed": "on",
        },
    )
    assert response.status_code == 302
    assert Posting.objects.get(branch=branch).checklist_complete is False
    html = xizang.get(reverse("portal:branch_detail", args=[branch.pk])).content.decode()
    assert gap_days(html) == 60


def test_a_posting_with_bad_input_shows_the_errors_beside_the_fields(regions, xizang):
    branch = BranchOfficeFactory()
    taken = PostingFactory(lawyer=xizang_lawyer(), start_date=dt.date(2026, 1, 1))
    beijing = LawyerFactory()  # not a lawyer the 西藏 bar association may choose
    url = reverse("portal:posting_add", args=[branch.pk])
    base = {"kind": "rotation", "start_date": "2026-12-01", "agreement_signed": "on"}

    html = xizang.post(url, {**base, "licence_no": "15401202010999999"}).content.decode()
    assert "has-error" in form_row(html, "licence_no")
    assert 'value="15401202010999999"' in html  # the input is kept
    assert "checked" in form_row(html, "agreement_signed")

    html = xizang.post(url, {**base, "licence_no": beijing.current_licence_no}).content.decode()
    assert "has-error" in form_row(html, "licence_no")

    html = xizang.post(
        url, {**base, "licence_no": xizang_lawyer().current_licence_no, "end_date": "2026-11-01"}
    ).content.decode()
    assert "has-error" in form_row(html, "end_date")

    # the lawyer is posted elsewhere then: the service's error, beside the start date
    html = xizang.post(
        url, {**base, "licence_no": taken.lawyer.current_licence_no}
    ).content.decode()
    assert "has-error" in form_row(html, "start_date")
    assert "has-error" not in form_row(html, "licence_no")
    assert Posting.objects.filter(branch=branch).count() == 0


def test_ending_a_posting_that_leaves_a_gap_needs_a_confirmation(regions, xizang):
    branch = BranchOfficeFactory(minimum_staff=1)
    posting = PostingFactory(branch=branch, lawyer=xizang_lawyer())
    url = reverse("portal:posting_end", args=[branch.pk, posting.pk])
    assert 'name="confirm_gap"' not in xizang.get(url).content.decode()

    response = xizang.post(url, {"end_date": "2026-12-10", "end_reason": "轮换期满"})
    assert response.status_code == 200
    html = response.content.decode()
    row = form_row(html, "end_date")
    assert "has-error" in row
    assert "2026-12-11" in row  # the first day of the gap, beside the field
    assert re.search(r'<input type="checkbox" name="confirm_gap"', html)
    assert "轮换期满" in html
    posting.refresh_from_db()
    assert posting.end_date is None

    response = xizang.post(
        url, {"end_date": "2026-12-10", "end_reason": "轮换期满", "confirm_gap": "on"}
    )
    assert response.status_code == 302
    posting.refresh_from_db()
    assert (posting.end_date, posting.end_reason, posting.gap_confirmed) == (
        dt.date(2026, 12, 10),
        "轮换期满",
        True,
    )
    html = xizang.get(reverse("portal:branch_detail", args=[branch.pk])).content.decode()
    assert gap_days(html) == 46  # 2026-12-11 to 2027-01-25


def test_ending_a_posting_without_a_gap_needs_no_confirmation(regions, xizang):
    branch = BranchOfficeFactory(minimum_staff=1)
    posting = PostingFactory(branch=branch, lawyer=xizang_lawyer())
    PostingFactory(branch=branch)
    url = reverse("portal:posting_end", args=[branch.pk, posting.pk])
    html = xizang.post(url, {"end_date": "2026-12-10", "end_reason": ""}).content.decode()
    assert "has-error" in form_row(html, "end_reason")
    response = xizang.post(url, {"end_date": "2026-12-10", "end_reason": "调回总所"})
    assert response.status_code == 302
    posting.refresh_from_db()
    assert (posting.end_date, posting.gap_confirmed) == (dt.date(2026, 12, 10), False)


def test_a_service_record_with_bad_input_shows_errors_and_saves_nothing(regions, xizang):
    branch = BranchOfficeFactory()
    posted = PostingFactory(branch=branch)  # a 北京 lawyer posted here
    url = reverse("portal:service_record_add", args=[branch.pk])
    data = {"kind": "legal_aid", "served_on": "2026-11-20", "quantity": "0", "note": "法律援助"}
    html = xizang.post(url, data).content.decode()
    assert "has-error" in form_row(html, "quantity")
    assert "法律援助" in html

    html = xizang.post(
        url, {**data, "quantity": "2", "licence_no": LawyerFactory().current_licence_no}
    ).content.decode()
    assert "has-error" in form_row(html, "licence_no")
    assert "has-error" not in form_row(html, "quantity")
    assert ServiceRecord.objects.count() == 0

    response = xizang.post(
        url, {**data, "quantity": "2", "licence_no": posted.lawyer.current_licence_no}
    )
    assert response.status_code == 302
    record = ServiceRecord.objects.get()
    assert (record.branch, record.lawyer, record.kind, record.quantity) == (
        branch,
        posted.lawyer,
        ServiceKind.LEGAL_AID,
        2,
    )


def test_a_care_visit_with_bad_input_shows_errors_and_saves_nothing(regions, xizang):
    branch = BranchOfficeFactory()
    url = reverse("portal:care_visit_add", args=[branch.pk])
    html = xizang.post(
        url, {"visited_on": "2026-13-01", "visitor_organisation": "", "visitors": "张会长"}
    ).content.decode()
    assert "has-error" in form_row(html, "visited_on")
    assert "has-error" in form_row(html, "visitor_organisation")
    assert "张会长" in html
    assert CareVisit.objects.count() == 0

    response = xizang.post(
        url, {"visited_on": "2026-11-20", "visitor_organisation": "西藏自治区律师协会"}
    )
    assert response.status_code == 302
    assert CareVisit.objects.get().branch == branch


def test_a_support_contract_with_bad_input_shows_errors_and_saves_nothing(regions, xizang):
    branch = BranchOfficeFactory()
    url = reverse("portal:support_contract_add", args=[branch.pk])
    data = {
        "kind": "procured_service",
        "counterparty": "错那市司法局",
        "amount": "-5",
        "start_date": "2026-01-01",
        "end_date": "2025-12-31",
    }
    html = xizang.post(url, data).content.decode()
    assert "has-error" in form_row(html, "amount")
    assert "has-error" in form_row(html, "end_date")
    assert "has-error" not in form_row(html, "counterparty")
    assert "错那市司法局" in html
    assert SupportContract.objects.count() == 0

    response = xizang.post(url, {**data, "amount": "120000", "end_date": "2026-12-31"})
    assert response.status_code == 302
    contract = SupportContract.objects.get()
    assert (contract.branch, contract.kind, contract.amount) == (
        branch,
        ContractKind.PROCURED_SERVICE,
        Decimal("120000"),
    )


def test_the_detail_keeps_its_query_count_as_records_grow(regions, xizang):
    branch = BranchOfficeFactory()

    def add(n: int) -> None:
        for i in range(n):
            PostingFactory(branch=branch, start_date=dt.date(2025, 1, 1) + dt.timedelta(days=i))
            ServiceRecord.objects.create(
                branch=branch, kind=ServiceKind.LEGAL_AID, served_on=TODAY, lawyer=None
            )
            CareVisit.objects.create(branch=branch, visited_on=TODAY, visitor_organisation="协会")
            SupportContract.objects.create(
                branch=branch,
                kind=ContractKind.ADVISER,
                counterparty="县政府",
                amount=1,
                start_date=TODAY,
                end_date=TODAY,
            )

    url = reverse("portal:branch_detail", args=[branch.pk])
    add(2)
    small = count_queries(xizang, url)
    add(18)
    assert count_queries(xizang, url) == small


def test_a_partner_system_may_read_but_not_record(regions, users):
    hunan_county = County.objects.filter(province__code="43").order_by("code").first()
    branch = BranchOfficeFactory(county=hunan_county)
    client = Client()
    client.force_login(users["hunan_partner"])
    assert client.get(reverse("portal:branch_detail", args=[branch.pk])).status_code == 200
    response = client.post(
        reverse("portal:care_visit_add", args=[branch.pk]),
        {"visited_on": "2026-11-20", "visitor_organisation": "湖南省律师协会"},
    )
    assert response.status_code == 403
    assert CareVisit.objects.count() == 0


def test_another_provinces_branch_is_a_404_on_every_url(regions, hunan):
    branch = BranchOfficeFactory()  # 西藏 county, 北京 parent firm
    posting = PostingFactory(branch=branch)
    detail = reverse("portal:branch_detail", args=[branch.pk])
    forms = [
        reverse("portal:posting_add", args=[branch.pk]),
        reverse("portal:posting_end", args=[branch.pk, posting.pk]),
        reverse("portal:service_record_add", args=[branch.pk]),
        reverse("portal:care_visit_add", args=[branch.pk]),
        reverse("portal:support_contract_add", args=[branch.pk]),
    ]
    assert hunan.get(detail).status_code == 404
    data = {
        "end_date": "2026-12-01",
        "end_reason": "x",
        "confirm_gap": "on",
        "visited_on": "2026-11-20",
        "visitor_organisation": "x",
    }
    for url in forms:
        assert hunan.get(url).status_code == 404, url
        assert hunan.post(url, data).status_code == 404, url
    posting.refresh_from_db()
    assert posting.end_date is None
    assert CareVisit.objects.count() == 0
    assert branch.name not in hunan.get(reverse("portal:branches")).content.decode()


def test_a_posting_is_ended_only_through_its_own_branchs_url(regions, xizang):
    branch, other = BranchOfficeFactory(), BranchOfficeFactory()
    posting = PostingFactory(branch=other)
    url = reverse("portal:posting_end", args=[branch.pk, posting.pk])
    assert xizang.get(url).status_code == 404
