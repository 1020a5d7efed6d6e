from django import forms
from django.contrib import admin
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.import_admin import SpreadsheetAdminMixin
from accounts.personal_data import PersonalDataAdminMixin
from accounts.scoped_admin import ScopedModelAdmin, ScopedTabularInline
from regions.admin_filters import province_filter, region_filter, year_filter

from .identifiers import validate_licence_number
from .models import Lawyer, LawyerLicence, Trainee
from .services import nominate_trainee, register_lawyer, set_lawyer_search_names


class LawyerLicenceInline(ScopedTabularInline):
    """Licence history, read-only: licences change through the licence services."""

    model = LawyerLicence
    fields = ("number", "issuing_province", "valid_from", "valid_to", "is_current")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class LawyerAddForm(forms.ModelForm):
    """Adding a lawyer also records the current licence."""

    licence_number = forms.CharField(
        label=_("licence number"), max_length=17, validators=[validate_licence_number]
    )
    licence_valid_from = forms.DateField(
        label=_("licence valid from"), widget=forms.DateInput(attrs={"type": "date"})
    )

    class Meta:
        model = Lawyer
        fields = (
            "name",
            "gender",
            "birth_date",
            "political_status",
            "first_licence_year",
            "province",
            "firm",
            "practice_areas",
            "phone",
            "email",
        )

    def clean_licence_number(self):
        number = self.cleaned_data["licence_number"]
        if LawyerLicence.objects.filter(number=number).exists():
            raise forms.ValidationError(_("Licence number: already registered."))
        return number


@admin.register(Lawyer)
class LawyerAdmin(SpreadsheetAdminMixin, PersonalDataAdminMixin, ScopedModelAdmin):
    personal_data_fields = ("phone", "email")
    history_restorable = True
    large_table = True
    list_display = (
        "name",
        "current_licence_no",
        "gender",
        "province",
        "firm",
        "first_licence_year",
    )
    list_filter = (
        province_filter("province"),
        region_filter("province"),
        "gender",
        "political_status",
    )
    list_select_related = ("province", "firm")
    search_fields = ("=current_licence_no", "name", "^name_initials", "^name_pinyin")
    autocomplete_fields = ("province", "firm")
    inlines = (LawyerLicenceInline,)
    ordering = ("name_pinyin", "id")

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = LawyerAddForm
        return super().get_form(request, obj, **kwargs)

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None:
            fields = [
                f
                for f in fieldsets[0][1]["fields"]
                if f not in ("licence_number", "licence_valid_from")
            ]
            return [(None, {"fields": [*fields, "licence_number", "licence_valid_from"]})]
        return fieldsets

    def save_model(self, request, obj, form, change):
        if change:
            set_lawyer_search_names(obj)
            super().save_model(request, obj, form, change)
        else:
            register_lawyer(
                actor=request.user,
                lawyer=obj,
                licence_number=form.cleaned_data["licence_number"],
                licence_valid_from=form.cleaned_data["licence_valid_from"],
            )


@admin.register(Trainee)
class TraineeAdmin(SpreadsheetAdminMixin, ScopedModelAdmin):
    list_display = (
        "lawyer",
        "cohort_year",
        "home_province",
        "status",
        "experience_group",
        "practice_track",
    )
    list_filter = (
        province_filter("home_province"),
        year_filter("cohort_year", title=_("cohort year")),
        "status",
        "experience_group",
    )
    list_select_related = ("lawyer", "home_province")
    search_fields = ("=lawyer__current_licence_no", "lawyer__name", "^lawyer__name_initials")
    autocomplete_fields = ("lawyer", "home_province")
    readonly_fields = ("status", "experience_group")

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
        else:  # checks eligibility, derives the experience group
            nominate_trainee(actor=request.user, trainee=obj, today=timezone.localdate())
