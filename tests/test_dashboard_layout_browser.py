"""The programme dashboard on the admin index in headless Chromium, with the demo programme
loaded, at 1280 px (a desk) and at 375 px (a phone): every cell of its tables is as wide as
its text needs (labels on one line), nothing is wider than the screen unless it scrolls in
its own box, at 1280 px the dashboard uses the width of the window, and on a phone the
official statistics are stacked cards with each value labelled. Screenshots of both
widths are saved under the test's tmp_path (kept by pytest for the last runs)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
import time_machine

import branches.demo
import pairing.demo
from pairing.models import StatSnapshot
from tests.layout import layout_problems
from tests.portal.conftest import PASSWORD

pytestmark = pytest.mark.browser

TODAY = dt.date(2026, 11, 27)
WIDTHS: dict[str, dict[str, Any]] = {
    "1280": {"viewport": {"width": 1280, "height": 900}},
    "375": {
        "viewport": {"width": 375, "height": 812},
        "is_mobile": True,
        "has_touch": True,
        "device_scale_factor": 2,
    },
}
# at a desk the dashboard takes the window's width but the admin's margins
DESK_SHARE = 0.85


@pytest.fixture
def demo_programme(transactional_db) -> None:
    """The demo programme, committed (the live server answers from its own connection)."""
    with time_machine.travel(dt.datetime(2026, 11, 27, 12, tzinfo=ZoneInfo("Asia/Shanghai"))):
        pairing.demo.load(today=TODAY)
        branches.demo.load(today=TODAY)


def open_dashboard(browser: Any, base_url: str, width: str) -> Any:
    context = browser.new_context(locale="zh-CN", base_url=base_url, **WIDTHS[width])
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto("/admin/")
    page.fill("#id_username", "ministry")
    page.fill("#id_password", PASSWORD)
    page.click("form [type=submit]")
    page.wait_for_url(lambda url: urlsplit(url).path == "/admin/")
    page.locator("#pd-statistics table").wait_for()
    return page


def save_screenshots(page: Any, stem: Path) -> list[Path]:
    """The whole page, its first screen, and the official-statistics module."""
    paths = [stem.with_name(f"{stem.name}-{part}.png") for part in ("page", "top", "statistics")]
    page.screenshot(path=str(paths[0]), full_page=True)
    page.screenshot(path=str(paths[1]))
    page.locator("#pd-statistics").screenshot(path=str(paths[2]))
    return paths


def test_the_admin_dashboard_fits_1280_and_375_px_with_its_labels_on_one_line(
    chromium, live_server, users, demo_programme, tmp_path: Path
):
    statistics = StatSnapshot.objects.count()
    assert statistics >= 5  # the official-statistics table has rows to lay out
    for width in WIDTHS:
        page = open_dashboard(chromium, live_server.url, width)
        try:
            for shot in save_screenshots(page, tmp_path / f"admin-dashboard-{width}"):
                assert shot.stat().st_size > 1000

            assert page.locator("#pd-statistics tbody tr").count() == statistics
            assert page.locator("#pd-provinces tbody tr").count() >= 10
            problems = layout_problems(page)
            assert problems == [], "\n".join(problems)
            # the official statistics: a table at a desk, stacked cards on a phone
            header_shown = page.locator("#pd-statistics thead").is_visible()
            assert header_shown == (width == "1280")
            if width == "1280":
                used = page.evaluate(
                    "() => document.querySelector('#programme-dashboard')"
                    ".getBoundingClientRect().width / window.innerWidth"
                )
                assert used >= DESK_SHARE, f"the dashboard uses {used:.0%} of the window"
        finally:
            page.context.close()
