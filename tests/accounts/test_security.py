"""Security behaviour seen from outside: lockout, session lifetimes, MFA, deploy checks,
response headers and the interface language. Everything runs against the real database
and Redis; time moves with time-machine."""

from __future__ import annotations

import base64
import datetime as dt
import os
import re
import secrets
import subprocess
import sys
import uuid
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client, override_settings
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

PASSWORD = "Test-pass-2026!"
WRONG_PASSWORD = "Wrong-pass-2026!"
UNKNOWN_USERNAME = "no_such_user_zz"
LOGIN_URL = "/accounts/login/"
ADMIN_LOGIN_URL = "/admin/login/"
MFA_URL = "/accounts/mfa/"
PORTAL_URL = "/portal/"
START = dt.datetime(2026, 11, 27, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
REPO_ROOT = Path(__file__).resolve().parents[2]

CSRF_VALUE = re.compile(r'(name="csrfmiddlewaretoken" value=")[^"]+(")')


def sign_in(client: Client, username: str, password: str = PASSWORD, url: str = LOGIN_URL):
    return client.post(url, {"username": username, "password": password})


def is_signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def normalised_body(response, username: str) -> str:
    """The page without what legitimately differs between two renders: the masked CSRF
    token (new on every render) and the username the form echoes back."""
    body = CSRF_VALUE.sub(r"\1CSRF\2", response.content.decode())
    return body.replace(username, "USERNAME")


@pytest.fixture(autouse=True)
def _no_leftover_lockouts(db):
    # axes keeps its counters in the database (AxesDatabaseHandler), so the per-test
    # transaction rollback already isolates tests; this guards against a switch to the
    # cache handler, whose counters would leak between tests.
    assert settings.AXES_HANDLER == "axes.handlers.database.AxesDatabaseHandler"
    assert not AccessAttempt.objects.exists()


# --- lockout (django-axes) -------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "username"),
    [(LOGIN_URL, "hunan_bar"), (ADMIN_LOGIN_URL, "hunan_dept")],
    ids=["site-login", "admin-login"],
)
def test_lockout_refuses_right_password_and_never_reveals_whether_user_exists(
    client, users, url, username
):
    limit = settings.AXES_FAILURE_LIMIT
    assert limit == 5

    for attempt in range(1, limit + 1):
        unknown = sign_in(client, UNKNOWN_USERNAME, WRONG_PASSWORD, url)
        known = sign_in(client, username, WRONG_PASSWORD, url)

        assert known.status_code == unknown.status_code
        assert normalised_body(known, username) == normalised_body(unknown, UNKNOWN_USERNAME)
        # the limit-th failure is itself answered with the lockout page
        assert known.status_code == (429 if attempt == limit else 200)

    locked = sign_in(client, username, PASSWORD, url)
    unknown_locked = sign_in(client, UNKNOWN_USERNAME, PASSWORD, url)

    assert locked.status_code == 429
    assert not is_signed_in(client)
    assert "登录已被暂时锁定" in locked.content.decode()
    assert unknown_locked.status_code == locked.status_code
    assert normalised_body(locked, username) == normalised_body(unknown_locked, UNKNOWN_USERNAME)


def test_lockout_of_one_username_does_not_block_another(client, users):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, "hunan_bar", WRONG_PASSWORD)

    assert sign_in(client, "hunan_bar").status_code == 429
    response = sign_in(client, "xizang_bar")

    assert response.status_code == 302
    assert is_signed_in(client)


def test_lockout_ends_after_the_cool_off_time_counted_from_the_last_attempt(client, users):
    cool_off = settings.AXES_COOLOFF_TIME
    with time_machine.travel(START, tick=False) as traveller:
        for _ in range(settings.AXES_FAILURE_LIMIT):
            sign_in(client, "hunan_bar", WRONG_PASSWORD)
        traveller.shift(cool_off - dt.timedelta(minutes=1))
        # still locked, and trying again while locked restarts the cool-off
        assert sign_in(client, "hunan_bar").status_code == 429
        traveller.shift(dt.timedelta(minutes=2))
        assert sign_in(client, "hunan_bar").status_code == 429

        traveller.shift(cool_off + dt.timedelta(minutes=1))
        response = sign_in(client, "hunan_bar")

        assert response.status_code == 302
        assert is_signed_in(client)


# --- session lifetimes -----------------------------------------------------------------


def test_idle_session_ends_after_session_cookie_age_but_activity_renews_it(client, users):
    idle = settings.SESSION_COOKIE_AGE
    with time_machine.travel(START, tick=False) as traveller:
        assert sign_in(client, "hunan_bar").status_code == 302
        # each request renews the idle timer, so two almost-full idle periods are fine
        traveller.shift(idle - 60)
        assert client.get(PORTAL_URL).status_code == 200
        traveller.shift(idle - 60)
        assert client.get(PORTAL_URL).status_code == 200

        traveller.shift(idle + 1)
        response = client.get(PORTAL_URL)

        assert response.status_code == 302
        assert response.url == f"{LOGIN_URL}?next={PORTAL_URL}"
        assert not is_signed_in(client)


def test_idle_session_expiry_is_recorded_in_the_session_table(client, users):
    with time_machine.travel(START, tick=False):
        sign_in(client, "hunan_bar")
        client.get(PORTAL_URL)
        session = Session.objects.get(session_key=client.session.session_key)

    assert session.expire_date == START + dt.timedelta(seconds=settings.SESSION_COOKIE_AGE)


def test_active_user_is_signed_out_after_the_absolute_lifetime(client, users):
    lifetime = settings.SESSION_ABSOLUTE_LIFETIME
    step = 10 * 60
    assert step < settings.SESSION_COOKIE_AGE < lifetime  # the idle timeout never fires here
    with time_machine.travel(START, tick=False) as traveller:
        assert sign_in(client, "hunan_bar").status_code == 302
        elapsed = 0
        while elapsed + step <= lifetime:
            traveller.shift(step)
            elapsed += step
            assert client.get(PORTAL_URL).status_code == 200, f"signed out after {elapsed}s"

        traveller.shift(lifetime - elapsed + 1)
        response = client.get(PORTAL_URL)
        assert response.status_code == 302
        assert response.url == f"{LOGIN_URL}?next={PORTAL_URL}"
        assert not is_signed_in(client)
        login_page = client.get(response.url)
        assert "会话已过期，请重新登录。" in login_page.content.decode()

        # a fresh sign-in starts a fresh lifetime
        assert sign_in(client, "hunan_bar").status_code == 302
        assert client.get(PORTAL_URL).status_code == 200


# --- MFA (django-otp TOTP) -------------------------------------------------------------


def current_token(device: TOTPDevice, offset_steps: int = 0) -> str:
    value = totp(
        device.bin_key,
        step=device.step,
        t0=device.t0,
        digits=device.digits,
        drift=device.drift + offset_steps,
    )
    return f"{value:0{device.digits}d}"


def rejected_token(device: TOTPDevice) -> str:
    """A code that no step inside the device's tolerance window would accept."""
    accepted = {current_token(device, n) for n in range(-device.tolerance, device.tolerance + 1)}
    candidate = int(current_token(device))
    while f"{candidate:06d}" in accepted:
        candidate = (candidate + 123457) % 1_000_000
    return f"{candidate:06d}"


def field_paragraph(html: str, field_name: str) -> str:
    match = re.search(rf'<p>(?:(?!</p>).)*name="{field_name}"(?:(?!</p>).)*</p>', html, re.S)
    assert match, f"no <p> holding the {field_name} field"
    return match.group(0)


@override_settings(MFA_REQUIRED=True)
def test_staff_user_enrols_totp_before_reaching_the_admin(client, users):
    user = users["hunan_dept"]
    with time_machine.travel(START, tick=False) as traveller:
        sign_in(client, user.username)

        response = client.get("/admin/")
        assert response.status_code == 302
        assert response.url == f"{MFA_URL}?next=/admin/"

        page = client.get(response.url)
        html = page.content.decode()
        assert page.status_code == 200
        assert re.search(r'<div class="qr">\s*(<\?xml[^>]*>\s*)?<svg', html)
        device = TOTPDevice.objects.get(user=user)
        assert not device.confirmed

        wrong = client.post(MFA_URL, {"token": rejected_token(device), "next": "/admin/"})
        assert wrong.status_code == 200
        paragraph = field_paragraph(wrong.content.decode(), "token")
        assert 'class="errorlist"' in paragraph
        assert "验证码错误或已过期" in paragraph
        assert client.get("/admin/").status_code == 302

        # django-otp throttles after a failure (1 s, doubling); wait it out, new step
        traveller.shift(device.step)
        right = client.post(MFA_URL, {"token": current_token(device), "next": "/admin/"})
        assert right.status_code == 302
        assert right.url == "/admin/"

        assert client.get("/admin/").status_code == 200
        device.refresh_from_db()
        assert device.confirmed


@override_settings(MFA_REQUIRED=True)
def test_enrolled_user_is_asked_for_a_code_without_seeing_the_secret_again(client, users):
    user = users["hunan_dept"]
    device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)
    with time_machine.travel(START, tick=False):
        sign_in(client, user.username)

        page = client.get(MFA_URL, {"next": "/admin/"})
        html = page.content.decode()
        assert page.status_code == 200
        assert 'name="token"' in html
        assert "<svg" not in html
        assert base64.b32encode(device.bin_key).decode() not in html

        response = client.post(MFA_URL, {"token": current_token(device), "next": "/admin/"})
        assert response.url == "/admin/"
        assert client.get("/admin/").status_code == 200


@override_settings(MFA_REQUIRED=True)
def test_mfa_is_not_forced_on_non_staff_users(client, users):
    sign_in(client, "hunan_bar")

    response = client.get(PORTAL_URL)

    assert response.status_code == 200
    assert not TOTPDevice.objects.filter(user=users["hunan_bar"]).exists()


@override_settings(MFA_REQUIRED=False)
def test_without_mfa_required_staff_reach_the_admin_with_a_password(client, users):
    sign_in(client, "hunan_dept")

    response = client.get("/admin/")

    assert response.status_code == 200
    assert not TOTPDevice.objects.exists()


# --- production settings ---------------------------------------------------------------


def run_deploy_check(**extra_env: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "ALLOWED_HOSTS": "example.gov.cn",
        "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/postgres",
        **extra_env,
    }
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_production_settings_pass_the_deploy_check():
    result = run_deploy_check()

    assert result.returncode == 0, result.stderr + result.stdout


def test_deploy_check_fails_when_production_is_weakened():
    # proves the check above can fail: turning off the HTTPS redirect is a deploy warning
    result = run_deploy_check(SECURE_SSL_REDIRECT="false")

    assert result.returncode != 0
    assert "security.W008" in result.stderr


def test_production_settings_refuse_to_start_without_a_secret_key():
    env = {k: v for k, v in os.environ.items() if k != "SECRET_KEY"}
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=REPO_ROOT,
        env={
            **env,
            "DJANGO_SETTINGS_MODULE": "config.settings.production",
            "ALLOWED_HOSTS": "example.gov.cn",
            "DJANGO_READ_DOT_ENV": "false",
        },
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


# --- headers ---------------------------------------------------------------------------


def csp_directives(header: str) -> dict[str, list[str]]:
    directives = {}
    for part in header.split(";"):
        name, *sources = part.split()
        directives[name] = sources
    return directives


@pytest.mark.django_db
def test_pages_carry_strict_security_headers(client):
    response = client.get(LOGIN_URL)

    csp = csp_directives(response["Content-Security-Policy"])
    assert csp["default-src"] == ["'self'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["object-src"] == ["'none'"]
    allowed_sources = {"'self'", "'none'", "data:"}
    for name, sources in csp.items():
        for source in sources:
            assert source in allowed_sources or source.startswith("'nonce-"), (name, source)
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert re.fullmatch(r"[0-9a-f]{32}", response["X-Request-ID"])


@pytest.mark.django_db
def test_each_request_gets_its_own_request_id(client):
    first = client.get(LOGIN_URL)["X-Request-ID"]
    second = client.get(LOGIN_URL)["X-Request-ID"]

    assert first != second


@pytest.mark.django_db
def test_valid_incoming_request_id_is_echoed(client):
    incoming = f"proxy-{uuid.uuid4()}"

    response = client.get(LOGIN_URL, headers={"X-Request-ID": incoming})

    assert response["X-Request-ID"] == incoming


@pytest.mark.django_db
@pytest.mark.parametrize(
    "incoming", ["has spaces", "<script>alert(1)</script>", "x" * 65, "换行\r\nSet-Cookie: a=b"]
)
def test_malformed_incoming_request_id_is_replaced(client, incoming):
    response = client.get(LOGIN_URL, headers={"X-Request-ID": incoming})

    assert response["X-Request-ID"] != incoming
    assert re.fullmatch(r"[0-9a-f]{32}", response["X-Request-ID"])


# --- language --------------------------------------------------------------------------


@pytest.mark.django_db
def test_interface_is_chinese_by_default(client):
    html = client.get(LOGIN_URL).content.decode()

    assert '<html lang="zh-Hans">' in html
    assert "<h1>登录</h1>" in html
    assert "用户名" in html
    assert "律师行业东中西部对口帮扶平台" in html


@pytest.mark.django_db
def test_django_admin_login_is_chinese_by_default(client):
    html = client.get(ADMIN_LOGIN_URL).content.decode()

    assert 'lang="zh-hans"' in html
    assert "用户名" in html  # Django's own translation of the username label


@pytest.mark.django_db
def test_switching_to_english_sticks_for_later_pages(client):
    response = client.post("/i18n/setlang/", {"language": "en", "next": LOGIN_URL})

    assert response.status_code == 302
    assert response.url == LOGIN_URL
    html = client.get(LOGIN_URL).content.decode()
    assert '<html lang="en">' in html
    assert "<h1>Sign in</h1>" in html
    assert "登录" not in html

    client.post("/i18n/setlang/", {"language": "zh-hans", "next": LOGIN_URL})
    assert "<h1>登录</h1>" in client.get(LOGIN_URL).content.decode()
