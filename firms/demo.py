"""Demo data: one bar association per provincial unit (the Corps has its own), linked to
the platform organisation its users act for."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from accounts.models import Organisation
from accounts.policy import Role
from core.audit import audit_context
from regions.models import Province

from .models import BarAssociation


@transaction.atomic
def load(*, today: dt.date) -> str:
    if BarAssociation.objects.exists():
        return "already loaded"
    orgs = {o.province_id: o for o in Organisation.objects.filter(kind=Role.BAR_ASSOCIATION)}
    with audit_context(source="demo"):
        created = BarAssociation.objects.bulk_create(
            BarAssociation(
                name=f"{p.name}律师协会",
                province=p,
                organisation=orgs.get(p.pk),
                email=f"bar{p.code}@demo.invalid",
            )
            for p in Province.objects.order_by("code")
        )
    return f"{len(created)} bar associations"
