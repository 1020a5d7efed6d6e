"""Who the load test's clients are, created idempotently in the load database.

- a 湖南 partner system's read key (60% of the traffic: sync and reads);
- the 湖南 justice department's read-write key (the API writes: partners may only read);
- per locust user, one 湖南 bar-association account (portal pages and portal writes) and one
  湖南 justice-department staff account (admin changelists and the dashboard), each with a
  confirmed TOTP device whose key is derived from its username, so the clients compute the
  six-digit codes themselves (django_otp.oath.totp) and sign in as a person would: a TOTP
  code can be used once, so every client has accounts of its own;
- one 湖南 branch office (of a 湖南 firm of the national data, in a 湖南 county) that the
  writes add service records to.

Rerunning resets the passwords, TOTP keys and their last-used step; API keys are issued
anew per run (their secrets are not stored).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

PASSWORD = "Load-bench-2026!"  # noqa: S105  (a bench database's accounts only)
BRANCH_CREDIT_SEQ = 990_001
HUNAN = "43"


def totp_key(username: str) -> str:
    """The hex TOTP key of a load account (known to the runner and the clients)."""
    return hashlib.sha1(f"load bench {username}".encode()).hexdigest()  # noqa: S324


def _accounts(prefix: str, organisation: Any, *, is_staff: bool, count: int) -> list[str]:
    from django.contrib.auth.hashers import PBKDF2PasswordHasher
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from accounts.models import User

    names = [f"{prefix}-{i}" for i in range(count)]
    have = set(User.objects.filter(username__in=names).values_list("username", flat=True))
    User.objects.bulk_create(
        [
            User(username=n, organisation=organisation, is_staff=is_staff)
            for n in names
            if n not in have
        ]
    )
    # one hash for all (hashing is deliberately slow); sign-ins still run the full check.
    # Production's own hasher whatever settings this process runs with (the tests' MD5
    # hasher would not be accepted by the server).
    hasher = PBKDF2PasswordHasher()
    User.objects.filter(username__in=names).update(
        password=hasher.encode(PASSWORD, hasher.salt()), is_active=True, is_staff=is_staff
    )
    for user in User.objects.filter(username__in=names):
        device, _ = TOTPDevice.objects.get_or_create(
            user=user, name="load bench", defaults={"key": totp_key(user.username)}
        )
        device.key = totp_key(user.username)
        device.confirmed = True
        device.last_t = -1
        device.throttling_failure_count = 0
        device.throttling_failure_timestamp = None
        device.save()
    return names


def _branch(root: Any) -> Any:
    from branches.models import BranchOffice
    from branches.services import save_branch_office
    from firms.identifiers import credit_code_check_character
    from firms.models import LawFirm
    from regions.models import County

    county = County.objects.filter(code__startswith=HUNAN).order_by("code").first()
    first17 = f"31{county.code}E{BRANCH_CREDIT_SEQ:08d}"
    code = first17 + credit_code_check_character(first17)
    branch = BranchOffice.objects.filter(credit_code=code).first()
    if branch is None:
        firm = LawFirm.objects.filter(province__code=HUNAN).order_by("id").first()
        branch = save_branch_office(
            actor=root,
            branch=BranchOffice(
                name="负载测试分所",
                parent_firm=firm,
                county=county,
                credit_code=code,
                established_on=dt.date(2024, 1, 1),
                minimum_staff=1,
            ),
        )
    return branch


def ensure_actors(*, clients: int) -> dict[str, Any]:
    """Create (or refresh) everything the clients need; the locustfile's configuration."""
    from accounts.api_keys import issue_api_key
    from accounts.models import ApiKey, Organisation, User
    from accounts.policy import Role
    from firms.models import LawFirm
    from lawyers.models import Lawyer
    from regions.models import Province

    hunan = Province.objects.get(code=HUNAN)
    root, _ = User.objects.get_or_create(
        username="load-admin", defaults={"is_superuser": True, "is_staff": True}
    )
    orgs = {}
    for kind, name in (
        (Role.PARTNER, "湖南律师管理系统"),
        (Role.JUSTICE_DEPARTMENT, "湖南省司法厅"),
        (Role.BAR_ASSOCIATION, "湖南省律师协会"),
    ):
        orgs[kind], _ = Organisation.objects.get_or_create(
            kind=kind, province=hunan, defaults={"name": name}
        )
    # the keys of earlier runs are revoked: their secrets are gone with those runs
    ApiKey.objects.filter(name__startswith="load bench", revoked_at__isnull=True).update(
        revoked_at=dt.datetime.now(dt.UTC)
    )
    partner_key = issue_api_key(
        actor=root, organisation=orgs[Role.PARTNER], name="load bench partner"
    ).secret
    department_key = issue_api_key(
        actor=root,
        organisation=orgs[Role.JUSTICE_DEPARTMENT],
        name="load bench department",
        scope_write=True,
    ).secret
    bar = _accounts("load-bar", orgs[Role.BAR_ASSOCIATION], is_staff=False, count=clients)
    dept = _accounts("load-dept", orgs[Role.JUSTICE_DEPARTMENT], is_staff=True, count=clients)
    branch = _branch(root)
    lawyer_ids = list(
        Lawyer.objects.filter(province=hunan).order_by("id").values_list("id", flat=True)[:500]
    )
    hunan_lawyers = Lawyer.objects.filter(province=hunan).count()
    hunan_firms = LawFirm.objects.filter(province=hunan).count()
    return {
        "partner_key": partner_key,
        "department_key": department_key,
        "password": PASSWORD,
        "bar_accounts": [{"username": n, "totp_key": totp_key(n)} for n in bar],
        "dept_accounts": [{"username": n, "totp_key": totp_key(n)} for n in dept],
        "province_id": hunan.pk,
        "branch_id": branch.pk,
        "branch_code": branch.credit_code,
        "lawyer_ids": lawyer_ids,
        # pages of 100 the partner reads at random: the first 20 (or as many as there are)
        "lawyer_pages": max(1, min(20, hunan_lawyers // 100)),
        "firm_pages": max(1, min(5, hunan_firms // 100)),
    }
