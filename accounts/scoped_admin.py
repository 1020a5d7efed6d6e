"""ScopedModelAdmin: the admin side of the one policy layer (accounts.policy).

Changelists, change forms, foreign-key choices, autocomplete and list filters all start
from `Model.objects.for_user(user, action)`; saves go through `ensure_can`. Objects out of
scope answer 404, never "does not exist, redirecting".
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.admin.filters import RelatedFieldListFilter
from django.contrib.admin.utils import unquote
from django.contrib.admin.widgets import AutocompleteSelect, AutocompleteSelectMultiple
from django.core.exceptions import FieldDoesNotExist, PermissionDenied, ValidationError
from django.db import models
from django.forms import ModelForm
from django.http import Http404, HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import audit_enabled
from core.changelists import NulSafeChangelistMixin
from core.pagination import EstimatedCountPaginator

from .policy import Action, ensure_can


def _is_scoped(model: type[models.Model]) -> bool:
    return hasattr(model, "scoping") and hasattr(model._default_manager, "for_user")


def posted_key_is_valid(key_field: models.Field, value: Any) -> bool:
    """Whether a posted value can be a value of `key_field` (an id posted for a relation).

    Integer keys take ASCII digits only: Python's int() reads "１２" (full-width) as 12, a
    value no page ever sends for a row. The field's `to_python` and validators (which carry
    the column's integer range) decide the rest; PostgreSQL refuses NUL in any literal."""
    while key_field.is_relation:  # a one-to-one primary key: the key it points to
        key_field = key_field.target_field
    text = str(value)
    if "\x00" in text or (isinstance(key_field, models.IntegerField) and not text.isascii()):
        return False
    try:
        key_field.run_validators(key_field.to_python(value))
    except (ValidationError, TypeError, ValueError):
        return False
    return True


def _choice_key_field(field: forms.ModelChoiceField) -> models.Field:
    opts = field.queryset.model._meta
    return opts.get_field(field.to_field_name) if field.to_field_name else opts.pk


class KeyCheckedModelChoiceField(forms.ModelChoiceField):
    """A foreign key's admin form field that refuses a value that cannot be a key with its
    own "Select a valid choice" before looking it up."""

    def to_python(self, value: Any) -> Any:
        if (
            value not in self.empty_values
            and not isinstance(value, self.queryset.model)  # an initial value, not posted
            and not posted_key_is_valid(_choice_key_field(self), value)
        ):
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return super().to_python(value)


class KeyCheckedModelMultipleChoiceField(forms.ModelMultipleChoiceField):
    """A many-to-many admin form field that refuses values that cannot be keys with its own
    "“%(pk)s” is not a valid value" before looking them up."""

    def _check_values(self, value: Any) -> models.QuerySet:
        key_field = _choice_key_field(self)
        for pk in value:
            if not isinstance(pk, self.queryset.model) and not posted_key_is_valid(key_field, pk):
                raise ValidationError(
                    self.error_messages["invalid_pk_value"],
                    code="invalid_pk_value",
                    params={"pk": pk},
                )
        return super()._check_values(value)


class KeyCheckedAutocompleteMixin:
    """An autocomplete widget that shows again only the posted values that can be keys.

    A form refused for another reason is rendered with the posted values, and Django's
    `AutocompleteMixin.optgroups` looks them up with `<key>__in` as they came: "abc" raised
    ValueError and a number beyond bigint "out of range" in PostgreSQL, a 500 instead of the
    form's own "Select a valid choice" on the field. Values that cannot be keys
    (`posted_key_is_valid`) are left out of that lookup; the field's error shows as usual."""

    field: Any

    def optgroups(self, name: str, value: list, attr: Any = None) -> list:
        # the key Django's optgroups filters on: the relation's to_field, else the primary key
        opts = self.field.remote_field.model._meta
        key_field = opts.get_field(getattr(self.field.remote_field, "field_name", opts.pk.attname))
        value = [v for v in value if posted_key_is_valid(key_field, v)]
        return super().optgroups(name, value, attr)  # type: ignore[misc]


class KeyCheckedAutocompleteSelect(KeyCheckedAutocompleteMixin, AutocompleteSelect):
    """The autocomplete widget of a foreign key in every admin form of the project."""


class KeyCheckedAutocompleteSelectMultiple(KeyCheckedAutocompleteMixin, AutocompleteSelectMultiple):
    """The autocomplete widget of a many-to-many field in every admin form of the project."""


class KeyCheckedAutocompleteAdminMixin:
    """Relation fields of a ModelAdmin or inline that refuse values that cannot be keys
    (the `KeyChecked…` form fields), and for `autocomplete_fields` the key-checked widgets
    (Django would pick its own `AutocompleteSelect`/`AutocompleteSelectMultiple`)."""

    admin_site: admin.AdminSite

    def _autocomplete_widget(
        self, widget_class: type, db_field: Any, request: HttpRequest, kwargs: dict
    ) -> None:
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):  # type: ignore[attr-defined]
            kwargs["widget"] = widget_class(db_field, self.admin_site, using=kwargs.get("using"))

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any):
        self._autocomplete_widget(KeyCheckedAutocompleteSelect, db_field, request, kwargs)
        kwargs.setdefault("form_class", KeyCheckedModelChoiceField)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)  # type: ignore[misc]

    def formfield_for_manytomany(self, db_field: Any, request: HttpRequest, **kwargs: Any):
        self._autocomplete_widget(KeyCheckedAutocompleteSelectMultiple, db_field, request, kwargs)
        kwargs.setdefault("form_class", KeyCheckedModelMultipleChoiceField)
        return super().formfield_for_manytomany(db_field, request, **kwargs)  # type: ignore[misc]


class ScopedRelatedFieldListFilter(RelatedFieldListFilter):
    """A foreign-key list filter that offers only the rows the user may pick."""

    def field_choices(self, field: Any, request: HttpRequest, model_admin: Any) -> list:
        related = field.related_model
        if not _is_scoped(related):
            return super().field_choices(field, request, model_admin)
        qs = related._default_manager.for_user(request.user, Action.PICK)
        return [(obj.pk, str(obj)) for obj in qs]


#: changelist parameters that choose the page, order or window, not the rows
ADMIN_PAGE_PARAMS = frozenset({"p", "o", "_popup", "_to_field"})


class ScopedModelAdmin(NulSafeChangelistMixin, KeyCheckedAutocompleteAdminMixin, admin.ModelAdmin):
    """Base class of every ModelAdmin on a scoped model."""

    show_full_result_count = False  # no second COUNT(*) over national tables
    # National tables (lawyers, firms, service records) set this: an unfiltered list then
    # shows the planner's estimate instead of a COUNT(*) over the whole table.
    large_table = False

    def get_paginator(
        self, request: HttpRequest, queryset: Any, per_page: int, *args: Any, **kwargs: Any
    ):
        if self.large_table:
            # no filter, search or date drill-down of the user's: only the scope restricts
            # the rows, and the count is reused for SCOPE_COUNT_SECONDS
            scope_only = set(request.GET) <= ADMIN_PAGE_PARAMS
            return EstimatedCountPaginator(
                queryset, per_page, *args, scope_only=scope_only, **kwargs
            )
        return super().get_paginator(request, queryset, per_page, *args, **kwargs)

    # --- rows -----------------------------------------------------------------------
    def get_queryset(self, request: HttpRequest) -> models.QuerySet:
        qs = self.model._default_manager.for_user(request.user, Action.VIEW)
        ordering = self.get_ordering(request)
        return qs.order_by(*ordering) if ordering else qs

    def get_search_results(
        self, request: HttpRequest, queryset: models.QuerySet, search_term: str
    ) -> tuple[models.QuerySet, bool]:
        if "\x00" in search_term:
            # no text in PostgreSQL holds NUL, and the literal would fail the query (a 500 in
            # the autocomplete view): nothing matches
            return queryset.none(), False
        match = getattr(request, "resolver_match", None)
        if match is not None and match.url_name == "autocomplete":
            # autocomplete offers choices for a form: the user's pickable rows only
            queryset = self.model.scoping.filter(queryset, request.user, Action.PICK)
        return super().get_search_results(request, queryset, search_term)

    def get_object(self, request: HttpRequest, object_id: str, from_field: str | None = None):
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            raise Http404
        return obj

    # --- permissions ----------------------------------------------------------------
    def _may(self, request: HttpRequest, action: Action, obj: models.Model | None) -> bool:
        scoping = self.model.scoping
        if not scoping.allows(request.user, action):
            return False
        if obj is None or obj.pk is None:
            return True
        return scoping.filter(
            self.model._default_manager.filter(pk=obj.pk), request.user, action
        ).exists()

    def has_module_permission(self, request: HttpRequest) -> bool:
        return (
            request.user.is_active
            and request.user.is_staff
            and self._may(request, Action.VIEW, None)
        )

    def has_view_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return self._may(request, Action.VIEW, obj)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return self._may(request, Action.ADD, None)

    def has_change_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return self._may(request, Action.CHANGE, obj)

    def has_delete_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return self._may(request, Action.DELETE, obj)

    # --- choices --------------------------------------------------------------------
    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any):
        related = db_field.related_model
        if "queryset" not in kwargs and _is_scoped(related):
            kwargs["queryset"] = related._default_manager.for_user(request.user, Action.PICK)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field: Any, request: HttpRequest, **kwargs: Any):
        related = db_field.related_model
        if "queryset" not in kwargs and _is_scoped(related):
            kwargs["queryset"] = related._default_manager.for_user(request.user, Action.PICK)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def get_list_filter(self, request: HttpRequest) -> list:
        filters = []
        for item in super().get_list_filter(request):
            if isinstance(item, str) and "__" not in item:
                f = self.model._meta.get_field(item)
                if f.is_relation and _is_scoped(f.related_model):
                    item = (item, ScopedRelatedFieldListFilter)
            filters.append(item)
        return filters

    # --- history --------------------------------------------------------------------
    history_limit = 200
    # "restore this version" on the history page; only for models whose snapshots can be
    # copied back safely (see accounts.services.restorable_fields)
    history_restorable = False

    def history_view(
        self, request: HttpRequest, object_id: str, extra_context: Any = None
    ) -> HttpResponse:
        """The admin's "History" page shows the audit trail (pghistory events) of the object,
        with field diffs and actor; out-of-scope objects are 404 like everywhere else.
        `?restore=<event id>` shows (GET) and performs (POST) a restore of that version."""
        obj = self.get_object(request, unquote(object_id))
        if not self.has_view_or_change_permission(request, obj):
            raise PermissionDenied
        if "restore" in request.GET:
            return self.history_restore_view(request, obj, request.GET["restore"])
        events: list = []
        may_restore = self._history_may_restore(request, obj)
        if audit_enabled() and getattr(self.model, "pgh_event_models", None):
            from pghistory.models import Events

            from .models import User

            events = list(
                Events.objects.tracks(obj).order_by("-pgh_created_at")[: self.history_limit]
            )
            actor_ids = {(e.pgh_context or {}).get("user") for e in events if e.pgh_context} - {
                None
            }
            actors = {u.pk: str(u) for u in User.objects.filter(pk__in=actor_ids)}
            for e in events:
                context = e.pgh_context or {}
                e.actor = actors.get(context.get("user"), "")
                e.request_id = context.get("request_id", "")
                e.restored_from = context.get("restored_from")
                e.changes = sorted((e.pgh_diff or {}).items())
                e.restorable = may_restore and e.pgh_label == "update"
        context = {
            **self.admin_site.each_context(request),
            "title": _("History: %(obj)s") % {"obj": obj},
            "subtitle": None,
            "object": obj,
            "opts": self.model._meta,
            "events": events,
            "audit_enabled": audit_enabled(),
            "may_restore": may_restore,
            **(extra_context or {}),
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/audit_history.html", context)

    def _history_may_restore(self, request: HttpRequest, obj: models.Model) -> bool:
        return (
            self.history_restorable
            and audit_enabled()
            and "update" in (getattr(self.model, "pgh_event_models", None) or {})
            and self.has_change_permission(request, obj)
        )

    def history_restore_view(
        self, request: HttpRequest, obj: models.Model, event_id: str
    ) -> HttpResponse:
        """Confirm (GET: current values beside the snapshot's) and restore (POST) the
        version recorded by one update event of this object."""
        from django.contrib import messages
        from django.core.exceptions import ValidationError
        from django.shortcuts import redirect

        from .services import restorable_fields, restore_version, version_changes

        if not self._history_may_restore(request, obj):
            raise PermissionDenied
        event_model = self.model.pgh_event_models["update"]
        try:
            event = event_model._default_manager.get(
                pk=int(event_id), pgh_obj_id=obj.pk, pgh_label="update"
            )
        except (ValueError, event_model.DoesNotExist):
            raise Http404 from None
        exclude = set(self.get_readonly_fields(request, obj))
        errors: list[str] = []
        if request.method == "POST":
            try:
                restored = restore_version(
                    actor=request.user,
                    obj=obj,
                    event=event,
                    exclude=exclude,
                    save=lambda o: self.save_model(request, o, None, True),  # type: ignore[arg-type]
                )
            except ValidationError as exc:
                if hasattr(exc, "error_dict"):
                    errors = [
                        f"{self._field_label(name)}: {message}" if name != "__all__" else message
                        for name, messages_ in exc.message_dict.items()
                        for message in messages_
                    ]
                else:
                    errors = list(exc.messages)
            except PermissionDenied as exc:
                errors = [str(exc) or _("You do not have permission to do this.")]
            else:
                if restored:
                    messages.success(
                        request,
                        _("Restored the version of %(time)s: %(fields)s.")
                        % {
                            "time": timezone.localtime(event.pgh_created_at).strftime(
                                "%Y-%m-%d %H:%M:%S"
                            ),
                            "fields": ", ".join(self._field_label(n) for n in restored),
                        },
                    )
                else:
                    messages.info(request, _("This version matches the current record."))
                opts = self.model._meta
                return redirect(
                    reverse(
                        f"admin:{opts.app_label}_{opts.model_name}_history",
                        args=[obj.pk],
                        current_app=self.admin_site.name,
                    )
                )
        fields = restorable_fields(self.model, exclude=exclude)
        rows = [
            (f.verbose_name, self._display_value(f, current), self._display_value(f, snapshot))
            for f, current, snapshot in version_changes(obj, event, fields)
        ]
        context = {
            **self.admin_site.each_context(request),
            "title": _("Restore a version: %(obj)s") % {"obj": obj},
            "subtitle": None,
            "object": obj,
            "opts": self.model._meta,
            "event": event,
            "rows": rows,
            "errors": errors,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(
            request, "admin/audit_restore.html", context, status=400 if errors else 200
        )

    def _field_label(self, name: str) -> str:
        try:
            return str(self.model._meta.get_field(name).verbose_name)
        except FieldDoesNotExist:  # "__all__" and the like show as they are
            return name

    @staticmethod
    def _display_value(field: models.Field, value: Any) -> str:
        if value is None or value == "":
            return "∅"
        if field.choices:
            return str(dict(field.flatchoices).get(value, value))
        if field.is_relation:
            related = field.related_model._base_manager.filter(pk=value).first()
            return str(related) if related is not None else str(value)
        return str(value)

    # --- writes ---------------------------------------------------------------------
    def get_form(self, request: HttpRequest, obj: models.Model | None = None, **kwargs: Any):
        form_class = super().get_form(request, obj, **kwargs)
        user = request.user

        class ScopedForm(form_class):  # type: ignore[misc, valid-type]
            def _post_clean(self) -> None:
                super()._post_clean()
                action = Action.CHANGE if self.instance.pk else Action.ADD
                try:
                    ensure_can(user, action, self.instance)
                except PermissionDenied as exc:
                    self.add_error(None, str(exc) or "permission denied")

        ScopedForm.__name__ = form_class.__name__
        return ScopedForm

    def save_model(
        self, request: HttpRequest, obj: models.Model, form: ModelForm, change: bool
    ) -> None:
        # the form already checked; this guards paths that skip the form (e.g. actions)
        ensure_can(request.user, Action.CHANGE if change else Action.ADD, obj)
        super().save_model(request, obj, form, change)

    def delete_model(self, request: HttpRequest, obj: models.Model) -> None:
        ensure_can(request.user, Action.DELETE, obj)
        super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: models.QuerySet) -> None:
        queryset = self.model.scoping.filter(queryset, request.user, Action.DELETE)
        super().delete_queryset(request, queryset)


class ScopedTabularInline(KeyCheckedAutocompleteAdminMixin, admin.TabularInline):
    """An inline whose rows, choices and permissions follow the one policy layer."""

    extra = 0
    show_change_link = True

    def get_queryset(self, request: HttpRequest) -> models.QuerySet:
        return self.model._default_manager.for_user(request.user, Action.VIEW)

    def _may(self, request: HttpRequest, action: Action) -> bool:
        return self.model.scoping.allows(request.user, action)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._may(request, Action.VIEW)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._may(request, Action.ADD)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._may(request, Action.CHANGE)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._may(request, Action.DELETE)

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any):
        related = db_field.related_model
        if "queryset" not in kwargs and _is_scoped(related):
            kwargs["queryset"] = related._default_manager.for_user(request.user, Action.PICK)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)
