"""Admin actions that call service functions (state changes never bypass the services).

`service_action` wraps a per-object service call; with `reason=True` (or `end_date=True`)
it first shows an intermediate page that asks for the reason (and date), as Django's own
delete-confirmation does.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.exceptions import ApplicationError


class ActionInputForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason"), widget=forms.Textarea(attrs={"rows": 3}), max_length=256
    )


class ActionDateInputForm(ActionInputForm):
    end_date = forms.DateField(
        label=gettext_lazy("End date"), widget=forms.DateInput(attrs={"type": "date"})
    )
    confirm_gap = forms.BooleanField(
        label=gettext_lazy("End it even if the branch is left short of staff"), required=False
    )


def error_text(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "；".join(str(m) for m in exc.messages)
    if isinstance(exc, ApplicationError):
        return str(exc.message)
    return str(exc) or _("You do not have permission to do this.")


def service_action(
    func: Callable[..., Any],
    *,
    name: str,
    description: str,
    reason: bool = False,
    end_date: bool = False,
) -> Callable[[admin.ModelAdmin, HttpRequest, models.QuerySet], Any]:
    """Build an admin action that calls `func(request, obj, **inputs)` for each selected
    (and therefore in-scope) object, reporting successes and failures separately."""

    def action(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: models.QuerySet):
        inputs: dict[str, Any] = {}
        if reason or end_date:
            form_class = ActionDateInputForm if end_date else ActionInputForm
            form = form_class(request.POST if "apply" in request.POST else None)
            if not form.is_valid():
                context = {
                    **modeladmin.admin_site.each_context(request),
                    "title": description,
                    "objects": queryset,
                    "form": form,
                    "action": name,
                    "opts": modeladmin.model._meta,
                    "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
                    "select_across": request.POST.get("select_across", "0"),
                }
                return TemplateResponse(request, "admin/action_input.html", context)
            inputs = form.cleaned_data
        done, failed = 0, []
        for obj in queryset:
            try:
                func(request, obj, **inputs)
                done += 1
            except (ValidationError, ApplicationError, PermissionDenied) as exc:
                failed.append(f"{obj}：{error_text(exc)}")
        if done:
            modeladmin.message_user(
                request,
                _("%(action)s: %(n)d done.") % {"action": description, "n": done},
                messages.SUCCESS,
            )
        for line in failed:
            modeladmin.message_user(request, line, messages.ERROR)
        return None

    action.__name__ = name
    action.short_description = description  # type: ignore[attr-defined]
    action.allowed_permissions = ("change",)  # type: ignore[attr-defined]
    return action


def today() -> Any:
    return timezone.localdate()
