"""Validators for what people type: text, phone numbers and dates.

One set, used by every path that writes: `core.fields` builds them into the model fields,
so model validation (`full_clean`: services, admin and portal ModelForms, spreadsheet
imports) and DRF's ModelSerializers (which copy a model field's validators) all apply
them. Each message starts with the field's name, as the project's messages do, and is
translated (zh_Hans) when it is shown.

- `PrintableTextValidator`: no control characters (C0, DEL, C1; a narrative may hold tabs
  and line breaks), no bidirectional embeddings/overrides/isolates/marks (U+202A–U+202E,
  U+2066–U+2069, U+200E/U+200F, U+061C: they make text display other than it is stored,
  e.g. a name ending in U+202E), no invisible characters (zero-width space U+200B, word
  joiner and invisible operators U+2060–U+2064, the byte-order mark U+FEFF), no line or
  paragraph separators, no lone surrogates or non-characters; and, where asked, at least
  one letter (Unicode category L*: Chinese characters, Latin, Tibetan, Uyghur …), so a
  name of only spaces, digits or zero-width characters is refused.
  Zero-width (non-)joiners U+200C/U+200D are allowed: some scripts and emoji need them.
- `PhoneNumberValidator`: a mainland mobile number (1[3-9] + 9 digits, optionally +86),
  a landline with its area code (0 + 2–3 digits, then 7–8 digits not starting with 0;
  optional extension), or a 400/800 service number. Full-width digits are read as
  digits (the field stores them NFKC-normalised).
- `DateRangeValidator`: a date within [earliest, latest]; `latest=TODAY` is "today" when
  the value is validated (Asia/Shanghai), not when the module was imported.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.deconstruct import deconstructible
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

#: the upper bound "today", evaluated when a value is validated
TODAY = "today"

#: plausible dates (issue 22): people born 1930 or later; programme records from the year
#: of the 2023 方案 to 2100; branch-office work (无律师县 postings, services, contracts,
#: visits), which predates the 方案 (72 lawyers were posted in 2022), from 2000.
BIRTH_EARLIEST = dt.date(1930, 1, 1)
PROGRAMME_EARLIEST = dt.date(2023, 1, 1)
BRANCH_WORK_EARLIEST = dt.date(2000, 1, 1)
FIRM_EARLIEST = dt.date(1979, 1, 1)  # the profession was re-established in 1979
LATEST = dt.date(2100, 12, 31)

# control characters, bidi controls, invisible characters, separators, surrogates and
# non-characters; tab, line feed and carriage return are allowed in multi-line text
_FORMAT = (
    "\u061c\u200b\u200e\u200f\u2028\u2029\u202a-\u202e\u2060-\u2064\u2066-\u2069"
    "\ufeff\ufff9-\ufffb\ufffe\uffff\ud800-\udfff"
)
_REFUSED_LINE = re.compile(f"[\x00-\x1f\x7f-\x9f{_FORMAT}]")
_REFUSED_MULTILINE = re.compile(f"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f{_FORMAT}]")


def has_letter(value: str) -> bool:
    """At least one character of Unicode category L* (a letter or a Chinese character)."""
    return any(unicodedata.category(c).startswith("L") for c in value)


def _label(label: Any) -> str:
    return capfirst(label) if label else str(_("Value"))


@deconstructible
class PrintableTextValidator:
    """Text a person typed: printable, and (with `require_letter`) with a letter in it."""

    def __init__(
        self, *, label: Any = None, multiline: bool = False, require_letter: bool = True
    ) -> None:
        self.label = label
        self.multiline = multiline
        self.require_letter = require_letter

    def __call__(self, value: Any) -> None:
        if not isinstance(value, str) or value == "":
            return
        refused = (_REFUSED_MULTILINE if self.multiline else _REFUSED_LINE).search(value)
        if refused:
            raise ValidationError(
                _(
                    "%(field)s: must not contain control, direction-changing or invisible "
                    "characters (character %(position)d is %(char)s); retype the text "
                    "without it."
                ),
                code="unprintable",
                params={
                    "field": _label(self.label),
                    "position": refused.start() + 1,
                    "char": f"U+{ord(refused.group()):04X}",
                },
            )
        if self.require_letter and not has_letter(value):
            raise ValidationError(
                _("%(field)s: must contain at least one letter or Chinese character."),
                code="no_letter",
                params={"field": _label(self.label)},
            )

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, PrintableTextValidator)
            and self.multiline == other.multiline
            and self.require_letter == other.require_letter
            and str(self.label) == str(other.label)
        )


MOBILE_RE = re.compile(r"(?:\+86[- ]?)?1[3-9][0-9]{9}")
LANDLINE_RE = re.compile(
    r"(?:0|\+86[- ]?0?)[1-9][0-9]{1,2}[- ]?[1-9][0-9]{6,7}(?:(?:-|转|ext\.?|x)[0-9]{1,6})?"
)
SERVICE_NUMBER_RE = re.compile(r"[48]00[- ]?[0-9]{3}[- ]?[0-9]{4}")


def normalise_phone(value: str) -> str:
    """Full-width digits and signs as ASCII (NFKC), outer spaces dropped."""
    return unicodedata.normalize("NFKC", value).strip()


def phone_is_valid(value: str) -> bool:
    text = normalise_phone(value)
    return any(p.fullmatch(text) for p in (MOBILE_RE, LANDLINE_RE, SERVICE_NUMBER_RE))


@deconstructible
class PhoneNumberValidator:
    """A mainland mobile, landline (with area code) or 400/800 number."""

    def __init__(self, *, label: Any = None) -> None:
        self.label = label

    def __call__(self, value: Any) -> None:
        if value in (None, ""):
            return
        if not isinstance(value, str) or not phone_is_valid(value):
            raise ValidationError(
                _(
                    "%(field)s: must be a mainland mobile number (11 digits such as "
                    "13812345678, +86 allowed) or a landline with its area code (such as "
                    "010-12345678 or 0891-6331234, extension after -)."
                ),
                code="invalid_phone",
                params={"field": _label(self.label)},
            )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PhoneNumberValidator) and str(self.label) == str(other.label)


@deconstructible
class DateRangeValidator:
    """A date no earlier than `earliest` and no later than `latest` (a date, or TODAY:
    the local date when the value is validated)."""

    def __init__(
        self,
        *,
        earliest: dt.date | None = None,
        latest: dt.date | str | None = None,
        label: Any = None,
    ) -> None:
        if latest is not None and not isinstance(latest, dt.date) and latest != TODAY:
            raise ValueError(f"latest must be a date or {TODAY!r}, not {latest!r}")
        self.earliest = earliest
        self.latest = latest
        self.label = label

    def latest_date(self) -> dt.date | None:
        if self.latest == TODAY:
            return timezone.localdate()
        return self.latest  # type: ignore[return-value]

    def __call__(self, value: Any) -> None:
        if not isinstance(value, dt.date):
            return
        if isinstance(value, dt.datetime):
            value = value.date()
        latest = self.latest_date()
        if (self.earliest is None or value >= self.earliest) and (
            latest is None or value <= latest
        ):
            return
        params = {"field": _label(self.label), "earliest": self.earliest, "latest": latest}
        if self.earliest is not None and latest is not None:
            if self.latest == TODAY:
                message = _("%(field)s: must lie between %(earliest)s and today (%(latest)s).")
            else:
                message = _("%(field)s: must lie between %(earliest)s and %(latest)s.")
        elif self.earliest is not None:
            message = _("%(field)s: must not be before %(earliest)s.")
        elif self.latest == TODAY:
            message = _("%(field)s: must not be after today (%(latest)s).")
        else:
            message = _("%(field)s: must not be after %(latest)s.")
        raise ValidationError(message, code="implausible_date", params=params)

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, DateRangeValidator)
            and (self.earliest, self.latest) == (other.earliest, other.latest)
            and str(self.label) == str(other.label)
        )
