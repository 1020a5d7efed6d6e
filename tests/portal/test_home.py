"""The portal home: what needs doing now in the user's province (reports due, overdue and
returned, secondments starting and ending this month, evaluations missing, branches short
of staff, unread notifications), progress against targets as inline SVG bars, nothing of
another province, and a query count that does not grow with the rows."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse

from pairing.models import (
    ProgramTarget,
    ProgressReport,
    ReportStatus,
    SecondmentStatus,
    TargetMetric,
)
from regions.models import County
from reminders.models import Channel, DeliveryState, Notification, RuleKind
from tests.factories import (
    BranchOfficeFactory,
    FirmPairingFactory,
    LawFirmFactory,
    PairingAgreementFactory,
    PostingFactory,
    SecondmentFactory,
    province,
)

TODAY = dt.date(2026, 11, 27)
NOW = dt.datetime(2026, 11, 27, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
HOME = "/portal/"
# (helper province, helped province, user): 湖南 helps 青海 here, 北京 helps 西藏, so
# nothing of one side involves the other's province
SIDES = {"湖南": ("43", "63", "hunan_bar"), "西藏": ("11", "54", "xizang_bar")}


@pytest.fixture
def today(db):
    with time_machine.travel(NOW, tick=False):
        yield TODAY


def make_work(tag: str, users, n: int, start: int = 0) -> dict[str, list]:
    """`n` items of every kind the home lists, for one side; names carry `tag`."""
    helper, helped, username = SIDES[tag]
    agreement = PairingAgreementFactory(
        helper_province=province(helper), recipient_province=province(helped)
    )
    county = County.objects.filter(province__code=helped).order_by("code").first()
    made: dict[str, list] = {k: [] for k in ("due", "overdue", "returned", "starting")}
    made.update({k: [] for k in ("ending", "evaluation", "gap", "unread")})
    for i in range(start, start + n):
        pairing = FirmPairingFactory(
            agreement=agreement,
            helper_firm__name=f"{tag}帮扶所{i}",
            recipient_firm__name=f"{tag}受援所{i}",
        )

        def report(period: dt.date, due: dt.date, status: str, pairing=pairing, **extra):
            return ProgressReport.objects.create(
                pairing=pairing,
                period_start=period,
                period_end=period + dt.timedelta(days=89),
                due_date=due,
                status=status,
                **extra,
            )

        made["due"].append(report(dt.date(2026, 7, 1), TODAY + dt.timedelta(days=10), "draft"))
        made["overdue"].append(report(dt.date(2026, 4, 1), TODAY - dt.timedelta(days=5), "draft"))
        made["returned"].append(
            report(
                dt.date(2026, 1, 1),
                TODAY + dt.timedelta(days=40),
                ReportStatus.RETURNED,
                return_reason=f"{tag}退回理由{i}",
            )
        )

        def secondment(name: str, start_date: dt.date, end_date: dt.date, status: str):
            return SecondmentFactory(
                trainee__home_province=province(helped),
                trainee__lawyer__name=name,
                host_firm=LawFirmFactory(province=province(helper)),
                start_date=start_date,
                end_date=end_date,
                status=status,
            )

        made["starting"].append(
            secondment(
                f"{tag}入学{i}",
                dt.date(2026, 11, 20),
                dt.date(2027, 1, 5),
                SecondmentStatus.PLANNED,
            )
        )
        made["ending"].append(
            secondment(
                f"{tag}结业{i}",
                dt.date(2026, 10, 10),
                dt.date(2026, 11, 30),
                SecondmentStatus.ACTIVE,
            )
        )
        made["evaluation"].append(
            secondment(
                f"{tag}待评{i}",
                dt.date(2026, 9, 1),
                dt.date(2026, 10, 20),
                SecondmentStatus.COMPLETED,
            )
        )
        made["gap"].append(
            BranchOfficeFactory(
                name=f"{tag}分所{i}",
                parent_firm=LawFirmFactory(province=province(helper)),
                county=county,
            )
        )
        made["unread"].append(
            Notification.objects.create(
                recipient=users[username],
                rule_kind=RuleKind.REPORT_DUE,
                channel=Channel.IN_APP,
                state=DeliveryState.SENT,
                sent_at=NOW,
                subject=f"{tag}提醒{i}",
                object_label="pairing.progressreport",
                object_id=str(made["due"][-1].pk),
            )
        )
    return made


def names(made: dict[str, list], tag: str, i: int) -> list[str]:
    return [
        f"{tag}帮扶所{i}",  # reports (due, overdue, returned) name their pairing
        f"{tag}退回理由{i}",
        f"{tag}入学{i}",
        f"{tag}结业{i}",
        f"{tag}待评{i}",
        f"{tag}分所{i}",
        f"{tag}提醒{i}",
    ]


def section(html: str, element_id: str) -> str:
    """The text of one <section id=…> of the home page."""
    match = re.search(rf'<section[^>]*id="{element_id}".*?</section>', html, re.S)
    assert match, element_id
    return match.group(0)


def url_or_none(name: str, *args) -> str | None:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return None


def test_home_shows_the_provinces_due_items_and_not_another_provinces(client, users, today):
    hunan = make_work("湖南", users, 2)
    make_work("西藏", users, 2)
    client.force_login(users["hunan_bar"])

    html = client.get(HOME).content.decode()

    for i in range(2):
        for text in names(hunan, "湖南", i):
            assert text in html
        for text in names({}, "西藏", i):
            assert text not in html
    assert "西藏" not in html


def test_each_list_shows_its_items_in_its_own_section(client, users, today):
    made = make_work("湖南", users, 1)
    client.force_login(users["hunan_bar"])

    html = client.get(HOME).content.decode()

    reports = section(html, "home-reports")
    assert reports.count("湖南帮扶所0") == 3  # due, overdue and returned
    assert "湖南退回理由0" in reports
    secondments = section(html, "home-secondments")
    assert "湖南入学0" in secondments
    assert "湖南结业0" in secondments
    assert "湖南待评0" not in secondments
    evaluations = section(html, "home-evaluations")
    assert "湖南待评0" in evaluations
    assert "2026-11-03" in evaluations  # ended 2026-10-20, due 14 days later
    assert "湖南分所0" in section(html, "home-gaps")
    assert "湖南提醒0" in section(html, "home-notifications")
    # each item links to its page where the portal has one
    expected = [
        url_or_none("portal:secondment_detail", made["starting"][0].pk),
        url_or_none("portal:branch_detail", made["gap"][0].pk),
        url_or_none("portal:report_edit", made["returned"][0].pk),
    ]
    evaluate = url_or_none("portal:secondment_detail", made["evaluation"][0].pk)
    if evaluate:  # at the page's assessment section
        expected.append(f"{evaluate}#assessment")
    for url in filter(None, expected):
        assert f'href="{url}"' in html


def test_done_and_distant_work_is_not_listed(client, users, today):
    made = make_work("湖南", users, 1)
    report = made["overdue"][0]
    report.status = ReportStatus.SUBMITTED
    report.save(update_fields=["status"])
    made["due"][0].due_date = TODAY + dt.timedelta(days=31)
    made["due"][0].save(update_fields=["due_date"])
    evaluated = made["evaluation"][0]
    evaluated.evaluation_grade = "good"
    evaluated.save(update_fields=["evaluation_grade"])
    cancelled = made["starting"][0]
    cancelled.status, cancelled.cancel_reason = SecondmentStatus.CANCELLED, "家中有事"
    cancelled.save(update_fields=["status", "cancel_reason"])
    PostingFactory(branch=made["gap"][0], lawyer__province=province("43"))
    Notification.objects.filter(pk=made["unread"][0].pk).update(read_at=NOW)
    client.force_login(users["hunan_bar"])

    html = client.get(HOME).content.decode()

    # only the returned report is left (it is listed once, in its own list)
    assert section(html, "home-reports").count("湖南帮扶所0") == 1
    assert "湖南待评0" not in html
    assert "湖南入学0" not in html
    assert "湖南分所0" not in html
    assert "湖南提醒0" not in html
    assert "湖南结业0" in html


def test_progress_against_targets_is_drawn_as_inline_svg_without_styles_or_scripts(
    client, users, today
):
    make_work("湖南", users, 2)
    ProgramTarget.objects.create(metric=TargetMetric.SECONDMENTS, province=province("43"), value=60)
    client.force_login(users["hunan_bar"])

    html = client.get(HOME).content.decode()

    progress = section(html, "home-progress")
    # 湖南 hosts 4 secondments that took place (2 active, 2 completed): 4 of 60 = 7 %
    assert re.search(r'<rect class="bar" x="0" y="0" width="7" height="12">', progress)
    assert '<rect class="bar-track"' in progress
    assert "7%" in progress
    assert "style=" not in html
    assert not re.search(r"<script(?![^>]*\bsrc=)", html)  # no inline script
    assert not re.search(r'(src|href)="(https?:)?//', html)  # nothing from another host


def test_home_query_count_does_not_grow_with_the_rows(client, users, today):
    make_work("湖南", users, 2)
    client.force_login(users["hunan_bar"])
    client.get(HOME)  # warm-up: content types, the session row

    with CaptureQueriesContext(connection) as two:
        assert client.get(HOME).status_code == 200
    make_work("湖南", users, 18, start=2)
    with CaptureQueriesContext(connection) as twenty:
        response = client.get(HOME)

    assert response.status_code == 200
    html = response.content.decode()
    # every list shows its first 10 rows and counts them all
    assert section(html, "home-gaps").count("湖南分所") == 10
    assert '<span class="badge warn">20</span>' in section(html, "home-gaps")
    assert len(twenty) == len(two), [q["sql"] for q in twenty.captured_queries]


def test_ministry_and_department_users_get_the_home_too(client, users, today):
    make_work("湖南", users, 1)

    for username in ("ministry", "hunan_dept"):
        client.force_login(users[username])
        response = client.get(HOME)
        assert response.status_code == 200
        assert "湖南帮扶所0" in response.content.decode()
