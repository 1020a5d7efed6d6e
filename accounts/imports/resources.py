"""SpreadsheetResource: the base of every resource (natural keys, validation, scope,
bulk writes, re-import without changes)."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable, Collection, Iterable
from typing import Any

import tablib
from django.core.exceptions import (
    NON_FIELD_ERRORS,
    ImproperlyConfigured,
    PermissionDenied,
    ValidationError,
)
from django.db import connections, models, router, transaction
from django.db.models import NOT_PROVIDED
from django.db.models.base import ModelState
from django.db.models.fields.related_descriptors import ForeignKeyDeferredAttribute
from django.db.models.query_utils import DeferredAttribute
from django.db.models.signals import post_init, pre_init
from django.utils import timezone
from django.utils.translation import gettext as _
from import_export import fields as ie_fields
from import_export import resources
from import_export import widgets as ie_widgets
from import_export.instance_loaders import BaseInstanceLoader

from core.bulk import CopyPipeline, bulk_insert
from core.exceptions import ApplicationError
from core.models import ImportMode

from ..policy import ALL, Action
from .widgets import NaturalKeyWidget, normalise_key

PROGRESS_EVERY = 500  # rows between progress reports


class PreloadedInstanceLoader(BaseInstanceLoader):
    """Existing records by natural key, loaded once per import (not one query per row)."""

    def __init__(self, resource: SpreadsheetResource, dataset: tablib.Dataset | None = None):
        super().__init__(resource, dataset)
        self.instances = resource.load_existing(dataset)

    def get_instance(self, row: dict[str, Any]) -> models.Model | None:
        key = self.resource.key_of_row(row)
        return self.instances.get(key) if key else None


def _key_part(value: Any) -> str:
    if isinstance(value, models.Model):
        return f"#{value.pk}"
    if isinstance(value, dt.date):
        return value.isoformat()
    return normalise_key(value)


EMPTY_VALUES = ie_fields.Field.empty_values  # [None, ""]


def _or_default(value: Any, default: Any) -> Any:
    """A cleaned cell, or the column's default when it is empty (as `Field.clean`)."""
    if default is not NOT_PROVIDED and value in EMPTY_VALUES:
        return default() if callable(default) else default
    return value


def _plain_foreign_key(field: models.Field | None) -> bool:
    """A one-column ForeignKey (not one-to-one: that also sets the reverse side)."""
    return (
        isinstance(field, models.ForeignKey)
        and not isinstance(field, models.OneToOneField)
        and len(field.foreign_related_fields) == 1
    )


def _set_foreign_key(instance: models.Model, field: models.ForeignKey, value: Any) -> None:
    """`instance.<fk> = value` for what a NaturalKeyWidget found: a related instance loaded
    from the same database. Written as `ForwardManyToOneDescriptor.__set__` writes it for
    a plain ForeignKey (the instance's database, the id, the cache), without re-checking
    what such a value always passes; anything else (None, another type or database) goes
    through the descriptor."""
    if (
        value is None
        or router.routers  # a router may refuse the relation: let the descriptor ask
        or type(value) is not field.remote_field.model
        or value._state.db != (instance._state.db or value._state.db)
    ):
        setattr(instance, field.name, value)
        return
    if instance._state.db is None:
        instance._state.db = value._state.db
    instance.__dict__[field.attname] = getattr(value, field.target_field.attname)
    field.set_cached_value(instance, value)


class SpreadsheetResource(resources.ModelResource):
    """Base of every spreadsheet resource. Subclasses declare their columns with
    `column(...)`, `import_id_fields = [<natural key field>]` and `fields` in Meta, and may
    override `load_existing`, `prepare_instance`, `validate_row` and `after_bulk_create`.
    """

    #: the model's columns whose values are personal data (PIPL): masked in exports
    personal_fields: tuple[str, ...] = ()
    personal_data_permission = ""
    #: resource fields written as text in XLSX (long identifiers stay exact)
    text_fields: tuple[str, ...] = ()
    #: DB check/exclusion constraints validated per row (one query each per row). Off
    #: where every constraint repeats a field validator — the database still enforces
    #: them when the batch is written (and then nothing is saved).
    validate_constraints = False
    #: derived columns set by `prepare_instance`, written by bulk_update too
    derived_fields: tuple[str, ...] = ()
    #: select_related for loading existing rows and exporting
    related: tuple[str, ...] = ()
    #: new rows' COPY batches stored by a second thread while the next batch is validated
    #: (core.bulk.CopyPipeline; PostgreSQL, in the caller's transaction). The benchmark
    #: turns it off to measure what it gains.
    pipelined = True

    class Meta:
        use_bulk = True
        batch_size = 1000
        skip_diff = True
        clean_model_instances = True
        instance_loader_class = PreloadedInstanceLoader

    def __init__(
        self,
        *,
        user: Any = None,
        mode: str = ImportMode.CREATE_OR_UPDATE,
        row_numbers: list[int] | None = None,
        progress: Callable[[int, int], None] | None = None,
        confirmed_rows: Collection[int] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.user = user
        self.mode = ImportMode(mode)
        self.row_numbers = row_numbers
        self.progress = progress
        #: the rows (as numbered in the file) the clerk confirmed; None: a preview, which
        #: lists the rows that need a confirmation (see `confirm_row`)
        self.confirmed_rows = None if confirmed_rows is None else frozenset(confirmed_rows)
        self.confirmations: list[dict[str, Any]] = []
        self.total_rows = 0
        self._seen_keys: dict[str, int] = {}
        self._changeable: set[Any] | None = None

    # --- natural keys ------------------------------------------------------------------
    @property
    def key_fields(self) -> list[ie_fields.Field]:
        fields = self.__dict__.get("_key_fields")
        if fields is None:
            fields = self._key_fields = [self.fields[n] for n in self.get_import_id_fields()]
        return fields

    @property
    def key_field(self) -> ie_fields.Field:
        return self.key_fields[0]

    def key_of_row(self, row: dict[str, Any]) -> str:
        """The row's natural key as text ("" when a part is missing or invalid)."""
        # asked twice per row (the instance loader, then the duplicate check): remember the
        # last row's answer
        last = getattr(self, "_last_key", None)
        if last is not None and last[0] is row:
            return last[1]
        key = self._key_of_row(row)
        self._last_key = (row, key)
        return key

    def _key_of_row(self, row: dict[str, Any]) -> str:
        parts = []
        for f in self.key_fields:
            # f.clean(row) without its layers: the widget's clean, then the default
            if f.column_name not in row:
                return ""
            try:
                value = f.widget.clean(row[f.column_name], row=row)
            except ValueError:
                return ""
            parts.append(_key_part(_or_default(value, f.default)))
        if all(p == "" for p in parts):
            return ""
        return "|".join(parts)

    def key_of_instance(self, obj: models.Model) -> str:
        parts = []
        for f in self.key_fields:
            model_field = self._model_field(f.attribute)
            if isinstance(model_field, models.ForeignKey):  # by id: no query for the row
                value = getattr(obj, model_field.attname)
                parts.append(f"#{value}" if value is not None else "")
            else:
                parts.append(_key_part(getattr(obj, f.attribute)))
        return "|".join(parts)

    def existing_candidates(self, dataset: tablib.Dataset) -> Iterable[models.QuerySet]:
        """Querysets holding at least the existing rows the file names (single-column key:
        chunks of 5,000 key values). Resources with composite keys override this."""
        key = self.key_field
        headers = dataset.headers or []
        if key.column_name not in headers:
            return []
        values = set()
        for v in dataset[key.column_name]:
            try:
                cleaned = key.widget.clean(v)
            except ValueError:
                continue
            if cleaned not in (None, ""):
                values.add(cleaned)
        ordered = sorted(values, key=_key_part)
        manager = self._meta.model._default_manager
        return [
            manager.filter(**{f"{key.attribute}__in": ordered[i : i + 5000]})
            for i in range(0, len(ordered), 5000)
        ]

    def load_existing(self, dataset: tablib.Dataset | None) -> dict[str, models.Model]:
        """Natural key -> existing instance, and the set of those the importer may change
        (one scoped query per chunk, not one per row)."""
        found: dict[str, models.Model] = {}
        if dataset is None:
            return found
        for query in self.existing_candidates(dataset):
            if self.related:
                query = query.select_related(*self.related)
            for obj in query:
                found[self.key_of_instance(obj)] = obj
        self._changeable = self.changeable_pks([o.pk for o in found.values()])
        self.loaded(found)
        return found

    def loaded(self, found: dict[str, models.Model]) -> None:
        """Hook: preload what validation of these existing rows needs."""

    def changeable_pks(self, pks: list[Any]) -> set[Any] | None:
        """The pks among `pks` the user may change; None = all of them."""
        scoping = self._meta.model.scoping
        if self.user is None or scoping.reach(self.user, Action.CHANGE) == ALL:
            return None
        allowed: set[Any] = set()
        manager = self._meta.model._default_manager
        for start in range(0, len(pks), 5000):
            chunk = pks[start : start + 5000]
            allowed |= set(
                manager.filter(pk__in=chunk)
                .for_user(self.user, Action.CHANGE)
                .values_list("pk", flat=True)
            )
        return allowed

    # --- column map ----------------------------------------------------------------------
    @classmethod
    def column_names(cls) -> list[str]:
        return [f.column_name for f in cls().get_import_fields()]

    def column_for(self, attribute: str) -> str:
        if attribute == NON_FIELD_ERRORS:
            return ""
        for f in self.fields.values():
            if f.attribute == attribute or f.attribute == attribute.removesuffix("_id"):
                return f.column_name
        return ""

    def scope_column(self) -> str:
        """The column a scope error points at: the first province path's first hop."""
        for path in self._meta.model.scoping.province_paths:
            name = self.column_for(path.split("__")[0])
            if name:
                return name
        return ""

    # --- hooks of django-import-export -------------------------------------------------
    def get_import_fields(self) -> list[ie_fields.Field]:
        # During an import: only the file's columns, computed once (django-import-export
        # visits every declared field for every row otherwise, and logs each absent one).
        present = getattr(self, "_present_fields", None)
        if present is not None:
            return present
        return super().get_import_fields()

    def before_import(self, dataset: tablib.Dataset, **kwargs: Any) -> None:
        self.total_rows = len(dataset)
        headers = dataset.headers or []
        self._present_fields = [
            f for f in super().get_import_fields() if f.column_name in set(headers)
        ]
        for f in self.get_import_fields():
            if isinstance(f.widget, NaturalKeyWidget):
                values = dataset[f.column_name] if f.column_name in headers else []
                f.widget.prime(values, self.user)

    def init_instance(self, row: Any = None) -> models.Model:
        """A new instance with the model's defaults, as `Model()` builds it: its state,
        then each concrete field's attribute (callable defaults called for each instance,
        generated columns left unset). Written straight into the instance's `__dict__`,
        which is what Model.__init__ does through setattr (at about half its cost per row),
        when nothing can tell the difference: no pre_init/post_init receivers, no __init__
        of the model's own, no attribute that acts on assignment; otherwise it is Model().
        tests/imports/test_firm_import.py compares the two for every resource."""
        model = self._meta.model
        plan = self.__dict__.get("_init_plan")
        if plan is None:
            plan = self._init_plan = [
                (
                    f.attname,
                    f.default if f.has_default() and callable(f.default) else None,
                    f.get_default(),
                )
                for f in model._meta.concrete_fields
                # a generated column is left unset, as Model() leaves it (DEFERRED)
                if not getattr(f, "generated", False)
            ]
        direct = self.__dict__.get("_init_direct")
        if direct is None:
            # every attribute a plain one (no descriptor that acts on assignment, other
            # than the foreign-key id's, which only drops a cache a new instance lacks)
            direct = self._init_direct = model.__init__ is models.Model.__init__ and all(
                isinstance(getattr(model, name, None), (DeferredAttribute, type(None)))
                and (
                    not hasattr(type(getattr(model, name, None)), "__set__")
                    or isinstance(getattr(model, name), ForeignKeyDeferredAttribute)
                )
                for name, _make, _value in plan
            )
        if not direct or pre_init.has_listeners(model) or post_init.has_listeners(model):
            return model()
        obj = model.__new__(model)
        obj._state = ModelState()
        obj.__dict__.update((name, make() if make else value) for name, make, value in plan)
        return obj

    def import_instance(self, instance: models.Model, row: dict[str, Any], **kwargs: Any) -> None:
        """django-import-export's import_instance for the file's columns, without its
        per-cell layers (import_field → Field.save → Field.clean): the same widget clean,
        default and error per column, from a plan made once per import."""
        errors: dict[str, ValidationError] = {}
        for f, column, attribute, clean, default, foreign_key in self._column_plan():
            if column not in row:
                continue
            if f is not None:  # a nested attribute ("a__b"): django-import-export's path
                try:
                    self.import_field(f, instance, row, **kwargs)
                except ValueError as e:
                    errors[attribute] = ValidationError(str(e), code="invalid")
                continue
            try:
                value = clean(row[column], row=row, **kwargs)
            except ValueError as e:
                errors[attribute] = ValidationError(str(e), code="invalid")
                continue
            value = _or_default(value, default)
            if foreign_key is not None:
                _set_foreign_key(instance, foreign_key, value)
            else:
                setattr(instance, attribute, value)
        if errors:
            raise ValidationError(errors)

    def _column_plan(self) -> list[tuple[Any, ...]]:
        """Per file column: (field for the nested path or None, column, attribute, widget
        clean, default, foreign key written directly or None). Columns that save None
        (`saves_null_values`, django-import-export's default) are the only kind here:
        resources declare every column with `column()`."""
        plan = getattr(self, "_plan", None)
        if plan is None:
            plan = []
            for f in self.get_import_fields():
                if isinstance(f.widget, ie_widgets.ManyToManyWidget):
                    continue  # saved by save_m2m, as in django-import-export
                if f.readonly or not f.attribute:
                    continue
                if not f.saves_null_values:  # pragma: no cover - column() never sets it
                    raise ImproperlyConfigured(f"{f!r}: saves_null_values=False")
                nested = "__" in f.attribute
                model_field = None if nested else self._model_field(f.attribute)
                foreign_key = (
                    model_field
                    if isinstance(f.widget, NaturalKeyWidget) and _plain_foreign_key(model_field)
                    else None
                )
                plan.append(
                    (
                        f if nested else None,
                        f.column_name,
                        f.attribute,
                        f.widget.clean,
                        f.default,
                        foreign_key,
                    )
                )
            self._plan = plan
        return plan

    def spreadsheet_row(self, kwargs: dict[str, Any]) -> int:
        index = int(kwargs.get("row_number") or 0)
        if self.row_numbers and 0 < index <= len(self.row_numbers):
            return self.row_numbers[index - 1]
        return index + 1

    def after_init_instance(
        self, instance: models.Model, new: bool, row: dict[str, Any], **kwargs: Any
    ) -> None:
        instance._import_row = int(kwargs.get("row_number") or 0)  # for confirm_row
        key = self.key_of_row(row)
        attribute = self.key_field.attribute
        here = self.spreadsheet_row(kwargs)
        if key:
            first = self._seen_keys.setdefault(key, here)
            if first != here:
                raise ValidationError(
                    {attribute: _("Same as row %(row)d of this file.") % {"row": first}}
                )
        if new and self.mode == ImportMode.UPDATE:
            raise ValidationError({attribute: _("No such record (update mode).")})
        if not new and self.mode == ImportMode.CREATE:
            raise ValidationError({attribute: _("Already exists (create mode).")})
        if not new and self._changeable is not None and instance.pk not in self._changeable:
            raise ValidationError({attribute: _("This record does not involve your province.")})
        if not new:
            instance._import_snapshot = self.snapshot(instance)

    def snapshot(self, instance: models.Model) -> dict[str, Any]:
        out = {}
        for f in self.get_import_fields():
            if f.attribute:
                model_field = self._model_field(f.attribute)
                name = model_field.attname if model_field is not None else f.attribute
                out[name] = getattr(instance, name, None)
        return out

    def _model_field(self, attribute: str) -> models.Field | None:
        try:
            return self._meta.model._meta.get_field(attribute)
        except Exception:
            return None

    def skip_row(
        self,
        instance: models.Model,
        original: Any,
        row: dict[str, Any],
        import_validation_errors: dict[str, Any] | None = None,
    ) -> bool:
        """An existing row whose imported values are all unchanged is skipped (not saved,
        `updated_at` and the audit history untouched): re-importing a file changes nothing."""
        before = getattr(instance, "_import_snapshot", None)
        if before is None or import_validation_errors:
            return False
        return self.snapshot(instance) == before

    def prepare_instance(self, instance: models.Model) -> None:
        """Set derived columns before validation and save (the services do the same)."""

    def validate_row(self, instance: models.Model, errors: dict[str, list[str]]) -> None:
        """Resource-specific rules; add messages to `errors` (field -> messages)."""

    def confirm_row(
        self,
        instance: models.Model,
        message: str,
        result: Any,
        *,
        attribute: str = NON_FIELD_ERRORS,
    ) -> bool:
        """A row that a rule lets through only with an explicit confirmation (as the API's
        and the admin's `confirm_gap`). The preview lists it and goes on as if it were
        confirmed; the import applies it only if the clerk confirmed that row, and refuses
        it otherwise with the rule's message (the whole file then saves nothing). True when
        the row may be written as confirmed."""
        index = getattr(instance, "_import_row", 0)
        number = self.spreadsheet_row({"row_number": index})
        self.confirmations.append(
            {"row": number, "column": self.column_for(attribute), "message": str(message)}
        )
        if self.confirmed_rows is None or number in self.confirmed_rows:
            return True
        result.append_invalid_row(index, {}, ValidationError({attribute: [message]}))
        return False

    @staticmethod
    def apply_rule(
        errors: dict[str, list[str]],
        rule: Callable[[], None],
        *,
        attribute: str = NON_FIELD_ERRORS,
    ) -> bool:
        """Check a row with one of the services' own rule functions (the same function the
        service calls, so the import cannot drift from it): a ValidationError's messages go
        to their fields, an ApplicationError's (a state rule) to `attribute`. True when
        the rule holds."""
        try:
            rule()
        except ValidationError as e:
            found = e.message_dict if hasattr(e, "error_dict") else {attribute: e.messages}
            for name, messages in found.items():
                errors.setdefault(name, []).extend(messages)
            return False
        except ApplicationError as e:
            errors.setdefault(attribute, []).append(str(e.message))
            return False
        return True

    def validate_instance(
        self,
        instance: models.Model,
        import_validation_errors: dict[str, Any] | None = None,
        validate_unique: bool = True,
    ) -> None:
        errors: dict[str, Any] = dict(import_validation_errors or {})
        self.prepare_instance(instance)
        # Foreign keys resolved by a NaturalKeyWidget were read from the database when the
        # import began: ForeignKey.validate would ask again, one query per row and key.
        preloaded = [name for name in self.preloaded_foreign_keys() if name not in errors]
        try:
            # uniqueness of the natural key is settled by the preloaded dict and the
            # duplicate check; other unique fields and constraints are in the database
            instance.full_clean(
                exclude=[*errors, *preloaded, *self.untouched_defaults(instance)],
                validate_unique=False,
                validate_constraints=self.validate_constraints,
            )
        except ValidationError as e:
            errors = e.update_error_dict(errors)
        for name in preloaded:
            model_field = instance._meta.get_field(name)
            if getattr(instance, model_field.attname) is None and not model_field.null:
                errors.setdefault(name, []).append(model_field.error_messages["null"])
        extra: dict[str, list[str]] = {}
        self.row_has_errors = bool(errors)  # e.g. not to count a bad row's quota seat
        self.validate_row(instance, extra)
        for name, messages in extra.items():
            errors.setdefault(name, []).extend(messages)
        if not errors:
            problem = self.scope_problem(instance)
            if problem:
                errors[self.scope_attribute()] = [problem]
        if errors:
            raise ValidationError(errors)

    def untouched_defaults(self, instance: models.Model) -> list[str]:
        """Fields the file does not set and nothing derives that still hold the model's
        (constant) default: valid by definition, so — like a ModelForm, which validates
        only the fields it shows — not validated again for every row. A field without a
        default is always validated (a required column missing from the file is reported),
        and so is any value other than the default (set by a hook, or stored)."""
        candidates = getattr(self, "_untouched", None)
        if candidates is None:
            written = {f.attribute for f in self.get_import_fields() if f.attribute}
            written |= set(self.derived_fields)
            candidates = self._untouched = [
                (f.name, f.attname, f.default)
                for f in self._meta.model._meta.concrete_fields
                if f.has_default()
                and not callable(f.default)
                and f.name not in written
                and f.attname not in written
            ]
        return [
            name for name, attname, default in candidates if getattr(instance, attname) == default
        ]

    def preloaded_foreign_keys(self) -> list[str]:
        if not hasattr(self, "_preloaded_fks"):
            self._preloaded_fks = [
                f.attribute
                for f in self.get_import_fields()
                if isinstance(f.widget, NaturalKeyWidget)
                and isinstance(self._model_field(f.attribute), models.ForeignKey)
            ]
        return self._preloaded_fks

    def scope_attribute(self) -> str:
        for path in self._meta.model.scoping.province_paths:
            first = path.split("__")[0]
            if self.column_for(first):
                return first
        return NON_FIELD_ERRORS

    def scope_problem(self, instance: models.Model) -> str | None:
        """The policy's write check (`Scoping.check`); the stored rows were checked for the
        whole file at once in `after_init_instance`, so no query per row here."""
        if self.user is None:
            return None
        action = Action.ADD if instance.pk is None else Action.CHANGE
        try:
            self._meta.model.scoping.check(self.user, action, instance, stored_in_scope=True)
        except PermissionDenied as exc:
            return str(exc)
        return None

    def before_save_instance(self, instance: models.Model, row: Any, **kwargs: Any) -> None:
        if instance.pk is not None and hasattr(instance, "updated_at"):
            instance.updated_at = timezone.now()  # bulk_update skips auto_now

    def get_bulk_update_fields(self) -> list[str]:
        names = []
        for f in self.get_import_fields():
            if (
                f.attribute
                and f.attribute not in self.get_import_id_fields()
                and self._model_field(f.attribute) is not None
            ):
                names.append(f.attribute)
        names += [n for n in self.derived_fields if n not in names]
        if self._model_field("updated_at") is not None:
            names.append("updated_at")
        return names

    def import_data(self, dataset: tablib.Dataset, *args: Any, **kwargs: Any) -> Any:
        """As django-import-export's, with new rows' COPY batches stored by a second thread
        while the next batch is validated (`core.bulk.CopyPipeline`), when the import runs
        in a transaction of the caller's on PostgreSQL (as `run_import` does)."""
        connection = connections[self.get_db_connection_name()]
        if (
            not self.pipelined
            or connection.vendor != "postgresql"
            or not connection.in_atomic_block
        ):
            return super().import_data(dataset, *args, **kwargs)
        with CopyPipeline(self.get_db_connection_name()) as self._pipeline:
            try:
                return super().import_data(dataset, *args, **kwargs)
            finally:
                self._pipeline = None  # leaving the pipeline waits for its last batch

    def bulk_create(
        self,
        using_transactions: bool,
        dry_run: bool,
        raise_errors: bool,
        batch_size: int | None = None,
        result: Any = None,
    ) -> None:
        """As django-import-export's bulk_create, written with COPY (core.bulk). The batch
        before this one is settled first: its error, if its COPY failed, else its
        `after_bulk_create` (run once its rows are known to be stored)."""
        self._settle_written(result, raise_errors)
        created = list(self.create_instances)
        self.create_instances.clear()
        if created and (using_transactions or not dry_run):
            pipeline = getattr(self, "_pipeline", None)
            using = self.get_db_connection_name()
            try:
                # a failing batch must not abort the transaction: the pipeline gives each
                # batch a savepoint; without one, this does
                with contextlib.nullcontext() if pipeline else transaction.atomic(using=using):
                    bulk_insert(
                        self._meta.model,
                        created,
                        batch_size=batch_size or self._meta.batch_size,
                        using=using,
                        pipeline=pipeline,
                    )
            except Exception as e:
                self.handle_import_error(result, e, raise_errors)
            else:
                self._written = created

    def _settle_written(self, result: Any, raise_errors: bool) -> None:
        written, self._written = getattr(self, "_written", None), None
        pipeline = getattr(self, "_pipeline", None)
        errors = pipeline.take_errors() if pipeline is not None else []
        for e in errors:
            self.handle_import_error(result, e, raise_errors)
        if written and not errors:
            try:
                with transaction.atomic(using=self.get_db_connection_name()):
                    self.after_bulk_create(written)
            except Exception as e:
                self.handle_import_error(result, e, raise_errors)

    def bulk_update(
        self,
        using_transactions: bool,
        dry_run: bool,
        raise_errors: bool,
        batch_size: int | None = None,
        result: Any = None,
    ) -> None:
        # in a savepoint of its own: a failing batch does not abort the transaction (when
        # django-import-export opens none around it: run_import owns the transaction)
        if self.update_instances:
            with transaction.atomic(using=self.get_db_connection_name()):
                super().bulk_update(using_transactions, dry_run, raise_errors, batch_size, result)

    def after_bulk_create(self, instances: list[models.Model]) -> None:
        """Write what belongs to newly created rows (they have their pks now)."""

    def after_import_row(self, row: Any, row_result: Any, **kwargs: Any) -> None:
        number = int(kwargs.get("row_number") or 0)
        if self.progress is not None and number % PROGRESS_EVERY == 0:
            self.progress(number, self.total_rows)

    def after_import(self, dataset: tablib.Dataset, result: Any, **kwargs: Any) -> None:
        # the last batch: its COPY's outcome, then its after_bulk_create
        self._settle_written(result, raise_errors=False)
        # ModelResource resets sequences after imports with explicit ids; ours never
        # import ids, and the reset takes a lock on the table: skip it.
        return None

    # --- export ----------------------------------------------------------------------------
    def export_queryset(self, queryset: models.QuerySet) -> models.QuerySet:
        return queryset.select_related(*self.related) if self.related else queryset
