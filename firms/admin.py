from django.contrib import admin

from accounts.import_admin import SpreadsheetAdminMixin
from accounts.scoped_admin import ScopedModelAdmin
from regions.admin_filters import province_filter, region_filter

from .models import BarAssociation, LawFirm
from .services import save_firm


@admin.register(LawFirm)
class LawFirmAdmin(SpreadsheetAdminMixin, ScopedModelAdmin):
    history_restorable = True
    large_table = True
    list_display = (
        "name",
        "credit_code",
        "province",
        "county",
        "declared_lawyers",
        "organisation_form",
    )
    list_filter = (
        province_filter("province"),
        region_filter("province"),
        "organisation_form",
        "is_large_scale",
        "is_boutique",
        "is_model",
        "is_leading",
    )
    list_select_related = ("province", "county")
    # exact match on the identifier, prefix on pinyin initials (zs finds 张三), name contains
    search_fields = ("=credit_code", "name", "^name_initials", "^name_pinyin")
    autocomplete_fields = ("province", "county")
    ordering = ("province__code", "name", "id")

    def save_model(self, request, obj, form, change):
        save_firm(actor=request.user, firm=obj)


@admin.register(BarAssociation)
class BarAssociationAdmin(ScopedModelAdmin):
    list_display = ("name", "province", "organisation")
    list_select_related = ("province", "organisation")
    search_fields = ("name",)
    autocomplete_fields = ("province", "organisation")
