"""Admin for organisations and users, scoped like everything else."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from .models import Organisation, User
from .policy import Role, role_of
from .scoped_admin import ScopedModelAdmin


@admin.register(Organisation)
class OrganisationAdmin(ScopedModelAdmin):
    list_display = ("name", "kind", "province", "is_active")
    list_filter = ("kind", "province", "is_active")
    list_select_related = ("province",)
    search_fields = ("name",)
    autocomplete_fields = ("province",)


@admin.register(User)
class UserAdmin(ScopedModelAdmin, DjangoUserAdmin):
    list_display = ("username", "last_name", "first_name", "organisation", "is_staff", "is_active")
    list_filter = ("is_staff", "is_active", "organisation__kind")
    list_select_related = ("organisation",)
    search_fields = ("username", "first_name", "last_name", "email")
    autocomplete_fields = ("organisation",)
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Personal info"), {"fields": ("last_name", "first_name", "email", "phone")}),
        (_("Organisation"), {"fields": ("organisation",)}),
        (
            _("Permissions"),
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("username", "organisation", "is_staff", "password1", "password2"),
            },
        ),
    )
    readonly_fields = ("last_login", "date_joined")

    def get_fieldsets(self, request: HttpRequest, obj: Any = None):
        fieldsets = super().get_fieldsets(request, obj)
        if role_of(request.user) == Role.MINISTRY:
            return fieldsets
        # only the ministry hands out superuser rights or raw permissions
        trimmed = []
        for title, opts in fieldsets:
            fields = tuple(
                f for f in opts["fields"] if f not in ("is_superuser", "groups", "user_permissions")
            )
            trimmed.append((title, {**opts, "fields": fields}))
        return trimmed


# the change log and the personal-data access log
from . import api_key_admin, history_admin  # noqa: E402, F401
