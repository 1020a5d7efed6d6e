"""Shared portal fixtures: a province's working data (pairings with reports due, secondments
starting and ending, branches short of staff, unread notifications…) built with
tests/factories.py, and the portal's URL patterns with the objects their arguments name.

湖南 (43) helps 青海 (63) here and 北京 (11) helps 西藏 (54), so nothing of one side
involves the other's province: a 西藏 user must not see any of 湖南's rows.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from branches.models import BranchOffice, CareVisit, Posting, ServiceRecord, SupportContract
from lawyers.models import Lawyer, Trainee
from pairing.models import (
    ActivityKind,
    FirmPairing,
    PairingGoal,
    PairingStatus,
    ProgressReport,
    ReportStatus,
    Secondment,
    SecondmentStatus,
    TrainingActivity,
)
from regions.models import County
from reminders.models import Channel, DeliveryState, Notification, RuleKind
from tests.factories import (
    BranchOfficeFactory,
    FirmPairingFactory,
    LawFirmFactory,
    LawyerFactory,
    PairingAgreementFactory,
    PostingFactory,
    QuotaFactory,
    SecondmentFactory,
    province,
)

# tag -> (helper province, helped province, bar-association user of the helper side)
SIDES = {"湖南": ("43", "63", "hunan_bar"), "西藏": ("11", "54", "xizang_bar")}


# --- the portal's URL patterns ---------------------------------------------------------------


@dataclass(frozen=True)
class PortalPattern:
    name: str  # "portal:report_edit"
    route: str  # "reports/<int:pk>/edit/"
    kwargs: tuple[tuple[str, str], ...]  # ((segment before the argument, argument name), …)

    @property
    def id(self) -> str:
        return self.name.removeprefix("portal:")


def portal_patterns() -> list[PortalPattern]:
    """Every URL pattern of the `portal` namespace (new pages join automatically)."""
    resolver = get_resolver()
    namespace = resolver.namespace_dict["portal"][1]
    found: list[PortalPattern] = []

    def walk(patterns: list[Any], prefix: str) -> None:
        for p in patterns:
            if isinstance(p, URLResolver):
                walk(p.url_patterns, prefix + str(p.pattern))
            elif isinstance(p, URLPattern) and p.name:
                route = prefix + str(p.pattern)
                args = tuple(
                    (segment, name)
                    for segment, name in re.findall(r"([\w-]+)/<(?:\w+:)?(\w+)>", route)
                )
                found.append(PortalPattern(f"portal:{p.name}", route, args))

    walk(namespace.url_patterns, "")
    return sorted(found, key=lambda p: p.name)


# --- a province's working data ---------------------------------------------------------------


@dataclass
class World:
    """One side's rows. `main_*` are the detail pages' objects; `grow(n)` adds n more rows
    to every list AND to every detail page's related rows (goals, reports, activities,
    secondments of a trainee, postings, service records, care visits, contracts,
    notifications)."""

    tag: str
    user: Any
    today: dt.date
    helper: Any = None
    helped: Any = None
    county: Any = None
    agreement: Any = None
    quota: Any = None
    host_firm: Any = None
    mentor: Any = None
    main_pairing: FirmPairing | None = None
    main_report: ProgressReport | None = None
    main_secondment: Secondment | None = None
    main_trainee: Trainee | None = None
    main_branch: BranchOffice | None = None
    main_posting: Posting | None = None
    main_notification: Notification | None = None
    gap_branches: list[BranchOffice] = field(default_factory=list)
    due_reports: list[ProgressReport] = field(default_factory=list)
    starting: list[Secondment] = field(default_factory=list)
    rows: int = 0

    @property
    def month_start(self) -> dt.date:
        return self.today.replace(day=1)

    @property
    def last_period_start(self) -> dt.date:
        """A 90-day period that has ended by today (a report is due after its period)."""
        return (self.today - dt.timedelta(days=120)).replace(day=1)

    @property
    def month_end(self) -> dt.date:
        following = (self.month_start + dt.timedelta(days=32)).replace(day=1)
        return following - dt.timedelta(days=1)

    # -- building -------------------------------------------------------------------------
    def setup(self) -> World:
        helper_code, helped_code, _ = SIDES[self.tag]
        self.helper, self.helped = province(helper_code), province(helped_code)
        self.county = County.objects.filter(province=self.helped).order_by("code").first()
        self.agreement = PairingAgreementFactory(
            helper_province=self.helper, recipient_province=self.helped
        )
        self.quota = QuotaFactory(
            year=self.today.year, seats=1000, hosts=[self.helper], sources=[self.helped]
        )
        self.host_firm = LawFirmFactory(province=self.helper, name=f"{self.tag}接收所")
        self.mentor = LawyerFactory(
            firm=self.host_firm, birth_date=dt.date(1975, 5, 5), first_licence_year=2000
        )
        # the detail pages' objects
        self.main_pairing = self._pairing("主")
        self.main_report = self._report(
            self.main_pairing,
            period_start=self.last_period_start,
            due=self.today + dt.timedelta(days=10),
        )
        self.main_secondment = self._secondment(
            f"{self.tag}主学员",
            start=self.month_end - dt.timedelta(days=40),
            end=self.month_end,
            status=SecondmentStatus.ACTIVE,
        )
        self.main_trainee = self.main_secondment.trainee
        self.main_branch = BranchOfficeFactory(
            name=f"{self.tag}主分所",
            parent_firm=LawFirmFactory(province=self.helper, name=f"{self.tag}总所"),
            county=self.county,
        )
        self.main_posting = PostingFactory(
            lawyer=self.helper_lawyer("主派驻"),
            branch=self.main_branch,
            start_date=self.today - dt.timedelta(days=100),
        )
        self.main_notification = self._notification("主", self.main_report)
        return self

    def helper_lawyer(self, name: str, **extra: Any) -> Lawyer:
        """A lawyer of the helper province (the one a bar association may post)."""
        return LawyerFactory(
            name=f"{self.tag}{name}",
            firm=LawFirmFactory(province=self.helper, name=f"{self.tag}{name}所"),
            **extra,
        )

    def _pairing(self, label: str) -> FirmPairing:
        return FirmPairingFactory(
            agreement=self.agreement,
            helper_firm__name=f"{self.tag}帮扶所{label}",
            recipient_firm__name=f"{self.tag}受援所{label}",
            status=PairingStatus.ACTIVE,
            term_start=dt.date(self.today.year - 1, 1, 1),
        )

    def _report(
        self,
        pairing: FirmPairing,
        *,
        period_start: dt.date,
        due: dt.date,
        status: str = ReportStatus.DRAFT,
        **extra: Any,
    ) -> ProgressReport:
        return ProgressReport.objects.create(
            pairing=pairing,
            period_start=period_start,
            period_end=period_start + dt.timedelta(days=89),
            due_date=due,
            status=status,
            **extra,
        )

    def _secondment(
        self,
        name: str,
        *,
        start: dt.date,
        end: dt.date,
        status: str,
        trainee: Trainee | None = None,
    ) -> Secondment:
        extra: dict[str, Any] = (
            {"trainee": trainee}
            if trainee is not None
            else {"trainee__home_province": self.helped, "trainee__lawyer__name": name}
        )
        return SecondmentFactory(
            host_firm=self.host_firm,
            mentor=self.mentor,
            quota=self.quota,
            start_date=start,
            end_date=end,
            status=status,
            **extra,
        )

    def _notification(self, label: str, report: ProgressReport) -> Notification:
        """An unread in-app reminder about `report` to the side's user."""
        return Notification.objects.create(
            recipient=self.user,
            rule_kind=RuleKind.REPORT_DUE,
            channel=Channel.IN_APP,
            state=DeliveryState.SENT,
            sent_at=timezone.now(),
            subject=f"{self.tag}提醒{label}",
            object_label="pairing.progressreport",
            object_id=str(report.pk),
            due_date=report.due_date,
        )

    def grow(self, n: int) -> World:
        """n more rows of everything."""
        for i in range(self.rows, self.rows + n):
            pairing = self._pairing(str(i))
            # a report due soon, one overdue, one returned; a goal
            self.due_reports.append(
                self._report(
                    pairing,
                    period_start=self.last_period_start,
                    due=self.today + dt.timedelta(days=5 + i % 20),
                )
            )
            self._report(
                pairing,
                period_start=dt.date(self.today.year - 1, 1, 1),
                due=self.today - dt.timedelta(days=5),
            )
            self._report(
                pairing,
                period_start=dt.date(self.today.year - 1, 4, 1),
                due=self.today + dt.timedelta(days=40),
                status=ReportStatus.RETURNED,
                return_reason=f"{self.tag}退回理由{i}",
            )
            PairingGoal.objects.create(
                pairing=pairing, title=f"目标{i}", due_date=self.today + dt.timedelta(days=90)
            )
            # secondments starting and ending this month, and one awaiting its evaluation
            self.starting.append(
                self._secondment(
                    f"{self.tag}入学{i}",
                    start=self.month_start,
                    end=self.month_start + dt.timedelta(days=45),
                    status=SecondmentStatus.PLANNED,
                )
            )
            self._secondment(
                f"{self.tag}结业{i}",
                start=self.month_end - dt.timedelta(days=40),
                end=self.month_end,
                status=SecondmentStatus.ACTIVE,
            )
            self._secondment(
                f"{self.tag}待评{i}",
                start=self.month_start - dt.timedelta(days=90),
                end=self.month_start - dt.timedelta(days=45),
                status=SecondmentStatus.COMPLETED,
            )
            # a branch with nobody posted: a staffing gap from today
            self.gap_branches.append(
                BranchOfficeFactory(
                    name=f"{self.tag}缺员分所{i}",
                    parent_firm=LawFirmFactory(province=self.helper, name=f"{self.tag}总所{i}"),
                    county=self.county,
                )
            )
            self._notification(str(i), self.due_reports[-1])

            # related rows of the detail pages' objects
            self._report(
                self.main_pairing,
                period_start=dt.date(2040 + i, 1, 1),
                due=dt.date(2040 + i, 5, 1),
                status=ReportStatus.ACCEPTED,
                submitted_at=timezone.now(),
                submitted_by=self.user,
                reviewed_at=timezone.now(),
                reviewed_by=self.user,
            )
            PairingGoal.objects.create(
                pairing=self.main_pairing,
                title=f"主目标{i}",
                due_date=self.today + dt.timedelta(days=30 + i),
            )
            TrainingActivity.objects.create(
                secondment=self.main_secondment,
                kind=ActivityKind.LECTURE,
                held_on=self.main_secondment.start_date + dt.timedelta(days=i % 30),
                hours=Decimal("2.5"),
                title=f"讲座{i}",
            )
            earlier = dt.date(2040 + i, 3, 1)  # the trainee's other secondments
            self._secondment(
                "",
                start=earlier,
                end=earlier + dt.timedelta(days=40),
                status=SecondmentStatus.COMPLETED,
                trainee=self.main_trainee,
            )
            PostingFactory(
                lawyer=self.helper_lawyer(f"派驻{i}"),
                branch=self.main_branch,
                start_date=dt.date(2000 + i, 1, 1),
                end_date=dt.date(2000 + i, 6, 30),
                end_reason="轮换",
            )
            ServiceRecord.objects.create(
                branch=self.main_branch,
                lawyer=self.main_posting.lawyer,
                kind="legal_aid",
                served_on=self.today - dt.timedelta(days=i + 1),
                quantity=1,
            )
            CareVisit.objects.create(
                branch=self.main_branch,
                visited_on=self.today - dt.timedelta(days=i + 1),
                visitor_organisation=f"{self.tag}律协",
            )
            SupportContract.objects.create(
                branch=self.main_branch,
                kind="adviser",
                counterparty=f"县政府{i}",
                amount=Decimal("10000.00"),
                start_date=dt.date(2000 + i, 1, 1),
                end_date=dt.date(2000 + i, 12, 31),
            )
        self.rows += n
        return self

    # -- the objects a URL's arguments name -------------------------------------------------
    def objects_by_argument(self) -> dict[tuple[str, str], Any]:
        """(segment before the argument, argument name) -> the object it names. A portal
        URL whose argument is missing here fails the sweeps: add it when adding a page."""
        return {
            ("trainees", "pk"): self.main_trainee,
            ("secondments", "pk"): self.main_secondment,
            ("pairings", "pk"): self.main_pairing,
            ("reports", "pk"): self.main_report,
            ("branches", "pk"): self.main_branch,
            ("postings", "posting_pk"): self.main_posting,
            ("notifications", "pk"): self.main_notification,
        }

    def kwargs_for(self, pattern: PortalPattern) -> dict[str, int]:
        known = self.objects_by_argument()
        missing = [a for a in pattern.kwargs if a not in known]
        if missing:
            pytest.fail(
                f"{pattern.name} ({pattern.route}): no object for the argument(s) {missing}; "
                "add them to World.objects_by_argument in tests/portal/conftest.py"
            )
        return {name: known[(segment, name)].pk for segment, name in pattern.kwargs}


@pytest.fixture
def province_world(users) -> Callable[..., World]:
    """make(tag, rows=1): one side's working data (tag 湖南 or 西藏)."""

    def make(tag: str, rows: int = 1) -> World:
        world = World(tag=tag, user=users[SIDES[tag][2]], today=timezone.localdate())
        return world.setup().grow(rows)

    return make


@pytest.fixture
def hunan_world(province_world) -> World:
    return province_world("湖南", rows=2)


# the sweeps' users and their password (tests/conftest.py make_user)
PASSWORD = "Test-pass-2026!"
