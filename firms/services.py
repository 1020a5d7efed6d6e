"""Writes to law firms and bar associations."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from accounts.policy import Action, ensure_can
from core.audit import audit_context
from core.pinyin import name_initials, name_pinyin

from .models import BarAssociation, LawFirm


def set_firm_search_names(firm: LawFirm) -> None:
    """Derived search columns (pinyin, initials) — also used by bulk imports."""
    firm.name_pinyin = name_pinyin(firm.name)
    firm.name_initials = name_initials(firm.name)


@transaction.atomic
def save_firm(*, actor: Any, firm: LawFirm) -> LawFirm:
    """Create or update a firm: scope check, derived columns, full validation."""
    ensure_can(actor, Action.CHANGE if firm.pk else Action.ADD, firm)
    set_firm_search_names(firm)
    firm.full_clean()
    with audit_context(actor=actor):
        firm.save()
    return firm


@transaction.atomic
def save_bar_association(*, actor: Any, association: BarAssociation) -> BarAssociation:
    """Update a bar association's details (associations are reference data: not created
    through the API)."""
    ensure_can(actor, Action.CHANGE if association.pk else Action.ADD, association)
    association.full_clean()
    with audit_context(actor=actor):
        association.save()
    return association
