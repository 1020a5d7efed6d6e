"""The notifications inbox: the user's own in-app notifications only, unread first and
newest first; filters by read/unread and kind; pages of 25; mark one read (htmx answers
the row) or all; another user's notification is a 404; the query count does not grow."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse

from reminders.models import Channel, DeliveryState, Notification, RuleKind

NOW = dt.datetime(2026, 11, 27, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
INBOX = "/portal/notifications/"
READ_ALL = "/portal/notifications/read-all/"


def read_url(notification: Notification) -> str:
    return f"/portal/notifications/{notification.pk}/read/"


@pytest.fixture
def now(db):
    with time_machine.travel(NOW, tick=False):
        yield NOW


def notify(user, subject: str, *, minutes_ago: int = 0, read: bool = False, **fields):
    fields.setdefault("rule_kind", RuleKind.REPORT_DUE)
    fields.setdefault("channel", Channel.IN_APP)
    fields.setdefault("object_id", subject)  # one notice per record (notification_once)
    notification = Notification.objects.create(
        recipient=user,
        subject=subject,
        state=DeliveryState.SENT if fields["channel"] == Channel.IN_APP else DeliveryState.PENDING,
        sent_at=NOW if fields["channel"] == Channel.IN_APP else None,
        read_at=NOW if read else None,
        **fields,
    )
    # created_at is set on insert; order them as if they came `minutes_ago`
    Notification.objects.filter(pk=notification.pk).update(
        created_at=NOW - dt.timedelta(minutes=minutes_ago)
    )
    return notification


def subjects(html: str) -> list[str]:
    """The subjects of the listed rows, in order."""
    return re.findall(r"(通知[A-Z]\d*)(?=</a>|</td>|<br>)", html)


@pytest.fixture
def inbox(users, now):
    bar = users["hunan_bar"]
    return {
        "old_unread": notify(bar, "通知A", minutes_ago=30),
        "new_read": notify(bar, "通知B", minutes_ago=1, read=True),
        "new_unread": notify(
            bar,
            "通知C",
            minutes_ago=5,
            rule_kind=RuleKind.STAFFING_GAP,
            due_date=dt.date(2027, 1, 4),
        ),
        "email_copy": notify(bar, "通知D", channel=Channel.EMAIL),
        "other_users": notify(users["xizang_bar"], "通知E"),
        "colleague": notify(users["hunan_dept"], "通知F"),
    }


def test_inbox_lists_own_in_app_notifications_unread_first_then_newest(client, users, inbox):
    client.force_login(users["hunan_bar"])

    html = client.get(INBOX).content.decode()

    assert subjects(html) == ["通知C", "通知A", "通知B"]
    assert "2027-01-04" in html


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("?unread=true", ["通知C", "通知A"]),
        ("?unread=false", ["通知B"]),
        (f"?rule_kind={RuleKind.STAFFING_GAP}", ["通知C"]),
        (f"?unread=true&rule_kind={RuleKind.REPORT_DUE}", ["通知A"]),
        ("?q=通知B", ["通知B"]),
        ("?rule_kind=no_such_kind", []),
    ],
)
def test_inbox_filters_by_read_state_and_kind(client, users, inbox, query, expected):
    client.force_login(users["hunan_bar"])

    response = client.get(INBOX + query)

    assert response.status_code == 200
    assert subjects(response.content.decode()) == expected


def test_inbox_pages_hold_25_rows(client, users, now):
    for i in range(30):
        notify(users["hunan_bar"], f"通知P{i:02d}", minutes_ago=i)
    client.force_login(users["hunan_bar"])

    first = subjects(client.get(INBOX).content.decode())
    second = subjects(client.get(INBOX + "?page=2").content.decode())

    assert first == [f"通知P{i:02d}" for i in range(25)]
    assert second == [f"通知P{i:02d}" for i in range(25, 30)]


def test_marking_read_with_htmx_answers_the_updated_row(client, users, inbox):
    client.force_login(users["hunan_bar"])
    notification = inbox["new_unread"]

    response = client.post(read_url(notification), {"next": INBOX}, HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    html = response.content.decode()
    assert html.strip().startswith(f'<tr id="notification-{notification.pk}">')
    assert read_url(notification) not in html  # no "mark read" button any more
    assert "<html" not in html
    notification.refresh_from_db()
    assert notification.read_at == NOW


def test_marking_read_without_htmx_goes_back_to_the_inbox(client, users, inbox):
    client.force_login(users["hunan_bar"])

    response = client.post(read_url(inbox["old_unread"]), {"next": INBOX + "?unread=true"})

    assert response.status_code == 302
    assert response["Location"] == INBOX + "?unread=true"
    inbox["old_unread"].refresh_from_db()
    assert inbox["old_unread"].read_at is not None


def test_marking_read_keeps_the_first_read_time(client, users, inbox):
    client.force_login(users["hunan_bar"])
    first_read = NOW - dt.timedelta(days=2)
    Notification.objects.filter(pk=inbox["new_read"].pk).update(read_at=first_read)

    client.post(read_url(inbox["new_read"]))

    inbox["new_read"].refresh_from_db()
    assert inbox["new_read"].read_at == first_read


def test_next_outside_the_inbox_is_ignored(client, users, inbox):
    client.force_login(users["hunan_bar"])

    response = client.post(read_url(inbox["old_unread"]), {"next": "https://evil.example/"})

    assert response["Location"] == INBOX


def test_marking_read_is_post_only(client, users, inbox):
    client.force_login(users["hunan_bar"])

    response = client.get(read_url(inbox["old_unread"]))

    assert response.status_code == 405
    inbox["old_unread"].refresh_from_db()
    assert inbox["old_unread"].read_at is None


@pytest.mark.parametrize("whose", ["other_users", "colleague"])
def test_another_users_notification_is_a_404(client, users, inbox, whose):
    client.force_login(users["hunan_bar"])
    notification = inbox[whose]

    response = client.post(read_url(notification), HTTP_HX_REQUEST="true")

    assert response.status_code == 404
    notification.refresh_from_db()
    assert notification.read_at is None


def test_the_ministry_sees_and_marks_only_its_own_notifications_too(client, users, inbox):
    """The policy lets the ministry see every notification; its inbox is still its own."""
    client.force_login(users["ministry"])

    response = client.post(read_url(inbox["old_unread"]))
    html = client.get(INBOX).content.decode()

    assert response.status_code == 404
    assert subjects(html) == []


def test_mark_all_read_marks_only_the_users_own(client, users, inbox):
    client.force_login(users["hunan_bar"])

    response = client.post(READ_ALL, {"next": INBOX})

    assert response.status_code == 302
    assert response["Location"] == INBOX
    own = Notification.objects.filter(recipient=users["hunan_bar"])
    assert not own.filter(read_at__isnull=True).exists()
    assert Notification.objects.get(pk=inbox["other_users"].pk).read_at is None
    assert Notification.objects.get(pk=inbox["colleague"].pk).read_at is None
    # the inbox now offers no "mark all" and shows every row read
    html = client.get(INBOX).content.decode()
    assert READ_ALL not in html
    assert "/read/" not in html


def test_each_notification_links_to_its_record(client, users, now):
    bar = users["hunan_bar"]
    notify(bar, "通知S", object_label="pairing.secondment", object_id="123")
    notify(bar, "通知L", link="/portal/branches/")
    notify(bar, "通知X", link="/admin/reminders/notification/1/change/")
    client.force_login(bar)

    html = client.get(INBOX).content.decode()

    try:
        secondment = reverse("portal:secondment_detail", args=[123])
    except NoReverseMatch:
        secondment = reverse("portal:secondments")
    assert f'<a href="{secondment}">通知S</a>' in html
    assert '<a href="/portal/branches/">通知L</a>' in html
    # a back-office link is no use to a user the back office turns away
    assert "/admin/reminders/notification/1/change/" not in html
    assert "通知X" in html


def test_inbox_query_count_does_not_grow_with_the_rows(client, users, now):
    bar = users["hunan_bar"]
    client.force_login(bar)
    for i in range(2):
        notify(bar, f"通知Q{i}", object_label="pairing.secondment", object_id=str(i + 1))
    client.get(INBOX)

    with CaptureQueriesContext(connection) as two:
        client.get(INBOX)
    for i in range(2, 20):
        notify(bar, f"通知Q{i}", object_label="pairing.secondment", object_id=str(i + 1))
    with CaptureQueriesContext(connection) as twenty:
        html = client.get(INBOX).content.decode()

    assert len(subjects(html)) == 20
    assert len(twenty) == len(two)
