from django.contrib import admin

from accounts.scoped_admin import ScopedModelAdmin, ScopedTabularInline

from .models import Lawyer, LawyerLicence, Trainee
from .services import set_lawyer_search_names


class LawyerLicenceInline(ScopedTabularInline):
    model = LawyerLicence
    fields = ("number", "issuing_province", "valid_from", "valid_to", "is_current")
    autocomplete_fields = ("issuing_province",)


@admin.register(Lawyer)
class LawyerAdmin(ScopedModelAdmin):
    list_display = (
        "name",
        "current_licence_no",
        "gender",
        "province",
        "firm",
        "first_licence_year",
    )
    list_filter = ("province", "gender", "political_status")
    list_select_related = ("province", "firm")
    search_fields = ("=current_licence_no", "name", "^name_initials", "^name_pinyin")
    autocomplete_fields = ("province", "firm")
    inlines = (LawyerLicenceInline,)
    ordering = ("name_pinyin", "id")

    def save_model(self, request, obj, form, change):
        set_lawyer_search_names(obj)
        super().save_model(request, obj, form, change)


@admin.register(Trainee)
class TraineeAdmin(ScopedModelAdmin):
    list_display = (
        "lawyer",
        "cohort_year",
        "home_province",
        "status",
        "experience_group",
        "practice_track",
    )
    list_filter = ("home_province", "cohort_year", "status", "experience_group")
    list_select_related = ("lawyer", "home_province")
    search_fields = ("=lawyer__current_licence_no", "lawyer__name", "^lawyer__name_initials")
    autocomplete_fields = ("lawyer", "home_province")
