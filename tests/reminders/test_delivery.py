"""E-mail delivery of notifications on the real Redis broker, a real Celery worker and a
local SMTP server: sent once the server accepts it, 4xx retried with backoff, 5xx failed
with the reason, a row claimed by two senders sent once, cancelled when the work is done,
`sending` left by a dead worker becomes `unknown` and is resent only by staff, and Redis
being down never fails a write and delays e-mails only until it is back."""

from __future__ import annotations

import datetime as dt
import itertools
import socket
import threading
import time
from collections.abc import Callable

import pytest
from django.contrib.messages import get_messages
from django.db import connections
from django.utils import timezone

from config.celery import app
from pairing.models import PairingStatus, ProgressReport, ReportStatus
from reminders import delivery
from reminders.models import (
    Channel,
    DayUnit,
    DeliveryState,
    Notification,
    ReminderRule,
    RuleKind,
)
from reminders.sweep import run_sweep
from reminders.tasks import deliver_notifications, flush_outbox, reap_stale_sending
from tests.adminutil import changelist_url
from tests.factories import FirmPairingFactory, LawFirmFactory, PairingAgreementFactory

D = dt.date
TIMEOUT = 30
DEAD_BROKER = "redis://127.0.0.1:1/0"  # nothing listens on port 1
_seq = itertools.count(1)

worker_test = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def delivery_settings(settings):
    settings.SITE_URL = "https://duikou.example.gov.cn"
    settings.REMINDER_DELIVERY_BATCH = 500
    settings.REMINDER_DELIVERY_MAX_RETRIES = 3
    settings.REMINDER_DELIVERY_RETRY_SECONDS = 0.2  # 0.2, 0.4, 0.8 s
    settings.REMINDER_DELIVERY_RETRY_MAX_SECONDS = 0.8
    settings.REMINDER_BROKER_TIMEOUT = 1


def email_notification(address: str = "mentor@firm.example", **extra) -> Notification:
    values = {
        "channel": Channel.EMAIL,
        "state": DeliveryState.PENDING,
        "address": address,
        "rule_kind": RuleKind.OTHER,  # nothing to check: still open
        "subject": "跟班学习即将开始：张三 → 湖南某律师事务所",
        "body": "张三的跟班学习将于 2026年12月1日 开始，请做好带教准备。",
        "link": "/admin/pairing/secondment/12/change/",
        "object_label": "pairing.secondment",
        "object_id": str(next(_seq)),
        "due_date": D(2026, 12, 1),
    } | extra
    return Notification.objects.create(**values)


def wait_until(condition: Callable[[], bool], what: str, timeout: float = TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def wait_for_state(notification: Notification, *states: str) -> Notification:
    def reached() -> bool:
        notification.refresh_from_db()
        return notification.state in states

    wait_until(reached, f"notification {notification.pk} to become {states}")
    return notification


@pytest.fixture
def dead_broker(monkeypatch) -> None:
    """Publishing goes to a Redis that is not there (the shared Redis keeps running: the
    worker and other tests use it); undone when the test ends."""
    monkeypatch.setitem(app.conf, "broker_write_url", DEAD_BROKER)


# --- sending ---------------------------------------------------------------------------


@pytest.mark.usefixtures("celery_worker")
@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_an_email_is_sent_in_chinese_with_an_absolute_link_and_marked_sent(mailbox):
    notification = email_notification()

    assert delivery.enqueue([notification.pk]) == 1

    wait_for_state(notification, DeliveryState.SENT)
    [message] = mailbox.accepted_to("mentor@firm.example")
    body = message.get_payload(decode=True).decode(message.get_content_charset())
    assert "跟班学习即将开始" in str(email_subject(message))
    assert "张三的跟班学习将于" in body
    assert "截止日期：2026年12月1日" in body
    assert "https://duikou.example.gov.cn/admin/pairing/secondment/12/change/" in body
    assert message["Message-ID"] == f"<notification-{notification.pk}@duikou.example.gov.cn>"
    assert notification.sent_at is not None
    assert notification.enqueued_at is not None
    assert notification.failure_reason == ""


def email_subject(message) -> str:
    from email.header import decode_header, make_header

    return str(make_header(decode_header(message["Subject"])))


@pytest.mark.usefixtures("celery_worker")
@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_smtp_421_twice_then_accepted_arrives_exactly_once(mailbox):
    mailbox.data_replies = ["421 4.3.2 Service busy, try later"] * 2
    notification = email_notification()

    delivery.enqueue([notification.pk])

    wait_for_state(notification, DeliveryState.SENT)
    time.sleep(1.5)  # longer than every backoff: a stray retry would have arrived
    assert mailbox.data_attempts == 3
    assert len(mailbox.accepted_to("mentor@firm.example")) == 1
    notification.refresh_from_db()
    assert notification.state == DeliveryState.SENT
    assert notification.failure_reason == ""


@pytest.mark.usefixtures("celery_worker")
@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_smtp_550_fails_with_the_servers_reason_and_is_not_retried(mailbox):
    mailbox.rcpt_replies = ["550 5.1.1 <nobody@firm.example>: Recipient address rejected"]
    notification = email_notification("nobody@firm.example")

    delivery.enqueue([notification.pk])

    wait_for_state(notification, DeliveryState.FAILED)
    time.sleep(1.5)  # a retry (which the server would accept) would have come by now
    assert mailbox.rcpt_attempts == 1
    assert mailbox.accepted == []
    notification.refresh_from_db()
    assert notification.state == DeliveryState.FAILED
    assert notification.failure_reason.startswith("550 5.1.1")
    assert "Recipient address rejected" in notification.failure_reason
    assert notification.sent_at is None


@pytest.mark.usefixtures("celery_worker")
@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_a_server_refusing_with_4xx_on_every_attempt_ends_failed_after_the_last_retry(
    mailbox, settings
):
    settings.REMINDER_DELIVERY_MAX_RETRIES = 2
    mailbox.data_replies = ["451 4.3.0 Temporary local problem"] * 10
    notification = email_notification()

    delivery.enqueue([notification.pk])

    wait_for_state(notification, DeliveryState.FAILED)
    time.sleep(1)
    assert mailbox.data_attempts == 3  # the first attempt and two retries
    assert mailbox.accepted == []
    notification.refresh_from_db()
    assert notification.failure_reason.startswith("451 4.3.0 Temporary local problem")


@pytest.mark.usefixtures("celery_worker")
@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_an_unreachable_mail_server_is_retried_then_the_email_goes_out(mailbox, settings):
    # the first attempt finds nothing listening on the mail port; the second the server
    real_port = settings.EMAIL_PORT
    settings.EMAIL_PORT = 1
    notification = email_notification()

    delivery.enqueue([notification.pk])

    def refused_once() -> bool:
        notification.refresh_from_db()
        return "Connection refused" in notification.failure_reason or (
            notification.state == DeliveryState.FAILED
        )

    wait_until(refused_once, "a refused connection to be recorded")
    assert notification.state == DeliveryState.PENDING  # waiting for its retry
    settings.EMAIL_PORT = real_port

    wait_for_state(notification, DeliveryState.SENT)
    assert len(mailbox.accepted_to("mentor@firm.example")) == 1


@pytest.mark.usefixtures("celery_worker")
@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_a_lost_verdict_after_the_message_went_out_is_unknown_and_not_retried(mailbox, settings):
    # the server takes the message but never answers in time: it may have been delivered
    settings.EMAIL_TIMEOUT = 1
    settings.LANGUAGE_CODE = "en"  # reasons are stored in the site's language
    mailbox.data_delay = 2.5
    notification = email_notification()

    delivery.enqueue([notification.pk])

    wait_for_state(notification, DeliveryState.UNKNOWN)
    time.sleep(2)
    assert mailbox.data_attempts == 1
    assert "may have been delivered" in notification.failure_reason


@pytest.mark.django_db(transaction=True)
def test_two_senders_given_the_same_rows_at_once_send_each_once(mailbox):
    mailbox.data_delay = 0.05  # a little slow, so the two senders overlap
    notifications = [email_notification(f"firm{i}@firm.example") for i in range(20)]
    ids = [n.pk for n in notifications]
    start = threading.Barrier(2)
    outcomes: list[delivery.DeliveryOutcome] = []
    errors: list[BaseException] = []

    def sender() -> None:
        try:
            start.wait()
            outcomes.append(delivery.deliver(ids))
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=sender) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(TIMEOUT)

    assert errors == []
    assert sorted(outcomes[0].sent + outcomes[1].sent) == ids
    assert mailbox.data_attempts == 20
    for n in notifications:
        assert len(mailbox.accepted_to(n.address)) == 1
    assert set(Notification.objects.filter(pk__in=ids).values_list("state", flat=True)) == {
        DeliveryState.SENT
    }


@pytest.mark.usefixtures("celery_worker")
@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_enqueued_twice_the_worker_sends_once(mailbox):
    notifications = [email_notification(f"twice{i}@firm.example") for i in range(3)]
    ids = [n.pk for n in notifications]

    delivery.enqueue(ids)
    delivery.enqueue(ids)  # e.g. the sweep's enqueue and the outbox flush
    deliver_notifications.delay(ids)

    for n in notifications:
        wait_for_state(n, DeliveryState.SENT)
    time.sleep(1)
    assert mailbox.data_attempts == 3
    assert sorted(m["X-Envelope-To"] for m in mailbox.accepted) == sorted(
        n.address for n in notifications
    )


# --- the work is done before the e-mail goes out ---------------------------------------


@pytest.fixture
def pairing(users, regions):
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


def report_reminder(the_report: ProgressReport, address: str) -> Notification:
    return email_notification(
        address,
        rule_kind=RuleKind.REPORT_DUE,
        object_label="pairing.progressreport",
        object_id=str(the_report.pk),
        due_date=the_report.due_date,
        link=f"/admin/pairing/progressreport/{the_report.pk}/change/",
    )


@pytest.mark.usefixtures("celery_worker")
@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_a_reminder_whose_report_was_submitted_meanwhile_is_cancelled_not_sent(mailbox, pairing):
    submitted = report(pairing, D(2026, 11, 30), status=ReportStatus.SUBMITTED)
    still_draft = report(pairing, D(2027, 5, 31))
    done = report_reminder(submitted, "helper@firm.example")
    due = report_reminder(still_draft, "recipient@firm.example")

    delivery.enqueue([done.pk, due.pk])

    wait_for_state(due, DeliveryState.SENT)
    wait_for_state(done, DeliveryState.CANCELLED)
    assert mailbox.accepted_to("helper@firm.example") == []
    assert len(mailbox.accepted_to("recipient@firm.example")) == 1
    assert done.sent_at is None


# --- a worker killed mid-send ----------------------------------------------------------


def claimed_long_ago(notification: Notification, minutes: int) -> None:
    """As a worker that claimed the row `minutes` ago and died before recording it."""
    Notification.objects.filter(pk=notification.pk).update(
        state=DeliveryState.SENDING,
        updated_at=timezone.now() - dt.timedelta(minutes=minutes),
        enqueued_at=timezone.now() - dt.timedelta(minutes=minutes),
    )


@pytest.mark.usefixtures("celery_worker")
@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_sending_left_by_a_dead_worker_becomes_unknown_is_not_resent_and_staff_resend_once(
    mailbox, settings, client, users
):
    settings.REMINDER_SENDING_STALE_MINUTES = 30
    settings.LANGUAGE_CODE = "en"  # reasons are stored in the site's language
    stale = email_notification("stale@firm.example")
    recent = email_notification("recent@firm.example")
    claimed_long_ago(stale, minutes=31)
    claimed_long_ago(recent, minutes=5)  # perhaps still being sent

    reap_stale_sending.delay()
    wait_for_state(stale, DeliveryState.UNKNOWN)
    flush_outbox.delay()  # the outbox never picks up unknown rows
    deliver_notifications.delay([stale.pk])  # nor does a stray delivery task
    time.sleep(1.5)

    recent.refresh_from_db()
    assert recent.state == DeliveryState.SENDING
    stale.refresh_from_db()
    assert stale.state == DeliveryState.UNKNOWN
    assert "may or may not have gone out" in stale.failure_reason
    assert mailbox.accepted == []

    client.force_login(users["ministry"])
    response = client.post(
        changelist_url(Notification),
        {"action": "resend_notifications", "_selected_action": [stale.pk], "index": "0"},
    )

    assert response.status_code == 302
    assert any("1" in str(m) for m in get_messages(response.wsgi_request))
    wait_for_state(stale, DeliveryState.SENT)
    time.sleep(1)
    assert len(mailbox.accepted_to("stale@firm.example")) == 1
    assert stale.failure_reason == ""


@pytest.mark.django_db
def test_reaping_uses_the_threshold(settings):
    settings.REMINDER_SENDING_STALE_MINUTES = 30
    now = timezone.now()
    old, young = email_notification(), email_notification()
    claimed_long_ago(old, minutes=30)
    Notification.objects.filter(pk=young.pk).update(
        state=DeliveryState.SENDING, updated_at=now - dt.timedelta(minutes=29)
    )

    assert delivery.reap_stale_sending(now=now + dt.timedelta(seconds=1)) == 1

    old.refresh_from_db()
    young.refresh_from_db()
    assert (old.state, young.state) == (DeliveryState.UNKNOWN, DeliveryState.SENDING)


# --- Redis down while users write ------------------------------------------------------


@pytest.mark.django_db
def test_enqueue_with_the_broker_down_raises_nothing_and_leaves_the_rows_in_the_outbox(
    dead_broker, caplog
):
    notifications = [email_notification(f"down{i}@firm.example") for i in range(3)]
    ids = [n.pk for n in notifications]

    started = time.monotonic()
    handed = delivery.enqueue(ids)

    assert time.monotonic() - started < 3
    assert handed == 0
    assert set(Notification.objects.filter(pk__in=ids).values_list("state", "enqueued_at")) == {
        (DeliveryState.PENDING, None)
    }
    assert "Broker unavailable" in caplog.text


@pytest.mark.django_db
def test_a_broker_that_accepts_but_never_answers_does_not_hang_the_write(monkeypatch, settings):
    settings.REMINDER_BROKER_TIMEOUT = 0.5
    with socket.socket() as silent:  # the kernel accepts connections nobody reads
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        monkeypatch.setitem(
            app.conf, "broker_write_url", f"redis://127.0.0.1:{silent.getsockname()[1]}/0"
        )
        notification = email_notification()

        started = time.monotonic()
        assert delivery.enqueue([notification.pk]) == 0

        assert time.monotonic() - started < 3
    notification.refresh_from_db()
    assert (notification.state, notification.enqueued_at) == (DeliveryState.PENDING, None)


@pytest.mark.usefixtures("celery_worker")
@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_redis_down_during_the_sweep_then_back_every_email_is_delivered_once(
    mailbox, pairing, monkeypatch
):
    ReminderRule.objects.create(
        name="季度报告到期提醒",
        kind=RuleKind.REPORT_DUE,
        offset=-3,
        offset_unit=DayUnit.WORKING,
        recipients=["pairing_bars", "pairing_firms"],
    )
    report(pairing, D(2026, 11, 30))  # 3 working days before: Wed 25 Nov
    extra = [email_notification(f"written{i}@firm.example") for i in range(3)]

    # Redis goes away: the sweep (a write) and a user's enqueue both succeed
    monkeypatch.setitem(app.conf, "broker_write_url", DEAD_BROKER)
    run_sweep(on=D(2026, 11, 25))
    assert delivery.enqueue([n.pk for n in extra]) == 0
    emails = Notification.objects.filter(channel=Channel.EMAIL)
    assert emails.count() == 5
    assert set(emails.values_list("state", "enqueued_at")) == {(DeliveryState.PENDING, None)}

    # Redis is back: the outbox flush (beat, every minute) hands everything over
    monkeypatch.undo()
    flush_outbox.delay()

    for n in emails:
        wait_for_state(n, DeliveryState.SENT)
    flush_outbox.delay()  # a second flush finds nothing left to send
    time.sleep(1.5)
    addresses = sorted(m["X-Envelope-To"] for m in mailbox.accepted)
    assert addresses == sorted(emails.values_list("address", flat=True))
    assert len(addresses) == len(set(addresses)) == 5
    assert mailbox.data_attempts == 5


@pytest.mark.usefixtures("celery_worker")
@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_flush_enqueues_only_pending_emails_never_or_long_ago_enqueued(mailbox, settings):
    settings.REMINDER_OUTBOX_STALE_MINUTES = 15
    now = timezone.now()
    never = email_notification("never@firm.example")
    lost = email_notification("lost@firm.example", enqueued_at=now - dt.timedelta(minutes=16))
    queued = email_notification("queued@firm.example", enqueued_at=now - dt.timedelta(minutes=14))
    retry_later = email_notification(
        "later@firm.example", enqueued_at=now + dt.timedelta(minutes=5)
    )
    email_notification("sent@firm.example", state=DeliveryState.SENT, sent_at=now)
    email_notification("failed@firm.example", state=DeliveryState.FAILED)

    assert delivery.flush_outbox(now=now) == 2

    wait_for_state(never, DeliveryState.SENT)
    wait_for_state(lost, DeliveryState.SENT)
    time.sleep(1)
    assert sorted(m["X-Envelope-To"] for m in mailbox.accepted) == [
        "lost@firm.example",
        "never@firm.example",
    ]
    for waiting in (queued, retry_later):
        waiting.refresh_from_db()
        assert waiting.state == DeliveryState.PENDING


# --- task arguments --------------------------------------------------------------------


@pytest.mark.parametrize(
    "ids",
    [
        "12",
        [1, "2"],
        [1, True],
        [0],
        [-3],
        None,
        list(range(1, delivery.MAX_IDS_PER_TASK + 2)),
    ],
)
def test_the_delivery_task_refuses_anything_but_a_bounded_list_of_ids(ids):
    with pytest.raises(ValueError, match="ids must be a list of at most 10000 positive"):
        deliver_notifications.apply(args=[ids]).get()


# --- admin -----------------------------------------------------------------------------


def shown(client, **query) -> set[int]:
    response = client.get(changelist_url(Notification), query)
    assert response.status_code == 200
    return {n.pk for n in response.context["cl"].result_list}


@pytest.mark.django_db
def test_staff_filter_notifications_by_rule_state_channel_kind_and_date_and_search_addresses(
    client, users
):
    the_rule = ReminderRule.objects.create(
        name="跟班开始提醒", kind=RuleKind.SECONDMENT_STARTING, recipients=["mentor"]
    )
    by_rule = email_notification("a@firm.example", rule=the_rule)
    failed = email_notification("b@firm.example", state=DeliveryState.FAILED)
    in_app = email_notification("", recipient=users["hunan_bar"], channel=Channel.IN_APP)
    report_kind = email_notification("c@firm.example", rule_kind=RuleKind.REPORT_DUE)
    client.force_login(users["ministry"])

    assert shown(client, rule__id__exact=the_rule.pk) == {by_rule.pk}
    assert shown(client, state__exact="failed") == {failed.pk}
    assert shown(client, channel__exact="in_app") == {in_app.pk}
    assert shown(client, rule_kind__exact="report_due") == {report_kind.pk}
    assert shown(client, q="b@firm.example") == {failed.pk}
    assert shown(client, q="hunan_bar") == {in_app.pk}
    midnight = str(timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0))
    assert len(shown(client, created_at__gte=midnight)) == 4  # the filter's "today"
    assert shown(client, created_at__lt=midnight) == set()


@pytest.mark.django_db
def test_resend_puts_only_failed_and_unknown_emails_back_in_the_outbox(
    client, users, django_capture_on_commit_callbacks
):
    failed = email_notification(state=DeliveryState.FAILED, failure_reason="550 no such user")
    unknown = email_notification(state=DeliveryState.UNKNOWN, enqueued_at=timezone.now())
    sent = email_notification(state=DeliveryState.SENT, sent_at=timezone.now())
    client.force_login(users["ministry"])

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(
            changelist_url(Notification),
            {
                "action": "resend_notifications",
                "_selected_action": [failed.pk, unknown.pk, sent.pk],
                "index": "0",
            },
        )

    assert response.status_code == 302
    assert len(callbacks) == 1  # one enqueue, after commit
    for n in (failed, unknown):
        n.refresh_from_db()
        assert (n.state, n.enqueued_at, n.failure_reason) == (DeliveryState.PENDING, None, "")
    sent.refresh_from_db()
    assert sent.state == DeliveryState.SENT
    assert len(list(get_messages(response.wsgi_request))) == 2  # resent; left alone


@pytest.mark.django_db
def test_a_provincial_department_cannot_resend_another_provinces_notifications(users):
    from django.core.exceptions import PermissionDenied

    from reminders.services import resend_notifications

    tibetan = email_notification(
        "", recipient=users["xizang_bar"], state=DeliveryState.FAILED, channel=Channel.EMAIL
    )
    Notification.objects.filter(pk=tibetan.pk).update(address="xizang@bar.example")

    with pytest.raises(PermissionDenied):
        resend_notifications(actor=users["hunan_dept"], notifications=[tibetan])

    tibetan.refresh_from_db()
    assert tibetan.state == DeliveryState.FAILED


@pytest.mark.django_db
def test_a_row_the_worker_sent_before_the_mark_is_still_marked_enqueued():
    """Regression (seen under two pytest-xdist workers): the worker claimed and sent the
    notification before enqueue() marked it, and the mark skipped it for not being pending."""
    sent = email_notification(state=DeliveryState.SENT, sent_at=timezone.now())
    future = timezone.now() + dt.timedelta(minutes=5)
    retry = email_notification(enqueued_at=future)  # a scheduled retry keeps its time

    delivery._mark_enqueued([sent.pk, retry.pk])

    sent.refresh_from_db()
    retry.refresh_from_db()
    assert sent.enqueued_at is not None
    assert sent.state == DeliveryState.SENT
    assert retry.enqueued_at == future
