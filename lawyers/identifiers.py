"""律师执业证号: 17 digits, no check digit (REFERENCE.md); legacy 12-digit numbers accepted."""

from __future__ import annotations

import csv
import datetime as dt
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _

LICENCE_RE = re.compile(r"^1([0-9]{2})([0-9]{2})([0-9]{4})([0-9])([01])([0-9]{6})\Z")
LEGACY_RE = re.compile(r"^[0-9]{12}\Z")
FIRST_YEAR = 1979  # lawyers were licensed again from 1979


class LicenceCategory:
    FULL_TIME, PART_TIME, HONG_KONG, MACAO = "1", "2", "3", "4"


@cache
def province_codes() -> frozenset[str]:
    """Codes of the 32 provincial units (reference data committed under fixtures/)."""
    path = Path(settings.BASE_DIR) / "fixtures" / "regions" / "provinces.csv"
    with path.open(encoding="utf-8") as fh:
        return frozenset(row["code"] for row in csv.DictReader(fh))


@dataclass(frozen=True)
class ParsedLicence:
    province_code: str
    city_code: str
    year: int
    category: str
    gender: str  # "M" or "F"
    sequence: str


def parse_licence_number(value: str) -> ParsedLicence | None:
    """The fields of a 17-digit number (None for a legacy 12-digit one)."""
    m = LICENCE_RE.match(value)
    if not m:
        return None
    province, city, year, category, gender, seq = m.groups()
    return ParsedLicence(province, city, int(year), category, "F" if gender == "1" else "M", seq)


def licence_problem(value: object, *, today: dt.date | None = None) -> str | None:
    """None when valid, else the rule the value breaks (translated, for users)."""
    if not isinstance(value, str):
        return str(_("must be text"))
    if LEGACY_RE.match(value):
        return None
    if len(value) != 17:
        return str(
            _("must be 17 digits (or a legacy 12-digit number); it has %(n)d characters")
        ) % {"n": len(value)}
    if not all(c in "0123456789" for c in value):
        return str(_("must contain only the digits 0-9 (half-width)"))
    if value[0] != "1":
        return str(_("must start with 1 (licence type)"))
    parsed = parse_licence_number(value)
    if parsed is None:
        return str(_("digit 14 (gender) must be 0 or 1"))
    if parsed.province_code not in province_codes():
        return str(_("digits 2-3 (%(code)s) are not a province code")) % {
            "code": parsed.province_code
        }
    this_year = (today or timezone.localdate()).year
    if not FIRST_YEAR <= parsed.year <= this_year:
        return str(
            _("digits 6-9 (year first licensed, %(year)d) must lie in %(first)d-%(last)d")
        ) % {
            "year": parsed.year,
            "first": FIRST_YEAR,
            "last": this_year,
        }
    return None


@deconstructible
class LicenceNumberValidator:
    def __call__(self, value: object) -> None:
        problem = licence_problem(value)
        if problem:
            raise ValidationError(
                _("Licence number: %(problem)s."),
                code="invalid_licence",
                params={"problem": problem},
            )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, LicenceNumberValidator)


validate_licence_number = LicenceNumberValidator()
