"""统一社会信用代码 (GB 32100-2015): format and check character."""

from __future__ import annotations

import operator

from django.core.exceptions import ValidationError
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # no I O S V Z
VALUES = {c: i for i, c in enumerate(ALPHABET)}
_ALLOWED = frozenset(ALPHABET)
WEIGHTS = [pow(3, i, 31) for i in range(17)]  # 1 3 9 27 19 26 16 17 20 29 25 13 8 24 10 30 28
LAW_FIRM_PREFIX = "31"  # 3 = 司法行政 registration authority, 1 = 律师执业机构


def credit_code_check_character(first17: str) -> str:
    """The 18th character for the first 17 (all from ALPHABET)."""
    if len(first17) != len(WEIGHTS):
        raise ValueError("the check character is computed from exactly 17 characters")
    total = sum(map(operator.mul, map(VALUES.__getitem__, first17), WEIGHTS))
    return ALPHABET[(31 - total % 31) % 31]


def credit_code_problem(value: object, *, law_firm: bool = True) -> str | None:
    """None when valid, else the rule the value breaks (translated, for users)."""
    if not isinstance(value, str):
        return str(_("must be text"))
    if len(value) != 18:
        return str(_("must be exactly 18 characters (it has %(n)d)")) % {"n": len(value)}
    if not _ALLOWED.issuperset(value):
        bad = sorted({c for c in value if c not in VALUES})
        return str(
            _("contains characters outside 0-9 and A-Y without I, O, S, V, Z: %(chars)s")
        ) % {"chars": " ".join(bad)}
    if not value[:8].isascii() or not value[2:8].isdigit():
        return str(_("characters 3-8 must be a six-digit division code"))
    expected = credit_code_check_character(value[:17])
    if value[17] != expected:
        return str(_("check character is wrong (expected %(c)s)")) % {"c": expected}
    if law_firm and not value.startswith(LAW_FIRM_PREFIX):
        return str(_("a law firm's code starts with 31 (justice administration, law firm)"))
    return None


@deconstructible
class CreditCodeValidator:
    """Validates a unified social credit code; `law_firm` also requires the 31 prefix."""

    def __init__(self, *, law_firm: bool = True) -> None:
        self.law_firm = law_firm

    def __call__(self, value: object) -> None:
        problem = credit_code_problem(value, law_firm=self.law_firm)
        if problem:
            raise ValidationError(
                _("Unified social credit code: %(problem)s."),
                code="invalid_credit_code",
                params={"problem": problem},
            )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, CreditCodeValidator) and other.law_firm == self.law_firm


validate_law_firm_credit_code = CreditCodeValidator(law_firm=True)
