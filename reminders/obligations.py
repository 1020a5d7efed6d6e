"""Obligations: every deliverable the programme expects, with its due date, the people who
owe it, and whether it is still open — derived from the records themselves (a report is
open while draft or returned; an evaluation while the secondment has no grade…), so the
reminders, the dashboard and the approval queues read one source.

Each kind is one set-based query over an indexed due-date column, restricted to the due
dates a sweep asks for: its cost follows the rows due, not the size of the table.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Exists, F, OuterRef, Q

from branches.models import BranchOffice, BranchStatus, Posting
from branches.selectors import staffing_coverage
from pairing.models import (
    OPEN_REPORT_STATUSES,
    PairingAgreement,
    PairingStatus,
    ProgressReport,
    Quota,
    Secondment,
    SecondmentStatus,
)

from .models import RuleKind

# the mentor's evaluation is due this many days after the secondment's last day
EVALUATION_DUE_DAYS = 14


@dataclass(frozen=True)
class Obligation:
    """One thing someone owes, by one due date."""

    kind: str  # the obligation family (several rule kinds share one: report due/overdue)
    object_label: str
    object_id: int
    due_date: dt.date
    title: str
    link: str
    #: recipient role -> outside e-mail addresses (mentor, firms)
    emails: dict[str, tuple[str, ...]] = field(default_factory=dict)
    #: recipient role -> province ids whose bar association / department is written to
    provinces: dict[str, tuple[int, ...]] = field(default_factory=dict)
    #: every province the record involves (escalation to their justice departments)
    involved: tuple[int, ...] = ()


def _admin_link(label: str, pk: int) -> str:
    app, model = label.split(".")
    return f"/admin/{app}/{model}/{pk}/change/"


def _emails(*values: Any) -> tuple[str, ...]:
    return tuple(v for v in dict.fromkeys(values) if v)


# --- one function per family: (due dates, today, horizon) -> obligations -----------------
SECONDMENT_VALUES = (
    "pk",
    "start_date",
    "end_date",
    "trainee__lawyer__name",
    "trainee__home_province_id",
    "host_firm__name",
    "host_firm__email",
    "host_firm__province_id",
    "mentor__email",
)


def _secondment_obligations(
    rows: Iterable[dict[str, Any]], kind: str, due_of: Callable[[dict[str, Any]], dt.date]
) -> list[Obligation]:
    """Secondments owe to the trainee's home bar association, the host firm, the mentor
    and the host province's department."""
    out = []
    for r in rows:
        home, host = r["trainee__home_province_id"], r["host_firm__province_id"]
        out.append(
            Obligation(
                kind=kind,
                object_label="pairing.secondment",
                object_id=r["pk"],
                due_date=due_of(r),
                title=f"{r['trainee__lawyer__name']} → {r['host_firm__name']}",
                link=_admin_link("pairing.secondment", r["pk"]),
                emails={
                    "host_firm": _emails(r["host_firm__email"]),
                    "mentor": _emails(r["mentor__email"]),
                },
                provinces={"home_bar": (home,), "host_department": (host,)},
                involved=tuple(dict.fromkeys((home, host))),
            )
        )
    return out


def secondments_starting(dues: set[dt.date], today: dt.date, horizon: int) -> list[Obligation]:
    rows = (
        Secondment.objects.filter(status=SecondmentStatus.PLANNED, start_date__in=dues)
        .values(*SECONDMENT_VALUES)
        .order_by("pk")
    )
    return _secondment_obligations(rows, "secondment_start", lambda r: r["start_date"])


def evaluations(dues: set[dt.date], today: dt.date, horizon: int) -> list[Obligation]:
    """The mentor's evaluation, due EVALUATION_DUE_DAYS after the secondment's last day."""
    grace = dt.timedelta(days=EVALUATION_DUE_DAYS)
    rows = (
        Secondment.objects.filter(
            status__in=[SecondmentStatus.ACTIVE, SecondmentStatus.COMPLETED],
            end_date__in={d - grace for d in dues},
            evaluation_grade="",
        )
        .values(*SECONDMENT_VALUES)
        .order_by("pk")
    )
    return _secondment_obligations(rows, "evaluation", lambda r: r["end_date"] + grace)


def reports(dues: set[dt.date], today: dt.date, horizon: int) -> list[Obligation]:
    rows = (
        ProgressReport.objects.filter(
            status__in=OPEN_REPORT_STATUSES,
            due_date__in=dues,
            pairing__status=PairingStatus.ACTIVE,
        )
        .values(
            "pk",
            "due_date",
            "period_start",
            "pairing__helper_firm__name",
            "pairing__helper_firm__email",
            "pairing__helper_firm__province_id",
            "pairing__recipient_firm__name",
            "pairing__recipient_firm__email",
            "pairing__recipient_firm__province_id",
        )
        .order_by("pk")
    )
    out = []
    for r in rows:
        sides = (r["pairing__helper_firm__province_id"], r["pairing__recipient_firm__province_id"])
        sides = tuple(dict.fromkeys(sides))
        out.append(
            Obligation(
                kind="report",
                object_label="pairing.progressreport",
                object_id=r["pk"],
                due_date=r["due_date"],
                title=(
                    f"{r['pairing__helper_firm__name']} — {r['pairing__recipient_firm__name']}"
                    f"（{r['period_start']:%Y-%m}）"
                ),
                link=_admin_link("pairing.progressreport", r["pk"]),
                emails={
                    "pairing_firms": _emails(
                        r["pairing__helper_firm__email"], r["pairing__recipient_firm__email"]
                    )
                },
                provinces={"pairing_bars": sides, "province_department": sides},
                involved=sides,
            )
        )
    return out


def staffing_gaps(dues: set[dt.date], today: dt.date, horizon: int) -> list[Obligation]:
    """Active branches with a day in [today, today + horizon] staffed below their minimum;
    due = the first such day (only those among `dues`)."""
    branches = list(
        BranchOffice.objects.filter(status=BranchStatus.ACTIVE)
        .select_related("parent_firm", "county")
        .only(
            "pk",
            "name",
            "minimum_staff",
            "county__province_id",
            "parent_firm__email",
            "parent_firm__province_id",
        )
    )
    coverage = staffing_coverage(
        branches=branches, start=today, end=today + dt.timedelta(days=horizon)
    )
    out = []
    for b in branches:
        gap = coverage[b.pk].first_gap
        if gap is None or gap not in dues:
            continue
        province = b.county.province_id
        out.append(
            Obligation(
                kind="staffing_gap",
                object_label="branches.branchoffice",
                object_id=b.pk,
                due_date=gap,
                title=b.name,
                link=_admin_link("branches.branchoffice", b.pk),
                emails={"branch_firm": _emails(b.parent_firm.email)},
                provinces={"province_bar": (province,), "province_department": (province,)},
                involved=tuple(dict.fromkeys((province, b.parent_firm.province_id))),
            )
        )
    return out


def postings_ending(dues: set[dt.date], today: dt.date, horizon: int) -> list[Obligation]:
    """Postings whose last day is due with no successor at the branch (no other complete
    posting covering the day after)."""
    successor = (
        Posting.objects.filter(
            branch_id=OuterRef("branch_id"),
            checklist_complete=True,
            start_date__lte=OuterRef("end_date") + dt.timedelta(days=1),
        )
        .filter(
            Q(end_date__isnull=True) | Q(end_date__gt=OuterRef("end_date")),
        )
        .exclude(pk=OuterRef("pk"))
    )
    rows = (
        Posting.objects.filter(end_date__in=dues, branch__status=BranchStatus.ACTIVE)
        .filter(~Exists(successor))
        .values(
            "pk",
            "end_date",
            "lawyer__name",
            "branch__name",
            "branch__county__province_id",
            "branch__parent_firm__email",
            "branch__parent_firm__province_id",
        )
        .order_by("pk")
    )
    out = []
    for r in rows:
        province = r["branch__county__province_id"]
        out.append(
            Obligation(
                kind="posting_end",
                object_label="branches.posting",
                object_id=r["pk"],
                due_date=r["end_date"],
                title=f"{r['lawyer__name']} @ {r['branch__name']}",
                link=_admin_link("branches.posting", r["pk"]),
                emails={"branch_firm": _emails(r["branch__parent_firm__email"])},
                provinces={"province_bar": (province,), "province_department": (province,)},
                involved=tuple(dict.fromkeys((province, r["branch__parent_firm__province_id"]))),
            )
        )
    return out


def agreements_ending(dues: set[dt.date], today: dt.date, horizon: int) -> list[Obligation]:
    rows = (
        PairingAgreement.objects.filter(term_end__in=dues)
        .values(
            "pk",
            "term_end",
            "helper_province_id",
            "helper_province__name",
            "recipient_province_id",
            "recipient_province__name",
        )
        .order_by("pk")
    )
    out = []
    for r in rows:
        sides = (r["helper_province_id"], r["recipient_province_id"])
        out.append(
            Obligation(
                kind="agreement_end",
                object_label="pairing.pairingagreement",
                object_id=r["pk"],
                due_date=r["term_end"],
                title=f"{r['helper_province__name']} — {r['recipient_province__name']}",
                link=_admin_link("pairing.pairingagreement", r["pk"]),
                provinces={"province_department": sides},
                involved=sides,
            )
        )
    return out


def quotas_unfilled(dues: set[dt.date], today: dt.date, horizon: int) -> list[Obligation]:
    """Quotas with seats not taken by secondments (other than cancelled ones), due on the
    last day of their year."""
    years = [d.year for d in dues if (d.month, d.day) == (12, 31)]
    if not years:
        return []
    taken = Count("secondments", filter=~Q(secondments__status=SecondmentStatus.CANCELLED))
    rows = list(
        Quota.objects.filter(year__in=years)
        .annotate(taken=taken)
        .filter(taken__lt=F("seats"))
        .values("pk", "year", "name", "seats", "taken")
        .order_by("pk")
    )
    hosts: dict[int, list[int]] = {}
    for quota_id, province_id in Quota.host_provinces.through.objects.filter(
        quota_id__in=[r["pk"] for r in rows]
    ).values_list("quota_id", "province_id"):
        hosts.setdefault(quota_id, []).append(province_id)
    out = []
    for r in rows:
        provinces = tuple(sorted(hosts.get(r["pk"], [])))
        out.append(
            Obligation(
                kind="quota",
                object_label="pairing.quota",
                object_id=r["pk"],
                due_date=dt.date(r["year"], 12, 31),
                title=f"{r['name']}（{r['taken']}/{r['seats']}）",
                link=_admin_link("pairing.quota", r["pk"]),
                provinces={"province_department": provinces, "province_bar": provinces},
                involved=provinces,
            )
        )
    return out


FINDERS: dict[str, Callable[[set[dt.date], dt.date, int], list[Obligation]]] = {
    RuleKind.SECONDMENT_STARTING: secondments_starting,
    RuleKind.EVALUATION_DUE: evaluations,
    RuleKind.EVALUATION_OVERDUE: evaluations,
    RuleKind.REPORT_DUE: reports,
    RuleKind.REPORT_OVERDUE: reports,
    RuleKind.STAFFING_GAP: staffing_gaps,
    RuleKind.POSTING_ENDING: postings_ending,
    RuleKind.AGREEMENT_ENDING: agreements_ending,
    RuleKind.QUOTA_UNFILLED: quotas_unfilled,
}


def due(
    kind: str, *, dues: Iterable[dt.date], today: dt.date, horizon: int = 30
) -> list[Obligation]:
    """The open obligations of a rule kind whose due date is among `dues`."""
    finder = FINDERS.get(kind)
    dues = set(dues)
    if finder is None or not dues:
        return []
    return finder(dues, today, horizon)


def still_open(notifications: Iterable[Any], *, today: dt.date | None = None) -> set[int]:
    """The ids among `notifications` whose work is still not done (delivery cancels the
    others): one query per kind of record among them."""
    from django.utils import timezone

    today = today or timezone.localdate()
    by_kind: dict[str, list[Any]] = {}
    for n in notifications:
        by_kind.setdefault(n.rule_kind, []).append(n)
    open_ids: set[int] = set()
    for kind, items in by_kind.items():
        finder = FINDERS.get(kind)
        if finder is None:
            open_ids |= {n.pk for n in items}  # nothing to check: send
            continue
        dues = {n.due_date for n in items if n.due_date is not None}
        horizon = 366
        found = {
            (o.object_label, str(o.object_id), o.due_date) for o in finder(dues, today, horizon)
        }
        for n in items:
            if (n.object_label, n.object_id, n.due_date) in found:
                open_ids.add(n.pk)
    return open_ids
