"""The daily sweep: each rule fires on the right day for the right people, once; working
days follow the holiday calendar (国庆, 春节, 调休 Saturdays; Mon–Fri where the table has
no data); reminders stop when the work is done; escalation; unreachable recipients are
reported; a rerun, a concurrent run or a backfill never writes a notification twice."""

from __future__ import annotations

import datetime as dt
import logging
import threading

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext

from branches.models import Posting
from pairing.models import PairingStatus, ProgressReport, ReportStatus, SecondmentStatus
from reminders.models import Channel, DayUnit, DeliveryState, Notification, ReminderRule, SweepRun
from reminders.sweep import run_sweep
from tests.factories import (
    BranchOfficeFactory,
    FirmPairingFactory,
    LawFirmFactory,
    PairingAgreementFactory,
    PostingFactory,
    QuotaFactory,
    SecondmentFactory,
)

D = dt.date


def rule(kind="report_due", recipients=("pairing_bars", "pairing_firms"), **extra) -> ReminderRule:
    values = {
        "name": f"{kind} {extra}",
        "kind": kind,
        "offset": -3,
        "offset_unit": DayUnit.WORKING,
        "recipients": list(recipients),
    } | extra
    return ReminderRule.objects.create(**values)


@pytest.fixture
def pairing(users, regions):
    """An active 湖南 (helper) – 西藏 (recipient) pairing; both firms have e-mail."""
    agreement = PairingAgreementFactory(
        helper_province=regions["43"], recipient_province=regions["54"]
    )
    return FirmPairingFactory(
        agreement=agreement,
        helper_firm=LawFirmFactory(province=regions["43"], email="helper@firm.example"),
        recipient_firm=LawFirmFactory(province=regions["54"], email="recipient@firm.example"),
        status=PairingStatus.ACTIVE,
    )


def report(pairing, due: dt.date, status=ReportStatus.DRAFT) -> ProgressReport:
    return ProgressReport.objects.create(
        pairing=pairing,
        period_start=D(due.year, 1, 1) if due.month > 6 else D(due.year - 1, 7, 1),
        period_end=due - dt.timedelta(days=15),
        due_date=due,
        status=status,
    )


def sent_on(day: dt.date, **filters) -> list[Notification]:
    with time_machine.travel(dt.datetime.combine(day, dt.time(8)), tick=False):
        run_sweep(on=day)
    return list(Notification.objects.filter(**filters).order_by("pk"))


def days_that_send(the_rule, days) -> list[dt.date]:
    fired = []
    for day in days:
        before = Notification.objects.count()
        run_sweep(on=day, rule_ids=[the_rule.pk])
        if Notification.objects.count() > before:
            fired.append(day)
    return fired


def span(first: dt.date, last: dt.date) -> list[dt.date]:
    return [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]


# --- recipients ------------------------------------------------------------------------------------
def test_a_report_reminder_goes_to_both_bar_associations_and_both_firms_only(users, pairing):
    the_rule = rule(offset=-3)
    due = D(2026, 11, 30)  # Monday; 3 working days before: Wednesday 25th
    report(pairing, due)
    notes = sent_on(D(2026, 11, 25), rule=the_rule)
    in_app = {n.recipient.username for n in notes if n.channel == Channel.IN_APP}
    emails = {n.address or n.recipient.email for n in notes if n.channel == Channel.EMAIL}
    assert in_app == {"hunan_bar", "xizang_bar"}
    assert {"helper@firm.example", "recipient@firm.example"} <= emails
    assert all(n.state == DeliveryState.SENT for n in notes if n.channel == Channel.IN_APP)
    assert all(n.state == DeliveryState.PENDING for n in notes if n.channel == Channel.EMAIL)
    assert all("2026-11-30" in n.subject for n in notes)
    assert all(n.link.startswith("/admin/pairing/progressreport/") for n in notes)


def test_the_rule_fires_on_its_day_and_no_other(users, pairing):
    the_rule = rule(offset=-3)
    report(pairing, D(2026, 11, 30))
    assert days_that_send(the_rule, span(D(2026, 11, 16), D(2026, 12, 4))) == [D(2026, 11, 25)]


# --- holidays -----------------------------------------------------------------------------------------
def test_a_calendar_day_reminder_falling_in_the_national_day_week_goes_out_before_it(
    users, pairing
):
    # due Fri 9 Oct 2026; 5 calendar days before is Sun 4 Oct, inside 国庆 (1–7 Oct):
    # it goes out on the last working day before, Wed 30 Sep
    the_rule = rule(offset=-5, offset_unit=DayUnit.CALENDAR)
    report(pairing, D(2026, 10, 9))
    assert days_that_send(the_rule, span(D(2026, 9, 20), D(2026, 10, 9))) == [D(2026, 9, 30)]


def test_working_days_skip_the_national_day_holiday_and_count_the_tiaoxiu_saturday(users, pairing):
    # due Mon 12 Oct 2026: 1 working day before is Sat 10 Oct (调休, a working day)
    one = rule(offset=-1)
    three = rule(offset=-3, name="three")
    report(pairing, D(2026, 10, 12))
    days = span(D(2026, 9, 28), D(2026, 10, 12))
    assert days_that_send(one, days) == [D(2026, 10, 10)]
    # 3 working days before: Sat 10 (1), Fri 9 (2), Thu 8 Oct (3)
    assert days_that_send(three, days) == [D(2026, 10, 8)]


def test_working_days_across_the_spring_festival(users, pairing):
    # due Tue 24 Feb 2026: Mon 23 is a holiday, 15–22 the festival, Sat 14 Feb a 调休
    # working day (1 before), Fri 13 Feb (2 before)
    the_rule = rule(offset=-2)
    report(pairing, D(2026, 2, 24))
    assert days_that_send(the_rule, span(D(2026, 2, 9), D(2026, 2, 24))) == [D(2026, 2, 13)]


def test_a_year_without_calendar_data_counts_monday_to_friday_and_warns_once(
    users, pairing, caplog
):
    from regions import workdays

    workdays._warned_years.discard(2027)
    the_rule = rule(offset=-2)
    report(pairing, D(2027, 3, 10))  # Wednesday
    with caplog.at_level(logging.WARNING, logger="regions.workdays"):
        fired = days_that_send(the_rule, span(D(2027, 3, 1), D(2027, 3, 10)))
    assert fired == [D(2027, 3, 8)]  # Monday
    warnings = [r for r in caplog.records if "2027" in r.getMessage()]
    assert len(warnings) == 1


def test_nothing_goes_out_on_a_holiday(users, pairing):
    the_rule = rule(offset=0, offset_unit=DayUnit.CALENDAR)
    report(pairing, D(2026, 10, 2))  # a holiday: the reminder goes out on 30 Sep
    assert days_that_send(the_rule, span(D(2026, 9, 29), D(2026, 10, 3))) == [D(2026, 9, 30)]


# --- repeats, stopping, escalation ------------------------------------------------------------------
def test_overdue_reminders_repeat_and_stop_once_the_report_is_submitted(users, pairing):
    the_rule = rule(
        kind="report_overdue", offset=1, repeat_every=2, max_repeats=5, recipients=["pairing_bars"]
    )
    the_report = report(pairing, D(2026, 11, 2))  # Monday
    fired = days_that_send(the_rule, span(D(2026, 11, 2), D(2026, 11, 6)))
    assert fired == [D(2026, 11, 3), D(2026, 11, 5)]  # +1 working day, then every 2
    the_report.status = ReportStatus.SUBMITTED
    the_report.save()
    assert days_that_send(the_rule, span(D(2026, 11, 7), D(2026, 11, 30))) == []
    steps = sorted({n.step for n in Notification.objects.filter(rule=the_rule)})
    assert steps == [0, 1]


def test_escalation_adds_the_provincial_department_then_the_ministry(users, pairing):
    the_rule = rule(
        kind="report_overdue",
        offset=1,
        repeat_every=5,
        max_repeats=4,
        escalate_after=5,
        recipients=["pairing_bars"],
        send_email=False,
    )
    report(pairing, D(2026, 11, 2))
    run_sweep(on=D(2026, 11, 3))  # first notice
    run_sweep(on=D(2026, 11, 10))  # 5 working days later: level 1
    run_sweep(on=D(2026, 11, 17))  # 10: level 2
    by_day = {}
    for n in Notification.objects.filter(rule=the_rule).select_related("recipient"):
        by_day.setdefault(n.step, set()).add((n.recipient.username, n.level))
    assert {u for u, _ in by_day[0]} == {"hunan_bar", "xizang_bar"}
    assert {u for u, _ in by_day[1]} == {"hunan_bar", "xizang_bar", "hunan_dept", "xizang_dept"}
    assert {u for u, _ in by_day[2]} >= {"hunan_dept", "xizang_dept", "ministry"}
    assert {lvl for _, lvl in by_day[2]} == {2}


def test_a_rule_nobody_can_receive_is_reported_not_dropped(users, regions):
    # a pairing between two provinces with no bar association users and firms without e-mail
    agreement = PairingAgreementFactory(
        helper_province=regions["31"], recipient_province=regions["52"]
    )
    lonely = FirmPairingFactory(
        agreement=agreement,
        helper_firm=LawFirmFactory(province=regions["31"]),
        recipient_firm=LawFirmFactory(province=regions["52"]),
        status=PairingStatus.ACTIVE,
    )
    the_rule = rule(offset=-3)
    the_report = report(lonely, D(2026, 11, 30))
    run_sweep(on=D(2026, 11, 25))
    run = SweepRun.objects.get(rule=the_rule, run_on=D(2026, 11, 25))
    assert run.obligations == 1
    assert run.created == 0
    assert run.unreachable[0]["object"] == f"pairing.progressreport:{the_report.pk}"


# --- exactly once ---------------------------------------------------------------------------------------
def test_three_runs_in_a_row_write_each_notification_once(users, pairing):
    the_rule = rule(offset=-3)
    report(pairing, D(2026, 11, 30))
    for _ in range(3):
        run_sweep(on=D(2026, 11, 25))
    notes = Notification.objects.filter(rule=the_rule)
    keys = [(n.recipient_id, n.address, n.channel) for n in notes]
    # 2 bar users in the application, 2 firms by e-mail (the test users have no address)
    assert len(keys) == len(set(keys)) == 4
    run = SweepRun.objects.get(rule=the_rule, run_on=D(2026, 11, 25))
    assert run.created == notes.count()


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_sweeps_write_each_notification_once(users, regions):
    agreement = PairingAgreementFactory(
        helper_province=regions["43"], recipient_province=regions["54"]
    )
    pairing = FirmPairingFactory(
        agreement=agreement,
        helper_firm=LawFirmFactory(province=regions["43"], email="a@firm.example"),
        recipient_firm=LawFirmFactory(province=regions["54"], email="b@firm.example"),
        status=PairingStatus.ACTIVE,
    )
    report(pairing, D(2026, 11, 30))
    the_rule = rule(offset=-3, send_email=False)
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def sweep() -> None:
        try:
            barrier.wait()
            run_sweep(on=D(2026, 11, 25))
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert Notification.objects.filter(rule=the_rule).count() == 2  # the two bar users


def test_a_dry_run_writes_nothing(users, pairing):
    rule(offset=-3)
    report(pairing, D(2026, 11, 30))
    results = run_sweep(on=D(2026, 11, 25), dry_run=True)
    assert sum(len(r.would_send) for r in results) > 0
    assert Notification.objects.count() == 0
    assert SweepRun.objects.count() == 0


def test_the_command_backfills_and_previews(users, pairing, capsys):
    the_rule = rule(offset=-3)
    report(pairing, D(2026, 11, 30))
    call_command("run_reminders", "--date", "2026-11-25", "--dry-run")
    assert Notification.objects.count() == 0
    assert the_rule.name in capsys.readouterr().out
    call_command("run_reminders", "--date", "2026-11-25")
    assert Notification.objects.filter(rule=the_rule).exists()


def test_the_command_refuses_a_bad_date(users):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("run_reminders", "--date", "25/11/2026")


# --- cost -----------------------------------------------------------------------------------------------
def test_queries_per_rule_do_not_grow_with_the_due_rows(users, regions):
    the_rule = rule(offset=-3, send_email=False)

    def pairing_with_reports(n):
        for _ in range(n):
            agreement = PairingAgreementFactory(
                helper_province=regions["43"], recipient_province=regions["54"]
            )
            p = FirmPairingFactory(agreement=agreement, status=PairingStatus.ACTIVE)
            report(p, D(2026, 11, 30))

    pairing_with_reports(1)
    with CaptureQueriesContext(connection) as one:
        run_sweep(on=D(2026, 11, 25))
    Notification.objects.all().delete()
    SweepRun.objects.all().delete()
    pairing_with_reports(30)
    with CaptureQueriesContext(connection) as many:
        run_sweep(on=D(2026, 11, 25))
    assert Notification.objects.filter(rule=the_rule).count() == 31 * 2
    assert len(many) == len(one)


# --- the other kinds ---------------------------------------------------------------------------------------
def test_a_secondment_starting_soon_reminds_host_firm_mentor_and_home_bar(users, regions):
    the_rule = rule(
        kind="secondment_starting", recipients=["host_firm", "mentor", "home_bar"], offset=-5
    )
    host = LawFirmFactory(province=regions["43"], email="host@firm.example")
    secondment = SecondmentFactory(
        host_firm=host, start_date=D(2026, 12, 7), status=SecondmentStatus.PLANNED
    )
    secondment.mentor.email = "mentor@lawyer.example"
    secondment.mentor.save()
    notes = sent_on(D(2026, 11, 30), rule=the_rule)  # 5 working days before Mon 7 Dec
    assert {n.address for n in notes if n.address} == {"host@firm.example", "mentor@lawyer.example"}
    assert {n.recipient.username for n in notes if n.recipient} == {"xizang_bar"}  # trainee's home


def test_an_evaluation_overdue_reminds_the_mentor_and_the_host_department(users, regions):
    the_rule = rule(kind="evaluation_overdue", recipients=["mentor", "host_department"], offset=1)
    host = LawFirmFactory(province=regions["43"])
    secondment = SecondmentFactory(
        host_firm=host,
        start_date=D(2026, 9, 1),
        end_date=D(2026, 10, 16),
        status=SecondmentStatus.COMPLETED,
    )
    secondment.mentor.email = "mentor@lawyer.example"
    secondment.mentor.save()
    # due 14 days after the end: Fri 30 Oct; +1 working day: Mon 2 Nov
    notes = sent_on(D(2026, 11, 2), rule=the_rule)
    assert {n.address for n in notes if n.address} == {"mentor@lawyer.example"}
    assert {n.recipient.username for n in notes if n.recipient} == {"hunan_dept"}
    secondment.evaluation_grade = "good"
    secondment.save()
    assert days_that_send(the_rule, [D(2026, 11, 3)]) == []


def test_a_staffing_gap_ahead_reminds_the_province_once_per_gap(users, regions):
    the_rule = rule(
        kind="staffing_gap", recipients=["province_department"], horizon_days=30, offset=0
    )
    branch = BranchOfficeFactory(minimum_staff=1)  # in 西藏
    PostingFactory(branch=branch, start_date=D(2026, 1, 1), end_date=D(2026, 12, 10))
    assert days_that_send(the_rule, [D(2026, 11, 2)]) == []  # the gap (11 Dec) is 39 days away
    assert days_that_send(the_rule, [D(2026, 11, 11), D(2026, 11, 12)]) == [D(2026, 11, 11)]
    note = Notification.objects.get(rule=the_rule)
    assert note.due_date == D(2026, 12, 11)
    assert note.recipient.username == "xizang_dept"
    # a successor posting closes the gap: nothing more
    PostingFactory(branch=branch, start_date=D(2026, 12, 11))
    assert days_that_send(the_rule, [D(2026, 11, 13)]) == []


def test_a_posting_ending_without_successor_is_reminded_and_one_with_a_successor_is_not(
    users, regions
):
    the_rule = rule(kind="posting_ending", recipients=["province_bar"], offset=-10)
    lonely = PostingFactory(start_date=D(2026, 1, 1), end_date=D(2026, 12, 31))
    covered = PostingFactory(start_date=D(2026, 1, 1), end_date=D(2026, 12, 31))
    PostingFactory(branch=covered.branch, start_date=D(2027, 1, 1))
    notes = sent_on(D(2026, 12, 17), rule=the_rule)  # 10 working days before 31 Dec
    assert {n.object_id for n in notes} == {str(lonely.pk)}
    assert isinstance(Posting.objects.get(pk=lonely.pk), Posting)


def test_an_agreement_ending_reminds_both_departments(users, regions):
    the_rule = rule(kind="agreement_ending", recipients=["province_department"], offset=-20)
    PairingAgreementFactory(
        helper_province=regions["43"], recipient_province=regions["54"], term_end=D(2026, 12, 31)
    )
    notes = sent_on(D(2026, 12, 3), rule=the_rule)  # 20 working days before 31 Dec
    assert {n.recipient.username for n in notes} == {"hunan_dept", "xizang_dept"}


def test_unfilled_quota_seats_remind_the_host_province_before_the_year_ends(users, regions):
    the_rule = rule(kind="quota_unfilled", recipients=["province_department"], offset=-15)
    QuotaFactory(year=2026, seats=5, hosts=[regions["43"]], sources=[regions["54"]])
    full = QuotaFactory(year=2026, seats=1, hosts=[regions["54"]], sources=[regions["43"]])
    SecondmentFactory(quota=full)
    notes = sent_on(D(2026, 12, 10), rule=the_rule)  # 15 working days before 31 Dec
    assert {n.recipient.username for n in notes} == {"hunan_dept"}


def test_the_daily_sweep_is_scheduled_at_eight_shanghai_time_and_runs_as_a_task(users, pairing):
    from config.celery import app
    from reminders.tasks import run_daily_sweep

    entry = app.conf.beat_schedule["daily-reminder-sweep"]
    assert entry["task"] == "reminders.tasks.run_daily_sweep"
    assert entry["schedule"].hour == {8}
    assert entry["schedule"].minute == {0}
    assert app.conf.timezone == "Asia/Shanghai"
    the_rule = rule(offset=-3, send_email=False)
    report(pairing, D(2026, 11, 30))
    assert run_daily_sweep.run("2026-11-25")[str(the_rule.pk)] == 2
    with pytest.raises(ValueError, match="YYYY-MM-DD"):
        run_daily_sweep.run("25.11.2026")


def test_the_demo_sweeps_the_default_rules_over_two_weeks(users):
    from django.conf import settings
    from django.utils.module_loading import import_string

    from tests.conftest import TODAY

    for loader in settings.DEMO_LOADERS:
        summary = import_string(loader)(today=TODAY)
    assert "notifications" in summary
    assert (
        SweepRun.objects.filter(run_on=TODAY).count()
        == ReminderRule.objects.filter(enabled=True).count()
    )
    assert Notification.objects.filter(channel=Channel.IN_APP).exists()
