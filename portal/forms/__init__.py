"""Portal forms, one module per section (trainees.py, secondments.py, ...).

Forms parse and check the input only; the views hand the cleaned data to the apps'
services, which hold the programme's rules, and put a service's errors back on the form
with `add_service_error` — each message beside its field, the rest above the form.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import django_filters
from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _

from core.exceptions import ApplicationError


def add_service_error(
    form: forms.BaseForm,
    error: ValidationError | ApplicationError | PermissionDenied,
    *,
    fields: Mapping[str, str] | None = None,
) -> None:
    """Show a service's error on `form`. `fields` maps model field names to form field
    names (e.g. {"lawyer": "licence_no"}); errors of fields the form lacks go on top."""
    fields = fields or {}
    if isinstance(error, ValidationError) and hasattr(error, "error_dict"):
        for name, errors in error.error_dict.items():
            target = fields.get(name, name)
            form.add_error(target if target in form.fields else None, errors)
    elif isinstance(error, ValidationError):
        form.add_error(None, error)
    elif isinstance(error, ApplicationError):
        form.add_error(None, str(error.message))
    else:
        form.add_error(None, str(error) or _("You do not have permission to do this."))


class PortalFilters:
    """Mixin for an app's FilterSet on a portal list page: `shown` names the filters the
    page offers, with the portal's translated labels; choices start with "All"."""

    shown: Mapping[str, str] = {}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, label in self.shown.items():
            found = self.filters[name]  # type: ignore[attr-defined]
            found.label = label
            if isinstance(found, django_filters.ChoiceFilter):
                found.extra["empty_label"] = _("All")

    def shown_fields(self) -> list[forms.BoundField]:
        form = self.form  # type: ignore[attr-defined]
        for name in self.shown:
            widget = form.fields[name].widget
            if isinstance(widget, forms.NullBooleanSelect):
                widget.choices = [("unknown", _("All")), ("true", _("Yes")), ("false", _("No"))]
        return [form[name] for name in self.shown]
