"""The programme dashboard (admin index): progress against targets nationally and per
province, what needs attention now, report discipline per province, official statistics.

Every figure is scoped: each query starts from `Model.objects.for_user(user, VIEW)`, so a
provincial department sees the rows that involve its province and the ministry sees all.
The figures come from a fixed number of aggregate queries (conditional `Count(filter=…)`
grouped by province), so the page costs the same at 100 rows as at 100,000.

"Per province" is the helped (recipient) province: a trainee's home province, the home
province of a seconded trainee, a pairing's recipient firm's province, a branch's county's
province. Secondments are also counted by host province, because the programme's
provincial secondment targets are set for hosts (湖南 takes 60) as well as for senders
(西藏 sends 37); a province's secondment target is measured against the secondments that
involve it on either side.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db.models import Count, Exists, F, Min, OuterRef, Q

from accounts.policy import ALL, Action, province_id_of, role_of
from core.cached_figures import cached_figures
from lawyers.models import Trainee, TraineeStatus
from pairing.models import (
    FirmPairing,
    PairingStatus,
    ProgramTarget,
    ProgressReport,
    ReportStatus,
    Secondment,
    SecondmentStatus,
    StatSnapshot,
    TargetMetric,
)
from regions.models import Province
from regions.workdays import missing_years

from .models import BranchOffice, BranchStatus
from .selectors import branches_with_gap

# What counts towards a target (the programme's wording in brackets):
# selected young lawyers (千名青年律师: nominated candidates and withdrawals do not count),
TRAINEE_COUNTED = (TraineeStatus.SELECTED, TraineeStatus.IN_TRAINING, TraineeStatus.COMPLETED)
# secondments that took place or are under way (750 went to a host firm),
SECONDMENT_COUNTED = (SecondmentStatus.ACTIVE, SecondmentStatus.COMPLETED)
# pairings that were formed and not dissolved (600 pairs),
PAIRING_COUNTED = (PairingStatus.ACTIVE, PairingStatus.ENDED)
# branches that are open (the 46 branches must be kept alive).
BRANCH_COUNTED = (BranchStatus.ACTIVE,)
# A report due by today is complete once submitted (or accepted), on time when that
# submission came on or before its due date, overdue while draft or returned after it.
REPORT_DONE = (ReportStatus.SUBMITTED, ReportStatus.ACCEPTED)
GAP_WINDOW_DAYS = 30
LIST_LIMIT = 10
# the shape of `_figures`' result, in its cache key: raise it when the shape changes, so a
# server of the new code never reads an entry the old one wrote (and the reverse)
FIGURES_VERSION = 2


def percent(part: int, whole: int | None) -> int | None:
    """`part` as a whole-number percentage of `whole` (None when there is nothing to divide)."""
    if not whole:
        return None
    return round(100 * part / whole)


@dataclass(frozen=True)
class Progress:
    """One metric against its target."""

    metric: str
    label: str
    count: int
    target: int | None

    @property
    def percent(self) -> int | None:
        return percent(self.count, self.target)

    @property
    def bar(self) -> int:
        """Bar width 0–100 (a bar never overflows its track)."""
        return min(self.percent or 0, 100)


@dataclass
class ProvinceRow:
    """The figures of one (helped) province."""

    province_id: int
    code: str
    name: str
    trainees: int = 0
    secondments_sent: int = 0
    secondments_hosted: int = 0
    pairings: int = 0
    pairings_with_overdue_reports: int = 0
    branches: int = 0
    reports_due: int = 0
    reports_complete: int = 0
    reports_on_time: int = 0
    reports_overdue: int = 0
    targets: dict[str, int] = field(default_factory=dict)

    @property
    def secondments(self) -> int:
        """Secondments that involve the province on either side (a province never hosts
        its own trainees, so the two never overlap)."""
        return self.secondments_sent + self.secondments_hosted

    @property
    def completeness(self) -> int | None:
        return percent(self.reports_complete, self.reports_due)

    @property
    def on_time_rate(self) -> int | None:
        return percent(self.reports_on_time, self.reports_due)

    def progress(self) -> list[Progress]:
        counts = {
            TargetMetric.TRAINEES: self.trainees,
            TargetMetric.SECONDMENTS: self.secondments,
            TargetMetric.FIRM_PAIRINGS: self.pairings,
            TargetMetric.BRANCHES: self.branches,
        }
        return [
            Progress(m.value, str(m.label), counts[m], self.targets.get(m.value))
            for m in TargetMetric
        ]

    @property
    def target_progress(self) -> list[Progress]:
        """The metrics of this province that have a target."""
        return [p for p in self.progress() if p.target is not None]


@dataclass(frozen=True)
class EndingSecondment:
    pk: int
    trainee: str
    host_firm: str
    end_date: dt.date


@dataclass(frozen=True)
class OverduePairing:
    pk: int
    pairing: str
    overdue_reports: int
    oldest_due: dt.date


@dataclass(frozen=True)
class BranchGap:
    pk: int
    branch: str
    county: str
    first_gap: dt.date


@dataclass
class Dashboard:
    """Everything the admin index shows, for one user on one day."""

    today: dt.date
    national: bool  # the user sees every province (the ministry)
    progress: list[Progress]
    secondments_running: int
    secondments_ending_this_month: int
    ending_this_month: list[EndingSecondment]
    pairings_with_overdue_reports: int
    overdue_pairings: list[OverduePairing]
    branches_with_gap: list[BranchGap]
    reports_due: int
    reports_complete: int
    reports_on_time: int
    reports_overdue: int
    provinces: list[ProvinceRow]
    statistics: list[StatSnapshot]
    missing_calendar_years: list[int]

    @property
    def completeness(self) -> int | None:
        return percent(self.reports_complete, self.reports_due)

    @property
    def on_time_rate(self) -> int | None:
        return percent(self.reports_on_time, self.reports_due)


def _targets(user: Any, today: dt.date) -> dict[int | None, dict[str, int]]:
    """province id (None = national) -> metric -> target. A target for the whole programme
    (no year) wins; otherwise the yearly targets up to this year add up, as the counts are
    cumulative too."""
    overall: dict[int | None, dict[str, int]] = defaultdict(dict)
    yearly: dict[int | None, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    rows = (
        ProgramTarget.objects.for_user(user, Action.VIEW)
        .filter(Q(year__isnull=True) | Q(year__lte=today.year))
        .values_list("metric", "province_id", "year", "value")
    )
    for metric, province_id, year, value in rows:
        if year is None:
            overall[province_id][metric] = value
        else:
            yearly[province_id][metric] += value
    out: dict[int | None, dict[str, int]] = {}
    for province_id in overall.keys() | yearly.keys():
        out[province_id] = {**yearly.get(province_id, {}), **overall.get(province_id, {})}
    return out


def _scope(user: Any) -> tuple[str, str]:
    """What the figures depend on besides the day: the role (its grants, model by model)
    and the province it acts for (`for_user` reads nothing else of the user)."""
    return str(role_of(user)), str(province_id_of(user))


def _figures(*, user: Any, today: dt.date) -> dict[str, Any]:
    """The aggregates of the dashboard (the queries that read every counted row in scope),
    as JSON numbers only: no labels or names, so one cached entry serves every language.

    rows: [province id, {figure: count}]; targets: [province id, {metric: value}];
    overdue_pairings: [pairing id, overdue reports, oldest due date] (the first LIST_LIMIT);
    branch_gaps: [first day short of staff, branch id], in that order.
    """
    view = Action.VIEW
    month_start = today.replace(day=1)
    month_end = today.replace(day=calendar.monthrange(today.year, today.month)[1])
    rows: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))

    # trainees: the scoping path through secondments repeats rows, hence distinct counts
    for r in (
        Trainee.objects.for_user(user, view)
        .order_by()
        .values("home_province")
        .annotate(n=Count("id", filter=Q(status__in=TRAINEE_COUNTED), distinct=True))
    ):
        rows[r["home_province"]]["trainees"] += r["n"]

    running = Q(status=SecondmentStatus.ACTIVE)
    secondments = Secondment.objects.for_user(user, view).order_by()
    for r in secondments.values("trainee__home_province").annotate(
        counted=Count("id", filter=Q(status__in=SECONDMENT_COUNTED)),
        running=Count("id", filter=running),
        ending=Count("id", filter=running & Q(end_date__range=(month_start, month_end))),
    ):
        row = rows[r["trainee__home_province"]]
        row["secondments_sent"] += r["counted"]
        row["secondments_running"] += r["running"]
        row["secondments_ending"] += r["ending"]
    for r in secondments.values("host_firm__province").annotate(
        counted=Count("id", filter=Q(status__in=SECONDMENT_COUNTED))
    ):
        rows[r["host_firm__province"]]["secondments_hosted"] += r["counted"]

    overdue = ProgressReport.overdue_q(today)
    has_overdue = Exists(ProgressReport.objects.filter(overdue, pairing=OuterRef("pk")))
    for r in (
        FirmPairing.objects.for_user(user, view)
        .order_by()
        .values("recipient_firm__province")
        .annotate(
            counted=Count("id", filter=Q(status__in=PAIRING_COUNTED)),
            overdue=Count("id", filter=Q(has_overdue)),
        )
    ):
        row = rows[r["recipient_firm__province"]]
        row["pairings"] += r["counted"]
        row["pairings_with_overdue_reports"] += r["overdue"]

    for r in (
        ProgressReport.objects.for_user(user, view)
        .filter(due_date__lte=today)
        .order_by()
        .values("pairing__recipient_firm__province")
        .annotate(
            due=Count("id"),
            complete=Count("id", filter=Q(status__in=REPORT_DONE)),
            on_time=Count(
                "id", filter=Q(status__in=REPORT_DONE, submitted_at__date__lte=F("due_date"))
            ),
            overdue=Count("id", filter=overdue),
        )
    ):
        row = rows[r["pairing__recipient_firm__province"]]
        row["reports_due"] += r["due"]
        row["reports_complete"] += r["complete"]
        row["reports_on_time"] += r["on_time"]
        row["reports_overdue"] += r["overdue"]

    for r in (
        BranchOffice.objects.for_user(user, view)
        .order_by()
        .values("county__province")
        .annotate(counted=Count("id", filter=Q(status__in=BRANCH_COUNTED)))
    ):
        rows[r["county__province"]]["branches"] += r["counted"]

    report_overdue = ProgressReport.overdue_q(today, prefix="reports__")
    overdue_pairings = (
        FirmPairing.objects.for_user(user, view)
        .filter(has_overdue)
        .annotate(
            overdue_reports=Count("reports", filter=report_overdue),
            oldest_due=Min("reports__due_date", filter=report_overdue),
        )
        .order_by("oldest_due", "id")
        .values_list("pk", "overdue_reports", "oldest_due")[:LIST_LIMIT]
    )
    # the staffing gaps are worked out in Python over every active branch and its postings
    gaps = branches_with_gap(
        queryset=BranchOffice.objects.for_user(user, view).filter(status=BranchStatus.ACTIVE),
        today=today,
        days=GAP_WINDOW_DAYS,
    )
    return {
        "rows": [[p, dict(figures)] for p, figures in rows.items()],
        "targets": [[p, t] for p, t in _targets(user, today).items()],
        "overdue_pairings": [[pk, n, due.isoformat()] for pk, n, due in overdue_pairings],
        "branch_gaps": sorted([first_gap.isoformat(), b.pk] for b, first_gap in gaps),
    }


def programme_dashboard(*, user: Any, today: dt.date) -> Dashboard:
    """The dashboard's figures for `user` on `today`, in a fixed number of queries.

    The aggregates (`_figures`) are reused for settings.DASHBOARD_CACHE_SECONDS (60) per
    scope (role and province) and day (core.cached_figures): **a write is visible on the
    dashboard within that minute**, whatever path made it (service, admin, API, portal,
    import, set-based UPDATE, Celery task), as nothing has to invalidate the entry. The
    names of the listed rows, the month's ending secondments and the statistics are read on
    every request. Redis down: computed every time.
    """
    view = Action.VIEW
    national = Trainee.scoping.reach(user, view) == ALL
    month_start = today.replace(day=1)
    month_end = today.replace(day=calendar.monthrange(today.year, today.month)[1])
    cached = cached_figures(
        f"dashboard-v{FIGURES_VERSION}",
        (*_scope(user), today.isoformat()),
        lambda: _figures(user=user, today=today),
        seconds=settings.DASHBOARD_CACHE_SECONDS,
    )
    rows: dict[int, dict[str, int]] = dict(cached["rows"])
    targets: dict[int | None, dict[str, int]] = dict(cached["targets"])
    running = Q(status=SecondmentStatus.ACTIVE)

    own_province = None if national else province_id_of(user)
    table_ids = set(rows) | {p for p in targets if p is not None}
    if not national:  # a department sees its own province's targets, not all of them
        table_ids = set(rows) | ({own_province} & set(targets))
    provinces = []
    for p in (
        Province.objects.for_user(user, view)
        .filter(pk__in=table_ids)
        .order_by("code")
        .values("pk", "code", "name")
    ):
        figures = rows.get(p["pk"], {})
        provinces.append(
            ProvinceRow(
                province_id=p["pk"],
                code=p["code"],
                name=p["name"],
                targets=targets.get(p["pk"], {}),
                **{
                    k: v
                    for k, v in figures.items()
                    if k not in ("secondments_running", "secondments_ending")
                },
            )
        )

    def total(key: str) -> int:
        return sum(r.get(key, 0) for r in rows.values())

    headline_targets = targets.get(None, {}) if national else targets.get(own_province, {})
    counts = {
        TargetMetric.TRAINEES: total("trainees"),
        # every secondment in view once (grouped by the trainee's home province)
        TargetMetric.SECONDMENTS: total("secondments_sent"),
        TargetMetric.FIRM_PAIRINGS: total("pairings"),
        TargetMetric.BRANCHES: total("branches"),
    }
    progress = [
        Progress(m.value, str(m.label), counts[m], headline_targets.get(m.value))
        for m in TargetMetric
    ]

    ending = [
        EndingSecondment(s.pk, str(s.trainee.lawyer), s.host_firm.name, s.end_date)
        for s in Secondment.objects.for_user(user, view)
        .filter(running, end_date__range=(month_start, month_end))
        .select_related("trainee__lawyer", "host_firm")
        .order_by("end_date", "id")[:LIST_LIMIT]
    ]
    overdue_figures = cached["overdue_pairings"]
    named = (
        FirmPairing.objects.for_user(user, view)
        .select_related("helper_firm", "recipient_firm")
        .in_bulk([pk for pk, _, _ in overdue_figures])
        if overdue_figures
        else {}
    )
    overdue_pairings = [  # (a pairing deleted since the figures were counted is left out)
        OverduePairing(pk, str(named[pk]), n, dt.date.fromisoformat(due))
        for pk, n, due in overdue_figures
        if pk in named
    ]
    gap_figures = cached["branch_gaps"]
    offices = (
        BranchOffice.objects.for_user(user, view)
        .select_related("county")
        .in_bulk([pk for _, pk in gap_figures])
        if gap_figures
        else {}
    )
    gaps = [  # (a branch deleted since the figures were counted is left out)
        BranchGap(pk, offices[pk].name, offices[pk].county.name, dt.date.fromisoformat(day))
        for day, pk in gap_figures
        if pk in offices
    ]

    statistics = StatSnapshot.objects.for_user(user, view)
    if not national:  # national figures and the department's own
        statistics = statistics.filter(Q(province__isnull=True) | Q(province_id=own_province))
    latest_statistics = list(
        statistics.select_related("province").order_by("key", "-as_of").distinct("key")
    )
    latest_statistics.sort(key=lambda s: (s.as_of, s.key))

    return Dashboard(
        today=today,
        national=national,
        progress=progress,
        secondments_running=total("secondments_running"),
        secondments_ending_this_month=total("secondments_ending"),
        ending_this_month=ending,
        pairings_with_overdue_reports=total("pairings_with_overdue_reports"),
        overdue_pairings=overdue_pairings,
        branches_with_gap=gaps,
        reports_due=total("reports_due"),
        reports_complete=total("reports_complete"),
        reports_on_time=total("reports_on_time"),
        reports_overdue=total("reports_overdue"),
        provinces=provinces,
        statistics=latest_statistics,
        missing_calendar_years=missing_years(today=today),
    )
