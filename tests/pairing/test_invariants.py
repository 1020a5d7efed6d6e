"""The programme's invariants (DESIGN.md), through the services and on raw writes."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import translation

from core.exceptions import ApplicationError
from lawyers.models import Trainee
from lawyers.services import nominate_trainee
from pairing.models import (
    FirmPairing,
    PairingStatus,
    ProgressReport,
    ReportStatus,
    Secondment,
    SecondmentStatus,
)
from pairing.services import (
    activate_pairing,
    book_secondment,
    complete_secondment,
    propose_pairing,
    return_report,
    start_secondment,
)
from tests.factories import (
    FirmPairingFactory,
    LawFirmFactory,
    LawyerFactory,
    PairingAgreementFactory,
    QuotaFactory,
    SecondmentFactory,
    TraineeFactory,
    province,
)


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def ministry(users):
    return users["ministry"]


@pytest.fixture
def agreement(regions):
    return PairingAgreementFactory()  # 北京 (11) helps 西藏 (54)


def all_messages(exc: ValidationError) -> str:
    return " ".join(exc.messages)


def build_secondment(**kwargs) -> Secondment:
    """An unsaved secondment whose related rows exist (for the services and raw writes)."""
    host_firm = kwargs.pop("host_firm", None) or LawFirmFactory()
    values = {
        "trainee": kwargs.pop("trainee", None) or TraineeFactory(),
        "host_firm": host_firm,
        "mentor": kwargs.pop("mentor", None) or LawyerFactory(firm=host_firm),
        "quota": kwargs.pop("quota", None) or QuotaFactory(),
        "start_date": dt.date(2026, 4, 1),
        "end_date": dt.date(2026, 5, 15),
    }
    values.update(kwargs)
    return Secondment(**values)


def build_pairing(**kwargs) -> FirmPairing:
    """An unsaved pairing whose agreement and firms exist."""
    agreement = kwargs.pop("agreement", None) or PairingAgreementFactory()
    values = {
        "agreement": agreement,
        "helper_firm": kwargs.pop("helper_firm", None)
        or LawFirmFactory(province=agreement.helper_province),
        "recipient_firm": kwargs.pop("recipient_firm", None)
        or LawFirmFactory(province=agreement.recipient_province),
    }
    values.update(kwargs)
    return FirmPairingFactory.build(**values)


# --- 1对1 firm pairings ---------------------------------------------------------------------


def test_a_firm_cannot_be_in_two_active_pairings_as_helper(ministry, agreement):
    first = FirmPairingFactory(status=PairingStatus.ACTIVE)
    second = propose_pairing(actor=ministry, pairing=build_pairing(helper_firm=first.helper_firm))
    with pytest.raises(ValidationError) as info:
        activate_pairing(actor=ministry, pairing=second)
    assert "helper firm" in all_messages(info.value).lower()
    second.refresh_from_db()
    assert second.status == PairingStatus.PROPOSED
    assert FirmPairing.objects.filter(status=PairingStatus.ACTIVE).count() == 1


def test_a_firm_cannot_be_in_two_active_pairings_as_recipient(ministry, agreement):
    first = FirmPairingFactory(status=PairingStatus.ACTIVE)
    second = FirmPairingFactory(recipient_firm=first.recipient_firm)
    with pytest.raises(ValidationError) as info:
        activate_pairing(actor=ministry, pairing=second)
    assert "recipient firm" in all_messages(info.value).lower()
    assert FirmPairing.objects.filter(status=PairingStatus.ACTIVE).count() == 1


def test_activation_after_the_first_pairing_ended_is_allowed(ministry, agreement):
    first = FirmPairingFactory(status=PairingStatus.ENDED, ended_on=dt.date(2026, 6, 1))
    second = FirmPairingFactory(helper_firm=first.helper_firm)
    assert activate_pairing(actor=ministry, pairing=second).status == PairingStatus.ACTIVE


def test_raw_bulk_create_of_a_second_active_pairing_is_refused(agreement):
    first = FirmPairingFactory(status=PairingStatus.ACTIVE)
    duplicate = build_pairing(
        helper_firm=first.helper_firm,
        recipient_firm=LawFirmFactory(province=agreement.recipient_province),
        status=PairingStatus.ACTIVE,
    )
    other = build_pairing(
        helper_firm=LawFirmFactory(),
        recipient_firm=LawFirmFactory(province=agreement.recipient_province),
        status=PairingStatus.ACTIVE,
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        FirmPairing.objects.bulk_create([other, duplicate])
    assert FirmPairing.objects.count() == 1  # nothing of the batch was saved


def test_raw_update_to_a_second_active_pairing_is_refused(agreement):
    first = FirmPairingFactory(status=PairingStatus.ACTIVE)
    second = FirmPairingFactory(recipient_firm=first.recipient_firm)
    with pytest.raises(IntegrityError), transaction.atomic():
        FirmPairing.objects.filter(pk=second.pk).update(status=PairingStatus.ACTIVE)
    second.refresh_from_db()
    assert second.status == PairingStatus.PROPOSED


def test_a_firm_cannot_pair_with_itself(ministry, regions, agreement):
    firm = LawFirmFactory()
    with pytest.raises(ValidationError) as info:
        propose_pairing(
            actor=ministry,
            pairing=build_pairing(helper_firm=firm, recipient_firm=firm),
        )
    assert "cannot be paired with itself" in all_messages(info.value)
    assert not FirmPairing.objects.exists()
    with pytest.raises(IntegrityError), transaction.atomic():
        FirmPairing.objects.bulk_create([build_pairing(helper_firm=firm, recipient_firm=firm)])
    assert not FirmPairing.objects.exists()


def test_helper_firm_must_lie_in_the_agreements_helper_province(ministry, regions, agreement):
    shanghai_firm = LawFirmFactory(province=regions["31"])
    with pytest.raises(ValidationError) as info:
        propose_pairing(actor=ministry, pairing=build_pairing(helper_firm=shanghai_firm))
    assert set(info.value.message_dict) == {"helper_firm"}
    assert not FirmPairing.objects.exists()


def test_recipient_firm_must_lie_in_the_agreements_recipient_province(ministry, regions, agreement):
    firm = LawFirmFactory(province=regions["65"])
    with pytest.raises(ValidationError) as info:
        propose_pairing(actor=ministry, pairing=build_pairing(recipient_firm=firm))
    assert set(info.value.message_dict) == {"recipient_firm"}


# --- trainees ---------------------------------------------------------------------------------


def nominate(ministry, *, birth_date, home="54"):
    home_province = province(home)
    lawyer = LawyerFactory(
        province=home_province, firm=LawFirmFactory(province=home_province), birth_date=birth_date
    )
    trainee = TraineeFactory.build(
        lawyer=lawyer, home_province=home_province, selection_date=dt.date(2026, 3, 1)
    )
    return nominate_trainee(actor=ministry, trainee=trainee, today=dt.date(2026, 3, 1))


def test_a_trainee_turning_40_on_the_selection_date_is_refused(ministry, regions):
    with pytest.raises(ValidationError) as info:
        nominate(ministry, birth_date=dt.date(1986, 3, 1))
    assert "lawyer" in info.value.message_dict
    assert "under 40" in info.value.message_dict["lawyer"][0]
    assert not Trainee.objects.exists()


def test_a_trainee_of_39_is_accepted(ministry, regions):
    trainee = nominate(ministry, birth_date=dt.date(1986, 3, 2))
    assert Trainee.objects.filter(pk=trainee.pk).exists()


def test_a_trainee_from_a_helper_province_is_refused(ministry, regions):
    with pytest.raises(ValidationError) as info:
        nominate(ministry, birth_date=dt.date(1995, 1, 1), home="11")
    assert "home_province" in info.value.message_dict
    assert not Trainee.objects.exists()


# --- secondments -----------------------------------------------------------------------------


def test_a_valid_secondment_is_booked(ministry, agreement):
    s = book_secondment(actor=ministry, secondment=build_secondment())
    assert Secondment.objects.get(pk=s.pk).status == SecondmentStatus.PLANNED


@pytest.mark.parametrize(
    ("end", "ok"),
    [
        (dt.date(2026, 4, 29), False),  # one month less two days
        (dt.date(2026, 4, 30), True),  # one month, inclusive
        (dt.date(2026, 5, 31), True),  # two months, inclusive
        (dt.date(2026, 6, 1), False),
    ],
)
def test_a_secondment_lasts_one_to_two_months(ministry, agreement, end, ok):
    secondment = build_secondment(end_date=end)
    if ok:
        book_secondment(actor=ministry, secondment=secondment)
        assert Secondment.objects.count() == 1
    else:
        with pytest.raises(ValidationError) as info:
            book_secondment(actor=ministry, secondment=secondment)
        assert "one to two months" in all_messages(info.value)
        assert not Secondment.objects.exists()


@pytest.mark.parametrize("days", [5, 26, 62, 120])
def test_raw_write_outside_one_to_two_months_violates_the_check_constraint(agreement, days):
    s = build_secondment(end_date=dt.date(2026, 4, 1) + dt.timedelta(days=days))
    with pytest.raises(IntegrityError, match="secondment_one_to_two_months"), transaction.atomic():
        Secondment.objects.bulk_create([s])
    assert not Secondment.objects.exists()


def test_a_trainees_secondments_never_overlap(ministry, agreement):
    first = book_secondment(actor=ministry, secondment=build_secondment())
    overlapping = build_secondment(
        trainee=first.trainee,
        quota=first.quota,
        start_date=dt.date(2026, 5, 15),  # the first's last day
        end_date=dt.date(2026, 6, 30),
    )
    with pytest.raises(ValidationError) as info:
        book_secondment(actor=ministry, secondment=overlapping)
    assert "start_date" in info.value.message_dict
    assert Secondment.objects.count() == 1
    # the day after is fine
    overlapping.start_date = dt.date(2026, 5, 16)
    overlapping.pk = None
    book_secondment(actor=ministry, secondment=overlapping)
    assert Secondment.objects.count() == 2


def test_raw_overlapping_secondments_violate_the_exclusion_constraint(agreement):
    first = SecondmentFactory()
    clash = build_secondment(
        trainee=first.trainee,
        quota=first.quota,
        start_date=first.start_date + dt.timedelta(days=10),
        end_date=first.start_date + dt.timedelta(days=50),
    )
    with (
        pytest.raises(IntegrityError, match="secondment_no_overlap_per_trainee"),
        transaction.atomic(),
    ):
        Secondment.objects.bulk_create([clash])
    assert Secondment.objects.count() == 1


def test_a_cancelled_secondment_does_not_block_the_dates(agreement):
    first = SecondmentFactory(status=SecondmentStatus.CANCELLED, cancel_reason="生病")
    again = build_secondment(trainee=first.trainee, quota=first.quota)
    Secondment.objects.bulk_create([again])
    assert Secondment.objects.count() == 2


def test_the_mentor_must_work_at_the_host_firm(ministry, agreement):
    elsewhere = LawyerFactory(firm=LawFirmFactory())
    with pytest.raises(ValidationError) as info:
        book_secondment(actor=ministry, secondment=build_secondment(mentor=elsewhere))
    assert "mentor" in info.value.message_dict
    assert not Secondment.objects.exists()


def test_host_province_must_help_the_trainees_home_province(ministry, regions, agreement):
    shanghai = regions["31"]
    host = LawFirmFactory(province=shanghai)
    quota = QuotaFactory(hosts=[shanghai])  # the quota would allow it; no agreement 31→54
    with pytest.raises(ValidationError) as info:
        book_secondment(actor=ministry, secondment=build_secondment(host_firm=host, quota=quota))
    assert "host_firm" in info.value.message_dict
    assert not Secondment.objects.exists()


def test_quota_seats_are_never_exceeded(ministry, agreement):
    quota = QuotaFactory(seats=1)
    book_secondment(actor=ministry, secondment=build_secondment(quota=quota))
    with pytest.raises(ValidationError) as info:
        book_secondment(actor=ministry, secondment=build_secondment(quota=quota))
    assert "quota" in info.value.message_dict
    assert quota.secondments.count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_bookings_of_the_last_seat(users, regions):
    ministry = users["ministry"]
    PairingAgreementFactory()
    quota = QuotaFactory(seats=1)
    bookings = [build_secondment(quota=quota) for _ in range(2)]
    barrier = threading.Barrier(2)
    outcomes: list[object] = []

    def book(secondment):
        try:
            with translation.override("en"):
                barrier.wait(timeout=10)
                outcomes.append(book_secondment(actor=ministry, secondment=secondment))
        except Exception as exc:
            outcomes.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=book, args=(s,)) for s in bookings]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert len(outcomes) == 2
    successes = [o for o in outcomes if isinstance(o, Secondment)]
    failures = [o for o in outcomes if isinstance(o, ValidationError)]
    assert len(successes) == 1, outcomes
    assert len(failures) == 1, outcomes
    assert "quota" in failures[0].message_dict
    assert "seats are taken" in failures[0].message_dict["quota"][0]
    assert Secondment.objects.filter(quota=quota).count() == 1


# --- state transitions ------------------------------------------------------------------------


def test_a_planned_secondment_cannot_be_completed(ministry, agreement):
    s = book_secondment(actor=ministry, secondment=build_secondment())
    with pytest.raises(ApplicationError) as info:
        complete_secondment(actor=ministry, secondment=s, today=dt.date(2026, 7, 1))
    assert info.value.code == "invalid_transition"
    s.refresh_from_db()
    assert s.status == SecondmentStatus.PLANNED


def test_a_secondment_goes_planned_active_completed(ministry, agreement):
    s = book_secondment(actor=ministry, secondment=build_secondment())
    s = start_secondment(actor=ministry, secondment=s, today=dt.date(2026, 4, 1))
    s = complete_secondment(actor=ministry, secondment=s, today=dt.date(2026, 5, 15))
    assert Secondment.objects.get(pk=s.pk).status == SecondmentStatus.COMPLETED
    with pytest.raises(ApplicationError):
        start_secondment(actor=ministry, secondment=s, today=dt.date(2026, 6, 1))


def test_an_active_pairing_cannot_be_activated_again(ministry, agreement):
    p = FirmPairingFactory(status=PairingStatus.ACTIVE)
    with pytest.raises(ApplicationError):
        activate_pairing(actor=ministry, pairing=p)


# --- progress reports -------------------------------------------------------------------------


@pytest.fixture
def submitted_report(agreement):
    return ProgressReport.objects.create(
        pairing=FirmPairingFactory(status=PairingStatus.ACTIVE),
        period_start=dt.date(2026, 1, 1),
        period_end=dt.date(2026, 3, 31),
        due_date=dt.date(2026, 4, 15),
        status=ReportStatus.SUBMITTED,
        narrative="开展培训两次。",
    )


def test_a_report_cannot_be_returned_without_a_reason(ministry, submitted_report):
    with pytest.raises(ValidationError) as info:
        return_report(actor=ministry, report=submitted_report, reason="   ")
    assert "return_reason" in info.value.message_dict
    submitted_report.refresh_from_db()
    assert submitted_report.status == ReportStatus.SUBMITTED


def test_a_report_returned_with_a_reason(ministry, submitted_report):
    report = return_report(actor=ministry, report=submitted_report, reason="数据不全")
    report.refresh_from_db()
    assert (report.status, report.return_reason) == (ReportStatus.RETURNED, "数据不全")


def test_raw_write_returning_a_report_without_a_reason_is_refused(submitted_report):
    with pytest.raises(IntegrityError, match="report_return_needs_reason"), transaction.atomic():
        ProgressReport.objects.filter(pk=submitted_report.pk).update(status=ReportStatus.RETURNED)
    submitted_report.refresh_from_db()
    assert submitted_report.status == ReportStatus.SUBMITTED
