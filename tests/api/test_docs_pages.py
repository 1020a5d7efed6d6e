"""The API documentation pages (Swagger UI, Redoc) in headless Chromium: they render the
operations from this server's files only — no request leaves 127.0.0.1, no CDN, no web
font — under the site's CSP ('self'), and in production only for signed-in users."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.shortcuts import resolve_url
from django.test import Client

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
LOCAL_HOSTS = {"127.0.0.1", "localhost"}
FIRMS_SUMMARY = "List law firms 律师事务所列表"


def host_of(url: str) -> str | None:
    """The host a request goes to; None for requests that go nowhere (data: URLs)."""
    if url.startswith("data:"):
        return None
    if url.startswith("blob:"):
        url = url.removeprefix("blob:")
    return urlsplit(url).hostname


@pytest.fixture
def signed_in_cookie(users) -> dict[str, str]:
    """A session of the 湖南 department's user (made before the browser starts: Django's
    ORM refuses to run inside Playwright's event loop)."""
    client = Client()
    client.force_login(users["hunan_dept"])
    return {
        "name": settings.SESSION_COOKIE_NAME,
        "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
    }


@pytest.fixture
def browser_page(live_server, signed_in_cookie) -> Iterator[tuple[object, list[str], list[str]]]:
    """A signed-in page; every URL it requests and every console error or CSP violation."""
    from playwright.sync_api import sync_playwright

    requests: list[str] = []
    problems: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(locale="zh-CN")
            context.add_cookies([{**signed_in_cookie, "url": live_server.url}])
            page = context.new_page()
            page.on("request", lambda request: requests.append(request.url))
            page.on(
                "console",
                lambda message: message.type == "error" and problems.append(message.text),
            )
            page.on("pageerror", lambda error: problems.append(str(error)))
            yield page, requests, problems
        finally:
            browser.close()


@pytest.mark.browser
@pytest.mark.parametrize(
    ("path", "operation"),
    [
        ("/api/v1/docs/", "#operations-firms-firms_list"),
        ("/api/v1/redoc/", "[data-section-id='tag/firms/operation/firms_list']"),
    ],
    ids=["swagger-ui", "redoc"],
)
def test_docs_page_renders_the_operations_from_this_server_only(
    browser_page, live_server, settings, path, operation
):
    settings.API_DOCS_PUBLIC = False  # as in production: the session lets the user in
    page, requests, problems = browser_page

    page.goto(live_server.url + path)
    page.wait_for_selector(operation, timeout=30_000)

    assert FIRMS_SUMMARY in page.inner_text("body")
    assert "/api/v1/firms/{id}/" in page.inner_text("body")
    assert any("/api/v1/schema/" in url for url in requests)  # the live schema, fetched
    elsewhere = [url for url in requests if host_of(url) not in (*LOCAL_HOSTS, None)]
    assert elsewhere == [], f"requests left 127.0.0.1: {elsewhere}"
    assert problems == [], f"console errors or CSP violations: {problems}"


# --- who may read them ---------------------------------------------------------------------
@pytest.mark.parametrize("path", ["/api/v1/docs/", "/api/v1/redoc/"])
def test_private_docs_send_an_anonymous_visitor_to_sign_in(client, settings, path):
    settings.API_DOCS_PUBLIC = False

    response = client.get(path)

    assert response.status_code == 302
    assert response.url == f"{resolve_url(settings.LOGIN_URL)}?next={path}"


def test_private_schema_answers_401_without_a_session_or_key(client, settings, db):
    settings.API_DOCS_PUBLIC = False

    response = client.get("/api/v1/schema/?format=json")

    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_private_schema_is_served_to_a_signed_in_user_and_to_an_api_key(
    client, users, keys, settings
):
    settings.API_DOCS_PUBLIC = False
    client.force_login(users["hunan_bar"])
    assert client.get("/api/v1/schema/").status_code == 200

    anonymous = Client()
    response = anonymous.get(
        "/api/v1/schema/", HTTP_AUTHORIZATION=f"Api-Key {keys['hunan_partner:r']}"
    )
    assert response.status_code == 200
    assert b"openapi" in response.content


def test_docs_pages_carry_the_strict_csp(client, users, settings):
    settings.API_DOCS_PUBLIC = False
    client.force_login(users["hunan_dept"])

    for path in ("/api/v1/docs/", "/api/v1/redoc/", "/api/v1/docs/?script="):
        response = client.get(path)
        assert response.status_code == 200
        csp = response["Content-Security-Policy"]
        assert "script-src 'self'" in csp
        assert "unsafe-inline" not in csp
    page = client.get("/api/v1/redoc/").content.decode()
    assert "fonts.googleapis.com" not in page
    assert "<script>" not in page
    assert "<style>" not in page
