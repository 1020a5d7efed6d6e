"""Admin for reminder rules (ministry staff edit them) and the sweep's daily record."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from accounts.scoped_admin import ScopedModelAdmin

from .models import RecipientRole, ReminderRule, SweepRun


class ReminderRuleForm(forms.ModelForm):
    recipients = forms.MultipleChoiceField(
        label=_("recipients"),
        choices=RecipientRole.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Who is written to at the first level; the kind decides which apply."),
    )

    class Meta:
        model = ReminderRule
        fields = (
            "name",
            "kind",
            "enabled",
            "offset",
            "offset_unit",
            "repeat_every",
            "repeat_unit",
            "max_repeats",
            "escalate_after",
            "recipients",
            "send_email",
            "horizon_days",
        )


@admin.register(ReminderRule)
class ReminderRuleAdmin(ScopedModelAdmin):
    form = ReminderRuleForm
    list_display = (
        "name",
        "kind",
        "enabled",
        "offset",
        "offset_unit",
        "repeat_every",
        "max_repeats",
        "escalate_after",
        "send_email",
    )
    list_filter = ("kind", "enabled")
    search_fields = ("name",)


@admin.register(SweepRun)
class SweepRunAdmin(ScopedModelAdmin):
    list_display = ("run_on", "rule", "obligations", "created", "unreachable_count", "queries")
    list_filter = ("run_on", "rule")
    list_select_related = ("rule",)
    date_hierarchy = "run_on"
    readonly_fields = (
        "rule",
        "run_on",
        "obligations",
        "created",
        "unreachable",
        "queries",
        "duration_ms",
    )

    @admin.display(description=_("unreachable"))
    def unreachable_count(self, obj: SweepRun) -> int:
        return len(obj.unreachable or [])

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
