"""Every page of the portal in headless Chromium at 375 px (a phone) and 1280 px (a desk),
with three rows of everything: every table cell is as wide as its text needs (no header
wrapping one character a line), nothing is wider than the screen unless it scrolls in its
own box, and under 480 px the list tables are stacked cards whose every value carries its
column's label. Screenshots of each list page at both widths go to the test's tmp_path."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.urls import reverse

from tests.layout import layout_problems
from tests.portal.conftest import PASSWORD, portal_patterns

pytestmark = pytest.mark.browser

WIDTHS: dict[str, dict[str, Any]] = {
    "375": {
        "viewport": {"width": 375, "height": 812},
        "is_mobile": True,
        "has_touch": True,
        "device_scale_factor": 2,
    },
    "1280": {"viewport": {"width": 1280, "height": 900}},
}
# the portal's list pages (portal/urls.py): the pages whose main content is a table of rows
LIST_PAGES = ("home", "notifications", "trainees", "secondments", "pairings", "branches")
# how each list table shows at 375 px: "cards" (header row hidden, cells stacked) or
# "scroll" (inside a box that scrolls sideways)
SHOWN_AS = """
() => Array.from(document.querySelectorAll("table.list")).filter((t) => t.checkVisibility())
  .map((t) => {
    if (t.tHead && !t.tHead.checkVisibility()) return "cards";
    for (let a = t.parentElement; a; a = a.parentElement) {
      if (["auto", "scroll"].includes(getComputedStyle(a).overflowX)) return "scroll";
    }
    return "squeezed";
  })
"""


def signed_in_page(browser: Any, base_url: str, width: str) -> Any:
    context = browser.new_context(locale="zh-CN", base_url=base_url, **WIDTHS[width])
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto("/portal/")
    page.fill("#id_username", "hunan_bar")
    page.fill("#id_password", PASSWORD)
    page.click("form:has(#id_password) button[type=submit]")
    page.wait_for_url(lambda url: urlsplit(url).path == "/portal/")
    return page


@pytest.fixture
def portal_pages(province_world, users) -> dict[str, str]:
    """name -> URL of every portal page answering GET, for 湖南 with three rows of everything."""
    world = province_world("湖南", rows=3)
    probe = Client()
    probe.force_login(users["hunan_bar"])
    pages = {}
    for p in portal_patterns():
        url = reverse(p.name, kwargs=world.kwargs_for(p))
        if probe.get(url).status_code != 405:  # not POST-only
            pages[p.id] = url
    return pages


def test_every_portal_page_fits_375_and_1280_px_with_its_table_headers_on_one_line(
    chromium, live_server, portal_pages, tmp_path: Path
):
    assert set(LIST_PAGES) <= set(portal_pages)
    assert len(portal_pages) >= 15, portal_pages
    problems: list[str] = []
    for width in WIDTHS:
        page = signed_in_page(chromium, live_server.url, width)
        try:
            for name, url in portal_pages.items():
                response = page.goto(url)
                assert response is not None, url
                assert response.ok, f"{url}: {response.status}"
                page.wait_for_load_state("networkidle")
                problems += [f"{width} px {p}" for p in layout_problems(page)]
                if name not in LIST_PAGES:
                    continue
                shown = page.evaluate(SHOWN_AS)
                assert shown, f"{url} shows no list table"
                expected = "cards" if width == "375" else "table"
                if {s if s == "cards" else "table" for s in shown} != {expected}:
                    problems.append(f"{width} px {url}: its tables show as {shown}, not {expected}")
                shot = tmp_path / f"portal-{name}-{width}.png"
                page.screenshot(path=str(shot), full_page=True)
                assert shot.stat().st_size > 1000
        finally:
            page.context.close()
    assert problems == [], "\n".join(problems)
