from django.contrib import admin

from accounts.scoped_admin import ScopedModelAdmin, ScopedTabularInline

from .models import (
    FirmPairing,
    PairingAgreement,
    PairingGoal,
    ProgramTarget,
    ProgressReport,
    Quota,
    Secondment,
    StatSnapshot,
    TrainingActivity,
)


@admin.register(PairingAgreement)
class PairingAgreementAdmin(ScopedModelAdmin):
    list_display = (
        "helper_province",
        "recipient_province",
        "level",
        "designated",
        "signed_on",
        "is_assumed",
    )
    list_filter = ("level", "designated", "is_assumed", "recipient_province")
    list_select_related = ("helper_province", "recipient_province")
    search_fields = ("helper_province__name", "recipient_province__name")
    autocomplete_fields = ("helper_province", "recipient_province")


@admin.register(Quota)
class QuotaAdmin(ScopedModelAdmin):
    list_display = ("name", "year", "seats")
    list_filter = ("year",)
    search_fields = ("name",)
    autocomplete_fields = ("host_provinces", "source_provinces")


class TrainingActivityInline(ScopedTabularInline):
    model = TrainingActivity
    fields = ("kind", "held_on", "hours", "title")


@admin.register(Secondment)
class SecondmentAdmin(ScopedModelAdmin):
    list_display = (
        "trainee",
        "host_firm",
        "mentor",
        "start_date",
        "end_date",
        "status",
        "evaluation_grade",
    )
    list_filter = ("status", "evaluation_grade")
    list_select_related = ("trainee__lawyer", "host_firm", "mentor")
    search_fields = ("trainee__lawyer__name", "^trainee__lawyer__name_initials", "host_firm__name")
    autocomplete_fields = ("trainee", "host_firm", "mentor", "quota")
    inlines = (TrainingActivityInline,)
    date_hierarchy = "start_date"


class PairingGoalInline(ScopedTabularInline):
    model = PairingGoal
    fields = ("title", "focus_area", "due_date", "achieved_on")


class ProgressReportInline(ScopedTabularInline):
    model = ProgressReport
    fields = ("period_start", "period_end", "due_date", "status")
    readonly_fields = ("status",)


@admin.register(FirmPairing)
class FirmPairingAdmin(ScopedModelAdmin):
    list_display = ("helper_firm", "recipient_firm", "mode", "status", "term_start", "term_end")
    list_filter = ("status", "mode")
    list_select_related = ("helper_firm", "recipient_firm")
    search_fields = (
        "helper_firm__name",
        "recipient_firm__name",
        "=helper_firm__credit_code",
        "=recipient_firm__credit_code",
    )
    autocomplete_fields = ("helper_firm", "recipient_firm", "agreement")
    inlines = (PairingGoalInline, ProgressReportInline)


@admin.register(ProgressReport)
class ProgressReportAdmin(ScopedModelAdmin):
    list_display = ("pairing", "period_start", "period_end", "due_date", "status", "submitted_at")
    list_filter = ("status",)
    list_select_related = ("pairing__helper_firm", "pairing__recipient_firm")
    search_fields = ("pairing__helper_firm__name", "pairing__recipient_firm__name")
    autocomplete_fields = ("pairing",)
    readonly_fields = ("submitted_at", "submitted_by", "reviewed_at", "reviewed_by")


@admin.register(ProgramTarget)
class ProgramTargetAdmin(ScopedModelAdmin):
    list_display = ("metric", "province", "year", "value")
    list_filter = ("metric", "year")
    list_select_related = ("province",)
    autocomplete_fields = ("province",)


@admin.register(StatSnapshot)
class StatSnapshotAdmin(ScopedModelAdmin):
    list_display = ("label", "value", "unit", "region_note", "as_of", "source")
    search_fields = ("label", "key")
