"""Delivery of e-mail notifications: never lost, never sent twice.

The `Notification` table is the outbox. The sweep (and a staff resend) commits rows
`pending`, then calls `enqueue(ids)`, which hands them to Celery in batches and marks
`enqueued_at`. If the broker is down nothing is raised: the rows stay pending with
`enqueued_at` empty and `flush_outbox` (every minute) enqueues them once it is back.

A delivery task calls `deliver(ids)`. Each e-mail is claimed on its own just before it is
sent (one conditional UPDATE pending → sending: of two workers given the same row, exactly
one wins it), and marked `sent` only after the SMTP server accepted it:

- SMTP 4xx, a refused or lost connection, a timeout before the message was handed over:
  back to `pending`, retried with capped exponential backoff; after the last retry `failed`.
- SMTP 5xx: `failed` with the server's reply, not retried.
- The connection lost (or timed out) after the message was handed over, while waiting for
  the server's verdict: it may have been delivered, so it is `unknown`, never retried.
- A worker killed between the SMTP acceptance and the UPDATE leaves the row `sending`;
  `reap_stale_sending` turns it `unknown` after REMINDER_SENDING_STALE_MINUTES.

`unknown` and `failed` rows are resent only by staff (`services.resend_notifications`).
The work being done in the meantime (a report submitted) cancels the e-mail
(`obligations.still_open`). In-app notifications are created `sent`: nothing to deliver.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import smtplib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import redis.exceptions
from celery import current_app
from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import DatabaseError
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from kombu.exceptions import KombuError

from .models import Channel, DeliveryState, Notification

logger = logging.getLogger(__name__)

# The most ids one task (or one enqueue call's argument check) accepts; batches are
# REMINDER_DELIVERY_BATCH (500) ids.
MAX_IDS_PER_TASK = 10_000
# Whatever a broker client raises when the broker cannot be reached or answers nothing.
BROKER_ERRORS: tuple[type[BaseException], ...] = (
    KombuError,
    OSError,  # ConnectionError, TimeoutError, socket errors
    redis.exceptions.RedisError,
)
REASON_LIMIT = 1000  # Notification.failure_reason's max_length


def parse_ids(value: Any, *, what: str, limit: int | None = MAX_IDS_PER_TASK) -> list[int]:
    """The ids of a task argument: a list of positive integers, at most `limit` of them."""
    bound = f" of at most {limit}" if limit is not None else " of"
    if (
        not isinstance(value, list | tuple)
        or (limit is not None and len(value) > limit)
        or not all(isinstance(i, int) and not isinstance(i, bool) and i > 0 for i in value)
    ):
        raise ValueError(f"{what}: ids must be a list{bound} positive integers")
    return list(dict.fromkeys(value))  # without repeats, in order


def _chunks(ids: Iterable[int], size: int) -> Iterator[list[int]]:
    chunk: list[int] = []
    for i in ids:
        chunk.append(i)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


# --- the outbox ------------------------------------------------------------------------


def _broker_connection() -> Any:
    """A connection of its own for publishing, that gives up fast: a user's write (or the
    sweep) must not wait on a Redis that is down or hangs. No retries, short socket
    timeouts; the workers' own connections are not affected."""
    timeout = settings.REMINDER_BROKER_TIMEOUT
    return current_app.connection_for_write(
        transport_options={
            "max_retries": 0,
            "socket_connect_timeout": timeout,
            "socket_timeout": timeout,
        },
    )


def enqueue(ids: Sequence[int]) -> int:
    """Hand pending e-mail notifications to the delivery task, REMINDER_DELIVERY_BATCH ids
    per task, and mark them enqueued. Call it after commit. Never raises for a broker
    failure: what could not be handed over stays in the outbox for `flush_outbox`.
    Returns how many ids were handed over."""
    from .tasks import deliver_notifications  # the task module imports this one

    ids = parse_ids(ids, what="enqueue", limit=None)
    if not ids:
        return 0
    handed: list[int] = []
    try:
        with _broker_connection() as connection:
            for batch in _chunks(ids, settings.REMINDER_DELIVERY_BATCH):
                deliver_notifications.apply_async(args=[batch], connection=connection, retry=False)
                handed.extend(batch)
    except BROKER_ERRORS as exc:
        logger.warning(
            "Broker unavailable (%s): %d notifications not enqueued; they stay pending in "
            "the outbox and the next outbox flush enqueues them.",
            exc,
            len(ids) - len(handed),
        )
    if handed:
        _mark_enqueued(handed)
    return len(handed)


def _mark_enqueued(ids: list[int]) -> None:
    now = timezone.now()
    try:
        # a row whose retry is scheduled (enqueued_at in the future) keeps that time; any
        # other handed-over row is marked, whatever its state: the worker may already have
        # claimed and sent it before this update runs
        Notification.objects.filter(
            Q(enqueued_at__isnull=True) | Q(enqueued_at__lt=now), pk__in=ids
        ).update(enqueued_at=now)
    except DatabaseError:
        # The tasks are on their way; without the mark the outbox flush enqueues them a
        # second time, which the claim in `deliver` makes harmless.
        logger.exception("Could not mark %d enqueued notifications", len(ids))


def flush_outbox(*, now: dt.datetime) -> int:
    """Enqueue every pending e-mail never handed to the queue, or handed over more than
    REMINDER_OUTBOX_STALE_MINUTES ago (a lost task, or a retry long overdue). Streams the
    ids (the outbox index); stops at the first broker failure. How many were enqueued."""
    cutoff = now - dt.timedelta(minutes=settings.REMINDER_OUTBOX_STALE_MINUTES)
    ids = (
        Notification.objects.filter(state=DeliveryState.PENDING, channel=Channel.EMAIL)
        .filter(Q(enqueued_at__isnull=True) | Q(enqueued_at__lt=cutoff))
        .order_by()
        .values_list("pk", flat=True)
        .iterator(chunk_size=2000)
    )
    total = 0
    for chunk in _chunks(ids, 10 * settings.REMINDER_DELIVERY_BATCH):
        handed = enqueue(chunk)
        total += handed
        if handed < len(chunk):
            break  # the broker is down: the next flush tries again
    return total


# --- sending ---------------------------------------------------------------------------


@dataclass
class DeliveryOutcome:
    """What one `deliver` call did, by notification id."""

    sent: list[int] = field(default_factory=list)
    cancelled: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    unknown: list[int] = field(default_factory=list)
    # back to pending: the task retries these after `retry_in` seconds
    retry: list[int] = field(default_factory=list)
    retry_in: float = 0.0


@dataclass
class _Failure:
    reason: str
    retry: bool  # a temporary failure (4xx, connection): try again later
    connection_lost: bool = False  # the SMTP connection is unusable: stop this batch
    unknown: bool = False  # the message may have been delivered: never retry blindly


def retry_delay(attempt: int) -> float:
    """Seconds before retry number `attempt + 1`: doubling, capped."""
    base = settings.REMINDER_DELIVERY_RETRY_SECONDS
    return float(min(base * 2**attempt, settings.REMINDER_DELIVERY_RETRY_MAX_SECONDS))


def deliver(ids: Sequence[int], *, attempt: int = 0) -> DeliveryOutcome:
    """Send the e-mail notifications among `ids` that are still pending, over one SMTP
    connection. `attempt` is the number of retries before this one; on the last
    (REMINDER_DELIVERY_MAX_RETRIES) temporary failures end `failed` instead of pending."""
    from .obligations import still_open  # the lead's rules module (issue 6)

    ids = parse_ids(ids, what="deliver")
    outcome = DeliveryOutcome()
    rows = list(
        Notification.objects.filter(pk__in=ids, channel=Channel.EMAIL, state=DeliveryState.PENDING)
        .select_related("recipient")
        .order_by("pk")
    )
    if not rows:
        return outcome

    open_ids = still_open(rows)
    done = [n.pk for n in rows if n.pk not in open_ids]
    if done:
        Notification.objects.filter(pk__in=done, state=DeliveryState.PENDING).update(
            state=DeliveryState.CANCELLED, updated_at=timezone.now()
        )
        outcome.cancelled = done
    to_send = [n for n in rows if n.pk in open_ids]

    final = attempt >= settings.REMINDER_DELIVERY_MAX_RETRIES
    connection = get_connection(fail_silently=False)
    stopped: _Failure | None = None
    try:
        with translation.override(settings.LANGUAGE_CODE):
            for position, notification in enumerate(to_send):
                if not _claim(notification):
                    continue  # another worker has it, or it changed since it was read
                message, problem = _message(notification, connection)
                if problem is None:
                    problem = _send(connection, message)
                if problem is None:
                    _finish(notification.pk, DeliveryState.SENT)
                    outcome.sent.append(notification.pk)
                    continue
                _settle(notification.pk, problem, final=final, attempt=attempt, outcome=outcome)
                if problem.connection_lost:
                    _close_quietly(connection)
                    # the server is unreachable or hung up: leave the rest for the retry
                    stopped = problem
                    rest = [n.pk for n in to_send[position + 1 :]]
                    if rest:
                        _settle_unattempted(
                            rest, problem, final=final, attempt=attempt, outcome=outcome
                        )
                    break
    finally:
        _close_quietly(connection)
    if outcome.retry:
        outcome.retry_in = retry_delay(attempt)
        logger.info(
            "E-mail delivery: %d notifications retried in %.0f s (attempt %d): %s",
            len(outcome.retry),
            outcome.retry_in,
            attempt + 1,
            stopped.reason if stopped else "temporary SMTP failure",
        )
    return outcome


def _claim(notification: Notification) -> bool:
    """pending → sending, if still pending: the single statement two workers race on."""
    now = timezone.now()
    claimed = Notification.objects.filter(pk=notification.pk, state=DeliveryState.PENDING).update(
        state=DeliveryState.SENDING, updated_at=now
    )
    return claimed == 1


def _finish(pk: int, state: str, reason: str = "") -> None:
    now = timezone.now()
    values: dict[str, Any] = {"state": state, "failure_reason": reason[:REASON_LIMIT]}
    if state == DeliveryState.SENT:
        values["sent_at"] = now
    Notification.objects.filter(pk=pk, state=DeliveryState.SENDING).update(updated_at=now, **values)


def _settle(
    pk: int, problem: _Failure, *, final: bool, attempt: int, outcome: DeliveryOutcome
) -> None:
    """Record the failure of a claimed (sending) notification."""
    if problem.unknown:
        _finish(pk, DeliveryState.UNKNOWN, problem.reason)
        outcome.unknown.append(pk)
    elif not problem.retry:
        _finish(pk, DeliveryState.FAILED, problem.reason)
        outcome.failed.append(pk)
    elif final:
        _finish(pk, DeliveryState.FAILED, _gave_up(problem, attempt))
        outcome.failed.append(pk)
    else:
        # back to the outbox; `enqueued_at` = when the retry is due, so the outbox flush
        # only steps in if that retry is lost
        now = timezone.now()
        Notification.objects.filter(pk=pk, state=DeliveryState.SENDING).update(
            state=DeliveryState.PENDING,
            failure_reason=problem.reason[:REASON_LIMIT],
            enqueued_at=now + dt.timedelta(seconds=retry_delay(attempt)),
            updated_at=now,
        )
        outcome.retry.append(pk)


def _settle_unattempted(
    pks: list[int], problem: _Failure, *, final: bool, attempt: int, outcome: DeliveryOutcome
) -> None:
    """The batch stopped before these (still pending) ones were tried."""
    now = timezone.now()
    pending = Notification.objects.filter(pk__in=pks, state=DeliveryState.PENDING)
    if final:
        pending.update(
            state=DeliveryState.FAILED,
            failure_reason=_gave_up(problem, attempt)[:REASON_LIMIT],
            updated_at=now,
        )
        outcome.failed.extend(pks)
    else:
        pending.update(enqueued_at=now + dt.timedelta(seconds=retry_delay(attempt)))
        outcome.retry.extend(pks)


def _gave_up(problem: _Failure, attempt: int) -> str:
    return _("%(reason)s (given up after %(n)d attempts)") % {
        "reason": problem.reason,
        "n": attempt + 1,
    }


def _close_quietly(connection: Any) -> None:
    # QUIT to a server that already hung up
    with contextlib.suppress(smtplib.SMTPException, OSError):
        connection.close()


def _address(notification: Notification) -> str:
    if notification.address:
        return notification.address
    recipient = notification.recipient
    return getattr(recipient, "email", "") or ""


def _absolute_link(path: str) -> str:
    return f"{settings.SITE_URL}{path}" if path else ""


def _message(
    notification: Notification, connection: Any
) -> tuple[EmailMessage | None, _Failure | None]:
    address = _address(notification)
    if not address:
        return None, _Failure(_("No e-mail address."), retry=False)
    context = {
        "notification": notification,
        "link": _absolute_link(notification.link),
        "site_url": settings.SITE_URL,
        "reminder_number": notification.step + 1,
    }
    try:
        subject = " ".join(render_to_string("reminders/email/subject.txt", context).split())
        body = render_to_string("reminders/email/body.txt", context)
    except Exception as exc:  # a broken template must show on the row, not loop forever
        logger.exception("Could not render notification %s", notification.pk)
        return None, _Failure(_("Could not render the e-mail: %s") % exc, retry=False)
    host = urlsplit(settings.SITE_URL).hostname or "localhost"
    message = EmailMessage(
        subject=subject,
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[address],
        connection=connection,
        headers={
            # the same id on a staff resend: mail systems can drop a duplicate
            "Message-ID": f"<notification-{notification.pk}@{host}>",
            "Auto-Submitted": "auto-generated",
        },
    )
    return message, None


def _send(connection: Any, message: EmailMessage) -> _Failure | None:
    """Send one message over the open (or opened now) connection; None once accepted."""
    reached_data = False
    smtp = None
    try:
        connection.open()
        smtp = getattr(connection, "connection", None)
        if isinstance(smtp, smtplib.SMTP):
            original_data = smtp.data

            def data(msg: Any) -> Any:
                nonlocal reached_data
                reached_data = True
                return original_data(msg)

            smtp.data = data  # type: ignore[method-assign]
        sent = connection.send_messages([message])
    except (smtplib.SMTPException, OSError, ValueError) as exc:
        return _failure(exc, reached_data=reached_data)
    finally:
        if smtp is not None and "data" in vars(smtp):
            del smtp.data
    if sent != 1:
        return _Failure(_("The mail server did not take the message."), retry=True)
    return None


def _reply(code: int, text: bytes | str) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    return f"{code} {text}".strip()


def _failure(exc: Exception, *, reached_data: bool) -> _Failure:
    """Classify what the SMTP conversation raised."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        code, text = next(iter(exc.recipients.values()), (0, b""))
        return _by_code(code, _reply(code, text))
    if isinstance(exc, smtplib.SMTPResponseException):
        return _by_code(exc.smtp_code, _reply(exc.smtp_code, exc.smtp_error))
    if isinstance(exc, ValueError):  # an address Django refuses to encode
        return _Failure(_("Invalid e-mail address: %s") % exc, retry=False)
    detail = str(exc) or type(exc).__name__
    if reached_data:
        # the message went out and the verdict never came back: it may have been
        # delivered, so a retry could send it twice
        return _Failure(
            _(
                "The connection to the mail server was lost after the message was handed "
                "over (%s): it may have been delivered. Resend it only if it did not arrive."
            )
            % detail,
            retry=False,
            connection_lost=True,
            unknown=True,
        )
    return _Failure(_("Mail server unreachable: %s") % detail, retry=True, connection_lost=True)


def _by_code(code: int, reason: str) -> _Failure:
    if 500 <= code < 600:
        return _Failure(reason, retry=False)
    # 4xx, or no proper reply: temporary. 421 means the server closes the connection.
    return _Failure(reason, retry=True, connection_lost=code == 421 or not 400 <= code < 500)


# --- workers that died mid-send --------------------------------------------------------


def reap_stale_sending(*, now: dt.datetime) -> int:
    """E-mails `sending` for more than REMINDER_SENDING_STALE_MINUTES: their worker died
    between claiming and recording the outcome, perhaps after the server accepted them.
    They become `unknown` (shown to staff, resent only by hand). How many."""
    cutoff = now - dt.timedelta(minutes=settings.REMINDER_SENDING_STALE_MINUTES)
    with translation.override(settings.LANGUAGE_CODE):
        reason = _(
            "Delivery stopped while sending (the worker died): the e-mail may or may not "
            "have gone out. Resend it only if it did not arrive."
        )
    reaped = Notification.objects.filter(
        state=DeliveryState.SENDING, channel=Channel.EMAIL, updated_at__lt=cutoff
    ).update(state=DeliveryState.UNKNOWN, failure_reason=reason, updated_at=now)
    if reaped:
        logger.warning("%d notifications left sending by a dead worker are now unknown", reaped)
    return reaped
