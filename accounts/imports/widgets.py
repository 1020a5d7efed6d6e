"""Spreadsheet cell widgets: Chinese-friendly values, and foreign keys by natural key."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from typing import Any

from django.db import models
from django.db.models import Q
from django.utils import translation
from django.utils.translation import gettext as _
from import_export import fields as ie_fields
from import_export import widgets

from ..policy import ALL, Action

IMPORT_LANGUAGE = "zh-hans"  # reports and labels are in Chinese whatever the UI language


def normalise_key(value: Any) -> str:
    """A natural-key cell as text: numbers from Excel become their digits."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


# --- widgets -------------------------------------------------------------------------------
class TextWidget(widgets.CharWidget):
    """Text; a number typed into a cell becomes its digits (no "12.0")."""

    def __init__(self, *, upper: bool = False) -> None:
        super().__init__(allow_blank=True)
        self.upper = upper

    def clean(self, value: Any, row: Any = None, **kwargs: Any) -> str:
        text = normalise_key(value)
        return text.upper() if self.upper else text

    def render(self, value: Any, obj: Any = None, **kwargs: Any) -> str:
        return "" if value is None else str(value)


class IntegerWidget(widgets.Widget):
    def clean(self, value: Any, row: Any = None, **kwargs: Any) -> int | None:
        text = normalise_key(value)
        if text == "":
            return None
        if not re.fullmatch(r"-?[0-9]+", text):
            raise ValueError(_("must be a whole number"))
        return int(text)

    def render(self, value: Any, obj: Any = None, **kwargs: Any) -> Any:
        return "" if value is None else value


DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日", "%Y%m%d")


class DateWidget(widgets.Widget):
    """Dates as Excel stores them, or typed as 2023-07-27, 2023/7/27, 2023年7月27日."""

    def clean(self, value: Any, row: Any = None, **kwargs: Any) -> dt.date | None:
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        text = normalise_key(value)
        if text == "":
            return None
        for fmt in DATE_FORMATS:
            try:
                return dt.datetime.strptime(text, fmt).date()  # noqa: DTZ007 (a date)
            except ValueError:
                continue
        raise ValueError(_("must be a date such as 2023-07-27"))

    def render(self, value: Any, obj: Any = None, **kwargs: Any) -> Any:
        return value if isinstance(value, dt.date) else ""


class BooleanWidget(widgets.Widget):
    TRUE = frozenset({"是", "Y", "YES", "TRUE", "1", "√", "✓"})
    FALSE = frozenset({"否", "N", "NO", "FALSE", "0", "×", ""})

    def clean(self, value: Any, row: Any = None, **kwargs: Any) -> bool:
        if isinstance(value, bool):
            return value
        text = normalise_key(value).upper()
        if text in self.TRUE:
            return True
        if text in self.FALSE:
            return False
        raise ValueError(_("must be 是 or 否"))

    def render(self, value: Any, obj: Any = None, **kwargs: Any) -> str:
        return "是" if value else "否"


class ChoicesWidget(widgets.Widget):
    """A choice by its Chinese label (as shown in the admin), English label or stored value."""

    def __init__(self, choices: type[models.Choices]) -> None:
        self.choices = choices
        self._lookup: dict[str, str] | None = None

    def lookup(self) -> dict[str, str]:
        if self._lookup is None:
            found: dict[str, str] = {}
            for language in ("en", IMPORT_LANGUAGE):
                with translation.override(language):
                    for value, label in self.choices.choices:
                        found[str(label).strip().upper()] = value
            for value in self.choices.values:
                found[str(value).upper()] = value
            self._lookup = found
        return self._lookup

    def clean(self, value: Any, row: Any = None, **kwargs: Any) -> str:
        text = normalise_key(value).upper()
        if text == "":
            return ""
        try:
            return self.lookup()[text]
        except KeyError:
            raise ValueError(
                _("must be one of: %(choices)s") % {"choices": "、".join(self.labels())}
            ) from None

    def labels(self) -> list[str]:
        return [str(label) for label in self.choices.labels]

    def render(self, value: Any, obj: Any = None, **kwargs: Any) -> str:
        try:
            return str(self.choices(value).label)
        except ValueError:
            return "" if value is None else str(value)


class MultipleChoicesWidget(ChoicesWidget):
    """A list of choices in one cell, separated by 、，, ; or ；."""

    def clean(self, value: Any, row: Any = None, **kwargs: Any) -> list[str]:  # type: ignore[override]
        parts = [p for p in re.split(r"[、,，;；]", normalise_key(value)) if p.strip()]
        return [super(MultipleChoicesWidget, self).clean(p) for p in parts]

    def render(self, value: Any, obj: Any = None, **kwargs: Any) -> str:
        return "、".join(super(MultipleChoicesWidget, self).render(v) for v in value or [])


OUT_OF_SCOPE = object()  # a cached natural key the importer may not pick


class NaturalKeyWidget(widgets.ForeignKeyWidget):
    """A foreign key written as a natural key (a code, a name …), resolved from a dict that
    `prime()` fills once per import. Rows outside the importer's PICK scope (the choices a
    form would offer them) are refused like in forms."""

    def __init__(
        self,
        model: type[models.Model],
        field: str,
        *,
        aliases: tuple[str, ...] = (),
        prime_all: bool = False,
        upper: bool = False,
        related: tuple[str, ...] = (),
    ) -> None:
        super().__init__(model, field)
        self.lookup_fields = (field, *aliases)
        self.related = related
        self.prime_all = prime_all
        self.upper = upper
        self.cache: dict[str, Any] | None = None

    def key(self, value: Any) -> str:
        text = normalise_key(value)
        return text.upper() if self.upper else text

    def prime(self, values: Iterable[Any], user: Any) -> None:
        keys = {self.key(v) for v in values} - {""}
        manager = self.model._default_manager
        if self.prime_all:
            query = manager.all()
        else:
            condition = Q(pk__in=[])
            for name in self.lookup_fields:
                condition |= Q(**{f"{name}__in": keys})
            query = manager.filter(condition)
        allowed: set[Any] | None = None
        scoped = user is not None and hasattr(manager, "for_user")
        if scoped and self.model.scoping.reach(user, Action.PICK) != ALL:
            allowed = set(query.for_user(user, Action.PICK).values_list("pk", flat=True))
        cache: dict[str, Any] = {}
        if self.related:
            query = query.select_related(*self.related)
        for obj in query:
            found = obj if allowed is None or obj.pk in allowed else OUT_OF_SCOPE
            for name in self.lookup_fields:
                value = obj
                for part in name.split("__"):  # lawyer__current_licence_no
                    value = getattr(value, part, None)
                if value not in (None, ""):
                    cache.setdefault(self.key(value), found)
        self.cache = cache

    def clean(self, value: Any, row: Any = None, **kwargs: Any) -> Any:
        key = self.key(value)
        if key == "":
            return None
        if self.cache is None:
            raise RuntimeError("NaturalKeyWidget used before prime()")
        found = self.cache.get(key)
        if found is None:
            raise ValueError(_("“%(value)s” was not found.") % {"value": key})
        if found is OUT_OF_SCOPE:
            raise ValueError(_("“%(value)s” is outside your province.") % {"value": key})
        return found

    def render(self, value: Any, obj: Any = None, **kwargs: Any) -> str:
        return "" if value is None else str(getattr(value, self.field))


def column(
    attribute: str, column_name: str, widget: widgets.Widget | None = None, **kwargs: Any
) -> ie_fields.Field:
    """A resource column with its Chinese header (the header is the file's contract, so it
    is written literally, not translated)."""
    return ie_fields.Field(
        attribute=attribute, column_name=column_name, widget=widget or TextWidget(), **kwargs
    )
