"""Demo organisations and one account per role (used by `manage.py demo_setup`)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction

from regions.models import Province

from .models import Organisation, User
from .policy import Role

MUNICIPALITIES = {"11", "12", "31", "50"}  # 直辖市 have a 司法局, provinces a 司法厅


def department_name(province: Province) -> str:
    if province.is_corps:
        return "新疆生产建设兵团司法局"
    suffix = "司法局" if province.code in MUNICIPALITIES else "司法厅"
    return f"{province.name}{suffix}"


def bar_name(province: Province) -> str:
    return f"{province.name}律师协会"


@dataclass(frozen=True)
class DemoAccount:
    username: str
    password: str
    role: str
    organisation: str
    is_staff: bool


DEMO_PASSWORD = "Duikou-demo-2026"  # noqa: S105  (printed by make demo; demo only)


@transaction.atomic
def create_demo_organisations() -> dict[tuple[str, str], Organisation]:
    """The ministry, and a justice department and bar association for every province."""
    orgs: dict[tuple[str, str], Organisation] = {}
    ministry, _ = Organisation.objects.get_or_create(
        name="中华人民共和国司法部", defaults={"kind": Role.MINISTRY}
    )
    orgs[(Role.MINISTRY, "")] = ministry
    for province in Province.objects.all():
        for kind, name in (
            (Role.JUSTICE_DEPARTMENT, department_name(province)),
            (Role.BAR_ASSOCIATION, bar_name(province)),
        ):
            org, _ = Organisation.objects.get_or_create(
                kind=kind, province=province, defaults={"name": name}
            )
            orgs[(kind, province.code)] = org
    partner, _ = Organisation.objects.get_or_create(
        name="湖南省律师管理信息系统",
        defaults={"kind": Role.PARTNER, "province": Province.objects.get(code="43")},
    )
    orgs[(Role.PARTNER, "43")] = partner
    return orgs


@transaction.atomic
def create_demo_accounts(*, today: dt.date) -> list[DemoAccount]:
    """One account per role; rerunning resets their passwords and changes nothing else."""
    orgs = create_demo_organisations()
    plan = [
        ("admin", None, True, True),
        ("ministry", orgs[(Role.MINISTRY, "")], True, False),
        ("hunan_sft", orgs[(Role.JUSTICE_DEPARTMENT, "43")], True, False),
        ("xizang_sft", orgs[(Role.JUSTICE_DEPARTMENT, "54")], True, False),
        ("hunan_lx", orgs[(Role.BAR_ASSOCIATION, "43")], False, False),
        ("xizang_lx", orgs[(Role.BAR_ASSOCIATION, "54")], False, False),
        ("partner_hunan", orgs[(Role.PARTNER, "43")], False, False),
    ]
    accounts = []
    for username, org, is_staff, is_superuser in plan:
        user, _ = User.objects.get_or_create(
            username=username,
            defaults={
                "organisation": org,
                "is_staff": is_staff,
                "is_superuser": is_superuser,
                "email": f"{username}@demo.invalid",
            },
        )
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
        role = Role.MINISTRY.label if is_superuser else Role(org.kind).label
        accounts.append(
            DemoAccount(
                username=username,
                password=DEMO_PASSWORD,
                role=f"{role}{'（超级用户）' if is_superuser else ''}",
                organisation=org.name if org else "—",
                is_staff=is_staff,
            )
        )
    return accounts
