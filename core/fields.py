"""Model fields for what people type: one line of text, a narrative, a phone number and a
date within a plausible range.

Each field carries its validators (`core.validators`, naming the field by its verbose
name) and normalises what it stores, so every path that writes inherits both:

- model validation (`full_clean`: services, admin and portal ModelForms, spreadsheet
  imports) runs `to_python` — which normalises (text NFC, phone numbers NFKC; outer
  spaces dropped) — and then the validators, and keeps the normalised value;
- DRF ModelSerializers copy a model field's validators (`field.validators`) but not its
  `to_python`: the value is normalised when it is saved (`pre_save`, also on
  `bulk_create`) and whenever the ORM prepares it (`get_prep_value`: `update()`,
  `bulk_update`, lookups);
- PostgreSQL holds the cheap part: a narrative's length cap and a date's fixed bounds
  are CHECK constraints the field adds to its model's Meta.constraints (so migrations
  create them), and a path that skips validation cannot store a 100,000-character text
  or the year 9999. "Today" cannot be in a CHECK constraint: it is validation only.

The validators are built by the field (not passed as `validators=`), so migrations record
only the field's class and its bounds, and stay stable.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from typing import Any

from django.core import validators as django_validators
from django.db import models
from django.db.models import Q
from django.db.models.functions import Length
from django.db.models.lookups import LessThanOrEqual
from django.utils.functional import lazy
from django.utils.text import capfirst, format_lazy
from django.utils.translation import gettext_lazy as _

from .validators import (
    LATEST,
    TODAY,
    DateRangeValidator,
    PhoneNumberValidator,
    PrintableTextValidator,
    normalise_phone,
)

capfirst_lazy = lazy(capfirst, str)

#: a narrative's (report, plan, comment, note) length cap: about seven printed pages of
#: Chinese, several times the longest progress report of the programme's templates, while
#: a pasted 100,000-character text is refused
NARRATIVE_MAX_LENGTH = 10_000


def normalise_text(value: str) -> str:
    """NFC (a decomposed é or a Hangul jamo sequence stored composed), outer spaces dropped."""
    if not unicodedata.is_normalized("NFC", value):
        value = unicodedata.normalize("NFC", value)
    return value.strip()


class DatabaseCheckConstraint(models.CheckConstraint):
    """A CHECK constraint PostgreSQL holds for every path that writes, whose rule model
    validation already states with the field named (a field's validators, or clean()):
    `validate()` adds nothing but a query per constraint and row, so it runs none."""

    def validate(self, *args: Any, **kwargs: Any) -> None:
        return None


def _add_check(field: models.Field, cls: Any, condition: Any, suffix: str, rule: Any) -> None:
    """Add a CHECK constraint for the field to its model's Meta.constraints, so that
    migrations create it and PostgreSQL holds the rule whatever path writes. Only for the
    application's own models: not for abstract ones, the migrations' historical models
    (they get the constraint from the migration state) or the audit history's event
    copies (an event table keeps what the tracked table held)."""
    from django.apps import apps as global_apps
    from pghistory.models import Event

    meta = cls._meta
    if meta.abstract or meta.apps is not global_apps or issubclass(cls, Event):
        return
    name = f"{meta.app_label}_{meta.model_name}_{field.name}_{suffix}"
    if any(c.name == name for c in meta.constraints):
        return
    check = DatabaseCheckConstraint(
        condition=condition,
        name=name,
        violation_error_message=format_lazy("{}: {}", capfirst_lazy(field.verbose_name), rule),
    )
    # a new list: Meta.constraints may be shared with the class's Meta; original_attrs
    # is what the migration autodetector reads
    meta.constraints = [*meta.constraints, check]
    meta.original_attrs["constraints"] = meta.constraints


class _NormalisingMixin:
    """Normalises str values in `to_python`, `pre_save` and `get_prep_value`, and adds the
    field's own validators (labelled with its verbose name) once it has a name."""

    def normalise(self, value: str) -> str:
        return normalise_text(value)

    def own_validators(self) -> list[Any]:
        return []

    def contribute_to_class(self, cls: Any, name: str, *args: Any, **kwargs: Any) -> None:
        super().contribute_to_class(cls, name, *args, **kwargs)  # type: ignore[misc]
        own = self.own_validators()
        kinds = tuple({type(v) for v in own})
        # a deep copy (abstract models) already holds the previous owner's validators
        self.validators[:] = [
            v for v in self.validators if not (kinds and isinstance(v, kinds))
        ] + own  # type: ignore[attr-defined]

    def to_python(self, value: Any) -> Any:
        value = super().to_python(value)  # type: ignore[misc]
        return self.normalise(value) if isinstance(value, str) else value

    def pre_save(self, model_instance: models.Model, add: bool) -> Any:
        value = super().pre_save(model_instance, add)  # type: ignore[misc]
        if isinstance(value, str):
            normalised = self.normalise(value)
            if normalised != value:
                setattr(model_instance, self.attname, normalised)  # type: ignore[attr-defined]
                value = normalised
        return value

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)  # type: ignore[misc]
        return self.normalise(value) if isinstance(value, str) else value


class TextLineField(_NormalisingMixin, models.CharField):
    """One line of human-entered text (a name, a title, a reason): printable, NFC, capped
    by `max_length`, and — unless `require_letter=False` (an identifier such as a legacy
    licence number) — with at least one letter."""

    def __init__(self, *args: Any, require_letter: bool = True, **kwargs: Any) -> None:
        self.require_letter = require_letter
        super().__init__(*args, **kwargs)

    def own_validators(self) -> list[Any]:
        return [PrintableTextValidator(label=self.verbose_name, require_letter=self.require_letter)]

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        if not self.require_letter:
            kwargs["require_letter"] = False
        return name, path, args, kwargs


class NarrativeField(_NormalisingMixin, models.TextField):
    """Multi-line human-entered text (a report's narrative, a plan, notes): printable
    (line breaks and tabs allowed), NFC, with a letter, and at most `max_length`
    characters (NARRATIVE_MAX_LENGTH unless given) — in validation and in PostgreSQL
    (a CHECK on its length; the column stays `text`)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", NARRATIVE_MAX_LENGTH)
        super().__init__(*args, **kwargs)

    def own_validators(self) -> list[Any]:
        return [
            django_validators.MaxLengthValidator(
                self.max_length,
                message=format_lazy(
                    "{}: {}",
                    capfirst_lazy(self.verbose_name),
                    _("at most %(limit_value)d characters (it has %(show_value)d)."),
                ),
            ),
            PrintableTextValidator(label=self.verbose_name, multiline=True),
        ]

    def contribute_to_class(self, cls: Any, name: str, *args: Any, **kwargs: Any) -> None:
        super().contribute_to_class(cls, name, *args, **kwargs)
        condition = LessThanOrEqual(Length(name), self.max_length)
        _add_check(self, cls, condition, "length", _("too long."))

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        if kwargs.get("max_length") == NARRATIVE_MAX_LENGTH:
            del kwargs["max_length"]
        return name, path, args, kwargs


class PhoneField(_NormalisingMixin, models.CharField):
    """A mainland phone number (mobile, landline with area code, 400/800), stored with
    ASCII digits (NFKC: full-width １３８… becomes 138…)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 32)
        super().__init__(*args, **kwargs)

    def normalise(self, value: str) -> str:
        return normalise_phone(value)

    def own_validators(self) -> list[Any]:
        return [PhoneNumberValidator(label=self.verbose_name)]

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        if kwargs.get("max_length") == 32:
            del kwargs["max_length"]
        return name, path, args, kwargs


class PlausibleDateField(models.DateField):
    """A date no earlier than `earliest` and no later than `latest` (a date, or
    `core.validators.TODAY`: checked against the day of validation). Fixed bounds are a
    CHECK constraint of the model too."""

    def __init__(
        self,
        *args: Any,
        earliest: dt.date | None = None,
        latest: dt.date | str | None = LATEST,
        **kwargs: Any,
    ) -> None:
        DateRangeValidator(earliest=earliest, latest=latest)  # refuses a bad `latest`
        self.earliest, self.latest = earliest, latest
        super().__init__(*args, **kwargs)

    def contribute_to_class(self, cls: Any, name: str, *args: Any, **kwargs: Any) -> None:
        super().contribute_to_class(cls, name, *args, **kwargs)
        self.validators[:] = [
            v for v in self.validators if not isinstance(v, DateRangeValidator)
        ] + [
            DateRangeValidator(earliest=self.earliest, latest=self.latest, label=self.verbose_name)
        ]
        bounds = Q()
        if self.earliest is not None:
            bounds &= Q(**{f"{name}__gte": self.earliest})
        if isinstance(self.latest, dt.date):
            bounds &= Q(**{f"{name}__lte": self.latest})
        if bounds:
            _add_check(self, cls, bounds, "range", _("outside the plausible range."))

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        if self.earliest is not None:
            kwargs["earliest"] = self.earliest
        if self.latest != LATEST:
            kwargs["latest"] = self.latest
        return name, path, args, kwargs


__all__ = [
    "NARRATIVE_MAX_LENGTH",
    "TODAY",
    "NarrativeField",
    "PhoneField",
    "PlausibleDateField",
    "TextLineField",
    "normalise_text",
]
