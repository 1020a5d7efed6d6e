"""Writes to the registry of lawyers: registration, licence changes, trainee nomination."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.policy import Action, ensure_can
from core.audit import audit_context
from core.pinyin import name_initials, name_pinyin

from .identifiers import parse_licence_number
from .models import ExperienceGroup, Lawyer, LawyerLicence, Trainee


def set_lawyer_search_names(lawyer: Lawyer) -> None:
    lawyer.name_pinyin = name_pinyin(lawyer.name, person=True)
    lawyer.name_initials = name_initials(lawyer.name, person=True)


def _fill_licence(licence: LawyerLicence) -> None:
    parsed = parse_licence_number(licence.number or "")
    if parsed is not None:
        licence.city_code = parsed.city_code
        licence.licensed_year = parsed.year
        licence.category = parsed.category


@transaction.atomic
def register_lawyer(
    *, actor: Any, lawyer: Lawyer, licence_number: str, licence_valid_from: dt.date
) -> Lawyer:
    """A new lawyer with their current licence (issued by the lawyer's province)."""
    ensure_can(actor, Action.ADD, lawyer)
    set_lawyer_search_names(lawyer)
    lawyer.current_licence_no = licence_number
    lawyer.full_clean()
    licence = LawyerLicence(
        lawyer=lawyer,
        number=licence_number,
        issuing_province_id=lawyer.province_id,
        valid_from=licence_valid_from,
        is_current=True,
    )
    _fill_licence(licence)
    licence.full_clean(exclude=["lawyer"])
    with audit_context(actor=actor):
        lawyer.save()
        licence.lawyer = lawyer
        licence.save()
    return lawyer


@transaction.atomic
def replace_licence(
    *, actor: Any, lawyer: Lawyer, number: str, issuing_province_id: int, valid_from: dt.date
) -> LawyerLicence:
    """A lawyer surrenders the current licence and receives one from another province
    (e.g. when posted to a branch in Tibet). The old licence ends the day before."""
    lawyer = Lawyer.objects.select_for_update().get(pk=lawyer.pk)
    ensure_can(actor, Action.CHANGE, lawyer)
    current = lawyer.licences.filter(is_current=True).first()
    if current is not None and valid_from <= current.valid_from:
        raise ValidationError(
            {"valid_from": _("Valid from: must be after the current licence's start.")}
        )
    new = LawyerLicence(
        lawyer=lawyer,
        number=number,
        issuing_province_id=issuing_province_id,
        valid_from=valid_from,
        is_current=True,
    )
    _fill_licence(new)
    with audit_context(actor=actor):
        if current is not None:
            current.is_current = False
            current.valid_to = valid_from - dt.timedelta(days=1)
            current.save(update_fields=["is_current", "valid_to", "updated_at"])
        new.full_clean()
        new.save()
        lawyer.current_licence_no = number
        lawyer.province_id = issuing_province_id
        lawyer.save(update_fields=["current_licence_no", "province", "updated_at"])
    return new


@transaction.atomic
def nominate_trainee(*, actor: Any, trainee: Trainee, today: dt.date) -> Trainee:
    """Enrol a young lawyer (千名青年律师): under 40 on the selection date, from a western
    recipient province, not enrolled before, with a valid licence."""
    lawyer = Lawyer.objects.select_for_update().get(pk=trainee.lawyer_id)
    ensure_can(actor, Action.ADD, trainee)
    trainee.experience_group = ExperienceGroup.for_years(
        lawyer.years_of_practice(trainee.selection_date)
    )
    trainee.full_clean()  # Trainee.clean() holds the eligibility rules
    with audit_context(actor=actor):
        trainee.save()
    return trainee


@transaction.atomic
def save_lawyer(*, actor: Any, lawyer: Lawyer) -> Lawyer:
    """Change a registered lawyer's details. The province follows the current licence,
    so it changes only through `replace_licence`."""
    stored = Lawyer.objects.select_for_update().get(pk=lawyer.pk)
    ensure_can(actor, Action.CHANGE, lawyer)
    if lawyer.province_id != stored.province_id:
        raise ValidationError(
            {"province": _("Province: changes only with a new licence (replace the licence).")}
        )
    set_lawyer_search_names(lawyer)
    lawyer.full_clean()
    with audit_context(actor=actor):
        lawyer.save()
    return lawyer


@transaction.atomic
def save_trainee(*, actor: Any, trainee: Trainee) -> Trainee:
    """Change an enrolled trainee's details (plan, track, selection date). The status moves
    only through the programme's steps; the experience group follows the selection date."""
    stored = Trainee.objects.select_for_update().get(pk=trainee.pk)
    ensure_can(actor, Action.CHANGE, trainee)
    if trainee.lawyer_id != stored.lawyer_id:
        raise ValidationError({"lawyer": _("Lawyer: cannot be changed once enrolled.")})
    trainee.status = stored.status
    trainee.experience_group = ExperienceGroup.for_years(
        trainee.lawyer.years_of_practice(trainee.selection_date)
    )
    trainee.full_clean()
    with audit_context(actor=actor):
        trainee.save()
    return trainee
