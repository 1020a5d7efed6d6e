from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.admin_actions import service_action, today
from accounts.import_admin import SpreadsheetAdminMixin
from accounts.scoped_admin import ScopedModelAdmin, ScopedTabularInline
from regions.admin_filters import province_filter, region_filter, year_filter

from .models import (
    OPEN_REPORT_STATUSES,
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
from .services import (
    accept_report,
    activate_pairing,
    book_secondment,
    cancel_secondment,
    complete_secondment,
    dissolve_pairing,
    end_pairing,
    ensure_seats_cover_bookings,
    propose_pairing,
    return_report,
    save_report_draft,
    start_secondment,
)


class ReportOverdueFilter(admin.SimpleListFilter):
    """Pairings with a progress report past its due date and not submitted."""

    title = _("report overdue")
    parameter_name = "report_overdue"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list:
        return [("yes", _("Yes")), ("no", _("No"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() not in ("yes", "no"):
            return queryset
        overdue = ProgressReport.objects.filter(
            ProgressReport.overdue_q(timezone.localdate())
        ).values("pairing_id")
        if self.value() == "yes":
            return queryset.filter(pk__in=overdue)
        return queryset.exclude(pk__in=overdue)


@admin.register(PairingAgreement)
class PairingAgreementAdmin(ScopedModelAdmin):
    history_restorable = True
    list_display = (
        "helper_province",
        "recipient_province",
        "level",
        "designated",
        "signed_on",
        "is_assumed",
    )
    list_filter = (
        province_filter("helper_province", "recipient_province"),
        region_filter("helper_province", "recipient_province"),
        "level",
        "designated",
        "is_assumed",
    )
    list_select_related = ("helper_province", "recipient_province")
    search_fields = ("helper_province__name", "recipient_province__name")
    autocomplete_fields = ("helper_province", "recipient_province")


class QuotaAdminForm(forms.ModelForm):
    """Refuses seats below those already booked, counted under the quota row's lock (the
    admin's change view is one transaction, so the lock is held until the save): a form
    error, never the database's refusal (`quota_seats_held`) as a 500."""

    def _post_clean(self) -> None:
        super()._post_clean()
        quota = self.instance
        if quota.pk is not None and quota.seats is not None and "seats" not in self.errors:
            Quota.objects.select_for_update().filter(pk=quota.pk).first()
            try:
                ensure_seats_cover_bookings(quota=quota, taken=quota.seats_taken())
            except ValidationError as exc:
                self.add_error(None, exc)


@admin.register(Quota)
class QuotaAdmin(ScopedModelAdmin):
    form = QuotaAdminForm
    list_display = ("name", "year", "seats")
    list_filter = (year_filter("year"), province_filter("host_provinces", "source_provinces"))
    search_fields = ("name",)
    autocomplete_fields = ("host_provinces", "source_provinces")


class TrainingActivityInline(ScopedTabularInline):
    model = TrainingActivity
    fields = ("kind", "held_on", "hours", "title")


class SecondmentAdminForm(forms.ModelForm):
    """Validates under the chosen quota's row lock, held until the save (the admin's
    change view is one transaction): Secondment.clean() then counts the seats as the
    booking will find them, so two clerks booking the last seat at once get a form error
    for the second, not a 500 from the service's recount or the seat trigger."""

    def _post_clean(self) -> None:
        quota = self.cleaned_data.get("quota")
        if quota is not None:
            Quota.objects.select_for_update().filter(pk=quota.pk).first()
        super()._post_clean()


@admin.register(Secondment)
class SecondmentAdmin(SpreadsheetAdminMixin, ScopedModelAdmin):
    form = SecondmentAdminForm
    list_display = (
        "trainee",
        "host_firm",
        "mentor",
        "start_date",
        "end_date",
        "status",
        "evaluation_grade",
    )
    list_filter = (
        province_filter("trainee__home_province", "host_firm__province"),
        region_filter("host_firm__province"),
        "status",
        year_filter("start_date", title=_("start year")),
        "evaluation_grade",
    )
    list_select_related = ("trainee__lawyer", "host_firm", "mentor")
    search_fields = ("trainee__lawyer__name", "^trainee__lawyer__name_initials", "host_firm__name")
    autocomplete_fields = ("trainee", "host_firm", "mentor", "quota")
    inlines = (TrainingActivityInline,)
    date_hierarchy = "start_date"
    # state and sign-offs change only through the actions (service functions)
    readonly_fields = (
        "status",
        "cancel_reason",
        "evaluation_grade",
        "evaluation_comment",
        "evaluated_on",
        "bar_signed_off_on",
    )
    actions = (
        service_action(
            lambda request, obj: start_secondment(
                actor=request.user, secondment=obj, today=today()
            ),
            name="start_secondments",
            description=_("Start the selected secondments"),
        ),
        service_action(
            lambda request, obj: complete_secondment(
                actor=request.user, secondment=obj, today=today()
            ),
            name="complete_secondments",
            description=_("Complete the selected secondments"),
        ),
        service_action(
            lambda request, obj, reason: cancel_secondment(
                actor=request.user, secondment=obj, reason=reason
            ),
            name="cancel_secondments",
            description=_("Cancel the selected secondments"),
            reason=True,
        ),
    )

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
        else:  # books a quota seat under the quota's lock
            book_secondment(actor=request.user, secondment=obj)


class PairingGoalInline(ScopedTabularInline):
    model = PairingGoal
    fields = ("title", "focus_area", "due_date", "achieved_on")


class ProgressReportInline(ScopedTabularInline):
    model = ProgressReport
    fields = ("period_start", "period_end", "due_date", "status")
    readonly_fields = ("status",)


@admin.register(FirmPairing)
class FirmPairingAdmin(SpreadsheetAdminMixin, ScopedModelAdmin):
    list_display = ("helper_firm", "recipient_firm", "mode", "status", "term_start", "term_end")
    list_filter = (
        province_filter("helper_firm__province", "recipient_firm__province"),
        region_filter("helper_firm__province"),
        "status",
        "mode",
        year_filter("term_start", title=_("start year")),
        ReportOverdueFilter,
    )
    list_select_related = ("helper_firm", "recipient_firm")
    search_fields = (
        "helper_firm__name",
        "recipient_firm__name",
        "=helper_firm__credit_code",
        "=recipient_firm__credit_code",
    )
    autocomplete_fields = ("helper_firm", "recipient_firm", "agreement")
    inlines = (PairingGoalInline, ProgressReportInline)
    readonly_fields = ("status", "ended_on", "dissolve_reason")
    actions = (
        service_action(
            lambda request, obj: activate_pairing(actor=request.user, pairing=obj),
            name="activate_pairings",
            description=_("Activate the selected pairings"),
        ),
        service_action(
            lambda request, obj: end_pairing(actor=request.user, pairing=obj, today=today()),
            name="end_pairings",
            description=_("End the selected pairings (term completed)"),
        ),
        service_action(
            lambda request, obj, reason: dissolve_pairing(
                actor=request.user, pairing=obj, reason=reason, today=today()
            ),
            name="dissolve_pairings",
            description=_("Dissolve the selected pairings"),
            reason=True,
        ),
    )

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
        else:
            propose_pairing(actor=request.user, pairing=obj)


@admin.register(ProgressReport)
class ProgressReportAdmin(ScopedModelAdmin):
    list_display = ("pairing", "period_start", "period_end", "due_date", "status", "submitted_at")
    list_filter = (
        province_filter("pairing__helper_firm__province", "pairing__recipient_firm__province"),
        "status",
        year_filter("due_date", title=_("due year")),
    )
    list_select_related = ("pairing__helper_firm", "pairing__recipient_firm")
    search_fields = ("pairing__helper_firm__name", "pairing__recipient_firm__name")
    autocomplete_fields = ("pairing",)
    readonly_fields = (
        "status",
        "submitted_at",
        "submitted_by",
        "reviewed_at",
        "reviewed_by",
        "return_reason",
    )
    actions = (
        service_action(
            lambda request, obj: accept_report(actor=request.user, report=obj),
            name="accept_reports",
            description=_("Accept the selected reports"),
        ),
        service_action(
            lambda request, obj, reason: return_report(
                actor=request.user, report=obj, reason=reason
            ),
            name="return_reports",
            description=_("Return the selected reports for correction"),
            reason=True,
        ),
    )

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.status not in OPEN_REPORT_STATUSES:
            # a submitted or accepted report is a record: only the actions change it
            return [f.name for f in obj._meta.fields if f.editable and f.name != "id"]
        return self.readonly_fields

    def save_model(self, request, obj, form, change):
        save_report_draft(actor=request.user, report=obj)


@admin.register(ProgramTarget)
class ProgramTargetAdmin(ScopedModelAdmin):
    list_display = ("metric", "province", "year", "value")
    list_filter = ("metric", year_filter("year"))
    list_select_related = ("province",)
    autocomplete_fields = ("province",)


@admin.register(StatSnapshot)
class StatSnapshotAdmin(ScopedModelAdmin):
    list_display = ("label", "value", "unit", "region_note", "as_of", "source")
    search_fields = ("label", "key")
