"""Shared fixtures: reference data, organisations and one user per role."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from celery.contrib.testing.worker import start_worker
from celery.signals import task_postrun
from django.db import connections
from pytest_django.plugin import blocking_manager_key

from accounts.models import Organisation, User
from accounts.policy import Role
from regions.models import Province
from regions.services import load_calendar, load_regions

TODAY = dt.date(2026, 11, 27)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Reference data (32 provinces, 2,847 counties, the holiday calendar) is loaded once into the test database
    and committed; every test's transaction rolls back on top of it."""
    with django_db_blocker.unblock():
        load_regions(today=TODAY)
        load_calendar()


def _is_transactional(item: pytest.Item) -> bool:
    marker = item.get_closest_marker("django_db")
    fixtures = getattr(item, "fixturenames", ())
    return bool(
        (marker and marker.kwargs.get("transaction"))
        or "transactional_db" in fixtures
        or "live_server" in fixtures
    )


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None):
    """A transactional test flushes every table when it ends: load the reference data
    again, after that flush, so the tests that follow find it."""
    yield
    # (after the last test the session's teardown has already dropped the test database)
    if nextitem is not None and _is_transactional(item):
        with item.config.stash[blocking_manager_key].unblock():
            load_regions(today=TODAY)
            load_calendar()


@pytest.fixture(scope="session")
def celery_worker(django_db_setup) -> Iterator[object]:
    """One real Celery worker (a solo-pool thread of this process) on the real Redis broker,
    consuming this process's own queue (settings.test's CELERY_TASK_DEFAULT_QUEUE), shared
    by every test that needs one: Celery's embedded worker does not start reliably a second
    time in one process. Tests using it need `django_db(transaction=True)`, so the worker's
    own database connection sees their rows."""
    from config.celery import app

    assert not app.conf.task_always_eager

    def close_worker_thread_connections(**kwargs: object) -> None:
        # With CELERY_DB_REUSE_MAX the worker thread would keep its database connection,
        # which stops pytest-django dropping the test database. Production workers keep it.
        connections.close_all()

    app.control.purge()  # nothing left over from an interrupted run
    task_postrun.connect(close_worker_thread_connections, weak=False)
    try:
        with start_worker(
            app,
            pool="solo",
            concurrency=1,
            perform_ping_check=False,
            queues=[app.conf.task_default_queue],
        ) as worker:
            yield worker
    finally:
        task_postrun.disconnect(close_worker_thread_connections)


@pytest.fixture
def regions(db) -> dict[str, Province]:
    """All provinces and counties, by code."""
    return {p.code: p for p in Province.objects.all()}


def make_org(kind: Role, province: Province | None, name: str | None = None) -> Organisation:
    org, _ = Organisation.objects.get_or_create(
        kind=kind,
        province=province,
        defaults={"name": name or f"{province.name if province else '司法部'}-{kind}"},
    )
    return org


def make_user(
    username: str, org: Organisation | None, *, staff: bool = True, superuser: bool = False
) -> User:
    return User.objects.create_user(
        username=username,
        password="Test-pass-2026!",
        organisation=org,
        is_staff=staff,
        is_superuser=superuser,
    )


@pytest.fixture
def users(regions) -> dict[str, User]:
    """One user per role: the ministry, and 湖南 (43) / 西藏 (54) for the provincial roles."""
    hunan, xizang = regions["43"], regions["54"]
    return {
        "superuser": make_user("root", None, superuser=True),
        "ministry": make_user("ministry", make_org(Role.MINISTRY, None, "司法部")),
        "hunan_dept": make_user("hunan_dept", make_org(Role.JUSTICE_DEPARTMENT, hunan)),
        "xizang_dept": make_user("xizang_dept", make_org(Role.JUSTICE_DEPARTMENT, xizang)),
        "hunan_bar": make_user("hunan_bar", make_org(Role.BAR_ASSOCIATION, hunan), staff=False),
        "xizang_bar": make_user("xizang_bar", make_org(Role.BAR_ASSOCIATION, xizang), staff=False),
        "hunan_partner": make_user(
            "hunan_partner", make_org(Role.PARTNER, hunan, "湖南伙伴系统"), staff=False
        ),
    }


# Debian's Chromium, driven by Playwright for Python (tests marked `browser`)
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@pytest.fixture(scope="module")
def chromium() -> Iterator[object]:
    """One headless Chromium per test module (each test opens its own contexts)."""
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop in this thread; the tests read and count
    # rows between steps (the live server answers from its own thread and connection)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                yield browser
            finally:
                browser.close()
