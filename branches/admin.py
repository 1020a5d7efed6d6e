from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.admin_actions import service_action
from accounts.import_admin import SpreadsheetAdminMixin
from accounts.scoped_admin import ScopedModelAdmin, ScopedTabularInline
from regions.admin_filters import province_filter, year_filter

from .models import BranchOffice, BranchStatus, CareVisit, Posting, ServiceRecord, SupportContract
from .selectors import branches_with_gap
from .services import (
    add_posting,
    change_gap_message,
    end_posting,
    gap_opened_by,
    save_branch_record,
    save_posting,
)


class StaffingGapFilter(admin.SimpleListFilter):
    """Active branches that fall below their minimum staff within the next 30 days."""

    title = _("staffing gap in 30 days")
    parameter_name = "staffing_gap"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list:
        return [("yes", _("Yes")), ("no", _("No"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() not in ("yes", "no"):
            return queryset
        active = queryset.filter(status=BranchStatus.ACTIVE).only("pk", "minimum_staff")
        gap_ids = [
            b.pk for b, _day in branches_with_gap(queryset=active, today=timezone.localdate())
        ]
        if self.value() == "yes":
            return queryset.filter(pk__in=gap_ids)
        return queryset.exclude(pk__in=gap_ids)


class PostingInline(ScopedTabularInline):
    """Postings of a branch, read-only here: added and ended on the posting page."""

    model = Posting
    can_delete = False
    fields = (
        "lawyer",
        "kind",
        "start_date",
        "end_date",
        "agreement_signed",
        "medical_passed",
        "licence_transferred",
    )
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


class ServiceRecordInline(ScopedTabularInline):
    model = ServiceRecord
    fields = ("kind", "served_on", "quantity", "lawyer", "note")
    autocomplete_fields = ("lawyer",)
    max_num = 0  # millions over the years: listed on their own page, not inline
    can_delete = False


@admin.register(BranchOffice)
class BranchOfficeAdmin(SpreadsheetAdminMixin, ScopedModelAdmin):
    history_restorable = True
    list_display = ("name", "parent_firm", "county", "status", "minimum_staff", "established_on")
    list_filter = (province_filter("county__province"), "status", StaffingGapFilter)
    list_select_related = ("parent_firm", "county__province")
    search_fields = ("name", "=credit_code", "county__name", "parent_firm__name")
    autocomplete_fields = ("parent_firm", "county")
    inlines = (PostingInline,)


class PostingAdminForm(forms.ModelForm):
    """A change that leaves the branch short of staff (unticking the checklist, a later
    start, another branch) is saved only with the box ticked, as ending one is."""

    confirm_gap = forms.BooleanField(
        label=_("Save despite a staffing gap"),
        required=False,
        help_text=_("Needed only when this change leaves the branch short of staff."),
    )

    class Meta:
        model = Posting
        fields = "__all__"  # noqa: DJ007 - the admin narrows them (read-only fields)

    def _post_clean(self) -> None:
        super()._post_clean()
        if self.instance.pk is None or self.errors:
            return
        first_gap = gap_opened_by(self.instance)
        if first_gap is not None and not self.cleaned_data.get("confirm_gap"):
            self.add_error("confirm_gap", change_gap_message(first_gap))


@admin.register(Posting)
class PostingAdmin(SpreadsheetAdminMixin, ScopedModelAdmin):
    form = PostingAdminForm
    list_display = ("lawyer", "branch", "kind", "start_date", "end_date", "checklist_complete")
    list_filter = (
        province_filter("branch__county__province"),
        "kind",
        "checklist_complete",
        year_filter("start_date", title=_("start year")),
    )
    list_select_related = ("lawyer", "branch")
    search_fields = ("lawyer__name", "^lawyer__name_initials", "branch__name")
    autocomplete_fields = ("lawyer", "branch")
    actions = (
        service_action(
            lambda request, obj, reason, end_date, confirm_gap: end_posting(
                actor=request.user,
                posting=obj,
                end_date=end_date,
                reason=reason,
                confirm_gap=confirm_gap,
            ),
            name="end_postings",
            description=_("End the selected postings"),
            end_date=True,
        ),
    )

    def get_readonly_fields(self, request, obj=None):
        # a posting ends through the action, which checks the branch's staffing
        return (
            ("end_date", "end_reason", "gap_confirmed") if obj is not None else ("gap_confirmed",)
        )

    def save_model(self, request, obj, form, change):
        if change:
            confirm_gap = bool(form.cleaned_data.get("confirm_gap"))
            save_posting(actor=request.user, posting=obj, confirm_gap=confirm_gap)
        else:
            add_posting(actor=request.user, posting=obj)


class BranchRecordAdmin(ScopedModelAdmin):
    def save_model(self, request, obj, form, change):
        save_branch_record(actor=request.user, record=obj)


@admin.register(ServiceRecord)
class ServiceRecordAdmin(SpreadsheetAdminMixin, BranchRecordAdmin):
    large_table = True
    list_display = ("branch", "kind", "served_on", "quantity", "lawyer")
    list_filter = (province_filter("branch__county__province"), "kind", year_filter("served_on"))
    list_select_related = ("branch", "lawyer")
    search_fields = ("branch__name",)
    autocomplete_fields = ("branch", "lawyer")


@admin.register(SupportContract)
class SupportContractAdmin(BranchRecordAdmin):
    list_display = ("branch", "kind", "counterparty", "amount", "start_date", "end_date")
    list_filter = ("kind",)
    list_select_related = ("branch",)
    search_fields = ("counterparty", "branch__name")
    autocomplete_fields = ("branch",)


@admin.register(CareVisit)
class CareVisitAdmin(BranchRecordAdmin):
    list_display = ("branch", "visited_on", "visitor_organisation")
    list_select_related = ("branch",)
    search_fields = ("visitor_organisation", "branch__name")
    autocomplete_fields = ("branch",)
