"""Ending a posting on a date so late that the 30-day staffing look-ahead leaves the
calendar (9999-12-31) is refused on `end_date` by every path that ends postings — the
service, the API action, the portal form and the admin action — instead of a 500
(OverflowError)."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from branches.models import Posting
from branches.services import STAFFING_LOOKAHEAD_DAYS, end_posting, staffing_window_end
from tests.adminutil import changelist_url
from tests.api.conftest import KeyClient
from tests.factories import BranchOfficeFactory, PostingFactory

pytestmark = pytest.mark.django_db

LAST_DAY = "9999-12-31"
# the latest end whose look-ahead (and the day after it) is still in the calendar
LATEST = dt.date.max - dt.timedelta(days=STAFFING_LOOKAHEAD_DAYS + 1)


@pytest.fixture(autouse=True)
def fixed_time():
    with time_machine.travel(dt.datetime(2026, 11, 27, 4, 0, tzinfo=dt.UTC), tick=False):
        yield


@pytest.fixture
def posting(regions):
    """A 西藏 branch's posting (a second lawyer keeps the branch staffed)."""
    branch = BranchOfficeFactory(minimum_staff=1)
    PostingFactory(branch=branch)
    return PostingFactory(branch=branch)


def by_service(users, posting, end_date: str) -> list[str]:
    try:
        end_posting(
            actor=users["ministry"],
            posting=posting,
            end_date=dt.date.fromisoformat(end_date),
            reason="轮换期满",
        )
    except ValidationError as exc:
        return exc.message_dict.get("end_date", ["(another field)"])
    return []


def by_api(users, posting, end_date: str) -> list[str]:
    from accounts.api_keys import issue_api_key

    secret = issue_api_key(
        actor=users["superuser"],
        organisation=users["xizang_dept"].organisation,
        name="end dates",
        scope_write=True,
    ).secret
    response = KeyClient(secret).post(
        f"/api/v1/postings/{posting.pk}/end/",
        {"end_date": end_date, "reason": "轮换期满"},
        format="json",
    )
    assert response.status_code in (200, 400), response.content
    return response.json()["detail"]["end_date"] if response.status_code == 400 else []


def by_portal(users, posting, end_date: str) -> list[str]:
    client = Client()
    client.force_login(users["xizang_bar"])
    url = reverse("portal:posting_end", args=[posting.branch_id, posting.pk])
    response = client.post(url, {"end_date": end_date, "end_reason": "轮换期满"})
    assert response.status_code in (200, 302)
    if response.status_code == 302:
        return []
    return [str(e) for e in response.context["form"].errors.get("end_date", [])]


def by_admin_action(users, posting, end_date: str) -> list[str]:
    client = Client()
    client.force_login(users["ministry"])
    data = {
        "action": "end_postings",
        "_selected_action": [posting.pk],
        "index": "0",
        "apply": "1",
        "reason": "轮换期满",
        "end_date": end_date,
    }
    response = client.post(changelist_url(Posting), data)
    assert response.status_code == 302
    posting.refresh_from_db()
    messages = [str(m) for m in get_messages(response.wsgi_request)]
    return [] if posting.end_date else messages


PATHS = {
    "service": by_service,
    "api": by_api,
    "portal": by_portal,
    "admin action": by_admin_action,
}


@pytest.mark.parametrize("path", PATHS)
def test_an_end_date_whose_look_ahead_leaves_the_calendar_is_refused_on_end_date(
    users, posting, path
):
    errors = PATHS[path](users, posting, LAST_DAY)

    assert errors, "9999-12-31 was accepted"
    # (in Chinese, on the field; other plausibility rules on dates may refuse it first)
    assert all("结束日期" in e for e in errors), errors
    posting.refresh_from_db()
    assert (posting.end_date, posting.end_reason) == (None, "")


def test_the_look_ahead_exists_up_to_the_latest_end_date_and_is_refused_after():
    assert staffing_window_end(LATEST) == LATEST + dt.timedelta(days=STAFFING_LOOKAHEAD_DAYS)
    with pytest.raises(ValidationError) as refused:
        staffing_window_end(LATEST + dt.timedelta(days=1))
    assert list(refused.value.message_dict) == ["end_date"]
