"""The notifications inbox: the user's own notifications, unread first and newest first,
filtered by read/unread and kind; mark one read (htmx swaps the row) or all of them."""

from __future__ import annotations

import django_filters
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from accounts.policy import Action
from reminders.filters import NotificationFilterSet
from reminders.models import Notification, RuleKind
from reminders.services import mark_all_notifications_read, mark_notification_read

from ..selectors import inbox
from .base import PAGE_SIZE, get_scoped_or_404, search
from .home import record_url

READ_CHOICES = (("", _("All")), ("true", _("Unread")), ("false", _("Read")))


class InboxFilterSet(NotificationFilterSet):
    """The shared notification filters, narrowed to what the inbox offers: read or
    unread, and the kind of reminder."""

    unread = django_filters.BooleanFilter(
        field_name="read_at",
        lookup_expr="isnull",
        label=_("Read or unread"),
        widget=forms.Select(choices=READ_CHOICES),
    )
    rule_kind = django_filters.ChoiceFilter(
        choices=RuleKind.choices, label=_("Kind"), empty_label=_("All kinds")
    )

    class Meta(NotificationFilterSet.Meta):
        fields = ("unread", "rule_kind")


def _with_links(rows: list[Notification], user: object) -> list[Notification]:
    for n in rows:
        n.portal_url = record_url(n, user)
    return rows


@login_required
@require_GET
def notifications(request: HttpRequest) -> HttpResponse:
    """The inbox (portal.views.base.list_page's steps, plus each row's link to its record)."""
    queryset = inbox(request.user)
    filterset = InboxFilterSet(request.GET or None, queryset=queryset, request=request)
    if filterset.is_bound:
        rows = filterset.qs if filterset.is_valid() else queryset.none()
    else:
        rows = queryset
    rows = search(rows, request.GET.get("q", ""), ("subject",))
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "portal/notifications.html",
        {
            "section": "notifications",
            "filterset": filterset,
            "page": page,
            "rows": _with_links(list(page.object_list), request.user),
            "q": request.GET.get("q", ""),
            "query": query.urlencode(),
            "here": request.get_full_path(),
            "unread_total": queryset.filter(read_at__isnull=True).count(),
        },
    )


def _back(request: HttpRequest) -> HttpResponse:
    target = request.POST.get("next", "")
    if target.startswith("/portal/notifications/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}
    ):
        return redirect(target)
    return redirect("portal:notifications")


@login_required
@require_POST
def mark_read(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark one of the user's notifications read; another user's is a 404."""
    notification = get_scoped_or_404(
        Notification.objects.filter(recipient_id=request.user.pk).select_related(
            "recipient__organisation"
        ),
        request.user,
        Action.VIEW,
        pk=pk,
    )
    mark_notification_read(actor=request.user, notification=notification, now=timezone.now())
    if request.headers.get("HX-Request") == "true":
        return render(
            request,
            "portal/_notifications_row.html",
            {"n": _with_links([notification], request.user)[0], "next": request.POST.get("next")},
        )
    return _back(request)


@login_required
@require_POST
def mark_all_read(request: HttpRequest) -> HttpResponse:
    count = mark_all_notifications_read(actor=request.user, now=timezone.now())
    messages.success(
        request,
        ngettext(
            "%(count)d notification marked read.", "%(count)d notifications marked read.", count
        )
        % {"count": count},
    )
    return _back(request)
