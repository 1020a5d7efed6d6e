"""The portal in headless Chromium (Playwright for Python, Debian's /usr/bin/chromium), at
desktop width and at 375 px (a phone): a clerk signs in through the real sign-in form, sees
the province's due items on home, writes a progress report as a draft and submits it (the
admin shows it submitted too); nominates a lawyer who is too old (the error beside the
field, the input kept, nothing saved); posts a lawyer to a branch short of staff (the gap
leaves home).

On every page: no request leaves 127.0.0.1, no console error or CSP violation, no failed
request, `lang="zh-Hans"`, every visible input has its <label>, nothing is wider than the
screen and every table cell is as wide as its text needs (tests/layout.py). Screenshots of home and of the forms are saved under $PORTAL_SCREENSHOTS
(default test-artifacts/portal/ in the repository).
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from branches.models import Posting, PostingKind
from lawyers.models import TRAINEE_MAX_AGE, PracticeArea, Trainee
from pairing.models import ReportStatus
from tests.factories import LawFirmFactory, LawyerFactory, province
from tests.layout import layout_problems
from tests.portal.conftest import PASSWORD, portal_patterns

pytestmark = pytest.mark.browser

LOCAL_HOSTS = {"127.0.0.1", "localhost"}
VIEWPORTS: dict[str, dict[str, Any]] = {
    "desktop": {"viewport": {"width": 1280, "height": 900}},
    "phone": {
        "viewport": {"width": 375, "height": 812},
        "is_mobile": True,
        "has_touch": True,
        "device_scale_factor": 2,
    },
}
SCREENSHOTS = Path(
    os.environ.get("PORTAL_SCREENSHOTS")
    or Path(__file__).resolve().parents[2] / "test-artifacts" / "portal"
)
# Chromium logs CSP violations as console errors; this makes sure each one is reported
REPORT_CSP_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (e) => {
  console.error(`CSP violation: ${e.violatedDirective} blocked ${e.blockedURI || "inline"}`);
});
"""
# visible form controls without a <label> that names them
UNLABELLED = """
() => Array.from(document.querySelectorAll("input, select, textarea"))
  .filter((el) => !["hidden", "submit", "button", "reset", "image"].includes(el.type))
  .filter((el) => el.checkVisibility())
  .filter((el) => !Array.from(el.labels || []).some((l) => l.textContent.trim()))
  .map((el) => el.outerHTML.slice(0, 160))
"""
TOO_WIDE = "() => document.documentElement.scrollWidth - window.innerWidth"


def host_of(url: str) -> str | None:
    """The host a request goes to; None for requests that go nowhere (data: URLs)."""
    if url.startswith("data:"):
        return None
    return urlsplit(url.removeprefix("blob:")).hostname


def is_favicon(url: str) -> bool:
    return urlsplit(url).path == "/favicon.ico"


@dataclass
class Recorder:
    """Every URL a page requests and every problem it reports."""

    requests: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def watch(self, page: Any) -> None:
        page.on("request", lambda request: self.requests.append(request.url))
        page.on("console", self.check_console)
        page.on("pageerror", lambda error: self.problems.append(f"page error: {error}"))
        page.on(
            "response",
            lambda response: (
                response.status >= 400 and self.problems.append(f"{response.status} {response.url}")
            ),
        )
        page.on(
            "requestfailed",
            lambda request: self.problems.append(f"failed {request.url}: {request.failure}"),
        )

    def check_console(self, message: Any) -> None:
        if message.type != "error":
            return
        source = (message.location or {}).get("url", "")
        if not is_favicon(source):
            self.problems.append(f"{message.text} ({source})")

    def check_response(self, response: Any) -> None:
        # (the browser asks for /favicon.ico by itself; the site has none — reported, not
        # failed here)
        if response.status >= 400 and not is_favicon(response.url):
            self.problems.append(f"{response.status} {response.url}")

    def assert_clean(self) -> None:
        assert self.requests, "the recorder saw no request"
        elsewhere = [url for url in self.requests if host_of(url) not in (*LOCAL_HOSTS, None)]
        assert elsewhere == [], f"requests left 127.0.0.1: {elsewhere}"
        assert self.problems == [], (
            f"console errors, CSP violations or failed requests: {self.problems}"
        )


@dataclass
class Visit:
    """One browser context at one width, with its recorder."""

    browser: Any
    base_url: str
    width_name: str
    recorder: Recorder = field(default_factory=Recorder)
    contexts: list[Any] = field(default_factory=list)

    def new_page(self) -> Any:
        context = self.browser.new_context(
            locale="zh-CN", base_url=self.base_url, **VIEWPORTS[self.width_name]
        )
        context.set_default_timeout(15_000)
        context.add_init_script(REPORT_CSP_VIOLATIONS)
        self.contexts.append(context)
        page = context.new_page()
        self.recorder.watch(page)
        return page

    def close(self) -> None:
        for context in self.contexts:
            context.close()

    def screenshot(self, page: Any, name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}-{self.width_name}.png"
        page.screenshot(path=str(path), full_page=True)
        assert path.stat().st_size > 1000
        return path


@pytest.fixture(params=list(VIEWPORTS), ids=list(VIEWPORTS))
def visit(request, chromium, live_server) -> Iterator[Visit]:
    v = Visit(browser=chromium, base_url=live_server.url, width_name=request.param)
    try:
        yield v
    finally:
        v.close()


def check_page(page: Any) -> None:
    """What every portal page owes its users, at this width."""
    assert page.get_attribute("html", "lang") == "zh-Hans", page.url
    assert page.evaluate(UNLABELLED) == [], f"inputs without a label on {page.url}"
    # laid out at the device's width (a phone without the viewport meta lays out at 980 px)
    assert page.evaluate("() => window.innerWidth") == page.viewport_size["width"], page.url
    assert page.evaluate(TOO_WIDE) <= 1, f"{page.url} is wider than the screen"
    # every table cell as wide as its text needs, nothing past the screen's edge
    problems = layout_problems(page)
    assert problems == [], "\n".join(problems)


def wait_for_path(page: Any, path: str) -> None:
    """Until the page is at `path` (exactly: a sign-in URL with ?next=path is not it)."""
    page.wait_for_url(lambda url: urlsplit(url).path == path)


def sign_in(page: Any, username: str, start: str = "/portal/") -> None:
    """Through the real sign-in form, as a visitor sent there by the portal."""
    page.goto(start)
    assert urlsplit(page.url).path == reverse("accounts:login")
    check_page(page)
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("form:has(#id_password) button[type=submit]")
    wait_for_path(page, start)


def zh(message: str) -> str:
    with translation.override("zh-hans"):
        return gettext(message)


def status_label(status: ReportStatus) -> str:
    with translation.override("zh-hans"):
        return str(status.label)


# --- sign in → home → a progress report submitted → shown in the portal and the admin ---------


def test_a_clerk_signs_in_sees_the_due_items_and_submits_a_progress_report(
    visit, province_world, users
):
    world = province_world("湖南", rows=1)
    report = world.main_report
    edit_url = reverse("portal:report_edit", args=[report.pk])
    pairing_url = reverse("portal:pairing_detail", args=[report.pairing_id])
    page = visit.new_page()

    sign_in(page, "hunan_bar")

    # home: the province's due items
    check_page(page)
    reports = page.inner_text("#home-reports")
    assert world.main_pairing.helper_firm.name in reports
    assert page.locator(f'#home-reports a[href="{edit_url}"]').count() == 1
    assert "湖南入学0" in page.inner_text("#home-secondments")  # a secondment starting
    assert "湖南缺员分所0" in page.inner_text("#home-gaps")  # a branch short of staff
    assert "湖南提醒" in page.inner_text("#home-notifications")
    visit.screenshot(page, "home")

    # open the due report, write it, save it as a draft
    page.click(f'#home-reports a[href="{edit_url}"]')
    wait_for_path(page, edit_url)
    check_page(page)
    page.fill("#id_narrative", "两所联合办理法律援助案件三件，开展线上培训两次。")
    page.fill("#id_trainings_held", "2")
    page.fill("#id_joint_cases", "3")
    visit.screenshot(page, "report-form")
    page.click("#report-form button[name=intent][value=draft]")
    wait_for_path(page, pairing_url)
    check_page(page)
    row = page.locator(f"#report-{report.pk}")
    assert row.locator("[data-status]").get_attribute("data-status") == ReportStatus.DRAFT
    report.refresh_from_db()
    assert (report.status, report.joint_cases) == (ReportStatus.DRAFT, 3)

    # submit it (the confirmation page, then the button)
    submit_url = reverse("portal:report_submit", args=[report.pk])
    row.locator(f'a[href="{submit_url}"]').click()
    wait_for_path(page, submit_url)
    check_page(page)
    page.click(f'form[action="{submit_url}"] button[type=submit]')
    wait_for_path(page, pairing_url)

    badge = page.locator(f"#report-{report.pk} [data-status]")
    assert badge.get_attribute("data-status") == ReportStatus.SUBMITTED
    assert badge.inner_text().strip() == status_label(ReportStatus.SUBMITTED)
    report.refresh_from_db()
    assert report.status == ReportStatus.SUBMITTED
    assert report.submitted_by == users["hunan_bar"]
    assert report.narrative.startswith("两所联合办理")

    # home no longer lists it as due
    page.click('nav.portal-nav a[href="/portal/"]')
    wait_for_path(page, "/portal/")
    assert page.locator(f'#home-reports a[href="{edit_url}"]').count() == 0
    visit.recorder.assert_clean()

    # the back office: the province's justice department sees it submitted
    admin = visit.new_page()
    change_url = reverse("admin:pairing_progressreport_change", args=[report.pk])
    admin.goto(change_url)
    admin.fill("#id_username", "hunan_dept")
    admin.fill("#id_password", PASSWORD)
    admin.click("form [type=submit]")
    wait_for_path(admin, change_url)
    assert status_label(ReportStatus.SUBMITTED) in admin.inner_text(".field-status")
    elsewhere = [u for u in visit.recorder.requests if host_of(u) not in (*LOCAL_HOSTS, None)]
    assert elsewhere == []


# --- an ineligible nomination: the error beside the field, the input kept, nothing saved --------


def test_nominating_a_lawyer_over_the_age_limit_shows_the_error_beside_the_field(
    visit, users, regions
):
    # trainees come from the western recipient provinces: 西藏's bar association nominates
    lawyer = LawyerFactory(
        name="西藏年长律师",
        birth_date=dt.date(1970, 1, 1),
        firm=LawFirmFactory(province=province("54"), name="拉萨测试律师事务所"),
    )
    goals = "熟悉办理涉农纠纷案件"
    before = Trainee.objects.count()
    page = visit.new_page()

    sign_in(page, "xizang_bar")
    page.click('nav.portal-nav a[href="/portal/trainees/"]')
    wait_for_path(page, "/portal/trainees/")
    check_page(page)
    page.click('a[href="/portal/trainees/nominate/"]')
    wait_for_path(page, "/portal/trainees/nominate/")
    check_page(page)
    page.fill("#id_licence_no", lawyer.current_licence_no)
    page.select_option("#id_practice_track", PracticeArea.CIVIL.value)
    page.fill("#id_plan_goals", goals)
    selection_date = page.input_value("#id_selection_date")
    with page.expect_navigation():
        page.click("form[action='/portal/trainees/nominate/'] button[type=submit]")

    check_page(page)
    row = page.locator(".form-row", has=page.locator("#id_licence_no"))
    assert "has-error" in row.get_attribute("class")
    age = lawyer.age_on(dt.date.fromisoformat(selection_date))
    expected = zh("Lawyer: must be under %(max)d on the selection date (is %(age)d).") % {
        "max": TRAINEE_MAX_AGE,
        "age": age,
    }
    assert expected in row.locator(".errorlist").inner_text()
    assert page.locator(".form-row.has-error").count() == 1  # beside that field only
    assert page.input_value("#id_licence_no") == lawyer.current_licence_no
    assert page.input_value("#id_plan_goals") == goals
    assert page.input_value("#id_practice_track") == PracticeArea.CIVIL.value
    assert Trainee.objects.count() == before
    visit.screenshot(page, "nominate-form-error")
    visit.recorder.assert_clean()


# --- a posting that closes a staffing gap: the gap leaves home ------------------------------


def test_a_posting_that_closes_a_staffing_gap_removes_it_from_home(visit, province_world):
    world = province_world("湖南", rows=1)
    branch = world.gap_branches[0]
    lawyer = world.helper_lawyer("新派驻律师")
    branch_url = reverse("portal:branch_detail", args=[branch.pk])
    add_url = reverse("portal:posting_add", args=[branch.pk])
    before = Posting.objects.filter(branch=branch).count()
    page = visit.new_page()

    sign_in(page, "hunan_bar")
    assert branch.name in page.inner_text("#home-gaps")
    page.click(f'#home-gaps a[href="{branch_url}"]')
    wait_for_path(page, branch_url)
    check_page(page)
    page.click(f'a[href="{add_url}"]')
    wait_for_path(page, add_url)
    check_page(page)
    page.fill("#id_licence_no", lawyer.current_licence_no)
    page.select_option("#id_kind", PostingKind.ROTATION.value)
    for box in ("#id_agreement_signed", "#id_medical_passed", "#id_licence_transferred"):
        page.check(box)
    visit.screenshot(page, "posting-form")
    page.click("#branch-form button[type=submit]")
    wait_for_path(page, branch_url)
    check_page(page)
    assert lawyer.name in page.inner_text("body")

    page.click('nav.portal-nav a[href="/portal/"]')
    wait_for_path(page, "/portal/")
    assert branch.name not in page.inner_text("#home-gaps")
    assert "湖南主分所" not in page.inner_text("#home-gaps")  # staffed from the start
    posting = Posting.objects.get(branch=branch, lawyer=lawyer)
    assert posting.checklist_complete
    assert Posting.objects.filter(branch=branch).count() == before + 1
    visit.recorder.assert_clean()


# --- every portal page ------------------------------------------------------------------------


def test_every_portal_page_stays_on_this_server_and_labels_its_inputs(visit, province_world, users):
    world = province_world("湖南", rows=3)
    probe = Client()
    probe.force_login(users["hunan_bar"])
    urls = [reverse(p.name, kwargs=world.kwargs_for(p)) for p in portal_patterns()]
    pages = [url for url in urls if probe.get(url).status_code != 405]  # not POST-only
    assert len(pages) >= 15, pages
    page = visit.new_page()

    sign_in(page, "hunan_bar")
    seen = []
    for url in pages:
        response = page.goto(url)
        assert response is not None, url
        assert response.ok, f"{url}: {response.status}"
        page.wait_for_load_state("networkidle")
        check_page(page)
        seen.append(urlsplit(page.url).path)

    assert len(seen) == len(pages)
    visit.recorder.assert_clean()


# --- partial updates (htmx) under the CSP ---------------------------------------------------


def test_htmx_forms_swap_their_section_in_place_under_the_csp(visit, province_world):
    """A training activity outside the secondment's dates: the error beside the date, in
    place; then a valid one recorded; a notification marked read — each without reloading
    the page (htmx swaps), and no CSP violation from the swaps."""
    world = province_world("湖南", rows=1)
    secondment = world.main_secondment
    detail_url = reverse("portal:secondment_detail", args=[secondment.pk])
    before = secondment.activities.count()
    page = visit.new_page()

    sign_in(page, "hunan_bar")
    page.goto(detail_url)
    check_page(page)
    page.evaluate("() => { window.notReloaded = true; }")
    form = "#activities form"
    page.select_option(f"{form} [name=kind]", "lecture")
    page.fill(f"{form} [name=held_on]", (secondment.end_date + dt.timedelta(days=1)).isoformat())
    page.fill(f"{form} [name=hours]", "3")
    page.fill(f"{form} [name=title]", "法律援助实务讲座")
    with page.expect_response(lambda r: r.request.method == "POST"):
        page.click(f"{form} button[type=submit]")
    row = page.locator("#activities .form-row", has=page.locator("[name=held_on]"))
    row.locator(".errorlist").wait_for()
    assert zh("Date: must fall within the secondment.") in row.inner_text()
    assert page.input_value(f"{form} [name=title]") == "法律援助实务讲座"  # kept
    assert secondment.activities.count() == before

    page.fill(f"{form} [name=held_on]", secondment.start_date.isoformat())
    with page.expect_response(lambda r: r.request.method == "POST"):
        page.click(f"{form} button[type=submit]")
    page.locator("#activities [role=status]").wait_for()
    assert "法律援助实务讲座" in page.inner_text("#activities table")
    assert secondment.activities.count() == before + 1
    assert page.evaluate("() => window.notReloaded") is True
    check_page(page)

    notification = world.main_notification
    page.click('nav.portal-nav a[href="/portal/notifications/"]')
    wait_for_path(page, "/portal/notifications/")
    check_page(page)
    page.evaluate("() => { window.notReloaded = true; }")
    with page.expect_response(lambda r: r.request.method == "POST"):
        page.click(f"#notification-{notification.pk} button[type=submit]")
    page.locator(f"#notification-{notification.pk} .badge.ok").wait_for()
    assert page.evaluate("() => window.notReloaded") is True
    notification.refresh_from_db()
    assert notification.read_at is not None
    visit.recorder.assert_clean()


# --- keyboard only ----------------------------------------------------------------------------


def test_a_clerk_signs_in_and_reaches_every_section_with_the_keyboard_alone(visit, province_world):
    province_world("湖南", rows=2)
    page = visit.new_page()
    page.goto("/portal/")
    # Tab from the top of the sign-in page to the user name, type, Tab, type, Enter
    page.keyboard.press("Tab")
    for _ in range(20):
        if page.evaluate("() => document.activeElement && document.activeElement.id") == (
            "id_username"
        ):
            break
        page.keyboard.press("Tab")
    page.keyboard.type("hunan_bar")
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.id") == "id_password"
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    wait_for_path(page, "/portal/")
    # every section of the navigation receives the focus on the way down the page
    wanted = set(page.eval_on_selector_all(".portal-nav a", "els => els.map(e => e.pathname)"))
    assert len(wanted) >= 6
    focused = set()
    for _ in range(80):
        page.keyboard.press("Tab")
        focused.add(page.evaluate("() => document.activeElement.pathname || ''"))
        if wanted <= focused:
            break
    assert wanted <= focused
    visit.recorder.assert_clean()
