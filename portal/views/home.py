"""The portal's home: what needs doing now in the user's province, and the progress
against the programme's targets (bars drawn as inline SVG, no script)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from accounts.policy import role_of

from ..selectors import LIST_LIMIT, Section, home_work

Candidate = tuple[str, tuple[Any, ...]]


def first_url(*candidates: Candidate) -> str | None:
    """The first of the URL names (with their arguments) that this site has: the detail
    pages are built piece by piece, so an item links to its detail page once that exists
    and to its list page until then (or to nothing)."""
    for name, args in candidates:
        try:
            return reverse(name, args=args)
        except NoReverseMatch:
            continue
    return None


def report_url(report: Any) -> str | None:
    return first_url(
        ("portal:report_edit", (report.pk,)),
        ("portal:report_detail", (report.pk,)),
        ("portal:pairing_detail", (report.pairing_id,)),
        ("portal:pairings", ()),
    )


def secondment_url(pk: Any) -> str | None:
    return first_url(("portal:secondment_detail", (pk,)), ("portal:secondments", ()))


def evaluation_url(pk: Any) -> str | None:
    """The secondment's page at its assessment (the mentor's evaluation is recorded there)."""
    url = first_url(("portal:secondment_detail", (pk,)))
    return f"{url}#assessment" if url else first_url(("portal:secondments", ()))


def branch_url(pk: Any) -> str | None:
    return first_url(("portal:branch_detail", (pk,)), ("portal:branches", ()))


# a notification's record (Notification.object_label) -> portal pages, best first
RECORD_PAGES: dict[str, tuple[tuple[str, bool], ...]] = {
    # (URL name, takes the record's id)
    "pairing.secondment": (("portal:secondment_detail", True), ("portal:secondments", False)),
    "pairing.progressreport": (
        ("portal:report_edit", True),
        ("portal:report_detail", True),
        ("portal:pairings", False),
    ),
    "pairing.firmpairing": (("portal:pairing_detail", True), ("portal:pairings", False)),
    "branches.branchoffice": (("portal:branch_detail", True), ("portal:branches", False)),
    "branches.posting": (("portal:branches", False),),
    "lawyers.trainee": (("portal:trainee_detail", True), ("portal:trainees", False)),
}


def record_url(notification: Any, user: Any) -> str | None:
    """Where a notification leads: the record's portal page when the portal has one, else
    the stored link (Notification.link, a path on this site) — but not a back-office link
    for a user the back office turns away."""
    pages = RECORD_PAGES.get(notification.object_label, ())
    url = first_url(
        *((name, (notification.object_id,) if with_id else ()) for name, with_id in pages)
    )
    if url:
        return url
    link = notification.link
    if not link or (link.startswith("/admin/") and not getattr(user, "is_staff", False)):
        return None
    return link


def _link(rows: Iterable[Any], url: Any) -> None:
    for row in rows:
        row.portal_url = url(row)


@login_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    work = home_work(user=request.user, today=timezone.localdate())
    for section in (work.reports_due, work.reports_overdue, work.reports_returned):
        _link(section.rows, report_url)
    for section in (work.secondments_starting, work.secondments_ending):
        _link(section.rows, lambda s: secondment_url(s.pk))
    _link(work.evaluations_missing.rows, lambda s: evaluation_url(s.pk))
    gaps = work.dashboard.branches_with_gap
    branch_gaps = Section(rows=[(g, branch_url(g.pk)) for g in gaps[:LIST_LIMIT]], total=len(gaps))
    _link(work.unread.rows, lambda n: record_url(n, request.user))
    return render(
        request,
        "portal/home.html",
        {
            "section": "home",
            "organisation": request.user.organisation,
            "role": role_of(request.user),
            "work": work,
            "branch_gaps": branch_gaps,
            "notifications_url": first_url(("portal:notifications", ())),
        },
    )
