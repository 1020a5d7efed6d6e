"""1对1 firm pairings of the user's province and their progress reports: the list (the
shared FilterSet, search, pagination, export), a pairing with its goals and report
history, and writing a report as a draft, editing it while open and submitting it.

Every read starts from the policy (`scoped`), every write goes through
pairing.services (scope check, validation, audit trail)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Prefetch, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts.policy import Action, allows
from core.exceptions import ApplicationError
from pairing.filters import FirmPairingFilterSet
from pairing.models import (
    OPEN_REPORT_STATUSES,
    FirmPairing,
    FocusArea,
    PairingGoal,
    ProgressReport,
)
from pairing.resources import FirmPairingResource
from pairing.services import save_report_draft, submit_report
from portal.forms import add_service_error
from portal.forms.pairings import ProgressReportForm

from .base import get_scoped_or_404, list_page, scoped

SEARCH_FIELDS = (
    "=helper_firm__credit_code",
    "=recipient_firm__credit_code",
    "^helper_firm__name_initials",
    "^recipient_firm__name_initials",
    "helper_firm__name",
    "recipient_firm__name",
)
FIRMS = ("helper_firm__province", "recipient_firm__province")


def is_htmx(request: HttpRequest) -> bool:
    """An htmx request that swaps part of a page (a history restore wants the whole page)."""
    return bool(request.headers.get("HX-Request")) and not request.headers.get(
        "HX-History-Restore-Request"
    )


def go_to(request: HttpRequest, url: str) -> HttpResponse:
    """After a successful POST: a redirect, or for htmx a full navigation (HX-Redirect)
    so the next page is not swapped into the form."""
    if request.headers.get("HX-Request"):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return HttpResponseRedirect(url)


def pairings_visible(request: HttpRequest) -> QuerySet:
    return scoped(FirmPairing, request.user, Action.VIEW).select_related(*FIRMS)


@require_http_methods(["GET"])
def pairing_list(request: HttpRequest) -> HttpResponse:
    overdue = ProgressReport.objects.filter(
        ProgressReport.overdue_q(timezone.localdate()), pairing=OuterRef("pk")
    )
    queryset = pairings_visible(request).annotate(has_overdue_report=Exists(overdue))
    return list_page(
        request,
        queryset=queryset,
        filterset_class=FirmPairingFilterSet,
        template="portal/pairings_results.html" if is_htmx(request) else "portal/pairings.html",
        search_fields=SEARCH_FIELDS,
        resource_class=FirmPairingResource,
        export_name="firm-pairings",
        context={"section": "pairings"},
    )


@require_http_methods(["GET"])
def pairing_detail(request: HttpRequest, pk: int) -> HttpResponse:
    pairing = get_scoped_or_404(
        pairings_visible(request)
        .select_related("agreement")
        .prefetch_related(
            Prefetch("goals", queryset=PairingGoal.objects.order_by("due_date", "id")),
            Prefetch(
                "reports",
                queryset=ProgressReport.objects.select_related(
                    "submitted_by", "reviewed_by"
                ).order_by("-period_start", "id"),
            ),
        ),
        request.user,
        pk=pk,
    )
    focus = dict(FocusArea.choices)
    return render(
        request,
        "portal/pairings_detail.html",
        {
            "section": "pairings",
            "pairing": pairing,
            "focus_areas": [focus.get(a, a) for a in pairing.focus_areas or ()],
            "open_statuses": OPEN_REPORT_STATUSES,
            "may_write": allows(request.user, ProgressReport, Action.ADD),
        },
    )


def _report(request: HttpRequest, pk: int) -> ProgressReport:
    reports = scoped(ProgressReport, request.user, Action.VIEW).select_related(
        *(f"pairing__{f}" for f in FIRMS), "submitted_by", "reviewed_by"
    )
    return get_scoped_or_404(reports, request.user, pk=pk)


def _ensure_may_write(request: HttpRequest) -> None:
    if not allows(request.user, ProgressReport, Action.CHANGE):
        raise PermissionDenied(_("You do not have permission to do this."))


def _save(request: HttpRequest, form: ProgressReportForm) -> ProgressReport | None:
    """Save the draft and, when the user pressed "Save and submit", submit it: both or
    neither. The services' errors go onto the form."""
    try:
        with transaction.atomic():
            report = save_report_draft(actor=request.user, report=form.instance)
            if request.POST.get("intent") == "submit":
                report = submit_report(actor=request.user, report=report)
    except (ValidationError, ApplicationError, PermissionDenied) as exc:
        add_service_error(form, exc)
        return None
    if report.status in OPEN_REPORT_STATUSES:
        messages.success(request, _("The report was saved as a draft."))
    else:
        messages.success(request, _("The report was submitted."))
    return report


@require_http_methods(["GET", "POST"])
def report_new(request: HttpRequest, pk: int) -> HttpResponse:
    pairing = get_scoped_or_404(pairings_visible(request), request.user, pk=pk)
    _ensure_may_write(request)
    report = ProgressReport(pairing=pairing)
    form = ProgressReportForm(request.POST or None, instance=report)
    if request.method == "POST" and form.is_valid() and _save(request, form) is not None:
        return go_to(request, reverse("portal:pairing_detail", args=[pairing.pk]))
    return render(
        request,
        "portal/reports_form.html",
        {"section": "pairings", "pairing": pairing, "report": None, "form": form},
    )


@require_http_methods(["GET", "POST"])
def report_edit(request: HttpRequest, pk: int) -> HttpResponse:
    report = _report(request, pk)
    pairing = report.pairing
    if report.status not in OPEN_REPORT_STATUSES:
        # a submitted or accepted report is a record: shown, not edited
        if request.method == "POST":
            messages.error(request, _("Status: a submitted report cannot be edited."))
            return go_to(request, reverse("portal:report_edit", args=[report.pk]))
        return render(
            request,
            "portal/reports_detail.html",
            {"section": "pairings", "pairing": pairing, "report": report},
        )
    _ensure_may_write(request)
    form = ProgressReportForm(request.POST or None, instance=report)
    if request.method == "POST" and form.is_valid() and _save(request, form) is not None:
        return go_to(request, reverse("portal:pairing_detail", args=[pairing.pk]))
    return render(
        request,
        "portal/reports_form.html",
        {"section": "pairings", "pairing": pairing, "report": report, "form": form},
    )


@require_http_methods(["GET", "POST"])
def report_submit(request: HttpRequest, pk: int) -> HttpResponse:
    """GET asks to confirm; POST submits the report as it is stored."""
    report = _report(request, pk)
    errors: list[str] = []
    if request.method == "POST":
        _ensure_may_write(request)
        try:
            submit_report(actor=request.user, report=report)
        except ValidationError as exc:
            errors = exc.messages
        except (ApplicationError, PermissionDenied) as exc:
            errors = [str(getattr(exc, "message", exc))]
        else:
            messages.success(request, _("The report was submitted."))
            return go_to(request, reverse("portal:pairing_detail", args=[report.pairing_id]))
    if report.status not in OPEN_REPORT_STATUSES and not errors:
        return redirect("portal:report_edit", pk=report.pk)
    return render(
        request,
        "portal/reports_submit.html",
        {"section": "pairings", "pairing": report.pairing, "report": report, "errors": errors},
    )
