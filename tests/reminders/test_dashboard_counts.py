"""The admin index shows the ministry the notifications written per rule per day, the
unreachable deadlines, and the e-mails needing a decision; departments see none of it."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from reminders.models import Channel, DeliveryState, Notification, ReminderRule, SweepRun

TODAY = dt.date(2026, 11, 27)
SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def runs(users):
    rule = ReminderRule.objects.create(
        name="季度报告提醒", kind="report_due", recipients=["pairing_bars"]
    )
    SweepRun.objects.create(rule=rule, run_on=TODAY - dt.timedelta(days=1), created=7)
    SweepRun.objects.create(
        rule=rule, run_on=TODAY, created=3, unreachable=[{"object": "pairing.progressreport:9"}]
    )
    SweepRun.objects.create(rule=rule, run_on=TODAY - dt.timedelta(days=30), created=99)
    Notification.objects.create(
        address="mentor@lawyer.example",
        rule_kind="report_due",
        channel=Channel.EMAIL,
        state=DeliveryState.UNKNOWN,
        subject="提醒",
    )
    return rule


@time_machine.travel(dt.datetime(2026, 11, 27, 9, 0, tzinfo=SHANGHAI), tick=False)
def test_the_ministry_sees_counts_per_rule_per_day(client, users, runs):
    client.force_login(users["ministry"])
    response = client.get("/admin/")
    counts = response.context["reminders"]
    # (the default rules of the data migration are listed too)
    row = next(r for r in counts.rules if r.rule == runs)
    assert counts.days[-1] == TODAY
    assert row.created == [0, 0, 0, 0, 0, 7, 3]  # the run 30 days ago is outside the week
    assert row.unreachable == 1
    assert counts.unknown == 1
    page = response.content.decode()
    assert "季度报告提醒" in page
    assert 'id="rc-attention"' in page


@time_machine.travel(dt.datetime(2026, 11, 27, 9, 0, tzinfo=SHANGHAI), tick=False)
def test_a_department_sees_no_reminder_counts(client, users, runs):
    client.force_login(users["hunan_dept"])
    response = client.get("/admin/")
    assert response.context["reminders"] is None
    assert "季度报告提醒" not in response.content.decode()
