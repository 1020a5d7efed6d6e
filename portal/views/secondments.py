"""Secondments (跟班学习): the list, a month's timeline, a secondment's page, and its forms —
training activities, the mentor's evaluation, the bar association's sign-off. Every write
goes through pairing.services; forms answer htmx with the section they change, and a
browser without JavaScript with the whole page."""

from __future__ import annotations

import calendar
import datetime as dt
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from accounts.policy import Action, allows
from core.exceptions import ApplicationError
from pairing.filters import SecondmentFilterSet
from pairing.models import Secondment, SecondmentStatus, TrainingActivity
from pairing.resources import SecondmentResource
from pairing.services import evaluate_secondment, record_activity, sign_off_secondment

from ..forms import PortalFilters, add_service_error
from ..forms.secondments import EvaluationForm, SignOffForm, TrainingActivityForm
from .base import PAGE_SIZE, get_scoped_or_404, list_page, scoped, search

SEARCH_FIELDS = (
    "=trainee__lawyer__current_licence_no",
    "^trainee__lawyer__name_initials",
    "trainee__lawyer__name",
    "host_firm__name",
    "=mentor__current_licence_no",
    "mentor__name",
)
RELATED = ("trainee__lawyer", "trainee__home_province", "host_firm__province", "mentor")
SERVICE_ERRORS = (ValidationError, ApplicationError, PermissionDenied)


class PortalSecondmentFilterSet(PortalFilters, SecondmentFilterSet):
    shown = {
        "status": gettext_lazy("Status"),
        "year": gettext_lazy("Start year"),
        "evaluated": gettext_lazy("Evaluated"),
        "signed_off": gettext_lazy("Signed off"),
    }


def _secondments(request: HttpRequest) -> Any:
    return scoped(Secondment, request.user).select_related(*RELATED)


@require_GET
def secondment_list(request: HttpRequest) -> HttpResponse:
    return list_page(
        request,
        queryset=_secondments(request),
        filterset_class=PortalSecondmentFilterSet,
        template="portal/secondments.html",
        search_fields=SEARCH_FIELDS,
        resource_class=SecondmentResource,
        export_name="secondments",
        context={"section": "secondments"},
    )


# --- the month's timeline -----------------------------------------------------------------


def _month(value: str, today: dt.date) -> tuple[dt.date, bool]:
    """The first day of ?month=YYYY-MM (this month when missing or not a month)."""
    try:
        year, month = (int(part) for part in value.split("-"))
        if 1900 <= year <= 2999:  # (a month next to the calendar's ends has no neighbour)
            return dt.date(year, month, 1), True
    except ValueError:
        pass
    return today.replace(day=1), not value


@require_GET
def secondment_calendar(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    first, month_ok = _month(request.GET.get("month", "").strip(), today)
    days = calendar.monthrange(first.year, first.month)[1]
    last = first.replace(day=days)
    filterset = PortalSecondmentFilterSet(
        request.GET or None,
        queryset=_secondments(request).filter(start_date__lte=last, end_date__gte=first),
        request=request,
    )
    valid = not filterset.is_bound or filterset.is_valid()
    rows = filterset.qs if valid else filterset.queryset.none()
    rows = search(rows, request.GET.get("q", ""), SEARCH_FIELDS)
    page = Paginator(rows.order_by("start_date", "id"), PAGE_SIZE).get_page(request.GET.get("page"))
    bars = []
    for s in page.object_list:
        start, end = max(s.start_date, first), min(s.end_date, last)
        bars.append(
            {
                "secondment": s,
                "x": (start - first).days,
                "width": (end - start).days + 1,
                "starts": s.start_date >= first,
                "ends": s.end_date <= last,
            }
        )
    query = request.GET.copy()
    query.pop("page", None)
    filters = query.copy()
    filters.pop("month", None)
    previous = (first - dt.timedelta(days=1)).replace(day=1)
    following = last + dt.timedelta(days=1)
    return render(
        request,
        "portal/secondments_calendar.html",
        {
            "section": "secondments",
            "filterset": filterset,
            "month_ok": month_ok,
            "first": first,
            "last": last,
            "days": days,
            "ruler": [d if d == 1 or d % 5 == 0 else "" for d in range(1, days + 1)],
            "today_x": (today - first).days if first <= today <= last else None,
            "bars": bars,
            "page": page,
            "query": query.urlencode(),
            "filters_query": filters.urlencode(),
            "q": request.GET.get("q", ""),
            "month_value": f"{first:%Y-%m}",
            "previous_month": f"{previous:%Y-%m}",
            "next_month": f"{following:%Y-%m}",
        },
    )


# --- one secondment -------------------------------------------------------------------------


def _secondment_or_404(request: HttpRequest, pk: int) -> Secondment:
    return get_scoped_or_404(  # type: ignore[return-value]
        Secondment.objects.select_related(*RELATED, "quota"), request.user, pk=pk
    )


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _context(request: HttpRequest, secondment: Secondment, **forms: Any) -> dict[str, Any]:
    activities = list(secondment.activities.all())
    can_change = allows(request.user, Secondment, Action.CHANGE)
    return {
        "section": "secondments",
        "secondment": secondment,
        "activities": activities,
        "total_hours": sum((a.hours for a in activities), start=0),
        "can_change": can_change,
        "can_evaluate": can_change
        and not secondment.bar_signed_off_on
        and secondment.status in (SecondmentStatus.ACTIVE, SecondmentStatus.COMPLETED),
        "can_sign_off": can_change
        and not secondment.bar_signed_off_on
        and secondment.status == SecondmentStatus.COMPLETED
        and bool(secondment.evaluation_grade),
        "activity_form": forms.get("activity_form") or TrainingActivityForm(),
        "evaluation_form": forms.get("evaluation_form")
        or EvaluationForm(
            initial={
                "grade": secondment.evaluation_grade,
                "comment": secondment.evaluation_comment,
            }
        ),
        "sign_off_form": forms.get("sign_off_form") or SignOffForm(),
    }


@require_GET
def secondment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    secondment = _secondment_or_404(request, pk)
    return render(request, "portal/secondments_detail.html", _context(request, secondment))


def _answer(
    request: HttpRequest,
    secondment: Secondment,
    *,
    partial: str,
    form_name: str,
    form: Any,
    saved: str = "",
) -> HttpResponse:
    """After a form: htmx gets the section again (with the errors, or the saved state and
    an empty form); a plain browser goes back to the page, or sees it with the errors."""
    if _is_htmx(request):
        context = _context(request, secondment, **({} if saved else {form_name: form}))
        context["saved"] = saved
        return render(request, partial, context)
    if saved:
        messages.success(request, saved)
        anchor = "activities" if form_name == "activity_form" else "assessment"
        return redirect(reverse("portal:secondment_detail", args=[secondment.pk]) + f"#{anchor}")
    return render(
        request,
        "portal/secondments_detail.html",
        _context(request, secondment, **{form_name: form}),
    )


@require_http_methods(["GET", "POST"])
def secondment_activity_add(request: HttpRequest, pk: int) -> HttpResponse:
    secondment = _secondment_or_404(request, pk)
    if request.method == "GET":  # the form lives on the secondment's page
        return redirect(reverse("portal:secondment_detail", args=[pk]) + "#activities")
    form = TrainingActivityForm(request.POST)
    saved = ""
    if form.is_valid():
        try:
            record_activity(
                actor=request.user,
                activity=TrainingActivity(secondment=secondment, **form.cleaned_data),
            )
        except SERVICE_ERRORS as exc:
            add_service_error(form, exc)
        else:
            saved = _("The training activity is recorded.")
    return _answer(
        request,
        secondment,
        partial="portal/secondments_activities.html",
        form_name="activity_form",
        form=form,
        saved=saved,
    )


@require_http_methods(["GET", "POST"])
def secondment_evaluate(request: HttpRequest, pk: int) -> HttpResponse:
    secondment = _secondment_or_404(request, pk)
    if request.method == "GET":
        return redirect(reverse("portal:secondment_detail", args=[pk]) + "#assessment")
    form = EvaluationForm(request.POST)
    saved = ""
    if form.is_valid():
        try:
            secondment = _refresh(
                evaluate_secondment(
                    actor=request.user,
                    secondment=secondment,
                    grade=form.cleaned_data["grade"],
                    comment=form.cleaned_data["comment"],
                    today=timezone.localdate(),
                ),
                secondment,
            )
        except SERVICE_ERRORS as exc:
            add_service_error(
                form,
                exc,
                fields={"evaluation_grade": "grade", "evaluation_comment": "comment"},
            )
        else:
            saved = _("The mentor's evaluation is recorded.")
    return _answer(
        request,
        secondment,
        partial="portal/secondments_assessment.html",
        form_name="evaluation_form",
        form=form,
        saved=saved,
    )


@require_http_methods(["GET", "POST"])
def secondment_sign_off(request: HttpRequest, pk: int) -> HttpResponse:
    secondment = _secondment_or_404(request, pk)
    if request.method == "GET":
        return redirect(reverse("portal:secondment_detail", args=[pk]) + "#assessment")
    form = SignOffForm(request.POST)
    saved = ""
    if form.is_valid():
        try:
            secondment = _refresh(
                sign_off_secondment(
                    actor=request.user, secondment=secondment, today=timezone.localdate()
                ),
                secondment,
            )
        except SERVICE_ERRORS as exc:
            add_service_error(form, exc)
        else:
            saved = _("The secondment is signed off.")
    return _answer(
        request,
        secondment,
        partial="portal/secondments_assessment.html",
        form_name="sign_off_form",
        form=form,
        saved=saved,
    )


def _refresh(saved: Secondment, shown: Secondment) -> Secondment:
    """The service's row, with the related rows already loaded for the page."""
    for name in ("trainee", "host_firm", "mentor", "quota"):
        setattr(saved, name, getattr(shown, name))
    return saved
