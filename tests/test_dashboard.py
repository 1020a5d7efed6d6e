"""The programme dashboard on the admin index: every figure equals a count computed here
independently (plain ORM filters and Python counting, not the policy or the selector), for
the ministry and for the 湖南 justice department; the page renders the figures and nothing
of a province the department has no business with; the per-province table downloads as a
spreadsheet that matches, with formula-looking text neutralised; the page's query count
does not grow with the data."""

from __future__ import annotations

import datetime as dt
import io
from collections import Counter, defaultdict
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection, transaction
from django.db.models import Q
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

import branches.demo
import pairing.demo
from branches.dashboard import programme_dashboard
from branches.models import BranchOffice, BranchStatus
from branches.selectors import branches_with_gap
from core.spreadsheets import neutralise
from lawyers.models import Trainee, TraineeStatus
from pairing.models import (
    FirmPairing,
    PairingStatus,
    ProgramTarget,
    ProgressReport,
    ReportStatus,
    Secondment,
    SecondmentStatus,
    StatSnapshot,
)
from regions.models import CalendarDay, DayKind, Province
from tests.factories import (
    BranchOfficeFactory,
    FirmPairingFactory,
    LawFirmFactory,
    PairingAgreementFactory,
    QuotaFactory,
    SecondmentFactory,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
TODAY = dt.date(2026, 11, 27)
HUNAN = "43"
INDEX = "/admin/"
XLSX_URL = "/admin/dashboard/provinces.xlsx"


def noon(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(12), tzinfo=SHANGHAI)


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """The demo programme, loaded once for the module and rolled back at its end."""
    with django_db_blocker.unblock(), transaction.atomic():
        with time_machine.travel(noon(TODAY), tick=False):
            pairing.demo.load(today=TODAY)
            branches.demo.load(today=TODAY)
        yield
        transaction.set_rollback(True)


@pytest.fixture
def today(demo, db):
    with time_machine.travel(noon(TODAY), tick=False):
        yield TODAY


# --- the independent computation ---------------------------------------------------------


def involving(code: str | None, *paths: str) -> Q:
    """Rows that involve province `code` along any of `paths` (everything for None)."""
    q = Q()
    if code is None:
        return q
    for p in paths:
        q |= Q(**{f"{p}__code": code})
    return q


def independent(code: str | None, today: dt.date) -> dict:
    """The dashboard's figures counted row by row in Python, for the ministry (None) or the
    department of province `code`."""
    trainees = (
        Trainee.objects.filter(involving(code, "home_province", "secondments__host_firm__province"))
        .distinct()
        .values_list("pk", "home_province__code", "status")
    )
    secondments = Secondment.objects.filter(
        involving(code, "trainee__home_province", "host_firm__province")
    ).values_list("trainee__home_province__code", "host_firm__province__code", "status", "end_date")
    pairings = FirmPairing.objects.filter(
        involving(code, "helper_firm__province", "recipient_firm__province")
    ).values_list("pk", "recipient_firm__province__code", "status")
    reports = ProgressReport.objects.filter(
        involving(code, "pairing__helper_firm__province", "pairing__recipient_firm__province")
    ).values_list(
        "pairing_id",
        "pairing__recipient_firm__province__code",
        "status",
        "due_date",
        "submitted_at",
    )
    branch_rows = BranchOffice.objects.filter(
        involving(code, "county__province", "parent_firm__province")
    ).values_list("county__province__code", "status")

    f: dict = defaultdict(Counter)
    seen = set()
    for _pk, home, status in trainees:
        seen.add(home)
        if status in ("selected", "in_training", "completed"):
            f["trainees"][home] += 1
    for home, host, status, end in secondments:
        seen.add(home)
        seen.add(host)
        if status in ("active", "completed"):
            f["sent"][home] += 1
            f["hosted"][host] += 1
        if status == "active":
            f["running"]["all"] += 1
            if (end.year, end.month) == (today.year, today.month):
                f["ending"]["all"] += 1
    pairing_province = {}
    for pk, recipient, status in pairings:
        seen.add(recipient)
        pairing_province[pk] = recipient
        if status in ("active", "ended"):
            f["pairings"][recipient] += 1
    overdue_pairings = set()
    for pairing_id, recipient, status, due, submitted_at in reports:
        if due > today:
            continue
        f["due"][recipient] += 1
        if status in ("submitted", "accepted"):
            f["complete"][recipient] += 1
            if submitted_at.astimezone(SHANGHAI).date() <= due:
                f["on_time"][recipient] += 1
        if status in ("draft", "returned") and due < today:
            f["overdue"][recipient] += 1
            overdue_pairings.add(pairing_id)
    for pk in overdue_pairings:
        f["overdue_pairings"][pairing_province[pk]] += 1
    for county_province, status in branch_rows:
        seen.add(county_province)
        if status == "active":
            f["branches"][county_province] += 1
    f["seen"] = seen
    return f


def by_code(dashboard, attribute: str) -> Counter:
    return Counter(
        {r.code: getattr(r, attribute) for r in dashboard.provinces if getattr(r, attribute)}
    )


def assert_figures_match(d, f, today):
    assert by_code(d, "trainees") == f["trainees"]
    assert by_code(d, "secondments_sent") == f["sent"]
    assert by_code(d, "secondments_hosted") == f["hosted"]
    assert by_code(d, "pairings") == f["pairings"]
    assert by_code(d, "pairings_with_overdue_reports") == f["overdue_pairings"]
    assert by_code(d, "branches") == f["branches"]
    assert by_code(d, "reports_due") == f["due"]
    assert by_code(d, "reports_complete") == f["complete"]
    assert by_code(d, "reports_on_time") == f["on_time"]
    assert by_code(d, "reports_overdue") == f["overdue"]
    assert d.secondments_running == f["running"]["all"]
    assert d.secondments_ending_this_month == f["ending"]["all"]
    assert d.pairings_with_overdue_reports == f["overdue_pairings"].total()
    assert d.reports_due == f["due"].total()
    assert d.reports_complete == f["complete"].total()
    assert d.reports_on_time == f["on_time"].total()
    progress = {p.metric: p.count for p in d.progress}
    assert progress == {
        "trainees": f["trainees"].total(),
        "secondments": f["sent"].total(),
        "firm_pairings": f["pairings"].total(),
        "branches": f["branches"].total(),
    }
    for r in d.provinces:
        if r.reports_due:
            assert r.completeness == round(100 * f["complete"][r.code] / f["due"][r.code])
            assert r.on_time_rate == round(100 * f["on_time"][r.code] / f["due"][r.code])


# --- figures --------------------------------------------------------------------------------


def test_ministry_figures_equal_independent_counts(today, users):
    d = programme_dashboard(user=users["ministry"], today=today)
    f = independent(None, today)

    assert_figures_match(d, f, today)
    # the demo exercises every figure, so a figure stuck at zero would fail here
    assert d.secondments_running > 0
    assert d.pairings_with_overdue_reports > 0
    assert 0 < d.reports_on_time < d.reports_complete < d.reports_due
    assert d.national is True
    national = {p.metric: p.target for p in d.progress}
    assert national == {
        "trainees": 1000,
        "secondments": 750,
        "firm_pairings": 600,
        "branches": 46,
    }
    # every province with a row in view or a target is in the table
    target_codes = set(
        ProgramTarget.objects.exclude(province=None).values_list("province__code", flat=True)
    )
    assert {r.code for r in d.provinces} == f["seen"] | target_codes
    xizang = next(r for r in d.provinces if r.code == "54")
    assert xizang.targets == {"secondments": 37}


def test_department_sees_only_figures_that_involve_its_province(today, users):
    d = programme_dashboard(user=users["hunan_dept"], today=today)
    f = independent(HUNAN, today)

    assert_figures_match(d, f, today)
    assert d.national is False
    assert f["hosted"][HUNAN] > 0  # 湖南 hosts trainees of 重庆 and 云南
    assert {r.code for r in d.provinces} == f["seen"] | {HUNAN}
    assert "54" not in f["seen"]  # nothing of 西藏 involves 湖南 in the demo
    hunan = next(r for r in d.provinces if r.code == HUNAN)
    assert hunan.targets == {"secondments": 60}
    # the headline measures 湖南's own targets, not the national ones
    assert {p.metric: p.target for p in d.progress}["secondments"] == 60
    assert {p.metric: p.target for p in d.progress}["trainees"] is None
    ministry = programme_dashboard(user=users["ministry"], today=today)
    assert d.reports_due < ministry.reports_due


def test_lists_of_what_needs_attention(today, users):
    d = programme_dashboard(user=users["ministry"], today=today)

    month = Secondment.objects.filter(
        status=SecondmentStatus.ACTIVE, end_date__year=today.year, end_date__month=today.month
    )
    assert [s.pk for s in d.ending_this_month] == list(
        month.order_by("end_date", "id").values_list("pk", flat=True)[:10]
    )
    overdue = ProgressReport.objects.filter(
        status__in=[ReportStatus.DRAFT, ReportStatus.RETURNED], due_date__lt=today
    )
    for p in d.overdue_pairings:
        mine = overdue.filter(pairing_id=p.pk)
        assert p.overdue_reports == mine.count() > 0
        assert p.oldest_due == min(mine.values_list("due_date", flat=True))
    expected_gaps = branches_with_gap(
        queryset=BranchOffice.objects.filter(status=BranchStatus.ACTIVE), today=today, days=30
    )
    assert expected_gaps  # the demo has a branch running out of staff
    assert {g.pk for g in d.branches_with_gap} == {b.pk for b, _ in expected_gaps}


def test_official_statistics_show_the_latest_of_each_with_source_and_date(today, users):
    older = StatSnapshot.objects.order_by("key").first()
    StatSnapshot.objects.create(
        key=older.key,
        label=older.label,
        value=1,
        as_of=older.as_of - dt.timedelta(days=365),
        source="older source",
    )
    d = programme_dashboard(user=users["hunan_dept"], today=today)

    assert {s.key for s in d.statistics} == set(StatSnapshot.objects.values_list("key", flat=True))
    shown = next(s for s in d.statistics if s.key == older.key)
    assert shown.as_of == older.as_of
    assert all(s.source and s.as_of for s in d.statistics)


def test_a_year_missing_from_the_holiday_calendar_is_warned_about(today, users, client):
    client.force_login(users["ministry"])
    next_new_year = dt.date(today.year + 1, 1, 1)
    CalendarDay.objects.get_or_create(
        date=next_new_year, defaults={"kind": DayKind.HOLIDAY, "name": "元旦", "source": "test"}
    )
    assert "calendar-warning" not in client.get(INDEX).content.decode()

    CalendarDay.objects.filter(date__year=today.year + 1).delete()
    page = client.get(INDEX).content.decode()

    assert "calendar-warning" in page
    assert str(today.year + 1) in page


# --- the page ------------------------------------------------------------------------------


def test_index_page_shows_the_figures(today, users, client):
    client.force_login(users["ministry"])
    response = client.get(INDEX)

    assert response.status_code == 200
    d = response.context["dashboard"]
    f = independent(None, today)
    page = response.content.decode()
    assert f'<span class="pd-big" id="pd-running">{f["running"]["all"]}</span>' in page
    assert (
        f'<span class="pd-big" id="pd-overdue-pairings">{f["overdue_pairings"].total()}</span>'
        in page
    )
    assert f'<td class="pd-num" id="pd-reports-due">{f["due"].total()}</td>' in page
    assert f'<span class="pd-count">{f["trainees"].total()}</span>' in page
    assert page.count('<tr data-province="') == len(d.provinces)
    assert 'href="/admin/dashboard/provinces.xlsx"' in page
    assert "css/dashboard.css" in page
    assert " style=" not in page.split('id="programme-dashboard"')[1].split("</section>")[0]
    # the app list is still there, below the dashboard
    assert page.index("programme-dashboard") < page.index("app-pairing")


def test_department_page_shows_nothing_of_other_provinces(today, users, client):
    sentinel = "哨兵自治区"
    Province.objects.filter(code="54").update(name=sentinel)
    client.force_login(users["hunan_dept"])

    response = client.get(INDEX)
    page = response.content.decode()

    assert response.status_code == 200
    assert "重庆" in page  # 湖南 hosts trainees of 重庆
    assert sentinel not in page
    client.force_login(users["ministry"])
    assert sentinel in client.get(INDEX).content.decode()


def test_the_dashboard_is_not_shown_to_staff_without_a_role(today, users, client):
    users["hunan_dept"].organisation.is_active = False
    users["hunan_dept"].organisation.save(update_fields=["is_active"])
    client.force_login(users["hunan_dept"])

    response = client.get(INDEX)

    assert response.status_code == 200
    assert "programme-dashboard" not in response.content.decode()
    assert client.get(XLSX_URL).status_code == 403


# --- the spreadsheet -----------------------------------------------------------------------


def download(client, user) -> list[tuple]:
    client.force_login(user)
    response = client.get(XLSX_URL)
    assert response.status_code == 200
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml"
    )
    sheet = load_workbook(io.BytesIO(response.content)).active
    return list(sheet.iter_rows(values_only=True))


@pytest.mark.parametrize(("who", "code"), [("ministry", None), ("hunan_dept", HUNAN)])
def test_spreadsheet_matches_the_independent_counts(today, users, client, who, code):
    rows = download(client, users[who])
    f = independent(code, today)

    header, body = rows[0], rows[1:]
    assert header[:3] == ("省份代码", "省份", "已选拔青年律师")
    assert {r[0] for r in body} == f["seen"] | (
        set(ProgramTarget.objects.exclude(province=None).values_list("province__code", flat=True))
        if code is None
        else {code}
    )
    for r in body:
        c = r[0]
        assert (r[2], r[4], r[5], r[7], r[9], r[10]) == (
            f["trainees"][c],
            f["sent"][c],
            f["hosted"][c],
            f["pairings"][c],
            f["overdue_pairings"][c],
            f["branches"][c],
        ), c
        assert (r[12], r[13], r[14], r[15]) == (
            f["due"][c],
            f["complete"][c],
            f["on_time"][c],
            f["overdue"][c],
        ), c


def test_spreadsheet_neutralises_formula_injection(today, users, client):
    Province.objects.filter(code="50").update(name='=HYPERLINK("http://e.x","x")')
    Province.objects.filter(code="53").update(name="@SUM(1+1)")

    rows = download(client, users["hunan_dept"])

    names = {r[0]: r[1] for r in rows[1:]}
    assert names["50"] == '\'=HYPERLINK("http://e.x","x")'
    assert names["53"] == "'@SUM(1+1)"
    assert names[HUNAN] == "湖南省"


@pytest.mark.parametrize("text", ["=1+1", "+1", "-1", "@A1", "\t=1", "\r=1"])
def test_every_formula_prefix_is_neutralised(text):
    assert neutralise(text) == "'" + text
    assert neutralise("湖南省") == "湖南省"
    assert neutralise(-1) == -1


# --- queries do not grow with the data -----------------------------------------------------


def add_rows(n: int, today: dt.date) -> None:
    """n of everything the dashboard counts, each involving 湖南 (43)."""
    hunan, chongqing = Province.objects.get(code="43"), Province.objects.get(code="50")
    agreement = PairingAgreementFactory(helper_province=hunan, recipient_province=chongqing)
    for i in range(n):
        SecondmentFactory(
            trainee__home_province=chongqing,
            host_firm=LawFirmFactory(province=hunan),
            quota=QuotaFactory(hosts=[hunan], sources=[chongqing]),
            status=SecondmentStatus.ACTIVE,
            start_date=today - dt.timedelta(days=10),
        )
        pairing_ = FirmPairingFactory(agreement=agreement, status=PairingStatus.ACTIVE)
        ProgressReport.objects.create(
            pairing=pairing_,
            period_start=dt.date(2026, 7, 1),
            period_end=dt.date(2026, 9, 30),
            due_date=dt.date(2026, 10, 15),
            status=ReportStatus.DRAFT if i % 2 else ReportStatus.SUBMITTED,
            submitted_at=None if i % 2 else noon(dt.date(2026, 10, 10)),
        )
        BranchOfficeFactory(parent_firm=LawFirmFactory(province=hunan))
        StatSnapshot.objects.create(
            key=f"extra-{n}-{i}", label="统计", value=i, as_of=today, source="测试"
        )
    Trainee.objects.filter(status=TraineeStatus.NOMINATED).update(status=TraineeStatus.SELECTED)


@pytest.mark.parametrize("who", ["ministry", "hunan_dept"])
def test_index_query_count_does_not_grow_with_the_data(
    db, users, client, who, django_assert_max_num_queries
):
    client.force_login(users[who])
    with time_machine.travel(noon(TODAY), tick=False):
        add_rows(2, TODAY)
        with CaptureQueriesContext(connection) as small:
            assert client.get(INDEX).status_code == 200
        add_rows(25, TODAY)
        with django_assert_max_num_queries(len(small)):
            response = client.get(INDEX)

    assert response.status_code == 200
    d = response.context["dashboard"]
    assert d.secondments_running >= 27
    assert len(d.branches_with_gap) >= 27
