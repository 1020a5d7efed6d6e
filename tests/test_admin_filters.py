"""The back office's list filters: province (either side), region, year, report overdue,
staffing gap — each returns exactly the rows it names."""

import datetime as dt
import re

import pytest
import time_machine

from branches.models import BranchOffice
from pairing.models import FirmPairing, PairingStatus, ProgressReport, ReportStatus
from tests.factories import (
    BranchOfficeFactory,
    FirmPairingFactory,
    PairingAgreementFactory,
    PostingFactory,
    province,
)

pytestmark = pytest.mark.django_db
URL = "/admin/pairing/firmpairing/"


def listed_ids(response, _model) -> set[int]:
    html = response.content.decode()
    return {int(pk) for pk in re.findall(r'name="_selected_action" value="(\d+)"', html)}


@pytest.fixture
def pairings(regions):
    tibet = FirmPairingFactory(agreement=PairingAgreementFactory())  # 北京 → 西藏 (factory default)
    hunan_chongqing = FirmPairingFactory(
        agreement=PairingAgreementFactory(
            helper_province=province("43"), recipient_province=province("50")
        ),
        term_start=dt.date(2025, 3, 1),
    )
    return tibet, hunan_chongqing


def test_province_filter_matches_either_side(client, users, pairings):
    tibet, hunan_chongqing = pairings
    client.force_login(users["ministry"])

    assert listed_ids(client.get(URL, {"province": "50"}), FirmPairing) == {hunan_chongqing.pk}
    assert listed_ids(client.get(URL, {"province": "43"}), FirmPairing) == {hunan_chongqing.pk}
    assert listed_ids(client.get(URL, {"province": "54"}), FirmPairing) == {tibet.pk}


def test_region_and_year_filters(client, users, pairings):
    tibet, hunan_chongqing = pairings
    client.force_login(users["ministry"])

    assert listed_ids(client.get(URL, {"region": "central"}), FirmPairing) == {hunan_chongqing.pk}
    assert listed_ids(client.get(URL, {"region": "east"}), FirmPairing) == {tibet.pk}
    assert listed_ids(client.get(URL, {"term_start_year": "2025"}), FirmPairing) == {
        hunan_chongqing.pk
    }


@time_machine.travel(dt.datetime(2026, 11, 27, 10, tzinfo=dt.UTC), tick=False)
def test_report_overdue_filter(client, users, pairings):
    tibet, hunan_chongqing = pairings
    FirmPairing.objects.filter(pk__in=[tibet.pk, hunan_chongqing.pk]).update(
        status=PairingStatus.ACTIVE
    )
    ProgressReport.objects.create(
        pairing=tibet,
        period_start=dt.date(2026, 7, 1),
        period_end=dt.date(2026, 9, 30),
        due_date=dt.date(2026, 10, 15),
        status=ReportStatus.DRAFT,
    )
    ProgressReport.objects.create(
        pairing=hunan_chongqing,
        period_start=dt.date(2026, 7, 1),
        period_end=dt.date(2026, 9, 30),
        due_date=dt.date(2026, 10, 15),
        status=ReportStatus.ACCEPTED,
        narrative="按时提交",
    )
    client.force_login(users["ministry"])

    assert listed_ids(client.get(URL, {"report_overdue": "yes"}), FirmPairing) == {tibet.pk}
    assert listed_ids(client.get(URL, {"report_overdue": "no"}), FirmPairing) == {
        hunan_chongqing.pk
    }


@time_machine.travel(dt.datetime(2026, 11, 27, 10, tzinfo=dt.UTC), tick=False)
def test_staffing_gap_filter(client, users, regions):
    staffed = BranchOfficeFactory()
    PostingFactory(branch=staffed, start_date=dt.date(2026, 1, 1))
    short = BranchOfficeFactory()
    PostingFactory(branch=short, start_date=dt.date(2026, 1, 1), end_date=dt.date(2026, 12, 10))
    client.force_login(users["ministry"])

    url = "/admin/branches/branchoffice/"
    assert listed_ids(client.get(url, {"staffing_gap": "yes"}), BranchOffice) == {short.pk}
    assert listed_ids(client.get(url, {"staffing_gap": "no"}), BranchOffice) == {staffed.pk}


@pytest.mark.parametrize(
    ("url", "params"),
    [
        ("/admin/firms/lawfirm/", {"province": "54", "region": "west"}),
        ("/admin/lawyers/lawyer/", {"province": "54", "region": "west"}),
        (
            "/admin/lawyers/trainee/",
            {"province": "54", "cohort_year_year": "2026", "status": "nominated"},
        ),
        (
            "/admin/pairing/secondment/",
            {"province": "54", "start_date_year": "2026", "status": "planned"},
        ),
        ("/admin/pairing/pairingagreement/", {"province": "54", "region": "west"}),
        ("/admin/pairing/quota/", {"year_year": "2026", "province": "54"}),
        ("/admin/pairing/progressreport/", {"province": "54", "due_date_year": "2026"}),
        ("/admin/branches/posting/", {"province": "54", "start_date_year": "2026"}),
        ("/admin/branches/servicerecord/", {"province": "54", "served_on_year": "2026"}),
    ],
)
def test_every_filter_answers(client, users, url, params):
    client.force_login(users["ministry"])
    response = client.get(url, params)
    # an unknown or broken filter makes the admin redirect to ?e=1 instead
    assert response.status_code == 200
