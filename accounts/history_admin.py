"""Admin pages of the audit trail: the searchable change log across every audited model,
and the (read-only) log of personal-data access."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, URLPattern, path, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import AuditEvent, PersonalDataAccess, User
from .policy import role_of
from .scoped_admin import ScopedModelAdmin
from .selectors import audited_models_visible_to, change_log

EVENT_LABEL_NAMES = {
    "insert": _("Created"),
    "update": _("Changed"),
    "delete": _("Deleted"),
}


class ChangeLogFilterForm(forms.Form):
    model = forms.ChoiceField(label=_("Data"), required=False)
    action = forms.ChoiceField(
        label=_("Event"),
        required=False,
        choices=[("", _("All")), *EVENT_LABEL_NAMES.items()],
    )
    actor = forms.CharField(label=_("User name"), required=False, max_length=150)
    date_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    q = forms.CharField(label=_("Request id or object id"), required=False, max_length=64)

    def __init__(self, *args: Any, models: list, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["model"].choices = [
            ("", _("All")),
            *sorted(
                ((m._meta.label, str(m._meta.verbose_name_plural)) for m in models),
                key=lambda c: c[1],
            ),
        ]


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


@admin.register(AuditEvent)
class ChangeLogAdmin(admin.ModelAdmin):
    """The change log: audit events across all models, scoped, filtered, newest first."""

    per_page = 50
    max_page = 200  # paging by offset: deeper than this, narrow the filters instead

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self.has_view_permission(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        user = request.user
        return user.is_active and user.is_staff and role_of(user) is not None

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_urls(self) -> list[URLPattern]:
        info = self.opts.app_label, self.opts.model_name
        return [
            path(
                "",
                self.admin_site.admin_view(self.changelist_view),
                name="{}_{}_changelist".format(*info),
            )
        ]

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        models = audited_models_visible_to(request.user)
        form = ChangeLogFilterForm(request.GET or None, models=models)
        try:
            page = max(1, min(int(request.GET.get("p", 1)), self.max_page))
        except ValueError:
            page = 1
        rows: list[dict[str, Any]] = []
        if form.is_bound and not form.is_valid():
            pass  # the form shows its errors; no rows for a filter we cannot read
        else:
            data = form.cleaned_data if form.is_bound else {}
            rows = self._rows(request, data, models, page)
        has_next = len(rows) > self.per_page and page < self.max_page
        rows = rows[: self.per_page]
        query = request.GET.copy()
        query.pop("p", None)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Change log"),
            "subtitle": None,
            "opts": self.opts,
            "form": form,
            "rows": rows,
            "page": page,
            "has_previous": page > 1,
            "has_next": has_next,
            "query": query.urlencode(),
            "max_page": self.max_page,
            **(extra_context or {}),
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/change_log.html", context)

    def _rows(
        self, request: HttpRequest, data: dict[str, Any], models: list, page: int
    ) -> list[dict[str, Any]]:
        actor_id = None
        if data.get("actor"):
            actor_id = (
                User.objects.filter(username=data["actor"]).values_list("pk", flat=True).first()
            )
            if actor_id is None:
                return []
        date_from, date_to = data.get("date_from"), data.get("date_to")
        rows = change_log(
            request.user,
            model_labels=[data["model"]] if data.get("model") else (),
            action=data.get("action") or "",
            actor_id=actor_id,
            since=_day_start(date_from) if date_from else None,
            until=_day_start(date_to + dt.timedelta(days=1)) if date_to else None,
            search=(data.get("q") or "").strip(),
            offset=(page - 1) * self.per_page,
            limit=self.per_page,
        )
        by_label = {m._meta.label: m for m in models}
        actor_ids = {int(r["actor"]) for r in rows if (r["actor"] or "").isdigit()}
        actors = {u.pk: str(u) for u in User.objects.filter(pk__in=actor_ids)} if actor_ids else {}
        for r in rows:
            model = by_label[r["model_label"]]
            r["model_name"] = model._meta.verbose_name
            r["event"] = EVENT_LABEL_NAMES.get(r["pgh_label"], r["pgh_label"])
            r["actor_name"] = actors.get(int(r["actor"])) if (r["actor"] or "").isdigit() else ""
            r["history_url"] = self._history_url(model, r) if r["pgh_label"] != "delete" else ""
        return rows

    def _history_url(self, model: Any, row: dict[str, Any]) -> str:
        if model not in self.admin_site._registry:
            return ""
        opts = model._meta
        try:
            return reverse(
                f"admin:{opts.app_label}_{opts.model_name}_history",
                args=[row["obj_id"]],
                current_app=self.admin_site.name,
            )
        except NoReverseMatch:
            return ""


@admin.register(PersonalDataAccess)
class PersonalDataAccessAdmin(ScopedModelAdmin):
    """The PIPL access log: read-only; the ministry sees every entry, a provincial justice
    department those of its own province's users."""

    large_table = True
    list_display = ("created_at", "user", "kind", "model_label", "count", "request_id")
    list_filter = ("kind", "model_label")
    list_select_related = ("user",)
    search_fields = ("=user__username", "=request_id", "model_label")
    fields = (
        "created_at",
        "user",
        "kind",
        "model_label",
        "object_ids",
        "description",
        "count",
        "request_id",
    )
    readonly_fields = fields
    ordering = ("-created_at", "-id")

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
