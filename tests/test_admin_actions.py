"""Admin actions go through the services: an intermediate page asks for the reason (and
date), refusals come back as error messages and change nothing, and a crafted selection
cannot reach a record outside the user's province."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.contrib.messages import get_messages

from branches.models import Posting
from pairing.models import (
    FirmPairing,
    PairingStatus,
    ProgressReport,
    ReportStatus,
    Secondment,
    SecondmentStatus,
)
from tests.adminutil import changelist_url, visible_text
from tests.factories import (
    BranchOfficeFactory,
    FirmPairingFactory,
    LawFirmFactory,
    PairingAgreementFactory,
    PostingFactory,
    QuotaFactory,
    SecondmentFactory,
    TraineeFactory,
)

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 11, 27)


@pytest.fixture(autouse=True)
def fixed_today():
    # noon in Asia/Shanghai on TODAY: the actions read timezone.localdate()
    with time_machine.travel(dt.datetime(2026, 11, 27, 4, 0, tzinfo=dt.UTC), tick=False):
        yield


@pytest.fixture
def admin_client(client, users):
    client.force_login(users["ministry"])
    return client


def run_action(client, model, action: str, objects, **inputs):
    data = {"action": action, "_selected_action": [o.pk for o in objects], "index": "0"}
    data.update(inputs)
    return client.post(changelist_url(model), data)


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.fixture
def secondment(regions):
    PairingAgreementFactory()  # 北京 helps 西藏
    return SecondmentFactory()


# --- secondments ---------------------------------------------------------------------------


def test_cancel_secondment_asks_for_the_reason_first(admin_client, secondment):
    response = run_action(admin_client, Secondment, "cancel_secondments", [secondment])
    assert response.status_code == 200
    assert response.templates[0].name == "admin/action_input.html"
    page = visible_text(response)
    assert "取消所选跟班学习" in page
    assert 'name="reason"' in page
    secondment.refresh_from_db()
    assert secondment.status == SecondmentStatus.PLANNED
    assert secondment.cancel_reason == ""


def test_cancel_secondment_with_a_reason_cancels_it(admin_client, secondment):
    response = run_action(
        admin_client,
        Secondment,
        "cancel_secondments",
        [secondment],
        apply="1",
        reason="  家中有事  ",
    )
    assert response.status_code == 302
    secondment.refresh_from_db()
    assert secondment.status == SecondmentStatus.CANCELLED
    assert secondment.cancel_reason == "家中有事"
    assert any("已完成 1 项" in m for m in messages_of(response))


def test_cancel_secondment_with_an_empty_reason_is_asked_again(admin_client, secondment):
    response = run_action(
        admin_client, Secondment, "cancel_secondments", [secondment], apply="1", reason=""
    )
    assert response.status_code == 200
    assert "reason" in response.context["form"].errors
    assert "该字段是必填项。" in visible_text(response)
    secondment.refresh_from_db()
    assert secondment.status == SecondmentStatus.PLANNED


def test_completing_a_planned_secondment_fails_and_changes_nothing(admin_client, secondment):
    response = run_action(admin_client, Secondment, "complete_secondments", [secondment])
    assert response.status_code == 302
    messages = messages_of(response)
    assert any("状态：不能从“计划中”变为“已完成”" in m for m in messages), messages
    assert not any("已完成 1 项" in m for m in messages)
    secondment.refresh_from_db()
    assert secondment.status == SecondmentStatus.PLANNED


# --- pairings and reports ------------------------------------------------------------------


@pytest.fixture
def active_pairing(regions):
    return FirmPairingFactory(status=PairingStatus.ACTIVE)


def test_dissolve_pairing_needs_a_reason(admin_client, active_pairing):
    first = run_action(admin_client, FirmPairing, "dissolve_pairings", [active_pairing])
    assert first.status_code == 200
    assert "解除所选结对" in visible_text(first)
    empty = run_action(
        admin_client, FirmPairing, "dissolve_pairings", [active_pairing], apply="1", reason=" "
    )
    assert empty.status_code == 200
    assert "reason" in empty.context["form"].errors
    assert "该字段是必填项。" in visible_text(empty)
    active_pairing.refresh_from_db()
    assert active_pairing.status == PairingStatus.ACTIVE

    done = run_action(
        admin_client,
        FirmPairing,
        "dissolve_pairings",
        [active_pairing],
        apply="1",
        reason="帮扶方律所解散",
    )
    assert done.status_code == 302
    active_pairing.refresh_from_db()
    assert active_pairing.status == PairingStatus.DISSOLVED
    assert active_pairing.dissolve_reason == "帮扶方律所解散"
    assert active_pairing.ended_on == TODAY


@pytest.fixture
def submitted_report(active_pairing):
    return ProgressReport.objects.create(
        pairing=active_pairing,
        period_start=dt.date(2026, 1, 1),
        period_end=dt.date(2026, 6, 30),
        due_date=dt.date(2026, 7, 15),
        status=ReportStatus.SUBMITTED,
        narrative="上半年开展培训三次。",
    )


def test_return_report_needs_a_reason_and_sets_returned(admin_client, submitted_report):
    first = run_action(admin_client, ProgressReport, "return_reports", [submitted_report])
    assert first.status_code == 200
    assert "退回所选进展报告修改" in visible_text(first)
    submitted_report.refresh_from_db()
    assert submitted_report.status == ReportStatus.SUBMITTED

    done = run_action(
        admin_client,
        ProgressReport,
        "return_reports",
        [submitted_report],
        apply="1",
        reason="缺少培训人数",
    )
    assert done.status_code == 302
    submitted_report.refresh_from_db()
    assert submitted_report.status == ReportStatus.RETURNED
    assert submitted_report.return_reason == "缺少培训人数"


# --- postings ------------------------------------------------------------------------------


@pytest.fixture
def only_posting(regions):
    """The one fully dispatched lawyer of a branch that needs one."""
    return PostingFactory(branch=BranchOfficeFactory(minimum_staff=1))


def end_posting_inputs(**more):
    return {"apply": "1", "reason": "轮换期满", "end_date": "2026-12-10", **more}


def test_ending_the_last_posting_without_confirmation_is_refused(admin_client, only_posting):
    response = run_action(
        admin_client, Posting, "end_postings", [only_posting], **end_posting_inputs()
    )
    assert response.status_code == 302
    messages = messages_of(response)
    assert any("分所将自 2026-12-11 起人员不足" in m for m in messages), messages
    only_posting.refresh_from_db()
    assert only_posting.end_date is None
    assert only_posting.end_reason == ""
    assert only_posting.gap_confirmed is False


def test_ending_the_last_posting_with_confirmation_records_it(admin_client, only_posting):
    response = run_action(
        admin_client,
        Posting,
        "end_postings",
        [only_posting],
        **end_posting_inputs(confirm_gap="on"),
    )
    assert response.status_code == 302
    only_posting.refresh_from_db()
    assert only_posting.end_date == dt.date(2026, 12, 10)
    assert only_posting.end_reason == "轮换期满"
    assert only_posting.gap_confirmed is True


def test_ending_a_posting_of_a_staffed_branch_needs_no_confirmation(admin_client, only_posting):
    PostingFactory(branch=only_posting.branch, start_date=dt.date(2026, 2, 1))
    response = run_action(
        admin_client, Posting, "end_postings", [only_posting], **end_posting_inputs()
    )
    assert response.status_code == 302
    only_posting.refresh_from_db()
    assert only_posting.end_date == dt.date(2026, 12, 10)
    assert only_posting.gap_confirmed is False


# --- scope ---------------------------------------------------------------------------------


def test_a_department_cannot_act_on_another_provinces_record_by_crafting_ids(
    client, users, regions
):
    hunan, chongqing = regions["43"], regions["50"]
    PairingAgreementFactory()  # 北京 → 西藏: involves no 湖南
    PairingAgreementFactory(helper_province=hunan, recipient_province=chongqing)
    xizang_one = SecondmentFactory()
    hunan_one = SecondmentFactory(
        trainee=TraineeFactory(home_province=chongqing),
        host_firm=LawFirmFactory(province=hunan),
        quota=QuotaFactory(hosts=[hunan], sources=[chongqing]),
    )
    client.force_login(users["hunan_dept"])
    response = run_action(
        client,
        Secondment,
        "cancel_secondments",
        [xizang_one, hunan_one],
        apply="1",
        reason="伪造的选择",
    )
    assert response.status_code == 302
    xizang_one.refresh_from_db()
    hunan_one.refresh_from_db()
    assert xizang_one.status == SecondmentStatus.PLANNED
    assert xizang_one.cancel_reason == ""
    # the same request did act on the department's own record: the path itself works
    assert hunan_one.status == SecondmentStatus.CANCELLED


def test_a_department_cannot_end_another_provinces_posting(client, users, regions):
    posting = PostingFactory()  # 北京 firm, 西藏 branch, 北京 lawyer
    client.force_login(users["hunan_dept"])
    response = run_action(
        client, Posting, "end_postings", [posting], **end_posting_inputs(confirm_gap="on")
    )
    assert response.status_code in (200, 302)
    posting.refresh_from_db()
    assert posting.end_date is None
    assert posting.gap_confirmed is False
