"""Every portal URL, swept: another province's user gets a 404 on every detail and edit
URL of 湖南's rows (GET and POST) while 湖南's own user gets the page, lists show nothing
of 湖南 to 西藏, an anonymous visitor is sent to sign in and a user without a role is
turned away. The URLs come from the `portal` namespace itself, so a new page joins the
sweep — and fails it until its arguments are mapped in tests/portal/conftest.py."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.shortcuts import resolve_url
from django.test import Client
from django.urls import reverse

from accounts.models import Organisation
from accounts.policy import Role
from tests.conftest import make_user
from tests.portal.conftest import portal_patterns

PATTERNS = portal_patterns()
WITH_ARGUMENTS = [p for p in PATTERNS if p.kwargs]
WITHOUT_ARGUMENTS = [p for p in PATTERNS if not p.kwargs]
# text only 湖南's rows carry (names of firms, branches, trainees, notifications)
HUNAN_MARKERS = ("湖南帮扶所", "湖南受援所", "湖南缺员分所", "湖南主分所", "湖南入学", "湖南提醒")
OTHER_PROVINCE_USERS = ("xizang_bar", "xizang_dept")


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def login_url() -> str:
    return resolve_url(settings.LOGIN_URL)


def test_the_sweep_sees_the_portals_pages():
    names = {p.name for p in PATTERNS}
    assert {"portal:home", "portal:notifications"} <= names
    assert len(WITH_ARGUMENTS) >= 10, [p.name for p in WITH_ARGUMENTS]


@pytest.mark.parametrize("pattern", WITH_ARGUMENTS, ids=lambda p: p.id)
def test_another_provinces_user_gets_404_on_every_detail_and_edit_url(pattern, hunan_world, users):
    url = reverse(pattern.name, kwargs=hunan_world.kwargs_for(pattern))

    # the other province first: nothing it sends may touch 湖南's rows
    theirs = {}
    for username in OTHER_PROVINCE_USERS:
        client = client_for(users[username])
        theirs[username] = {"GET": client.get(url), "POST": client.post(url, {})}
    own = client_for(users["hunan_bar"])
    ours = {"GET": own.get(url), "POST": own.post(url, {})}

    allowed = [m for m, r in ours.items() if r.status_code != 405]
    assert allowed, f"{url}: 湖南's user may neither GET nor POST it"
    for method, response in ours.items():
        if method in allowed:
            assert response.status_code in (200, 302), f"{method} {url} as 湖南: {response}"
            if response.status_code == 302:
                assert not response.url.startswith(login_url()), f"{method} {url}: {response.url}"
    for username, responses in theirs.items():
        for method, response in responses.items():
            expected = 404 if method in allowed else 405
            assert response.status_code == expected, (
                f"{method} {url} as {username}: {response.status_code}, expected {expected}"
            )
            body = response.content.decode(errors="replace")
            assert not [m for m in HUNAN_MARKERS if m in body], f"{method} {url} shows 湖南"


@pytest.mark.parametrize(
    "pattern",
    # (mark-all-read is a POST-only action without rows to show: the 404/403 sweep above
    # and tests/portal/test_notifications.py cover it)
    [p for p in WITHOUT_ARGUMENTS if p.name != "portal:notifications_read_all"],
    ids=lambda p: p.id,
)
def test_another_provinces_user_sees_nothing_of_this_province_on_the_other_pages(
    pattern, hunan_world, province_world, users
):
    province_world("西藏", rows=2)  # their own rows, so their pages have something to show
    url = reverse(pattern.name)
    ours = client_for(users["hunan_bar"]).get(url)
    assert ours.status_code == 200
    if pattern.name != "portal:trainee_nominate":  # a form: it lists no rows
        ours_body = ours.content.decode()
        assert [m for m in HUNAN_MARKERS if m in ours_body], f"{url} shows 湖南 nothing"

    for username in OTHER_PROVINCE_USERS:
        response = client_for(users[username]).get(url)
        assert response.status_code == 200, f"{url} as {username}"
        body = response.content.decode()
        assert not [m for m in HUNAN_MARKERS if m in body], f"{url} as {username} shows 湖南"


@pytest.mark.parametrize("pattern", PATTERNS, ids=lambda p: p.id)
def test_an_anonymous_visitor_is_sent_to_sign_in_from_every_portal_url(
    pattern, hunan_world, client
):
    url = reverse(pattern.name, kwargs=hunan_world.kwargs_for(pattern))

    for response in (client.get(url), client.post(url, {})):
        assert response.status_code == 302, url
        assert response.url == f"{login_url()}?next={url}"


@pytest.mark.parametrize("pattern", PATTERNS, ids=lambda p: p.id)
def test_a_user_without_a_role_is_turned_away_from_every_portal_url(pattern, hunan_world, regions):
    # a bar association whose organisation was deactivated: signed in, but no role
    closed = Organisation.objects.create(
        kind=Role.BAR_ASSOCIATION, province=regions["44"], name="广东律协（停用）", is_active=False
    )
    client = client_for(make_user("no_role", closed, staff=False))
    url = reverse(pattern.name, kwargs=hunan_world.kwargs_for(pattern))

    assert client.get(url).status_code == 403
    assert client.post(url, {}).status_code == 403
