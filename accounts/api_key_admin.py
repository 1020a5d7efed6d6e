"""Admin for API keys: staff issue (the key is shown once), list and revoke them."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db import models
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .admin_actions import service_action
from .api_keys import issue_api_key, revoke_api_key
from .models import ApiKey
from .scoped_admin import ScopedModelAdmin


class ApiKeyForm(forms.ModelForm):
    class Meta:
        model = ApiKey
        fields = (
            "organisation",
            "name",
            "scope_read",
            "scope_write",
            "scope_personal_data",
            "expires_at",
            "allowed_ips",
        )


@admin.register(ApiKey)
class ApiKeyAdmin(ScopedModelAdmin):
    form = ApiKeyForm
    list_display = (
        "name",
        "organisation",
        "prefix",
        "scope_read",
        "scope_write",
        "scope_personal_data",
        "expires_at",
        "last_used_at",
        "revoked_at",
    )
    list_filter = ("scope_write", "scope_personal_data", "organisation__kind")
    list_select_related = ("organisation",)
    search_fields = ("name", "=prefix", "organisation__name")
    autocomplete_fields = ("organisation",)
    readonly_fields = ("prefix", "last_used_at", "last_used_ip", "revoked_at", "created_by")
    actions = [
        service_action(
            lambda request, key: revoke_api_key(actor=request.user, api_key=key),
            name="revoke_keys",
            description=gettext_lazy("Revoke the selected API keys"),
        )
    ]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        fields = super().get_readonly_fields(request, obj)
        # a key's organisation is fixed once issued (its service user acts for it)
        return (*fields, "organisation") if obj is not None else fields

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # revoke instead: the key's history stays

    def save_model(
        self, request: HttpRequest, obj: ApiKey, form: forms.ModelForm, change: bool
    ) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        issued = issue_api_key(
            actor=request.user,
            organisation=obj.organisation,
            name=obj.name,
            scope_read=obj.scope_read,
            scope_write=obj.scope_write,
            scope_personal_data=obj.scope_personal_data,
            expires_at=obj.expires_at,
            allowed_ips=obj.allowed_ips,
        )
        obj.pk = issued.api_key.pk
        obj.__dict__.update(issued.api_key.__dict__)
        request._issued_api_key_secret = issued.secret  # type: ignore[attr-defined]

    def response_add(
        self, request: HttpRequest, obj: models.Model, post_url_continue: Any = None
    ) -> HttpResponse:
        secret = getattr(request, "_issued_api_key_secret", None)
        if secret is None:
            return super().response_add(request, obj, post_url_continue)
        messages.warning(request, _("Copy the key now: it is shown only once."))
        return TemplateResponse(
            request,
            "admin/accounts/apikey/issued.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "api_key": obj,
                "secret": secret,
                "title": _("API key issued"),
            },
        )
