"""The spreadsheet import enforces every rule the services enforce (issue 22 §1), by
calling the same rule functions: for each rule, the same change is tried through the
service and through an import; both refuse it, with the same message where the service
and the import share the check, and nothing is written.

Rules: quota seats (a new booking, a move onto a full quota), one active pairing per firm,
no overlapping postings, the staffing-gap confirmation, state transitions (a started
secondment, a closed pairing), scope.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from accounts.imports import IMPORT_LANGUAGE, run_import
from branches.models import Posting, PostingKind
from branches.resources import PostingResource
from branches.services import add_posting, save_posting
from core.exceptions import ApplicationError
from pairing.models import FirmPairing, PairingStatus, Secondment, SecondmentStatus
from pairing.resources import FirmPairingResource, SecondmentResource
from pairing.services import (
    activate_pairing,
    book_secondment,
    change_pairing,
    change_secondment,
)
from tests.factories import (
    BranchOfficeFactory,
    FirmPairingFactory,
    LawFirmFactory,
    LawyerFactory,
    PairingAgreementFactory,
    PostingFactory,
    QuotaFactory,
    SecondmentFactory,
    TraineeFactory,
    province,
)

from .files import table

TODAY = dt.datetime(2026, 6, 10, 9, 0, tzinfo=dt.UTC)
LEVEL = "司法厅（局）"  # AgreementLevel.JUSTICE_DEPARTMENT, as the import reads it

SECONDMENT = [
    "学员执业证号",
    "开始日期",
    "结束日期",
    "接收律所统一社会信用代码",
    "导师执业证号",
    "名额名称",
]
PAIRING = [
    "帮扶方律所统一社会信用代码",
    "受援方律所统一社会信用代码",
    "结对开始日期",
    "帮扶模式",
    "协议层级",
]
POSTING = ["律师执业证号", "分所统一社会信用代码", "开始日期", "派驻方式", "已签派驻协议"]


def secondment_row(s: Secondment, **changes: Any) -> list[str]:
    values = {
        "trainee": s.trainee.lawyer.current_licence_no,
        "start": s.start_date.isoformat(),
        "end": s.end_date.isoformat(),
        "host": s.host_firm.credit_code,
        "mentor": s.mentor.current_licence_no,
        "quota": s.quota.name,
        **changes,
    }
    return list(values.values())


def posting_row(p: Posting, *, agreement: str = "是") -> list[str]:
    kind = dict(PostingKind.choices)[p.kind]
    start = p.start_date.isoformat()
    return [p.lawyer.current_licence_no, p.branch.credit_code, start, str(kind), agreement]


def messages_of(exc: Exception) -> list[str]:
    if isinstance(exc, ValidationError):
        return [str(m) for m in exc.messages]
    if isinstance(exc, ApplicationError):
        return [str(exc.message)]
    return [str(exc)]


@dataclass
class Attempt:
    """One change, as the service is asked for it and as a file asks for it."""

    service: Callable[[], Any]  # raises when the service refuses
    resource: type
    headers: list[str]
    rows: list[list[str]]
    unchanged: Callable[[], Any]  # what must be the same after both attempts
    #: what the import path does after the file (e.g. the service it leaves a step to)
    after_import: Callable[[], Any] | None = None
    same_message: bool = True


def quota_seats_new_booking(users) -> Attempt:
    full = QuotaFactory(seats=1, name="京藏满额")
    held = SecondmentFactory(quota=full)
    newcomer = SecondmentFactory.build(
        trainee=TraineeFactory(), host_firm=held.host_firm, mentor=held.mentor, quota=full
    )
    return Attempt(
        service=lambda: book_secondment(actor=users["ministry"], secondment=newcomer),
        resource=SecondmentResource,
        headers=SECONDMENT,
        rows=[
            [
                newcomer.trainee.lawyer.current_licence_no,
                newcomer.start_date.isoformat(),
                newcomer.end_date.isoformat(),
                held.host_firm.credit_code,
                held.mentor.current_licence_no,
                full.name,
            ]
        ],
        unchanged=lambda: full.seats_taken(),
    )


def quota_seats_move(users) -> Attempt:
    full = QuotaFactory(seats=1, name="京藏满额")
    held = SecondmentFactory(quota=full)
    moving = SecondmentFactory(host_firm=held.host_firm, mentor=held.mentor)

    def service():
        changed = Secondment.objects.get(pk=moving.pk)
        changed.quota = full
        change_secondment(actor=users["ministry"], secondment=changed)

    return Attempt(
        service=service,
        resource=SecondmentResource,
        headers=SECONDMENT,
        rows=[secondment_row(moving, quota=full.name)],
        unchanged=lambda: (full.seats_taken(), Secondment.objects.get(pk=moving.pk).quota_id),
    )


def one_active_pairing_per_firm(users) -> Attempt:
    active = FirmPairingFactory(status=PairingStatus.ACTIVE)
    other = LawFirmFactory(province=active.recipient_firm.province)

    def second_pairing() -> FirmPairing:
        return FirmPairing.objects.get(helper_firm=active.helper_firm, recipient_firm=other)

    def service():
        proposal = FirmPairingFactory(helper_firm=active.helper_firm, recipient_firm=other)
        try:
            activate_pairing(actor=users["ministry"], pairing=proposal)
        finally:
            proposal.delete()

    return Attempt(
        # the import proposes (it never sets a status); activating is the service's step
        service=service,
        resource=FirmPairingResource,
        headers=PAIRING,
        rows=[[active.helper_firm.credit_code, other.credit_code, "2026-01-01", "以强带弱", LEVEL]],
        after_import=lambda: activate_pairing(actor=users["ministry"], pairing=second_pairing()),
        unchanged=lambda: FirmPairing.objects.filter(
            helper_firm=active.helper_firm, status=PairingStatus.ACTIVE
        ).count(),
    )


def posting_overlap(users) -> Attempt:
    posted = PostingFactory(lawyer=LawyerFactory(province=province("54")))
    elsewhere = BranchOfficeFactory()
    overlapping = Posting(
        lawyer=posted.lawyer,
        branch=elsewhere,
        kind=PostingKind.ROTATION,
        start_date=dt.date(2026, 3, 1),
        agreement_signed=True,
    )
    return Attempt(
        service=lambda: add_posting(actor=users["xizang_dept"], posting=overlapping),
        resource=PostingResource,
        headers=POSTING,
        rows=[posting_row(overlapping)],
        unchanged=lambda: Posting.objects.filter(lawyer=posted.lawyer).count(),
    )


def staffing_gap(users) -> Attempt:
    only = PostingFactory(
        branch=BranchOfficeFactory(minimum_staff=1), lawyer=LawyerFactory(province=province("54"))
    )

    def service():
        changed = Posting.objects.get(pk=only.pk)
        changed.agreement_signed = False
        save_posting(actor=users["xizang_dept"], posting=changed)  # without confirm_gap

    return Attempt(
        service=service,
        resource=PostingResource,
        headers=POSTING,
        rows=[posting_row(only, agreement="否")],
        unchanged=lambda: Posting.objects.values_list("checklist_complete", "gap_confirmed").get(
            pk=only.pk
        ),
    )


def started_secondment(users) -> Attempt:
    started = SecondmentFactory(status=SecondmentStatus.ACTIVE)
    later = (started.end_date + dt.timedelta(days=1)).isoformat()

    def service():
        changed = Secondment.objects.get(pk=started.pk)
        changed.end_date = started.end_date + dt.timedelta(days=1)
        change_secondment(actor=users["ministry"], secondment=changed)

    return Attempt(
        service=service,
        resource=SecondmentResource,
        headers=SECONDMENT,
        rows=[secondment_row(started, end=later)],
        unchanged=lambda: Secondment.objects.values_list("end_date", "status").get(pk=started.pk),
    )


def closed_pairing(users) -> Attempt:
    ended = FirmPairingFactory(status=PairingStatus.ENDED, ended_on=dt.date(2026, 5, 1))

    def service():
        changed = FirmPairing.objects.get(pk=ended.pk)
        changed.mode = "strong_with_strong"
        change_pairing(actor=users["ministry"], pairing=changed)

    row = [
        ended.helper_firm.credit_code,
        ended.recipient_firm.credit_code,
        "2026-01-01",
        "强强联合",
    ]
    return Attempt(
        service=service,
        resource=FirmPairingResource,
        headers=PAIRING,
        rows=[row],
        unchanged=lambda: FirmPairing.objects.values_list("mode", "status").get(pk=ended.pk),
    )


def scope(users) -> Attempt:
    """A 湖南 department posts a 西藏 lawyer to a 西藏 branch: not its province's record."""
    branch = BranchOfficeFactory()
    posting = Posting(
        lawyer=LawyerFactory(province=province("54")),
        branch=branch,
        kind=PostingKind.ROTATION,
        start_date=dt.date(2026, 3, 1),
    )
    return Attempt(
        service=lambda: add_posting(actor=users["hunan_dept"], posting=posting),
        resource=PostingResource,
        headers=POSTING,
        rows=[posting_row(posting)],
        unchanged=lambda: Posting.objects.filter(branch=branch).count(),
        # the import refuses at the branch column (it may not pick another province's
        # branch) before the policy's write check would run: another sentence, same rule
        same_message=False,
    )


RULES = {
    "quota seats: a new booking": (quota_seats_new_booking, "ministry"),
    "quota seats: a move onto a full quota": (quota_seats_move, "ministry"),
    "one active pairing per firm": (one_active_pairing_per_firm, "ministry"),
    "posting overlap": (posting_overlap, "xizang_dept"),
    "staffing gap without confirmation": (staffing_gap, "xizang_dept"),
    "state: a started secondment": (started_secondment, "ministry"),
    "state: a closed pairing": (closed_pairing, "ministry"),
    "scope": (scope, "hunan_dept"),
}


@pytest.mark.parametrize("rule", list(RULES))
def test_the_import_refuses_what_the_service_refuses(rule, users, regions):
    arrange, importer = RULES[rule]
    with time_machine.travel(TODAY, tick=False), translation.override(IMPORT_LANGUAGE):
        PairingAgreementFactory()  # 北京 helps 西藏
        attempt = arrange(users)
        before = attempt.unchanged()

        with pytest.raises((ValidationError, ApplicationError, PermissionDenied)) as by_service:
            attempt.service()
        outcome = run_import(
            user=users[importer],
            resource_class=attempt.resource,
            table=table(attempt.headers, attempt.rows),
            dry_run=False,
        )
        if attempt.after_import is not None:
            assert outcome.errors == []  # the file only proposes ...
            with pytest.raises((ValidationError, ApplicationError)) as after:
                attempt.after_import()  # ... and the service refuses the next step
            by_import = messages_of(after.value)
        else:
            assert {e["row"] for e in outcome.errors} == {2}, outcome.errors
            by_import = [e["message"] for e in outcome.errors]

        assert attempt.unchanged() == before
        if attempt.same_message:
            assert by_import == messages_of(by_service.value)
