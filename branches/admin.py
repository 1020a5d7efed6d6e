from django.contrib import admin

from accounts.scoped_admin import ScopedModelAdmin, ScopedTabularInline

from .models import BranchOffice, CareVisit, Posting, ServiceRecord, SupportContract


class PostingInline(ScopedTabularInline):
    model = Posting
    fields = (
        "lawyer",
        "kind",
        "start_date",
        "end_date",
        "agreement_signed",
        "medical_passed",
        "licence_transferred",
    )
    autocomplete_fields = ("lawyer",)


class ServiceRecordInline(ScopedTabularInline):
    model = ServiceRecord
    fields = ("kind", "served_on", "quantity", "lawyer", "note")
    autocomplete_fields = ("lawyer",)
    max_num = 0  # millions over the years: listed on their own page, not inline
    can_delete = False


@admin.register(BranchOffice)
class BranchOfficeAdmin(ScopedModelAdmin):
    list_display = ("name", "parent_firm", "county", "status", "minimum_staff", "established_on")
    list_filter = ("status",)
    list_select_related = ("parent_firm", "county__province")
    search_fields = ("name", "=credit_code", "county__name", "parent_firm__name")
    autocomplete_fields = ("parent_firm", "county")
    inlines = (PostingInline,)


@admin.register(Posting)
class PostingAdmin(ScopedModelAdmin):
    list_display = ("lawyer", "branch", "kind", "start_date", "end_date", "checklist_complete")
    list_filter = ("kind", "checklist_complete")
    list_select_related = ("lawyer", "branch")
    search_fields = ("lawyer__name", "^lawyer__name_initials", "branch__name")
    autocomplete_fields = ("lawyer", "branch")


@admin.register(ServiceRecord)
class ServiceRecordAdmin(ScopedModelAdmin):
    list_display = ("branch", "kind", "served_on", "quantity", "lawyer")
    list_filter = ("kind",)
    list_select_related = ("branch", "lawyer")
    search_fields = ("branch__name",)
    autocomplete_fields = ("branch", "lawyer")


@admin.register(SupportContract)
class SupportContractAdmin(ScopedModelAdmin):
    list_display = ("branch", "kind", "counterparty", "amount", "start_date", "end_date")
    list_filter = ("kind",)
    list_select_related = ("branch",)
    search_fields = ("counterparty", "branch__name")
    autocomplete_fields = ("branch",)


@admin.register(CareVisit)
class CareVisitAdmin(ScopedModelAdmin):
    list_display = ("branch", "visited_on", "visitor_organisation")
    list_select_related = ("branch",)
    search_fields = ("visitor_organisation", "branch__name")
    autocomplete_fields = ("branch",)
