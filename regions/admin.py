from django.contrib import admin

from accounts.policy import Role, role_of
from accounts.scoped_admin import ScopedModelAdmin

from .models import CalendarDay, County, Province


@admin.register(Province)
class ProvinceAdmin(ScopedModelAdmin):
    list_display = ("code", "name", "short_name", "name_en", "region", "is_recipient", "is_corps")
    list_filter = ("region", "is_recipient")
    search_fields = ("=code", "name", "short_name", "name_en")
    ordering = ("code",)


@admin.register(County)
class CountyAdmin(ScopedModelAdmin):
    list_display = (
        "code",
        "name",
        "kind",
        "prefecture_name",
        "province",
        "lawyer_status",
        "was_no_lawyer",
        "valid_to",
    )
    list_filter = ("province", "lawyer_status", "was_no_lawyer", "is_corps", "kind")
    list_select_related = ("province",)
    search_fields = ("=code", "name", "prefecture_name")
    autocomplete_fields = ("province",)
    ordering = ("code",)

    status_fields = ("lawyer_status", "lawyer_status_since", "volunteer_coverage")

    def get_readonly_fields(self, request, obj=None):
        if role_of(request.user) != Role.MINISTRY:
            # provincial departments keep the lawyer status; the division itself is
            # reference data the ministry maintains
            return tuple(
                f.name
                for f in County._meta.fields
                if f.editable and f.name not in self.status_fields and f.name != "id"
            )
        # a division code never changes; a new code is a new county
        return ("code",) if obj is not None else ()


@admin.register(CalendarDay)
class CalendarDayAdmin(ScopedModelAdmin):
    list_display = ("date", "kind", "name", "source")
    list_filter = ("kind", "name")
    search_fields = ("name",)
    date_hierarchy = "date"
    ordering = ("-date",)
