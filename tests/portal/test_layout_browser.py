"""The portal's list pages in headless Chromium at 375 px (a phone) and 1280 px (a desk),
with three rows of everything: under 480 px the list tables are stacked cards whose every
value carries its column's label, at a desk they are tables; every table cell is as wide as
its text needs (no header wrapping one character a line), nothing is wider than the screen
unless it scrolls in its own box, and each filter's label sits right above its field.
Screenshots of each list page at both widths go to the test's tmp_path. (Every other portal
page gets the same layout check at both widths in test_browser.py's check_page.)"""

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
# the portal's list pages (portal/urls.py); any other page without an argument that shows a
# table.list is held to the same rules
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

# a filter's label sits right above its field (a <br> after the block label left a blank line)
FILTER_LABEL_GAPS = """
() => Array.from(document.querySelectorAll(".filters label[for]")).map((label) => {
  const field = document.getElementById(label.htmlFor);
  if (!field || !field.checkVisibility()) return null;
  const gap = field.getBoundingClientRect().top - label.getBoundingClientRect().bottom;
  return gap > 12 ? `${label.textContent.trim()}: ${Math.round(gap)}px above its field` : null;
}).filter(Boolean)
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
def top_pages(province_world, users) -> dict[str, str]:
    """name -> URL of every portal page without an argument that answers GET (the list
    pages and their siblings, new ones included), for 湖南 with three rows of everything."""
    province_world("湖南", rows=3)
    probe = Client()
    probe.force_login(users["hunan_bar"])
    urls = {p.id: reverse(p.name) for p in portal_patterns() if not p.kwargs}
    return {name: url for name, url in urls.items() if probe.get(url).status_code != 405}


def test_list_pages_show_cards_at_375_and_tables_at_1280_px_with_headers_on_one_line(
    chromium, live_server, top_pages, tmp_path: Path
):
    problems: list[str] = []
    with_tables: set[str] = set()
    for width in WIDTHS:
        page = signed_in_page(chromium, live_server.url, width)
        try:
            for name, url in top_pages.items():
                response = page.goto(url)
                assert response is not None, url
                assert response.ok, f"{url}: {response.status}"
                page.wait_for_load_state("networkidle")
                problems += [f"{width} px {p}" for p in layout_problems(page)]
                problems += [f"{width} px {url}: {g}" for g in page.evaluate(FILTER_LABEL_GAPS)]
                shown = page.evaluate(SHOWN_AS)
                if not shown:  # a form or the month timeline
                    continue
                with_tables.add(name)
                expected = "cards" if width == "375" else "table"
                if {s if s == "cards" else "table" for s in shown} != {expected}:
                    problems.append(f"{width} px {url}: its tables show as {shown}, not {expected}")
                shot = tmp_path / f"portal-{name}-{width}.png"
                page.screenshot(path=str(shot), full_page=True)
                assert shot.stat().st_size > 1000
        finally:
            page.context.close()
    assert set(LIST_PAGES) <= with_tables
    assert problems == [], "\n".join(problems)
