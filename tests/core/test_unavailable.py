"""The database does not answer: API clients get a JSON 503 with `Retry-After` and the
API's error shape, people a Chinese 503 page, never Django's "Server Error (500)". Any other
unexpected error is a 500 in the same two forms.

The unavailable database is real: a fresh interpreter whose DATABASE_URL points at a port
where nothing listens (nothing is patched)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import RequestFactory

from core.unavailable import server_error

REPO_ROOT = Path(__file__).resolve().parents[2]

# The requests that, with a database, read it first: an API key's lookup (in a DRF view),
# a signed-in person's session (in a middleware, before any view), a sign-in (a view).
REQUESTS_WITHOUT_DATABASE = """
import json, time
import django
django.setup()
from django.test import Client

def client(**kwargs):
    c = Client(raise_request_exception=False, **kwargs)
    c.cookies["sessionid"] = "a" * 32
    return c

out = {}
started = time.monotonic()
for name, method, path, extra in [
    ("api_read", "get", "/api/v1/firms/", {"HTTP_AUTHORIZATION": "Api-Key dk_abcd1234_secret"}),
    ("api_write", "post", "/api/v1/firms/", {"HTTP_AUTHORIZATION": "Api-Key dk_abcd1234_secret"}),
    ("portal", "get", "/portal/", {}),
    ("admin", "get", "/admin/", {}),
    ("sign_in", "post", "/accounts/login/", {}),
]:
    response = getattr(client(), method)(path, **extra)
    out[name] = {
        "status": response.status_code,
        "type": response.get("Content-Type", ""),
        "retry_after": response.get("Retry-After"),
        "request_id": response.get("X-Request-ID"),
        "csp": response.get("Content-Security-Policy", ""),
        "body": response.content.decode(),
    }
out["seconds"] = time.monotonic() - started
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def without_database() -> dict:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": "postgres://postgres@127.0.0.1:1/pairing",
    }
    result = subprocess.run(
        [sys.executable, "-c", REQUESTS_WITHOUT_DATABASE],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("name", ["api_read", "api_write"])
def test_api_clients_get_a_json_503_with_retry_after(without_database, name):
    response = without_database[name]

    assert response["status"] == 503
    assert response["type"] == "application/json"
    assert int(response["retry_after"]) > 0
    assert response["request_id"]
    body = json.loads(response["body"])
    assert body["status"] == 503
    assert body["code"] == "service_unavailable"
    assert body["message"] == {
        "zh": "服务暂时不可用，请稍后重试。",
        "en": "The service is temporarily unavailable. Try again later.",
    }
    assert "Idempotency-Key" in body["detail"]


@pytest.mark.parametrize("name", ["portal", "admin", "sign_in"])
def test_people_get_a_chinese_503_page_that_needs_nothing_else(without_database, name):
    response = without_database[name]
    page = response["body"]

    assert response["status"] == 503
    assert response["type"].startswith("text/html")
    assert int(response["retry_after"]) > 0
    assert "服务暂时不可用" in page
    assert "平台暂时无法连接数据库" in page
    assert "Server Error" not in page
    # nothing from another host, no stylesheet that a proxy might not serve
    assert not re.search(r"(?:src|href)=\"(?:https?:)?//", page)
    assert "<link" not in page
    # the inline style is allowed by the response's CSP, when it has one
    nonce = re.search(r"<style nonce=\"([^\"]+)\"", page)
    if response["csp"]:
        assert nonce is not None
        assert f"'nonce-{nonce.group(1)}'" in response["csp"]


def test_an_unavailable_database_answers_within_seconds(without_database):
    assert without_database["seconds"] < 30


def raised(exc: Exception, path: str):
    """handler500 as Django calls it: inside the `except` block of the error."""
    try:
        raise exc
    except type(exc):
        return server_error(RequestFactory().get(path))


def test_any_other_error_is_a_chinese_500_page_rendered_without_the_database():
    response = raised(ValueError("boom"), "/portal/")

    assert response.status_code == 500
    page = response.content.decode()
    assert "服务器错误" in page
    assert "Server Error (500)" not in page
    assert "boom" not in page


def test_any_other_error_under_the_api_is_a_json_500_in_the_error_shape():
    response = raised(ValueError("boom"), "/api/v1/firms/")

    assert response.status_code == 500
    body = json.loads(response.content)
    assert body["status"] == 500
    assert body["code"] == "server_error"
    assert set(body["message"]) == {"zh", "en"}
    assert "boom" not in response.content.decode()
