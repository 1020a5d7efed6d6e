"""/api/v1/notifications/: every caller sees only their own notifications and marks them
read; the model keeps one notice per recipient, rule, record, due date, step and channel."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import ApiKey
from reminders.models import Channel, DeliveryState, Notification, RuleKind
from reminders.services import mark_all_notifications_read, mark_notification_read
from tests.api.conftest import KeyClient, issue

pytestmark = pytest.mark.django_db

URL = "/api/v1/notifications/"
NOW = dt.datetime(2026, 11, 27, 12, tzinfo=dt.UTC)


def detail(n: Notification) -> str:
    return f"{URL}{n.pk}/"


def notify(user, **kwargs) -> Notification:
    defaults = {
        "rule_kind": RuleKind.REPORT_DUE,
        "subject": "进展报告即将到期",
        "body": "请于到期日前提交。",
        "link": "/admin/pairing/progressreport/1/change/",
        "object_label": "pairing.progressreport",
        "object_id": str(Notification.objects.count() + 1),
        "due_date": dt.date(2026, 12, 1),
    }
    return Notification.objects.create(recipient=user, **{**defaults, **kwargs})


@pytest.fixture
def signed_in(client, users):
    """The 湖南 department's user in the browser session."""
    client.force_login(users["hunan_dept"])
    return client


@pytest.fixture
def mine(users):
    return notify(users["hunan_dept"])


@pytest.fixture
def colleagues(users):
    """A notification of another user of the same province (the 湖南 bar)."""
    return notify(users["hunan_bar"])


@pytest.fixture
def tibetan(users):
    return notify(users["xizang_dept"])


def ids_of(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


# --- reading ------------------------------------------------------------------------------


def test_a_user_lists_only_their_own_notifications(signed_in, mine, colleagues, tibetan):
    response = signed_in.get(URL)

    assert ids_of(response) == {mine.pk}
    row = response.json()["results"][0]
    assert (row["subject"], row["rule_kind"], row["is_read"]) == (
        "进展报告即将到期",
        "report_due",
        False,
    )
    assert "recipient" not in row
    assert "failure_reason" not in row


@pytest.mark.parametrize("other", ["colleagues", "tibetan"])
def test_another_users_notification_is_a_404(signed_in, request, other):
    notification = request.getfixturevalue(other)

    response = signed_in.get(detail(notification))
    marked = signed_in.post(f"{detail(notification)}read/")

    assert response.status_code == 404
    assert marked.status_code == 404
    notification.refresh_from_db()
    assert notification.read_at is None


def test_the_ministry_too_sees_only_its_own(client, users, mine, tibetan):
    own = notify(users["ministry"])
    client.force_login(users["ministry"])

    assert ids_of(client.get(URL)) == {own.pk}
    assert client.get(detail(tibetan)).status_code == 404


def test_an_api_key_sees_its_service_users_notifications(users, mine):
    secret = issue(users["superuser"], users["hunan_dept"].organisation)
    service_user = ApiKey.objects.get(prefix=secret.split("_")[1]).service_user
    own = notify(service_user)
    api = KeyClient(secret)

    assert ids_of(api.get(URL)) == {own.pk}
    assert api.get(detail(mine)).status_code == 404


def test_retrieve_gives_the_notification_with_an_etag(signed_in, mine):
    response = signed_in.get(detail(mine))

    assert response.status_code == 200
    assert response.json()["link"] == mine.link
    assert response.headers["ETag"]


def test_filters(signed_in, users):
    user = users["hunan_dept"]
    with time_machine.travel(NOW - dt.timedelta(days=10), tick=False):
        old = notify(user, rule_kind=RuleKind.STAFFING_GAP, read_at=NOW - dt.timedelta(days=9))
    due = notify(user)
    failed = notify(
        user,
        rule_kind=RuleKind.REPORT_OVERDUE,
        channel=Channel.EMAIL,
        state=DeliveryState.FAILED,
        step=1,
    )

    def found(**params) -> set[int]:
        return ids_of(signed_in.get(URL, params))

    assert found(unread="true") == {due.pk, failed.pk}
    assert found(unread="false") == {old.pk}
    assert found(rule_kind="staffing_gap") == {old.pk}
    assert found(rule_kind__in="report_due,report_overdue") == {due.pk, failed.pk}
    assert found(state="failed") == {failed.pk}
    assert found(channel="email") == {failed.pk}
    assert found(created_at__gte=(NOW - dt.timedelta(days=1)).isoformat()) == {due.pk, failed.pk}


@pytest.mark.parametrize("params", [{"rule_kind": "gossip"}, {"created_at__gte": "yesterday"}])
def test_a_bad_filter_is_a_400(signed_in, params):
    response = signed_in.get(URL, params)

    assert response.status_code == 400
    assert set(params) <= set(response.json()["detail"])


def test_list_query_count_does_not_grow_with_the_page(signed_in, users, tibetan):
    user = users["hunan_dept"]
    Notification.objects.bulk_create(
        Notification(
            recipient=user,
            rule_kind=RuleKind.EVALUATION_DUE,
            subject=f"评价到期 {i}",
            object_label="pairing.secondment",
            object_id=str(i),
        )
        for i in range(100)
    )

    def queries(page_size: int) -> int:
        with CaptureQueriesContext(connection) as ctx:
            response = signed_in.get(URL, {"page_size": page_size})
        assert len(response.json()["results"]) == page_size
        return len(ctx.captured_queries)

    assert queries(10) == queries(100)


# --- marking read -------------------------------------------------------------------------


def test_read_marks_the_notification_read_once(signed_in, mine):
    with time_machine.travel(NOW, tick=False):
        first = signed_in.post(f"{detail(mine)}read/")
    with time_machine.travel(NOW + dt.timedelta(minutes=1), tick=False):
        again = signed_in.post(f"{detail(mine)}read/")

    assert first.status_code == again.status_code == 200
    assert first.json()["is_read"] is True
    assert again.json()["read_at"] == first.json()["read_at"]
    mine.refresh_from_db()
    assert mine.read_at == NOW


def test_read_with_a_stale_etag_is_a_412(signed_in, mine):
    response = signed_in.post(f"{detail(mine)}read/", HTTP_IF_MATCH='"stale"')

    assert response.status_code == 412
    mine.refresh_from_db()
    assert mine.read_at is None


def test_read_all_marks_only_the_callers_unread(signed_in, users, mine, colleagues, tibetan):
    user = users["hunan_dept"]
    earlier = NOW - dt.timedelta(days=3)
    already = notify(user, read_at=earlier)
    second = notify(user, rule_kind=RuleKind.STAFFING_GAP)

    with time_machine.travel(NOW, tick=False):
        response = signed_in.post(f"{URL}read-all/")
        unread_after = signed_in.get(URL, {"unread": "true"})

    assert response.status_code == 200
    assert response.json() == {"marked": 2}
    assert set(Notification.objects.filter(read_at=NOW).values_list("pk", flat=True)) == {
        mine.pk,
        second.pk,
    }
    already.refresh_from_db()
    assert already.read_at == earlier
    assert (
        Notification.objects.filter(pk__in=[colleagues.pk, tibetan.pk], read_at=None).count() == 2
    )
    assert unread_after.json()["results"] == []


def test_marking_read_needs_the_write_scope(users):
    secret = issue(users["superuser"], users["hunan_dept"].organisation)  # read only
    service_user = ApiKey.objects.get(prefix=secret.split("_")[1]).service_user
    own = notify(service_user)
    api = KeyClient(secret)

    one = api.post(f"{detail(own)}read/")
    every = api.post(f"{URL}read-all/")

    assert (one.status_code, every.status_code) == (403, 403)
    own.refresh_from_db()
    assert own.read_at is None


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_notifications_are_not_written_through_the_api(signed_in, mine, method):
    url = URL if method == "post" else detail(mine)

    response = getattr(signed_in, method)(url, {"subject": "伪造"}, content_type="application/json")

    assert response.status_code == 405
    mine.refresh_from_db()
    assert mine.subject == "进展报告即将到期"


def test_only_the_recipient_may_mark_read(users, tibetan):
    # the ministry may see every notification in the admin, but not read them for others
    with pytest.raises(PermissionDenied):
        mark_notification_read(actor=users["ministry"], notification=tibetan, now=NOW)
    # the province's department is refused by the policy for another province's user
    with pytest.raises(PermissionDenied):
        mark_notification_read(actor=users["hunan_dept"], notification=tibetan, now=NOW)
    assert mark_all_notifications_read(actor=users["hunan_dept"], now=NOW) == 0
    tibetan.refresh_from_db()
    assert tibetan.read_at is None


# --- the model ----------------------------------------------------------------------------


def test_a_notice_is_created_once_per_step_and_channel(users):
    user = users["hunan_dept"]
    notify(user, object_id="7", due_date=None)
    notify(user, object_id="7", due_date=None, step=1)
    notify(user, object_id="7", due_date=None, channel=Channel.EMAIL)

    with pytest.raises(IntegrityError), transaction.atomic():
        notify(user, object_id="7", due_date=None)  # NULL due dates are not distinct

    assert Notification.objects.filter(object_id="7").count() == 3


@pytest.mark.parametrize(
    "bad",
    [
        {"link": "https://evil.example/phish"},
        {"link": "//evil.example/phish"},
        {"state": DeliveryState.SENT, "sent_at": None},
    ],
)
def test_the_model_refuses_foreign_links_and_unsent_sent_state(users, bad):
    notification = Notification(
        recipient=users["hunan_dept"],
        rule_kind=RuleKind.OTHER,
        subject="测试",
        **bad,
    )

    with pytest.raises(ValidationError):
        notification.full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        notification.save()


def test_sent_at_makes_a_sent_notice_valid(users):
    notification = Notification(
        recipient=users["hunan_dept"],
        rule_kind=RuleKind.OTHER,
        subject="测试",
        state=DeliveryState.SENT,
        sent_at=timezone.now(),
    )

    notification.full_clean()
    notification.save()

    assert notification.pk is not None
    assert notification.events.count() == 1  # audited by pghistory


# --- the admin ----------------------------------------------------------------------------


def test_the_admin_lists_the_provinces_notifications_read_only(client, users, mine, tibetan):
    client.force_login(users["hunan_dept"])
    changelist = "/admin/reminders/notification/"

    response = client.get(changelist)
    searched = client.get(changelist, {"q": "xizang_dept"})
    other = client.get(f"{changelist}{tibetan.pk}/change/")
    own = client.get(f"{changelist}{mine.pk}/change/")

    assert response.status_code == 200
    assert [n.pk for n in response.context["cl"].result_list] == [mine.pk]
    assert list(searched.context["cl"].result_list) == []
    assert other.status_code == 404
    assert own.status_code == 200
    assert not own.context["has_change_permission"]


def test_the_ministry_admin_filters_every_notification(client, users, mine, tibetan):
    client.force_login(users["ministry"])

    response = client.get("/admin/reminders/notification/", {"rule_kind": "report_due"})

    assert {n.pk for n in response.context["cl"].result_list} == {mine.pk, tibetan.pk}
