"""The bench suite's actors and the rows its cases read, in one database, idempotently.

Actors: a ministry user (an organisation of kind ministry, not a superuser: it goes through
the same policy as everyone, its reach is national), the 湖南 (43) justice department's
user, the 湖南 bar association's user, a 湖南 partner API key (read), a 湖南 department
key with the write scope (the API writes), and a superuser clerk for the spreadsheet
imports (the import path as the ministry's back office runs it). Every one but the
ministry is scoped to 湖南. Users are found or created by name; keys are issued anew on
every run (a secret is only known when it is issued) and the previous run's revoked.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Any

HUNAN = "43"
KEY_NAME = "bench suite"
RUN = uuid.uuid4().hex[:8]  # this run's keys: both scales' (the tests' share a database)

USERNAMES = {
    "ministry": "bench-suite-ministry",
    "dept": "bench-suite-hunan-dept",
    "bar": "bench-suite-hunan-bar",
    # bench/import_bench.py's clerk: its clean-up removes this user's import records
    "clerk": "bench-e2e-ministry",
}


@dataclass
class Actors:
    users: dict[str, Any]
    partner_key: str
    write_key: str
    hunan: Any
    picks: dict[str, Any] = field(default_factory=dict)


def _organisation(kind: str, province: Any, name: str) -> Any:
    from accounts.models import Organisation

    found = (
        Organisation.objects.filter(kind=kind, province=province, is_active=True)
        .order_by("id")
        .first()
    )
    return found or Organisation.objects.create(kind=kind, province=province, name=name)


def _user(username: str, organisation: Any, *, is_staff: bool, is_superuser: bool = False) -> Any:
    from accounts.models import User

    user, _ = User.objects.get_or_create(
        username=username,
        defaults={
            "organisation": organisation,
            "is_staff": is_staff,
            "is_superuser": is_superuser,
        },
    )
    if (user.organisation_id, user.is_staff, user.is_superuser, user.is_active) != (
        getattr(organisation, "pk", None),
        is_staff,
        is_superuser,
        True,
    ):
        user.organisation = organisation
        user.is_staff, user.is_superuser, user.is_active = is_staff, is_superuser, True
        user.save(update_fields=["organisation", "is_staff", "is_superuser", "is_active"])
    return user


def ensure_actors() -> Actors:
    """The actors in the current database (connections["default"])."""
    from accounts.api_keys import issue_api_key
    from accounts.models import ApiKey
    from accounts.policy import Role
    from regions.models import Province

    hunan = Province.objects.get(code=HUNAN)
    ministry = _organisation(Role.MINISTRY, None, "中华人民共和国司法部")
    dept = _organisation(Role.JUSTICE_DEPARTMENT, hunan, "湖南省司法厅")
    bar = _organisation(Role.BAR_ASSOCIATION, hunan, "湖南省律师协会")
    partner = _organisation(Role.PARTNER, hunan, "湖南省律师管理信息系统")
    users = {
        "ministry": _user(USERNAMES["ministry"], ministry, is_staff=True),
        "dept": _user(USERNAMES["dept"], dept, is_staff=True),
        "bar": _user(USERNAMES["bar"], bar, is_staff=False),
        "clerk": _user(USERNAMES["clerk"], None, is_staff=True, is_superuser=True),
    }
    ApiKey.objects.filter(name__startswith=KEY_NAME, revoked_at__isnull=True).exclude(
        name__endswith=RUN
    ).update(revoked_at=dt.datetime.now(dt.UTC))
    root = users["ministry"]  # (the clerk is deleted by import_bench's own runs)
    partner_key = issue_api_key(actor=root, organisation=partner, name=f"{KEY_NAME} partner {RUN}")
    write_key = issue_api_key(
        actor=root, organisation=dept, name=f"{KEY_NAME} department {RUN}", scope_write=True
    )
    actors = Actors(
        users=users, partner_key=partner_key.secret, write_key=write_key.secret, hunan=hunan
    )
    actors.picks = pick_rows(users["dept"])
    return actors


def pick_rows(dept: Any) -> dict[str, Any]:
    """The rows the detail, change-form, write and search cases use: the first (by id) of
    each kind that the 湖南 department sees (its policy scope), so the same choice at every
    scale; None where there is none."""
    from accounts.models import PersonalDataAccess
    from accounts.policy import Action
    from branches.models import BranchOffice, ServiceRecord
    from firms.models import LawFirm
    from lawyers.models import Lawyer
    from pairing.models import FirmPairing, PairingStatus, Secondment, SecondmentStatus

    def first(model: Any, **filters: Any) -> Any:
        return model.objects.for_user(dept, Action.VIEW).filter(**filters).order_by("id").first()

    hunan = dept.organisation.province
    branch = first(BranchOffice)
    access = PersonalDataAccess.objects.order_by("-id").values("user__username").first()
    return {
        "lawyer": first(Lawyer, province=hunan),
        "firm": first(LawFirm, province=hunan),
        "secondment": first(Secondment),
        # a secondment the department may cancel (planned or active)
        "cancellable": first(
            Secondment, status__in=[SecondmentStatus.PLANNED, SecondmentStatus.ACTIVE]
        ),
        # else a pairing it may dissolve (active)
        "dissolvable": first(FirmPairing, status=PairingStatus.ACTIVE),
        "service_record": first(ServiceRecord),
        "branch": branch
        and {
            "id": branch.pk,
            "credit_code": branch.credit_code,
            "established_on": branch.established_on,
        },
        "access_username": access["user__username"] if access else None,
    }
