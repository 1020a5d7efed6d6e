"""Signing in to the portal: an anonymous visitor is sent to the sign-in page from every
portal page; repeated failures lock the account out (django-axes); a bar-association user
lands on /portal/; a forgotten password is reset through a one-time link sent by e-mail."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.core import mail

from accounts.models import User

PASSWORD = "Test-pass-2026!"  # tests/conftest.py make_user
WRONG = "Wrong-pass-2026!"
NEW_PASSWORD = "Neues-Kennwort-2026"
LOGIN = "/accounts/login/"
RESET = "/accounts/password-reset/"
PORTAL = "/portal/"

# every portal URL of the home, the inbox and its actions (method, path)
OWN_URLS = [
    ("get", "/portal/"),
    ("get", "/portal/notifications/"),
    ("get", "/portal/notifications/?unread=true&page=2"),
    ("post", "/portal/notifications/1/read/"),
    ("post", "/portal/notifications/read-all/"),
]


def signed_in_user_id(client) -> str | None:
    return client.session.get("_auth_user_id")


@pytest.mark.parametrize(("method", "url"), OWN_URLS)
def test_anonymous_visitor_is_sent_to_sign_in_from_every_portal_page(client, db, method, url):
    response = getattr(client, method)(url)

    assert response.status_code == 302
    location = urlsplit(response["Location"])
    assert location.path == LOGIN
    assert "next=" in location.query


def test_portal_sign_in_locks_out_after_repeated_failures(client, users):
    login_page = client.get(PORTAL)["Location"]  # /accounts/login/?next=/portal/
    assert login_page.startswith(LOGIN)
    limit = settings.AXES_FAILURE_LIMIT

    answers = [
        client.post(login_page, {"username": "hunan_bar", "password": WRONG}).status_code
        for _ in range(limit)
    ]
    locked = client.post(login_page, {"username": "hunan_bar", "password": PASSWORD})

    assert answers == [200] * (limit - 1) + [429]
    assert locked.status_code == 429
    assert signed_in_user_id(client) is None
    assert client.get(PORTAL).status_code == 302


def test_bar_association_user_lands_on_the_portal(client, users):
    response = client.post(LOGIN, {"username": "hunan_bar", "password": PASSWORD}, follow=True)

    assert response.redirect_chain[-1] == (PORTAL, 302)
    assert response.status_code == 200
    assert signed_in_user_id(client) == str(users["hunan_bar"].pk)


def test_sign_in_from_a_portal_page_returns_to_it(client, users):
    login_page = client.get("/portal/notifications/")["Location"]

    response = client.post(login_page, {"username": "hunan_bar", "password": PASSWORD})

    assert response.status_code == 302
    assert response["Location"] == "/portal/notifications/"


def test_sign_in_page_links_to_password_reset(client, db):
    html = client.get(LOGIN).content.decode()

    assert f'href="{RESET}"' in html


def reset_link(message) -> str:
    match = re.search(r"https?://\S+/accounts/password-reset/\S+/\S+/", message.body)
    assert match, message.body
    return match.group(0)


def test_password_reset_by_email_sets_a_new_password_once(client, users):
    user = users["hunan_bar"]
    user.email = "clerk@hunan-bar.invalid"
    user.save(update_fields=["email"])

    response = client.post(RESET, {"email": "Clerk@Hunan-Bar.invalid"})

    assert response.status_code == 302
    assert response["Location"] == "/accounts/password-reset/sent/"
    assert client.get(response["Location"]).status_code == 200
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["clerk@hunan-bar.invalid"]
    link = reset_link(message)
    # built on SITE_URL, not on the Host header of the request
    assert link.startswith(settings.SITE_URL + "/accounts/password-reset/")

    # the link leads to the form (Django moves the token into the session first)
    form_page = client.get(urlsplit(link).path, follow=True)
    assert form_page.status_code == 200
    assert form_page.context["validlink"] is True
    set_password_url = form_page.redirect_chain[-1][0]
    done = client.post(
        set_password_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )

    assert done.status_code == 302
    assert done["Location"] == "/accounts/password-reset/done/"
    assert client.get(done["Location"]).status_code == 200
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert signed_in_user_id(client) is None  # a reset does not sign in (MFA still applies)
    # the link works once
    again = client.get(urlsplit(link).path, follow=True)
    assert again.context["validlink"] is False
    # the new password signs in, the old one no longer does
    assert client.post(LOGIN, {"username": "hunan_bar", "password": PASSWORD}).status_code == 200
    signed_in = client.post(LOGIN, {"username": "hunan_bar", "password": NEW_PASSWORD})
    assert signed_in.status_code == 302
    assert signed_in_user_id(client) == str(user.pk)


def test_password_reset_rejects_a_weak_new_password_beside_the_field(client, users):
    user = users["hunan_bar"]
    user.email = "clerk@hunan-bar.invalid"
    user.save(update_fields=["email"])
    client.post(RESET, {"email": user.email})
    form_page = client.get(urlsplit(reset_link(mail.outbox[0])).path, follow=True)

    response = client.post(
        form_page.redirect_chain[-1][0], {"new_password1": "12345", "new_password2": "12345"}
    )

    assert response.status_code == 200
    assert response.context["form"].errors["new_password2"]
    assert 'class="form-row has-error"' in response.content.decode()
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_password_reset_for_an_unknown_address_looks_the_same_and_sends_nothing(client, users):
    User.objects.filter(pk=users["hunan_bar"].pk).update(email="clerk@hunan-bar.invalid")

    known = client.post(RESET, {"email": "clerk@hunan-bar.invalid"})
    unknown = client.post(RESET, {"email": "nobody@hunan-bar.invalid"})

    assert unknown.status_code == known.status_code == 302
    assert unknown["Location"] == known["Location"]
    assert len(mail.outbox) == 1


def test_password_reset_mails_an_address_at_most_three_times_an_hour(client, users, settings):
    """Past the limit the page answers the same and sends nothing; other addresses are
    not affected. The address is unique to this run (the counts live in Redis)."""
    import uuid

    settings.PASSWORD_RESET_RATE = "3/h"
    address = f"flood-{uuid.uuid4().hex[:12]}@hunan-bar.invalid"
    User.objects.filter(pk=users["hunan_bar"].pk).update(email=address)
    other = f"other-{uuid.uuid4().hex[:12]}@hunan-bar.invalid"
    User.objects.filter(pk=users["xizang_bar"].pk).update(email=other)

    # the same address however it is typed
    answers = [client.post(RESET, {"email": a}) for a in (address, address.upper(), address) * 2]

    assert {(r.status_code, r["Location"]) for r in answers} == {
        (302, "/accounts/password-reset/sent/")
    }
    assert [m.to for m in mail.outbox] == [[address]] * 3
    client.post(RESET, {"email": other})
    assert mail.outbox[-1].to == [other]


def test_password_reset_still_sends_when_the_limits_cache_is_down(client, users, settings):
    # a cache on a port nothing listens on (not the shared Redis the other tests use)
    settings.CACHES = {
        **settings.CACHES,
        "dead": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
        },
    }
    settings.RATELIMIT_USE_CACHE = "dead"
    User.objects.filter(pk=users["hunan_bar"].pk).update(email="clerk@hunan-bar.invalid")

    response = client.post(RESET, {"email": "clerk@hunan-bar.invalid"})

    assert response.status_code == 302
    assert len(mail.outbox) == 1


def test_password_reset_link_with_a_forged_token_is_refused(client, users):
    response = client.get("/accounts/password-reset/MQ/forged-token/")

    assert response.status_code == 200
    assert response.context["validlink"] is False
    assert "<form" not in response.content.decode().split("<main", 1)[1]


def test_a_bar_association_user_made_staff_still_lands_in_the_portal(client, users):
    user = users["hunan_bar"]
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    client.force_login(user)
    assert client.get("/accounts/after-login/")["Location"] == "/portal/"
    client.force_login(users["hunan_dept"])
    assert client.get("/accounts/after-login/")["Location"] == "/admin/"
