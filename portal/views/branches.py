"""Branch offices (分所) of the user's province: the list (the shared FilterSet, search,
pagination, export, a staffing gap ahead flagged), a branch with its staffing timeline
for the next 60 days, postings, service records, care visits and support contracts, and
the forms that add to them (branches.services: scope check, validation, audit trail)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from accounts.policy import Action, allows
from branches.filters import BranchOfficeFilterSet
from branches.models import BranchOffice, CareVisit, Posting, ServiceRecord, SupportContract
from branches.resources import BranchOfficeResource
from branches.selectors import Coverage, branches_with_gap, staffing_coverage
from branches.services import StaffingGapError, add_posting, end_posting, save_branch_record
from core.exceptions import ApplicationError
from portal.forms import add_service_error
from portal.forms.branches import (
    CareVisitForm,
    EndPostingForm,
    PostingForm,
    ServiceRecordForm,
    SupportContractForm,
)

from .base import PAGE_SIZE, export, get_scoped_or_404, scoped, search
from .pairings import go_to, is_htmx

SEARCH_FIELDS = (
    "=credit_code",
    "name",
    "=parent_firm__credit_code",
    "^parent_firm__name_initials",
    "parent_firm__name",
    "county__name",
)
TIMELINE_DAYS = 60
GAP_AHEAD_DAYS = 30  # the list and the home page flag gaps this far ahead
RECENT = 20  # rows of each record shown on a branch's page (the newest)
SERVICE_ERRORS = (ValidationError, ApplicationError, PermissionDenied)


def branches_visible(request: HttpRequest, action: Action = Action.VIEW) -> QuerySet:
    return scoped(BranchOffice, request.user, action).select_related(
        "county__province", "parent_firm"
    )


@require_http_methods(["GET"])
def branch_list(request: HttpRequest) -> HttpResponse:
    """list_page's steps, plus one query for the staffing of the page's branches."""
    queryset = branches_visible(request)
    filterset = BranchOfficeFilterSet(request.GET or None, queryset=queryset, request=request)
    if filterset.is_bound:
        rows = filterset.qs if filterset.is_valid() else queryset.none()
    else:
        rows = queryset
    rows = search(rows, request.GET.get("q", ""), SEARCH_FIELDS)
    if request.GET.get("format") == "xlsx":
        return export(request, rows, BranchOfficeResource, "branch-offices")
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    today = timezone.localdate()
    gaps = {
        b.pk: day
        for b, day in branches_with_gap(queryset=page.object_list, today=today, days=GAP_AHEAD_DAYS)
    }
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "portal/branches_results.html" if is_htmx(request) else "portal/branches.html",
        {
            "section": "branches",
            "filterset": filterset,
            "page": page,
            "rows": [(b, gaps.get(b.pk)) for b in page.object_list],
            "q": request.GET.get("q", ""),
            "query": query.urlencode(),
            "gap_days": GAP_AHEAD_DAYS,
        },
    )


def timeline(coverage: Coverage) -> tuple[list[dict[str, Any]], list[tuple[dt.date, dt.date]]]:
    """The days with their staff and whether each is a gap, and the gaps as date ranges."""
    days = [
        {"date": d, "staff": n, "gap": n < coverage.minimum_staff}
        for d, n in sorted(coverage.staffed.items())
    ]
    runs: list[tuple[dt.date, dt.date]] = []
    for day in days:
        if not day["gap"]:
            continue
        if runs and runs[-1][1] + dt.timedelta(days=1) == day["date"]:
            runs[-1] = (runs[-1][0], day["date"])
        else:
            runs.append((day["date"], day["date"]))
    return days, runs


@require_http_methods(["GET"])
def branch_detail(request: HttpRequest, pk: int) -> HttpResponse:
    branch = get_scoped_or_404(branches_visible(request), request.user, pk=pk)
    today = timezone.localdate()
    coverage = staffing_coverage(
        branches=[branch], start=today, end=today + dt.timedelta(days=TIMELINE_DAYS - 1)
    )[branch.pk]
    days, gaps = timeline(coverage)
    postings = branch.postings.select_related("lawyer").order_by("-start_date", "-id")[: RECENT * 2]
    return render(
        request,
        "portal/branches_detail.html",
        {
            "section": "branches",
            "branch": branch,
            "today": today,
            "days": days,
            "gaps": gaps,
            "timeline_end": days[-1]["date"],
            "postings": postings,
            "services": branch.service_records.select_related("lawyer").order_by(
                "-served_on", "-id"
            )[:RECENT],
            "visits": branch.care_visits.order_by("-visited_on", "-id")[:RECENT],
            "contracts": branch.contracts.order_by("-start_date", "-id")[:RECENT],
            "recent": RECENT,
            "may_write": allows(request.user, Posting, Action.ADD),
        },
    )


# --- forms ---------------------------------------------------------------------------------


def _branch_for_writing(request: HttpRequest, pk: int, model: type) -> BranchOffice:
    """The branch (another province's is a 404); a user who may only read gets a 403."""
    branch = get_scoped_or_404(branches_visible(request), request.user, pk=pk)
    if not allows(request.user, model, Action.ADD):
        raise PermissionDenied(_("You do not have permission to do this."))
    return branch


def _form_page(
    request: HttpRequest, branch: BranchOffice, form: Any, *, title: str, **extra: Any
) -> HttpResponse:
    return render(
        request,
        "portal/branches_form.html",
        {"section": "branches", "branch": branch, "form": form, "title": title, **extra},
    )


def _done(request: HttpRequest, branch: BranchOffice, message: str) -> HttpResponse:
    messages.success(request, message)
    return go_to(request, reverse("portal:branch_detail", args=[branch.pk]))


@require_http_methods(["GET", "POST"])
def posting_add(request: HttpRequest, pk: int) -> HttpResponse:
    branch = _branch_for_writing(request, pk, Posting)
    form = PostingForm(
        request.POST or None,
        user=request.user,
        branch=branch,
        initial={"start_date": timezone.localdate()},
    )
    if request.method == "POST" and form.is_valid():
        try:
            add_posting(actor=request.user, posting=form.instance)
        except SERVICE_ERRORS as exc:
            add_service_error(form, exc, fields={"lawyer": "licence_no"})
        else:
            return _done(request, branch, _("The posting was recorded."))
    return render(
        request,
        "portal/branches_posting_form.html",
        {"section": "branches", "branch": branch, "form": form},
    )


@require_http_methods(["GET", "POST"])
def posting_end(request: HttpRequest, pk: int, posting_pk: int) -> HttpResponse:
    branch = _branch_for_writing(request, pk, Posting)
    posting = get_scoped_or_404(
        scoped(Posting, request.user).select_related("lawyer"),
        request.user,
        pk=posting_pk,
        branch_id=branch.pk,
    )
    form = EndPostingForm(
        request.POST or None,
        initial={
            "end_date": posting.end_date or timezone.localdate(),
            "end_reason": posting.end_reason,
        },
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            end_posting(
                actor=request.user,
                posting=posting,
                end_date=data["end_date"],
                reason=data["end_reason"],
                confirm_gap=form.gap_confirmed,
            )
        except SERVICE_ERRORS as exc:
            if isinstance(exc, StaffingGapError):
                form.offer_confirmation()
            add_service_error(form, exc)
        else:
            return _done(request, branch, _("The posting was ended."))
    return _form_page(
        request,
        branch,
        form,
        title=_("End the posting of %(lawyer)s") % {"lawyer": posting.lawyer.name},
        posting=posting,
    )


def _record_view(
    request: HttpRequest, pk: int, *, model: type, form_class: type, title: Any, done: Any
) -> HttpResponse:
    branch = _branch_for_writing(request, pk, model)
    form = form_class(request.POST or None, user=request.user, branch=branch)
    if request.method == "POST" and form.is_valid():
        try:
            save_branch_record(actor=request.user, record=form.instance)
        except SERVICE_ERRORS as exc:
            add_service_error(form, exc, fields={"lawyer": "licence_no"})
        else:
            return _done(request, branch, str(done))
    return _form_page(request, branch, form, title=str(title))


@require_http_methods(["GET", "POST"])
def service_record_add(request: HttpRequest, pk: int) -> HttpResponse:
    return _record_view(
        request,
        pk,
        model=ServiceRecord,
        form_class=ServiceRecordForm,
        title=gettext_lazy("Record a service"),
        done=gettext_lazy("The service record was saved."),
    )


@require_http_methods(["GET", "POST"])
def care_visit_add(request: HttpRequest, pk: int) -> HttpResponse:
    return _record_view(
        request,
        pk,
        model=CareVisit,
        form_class=CareVisitForm,
        title=gettext_lazy("Record a care visit"),
        done=gettext_lazy("The care visit was saved."),
    )


@require_http_methods(["GET", "POST"])
def support_contract_add(request: HttpRequest, pk: int) -> HttpResponse:
    return _record_view(
        request,
        pk,
        model=SupportContract,
        form_class=SupportContractForm,
        title=gettext_lazy("Record a support contract"),
        done=gettext_lazy("The support contract was saved."),
    )
