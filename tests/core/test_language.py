"""Chinese first: the browser's Accept-Language does not switch the UI; the switch does."""

import pytest

pytestmark = pytest.mark.django_db


def test_an_english_browser_still_gets_chinese_pages(client):
    response = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")

    assert response.status_code == 200
    assert "登录" in response.content.decode()
    assert response["Content-Language"] == "zh-hans"


def test_the_language_switch_chooses_english_and_back(client):
    client.post("/i18n/setlang/", {"language": "en", "next": "/accounts/login/"})
    english = client.get("/accounts/login/").content.decode()
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/accounts/login/"})
    chinese = client.get("/accounts/login/").content.decode()

    assert "Sign in" in english
    assert "登录" not in english
    assert "登录" in chinese


def test_an_unknown_language_cookie_falls_back_to_chinese(client):
    client.cookies["django_language"] = "xx"
    assert "登录" in client.get("/accounts/login/").content.decode()
