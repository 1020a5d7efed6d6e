"""Demo data: the programme as the 2023-08-16 source document tells it.

Agreements, quotas (37 / 60 / 60 / 60), firms on both sides with 1对1 pairings in both
modes and every state, young lawyers with secondments in every state (some running on
the demo's today), goals and progress reports, targets and the official statistics.
Names are fictional; identifiers pass their validators. Loaded by `manage.py demo_setup`;
a second run finds the data and changes nothing.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from django.db import transaction
from django.utils import timezone

from core.audit import audit_context
from core.fake_names import firm_name, person_name
from core.pinyin import name_initials, name_pinyin
from firms.identifiers import ALPHABET, credit_code_check_character
from firms.models import LawFirm, OrganisationForm
from lawyers.models import (
    ExperienceGroup,
    Gender,
    Lawyer,
    LawyerLicence,
    PoliticalStatus,
    PracticeArea,
    Trainee,
    TraineeStatus,
)
from regions.models import Province

from .models import (
    AgreementLevel,
    EvaluationGrade,
    FirmPairing,
    FocusArea,
    PairingAgreement,
    PairingGoal,
    PairingMode,
    PairingStatus,
    ProgramTarget,
    ProgressReport,
    Quota,
    ReportStatus,
    Secondment,
    SecondmentStatus,
    StatSnapshot,
    TargetMetric,
    TrainingActivity,
)

SOURCE = "司法部 2023-08-16《司法部部署律师行业东中西部对口帮扶工作》"
ASSUMED = "assumed: plausible helper for the demo, not from the source document"

# (helper, recipient, level, from the source document?)
AGREEMENTS: list[tuple[str, str, str, bool]] = [
    *[(h, "54", AgreementLevel.JUSTICE_DEPARTMENT, True) for h in ("11", "31", "44", "51")],
    ("43", "50", AgreementLevel.JUSTICE_DEPARTMENT, True),
    ("43", "53", AgreementLevel.JUSTICE_DEPARTMENT, True),
    ("37", "45", AgreementLevel.JUSTICE_DEPARTMENT, True),
    ("37", "62", AgreementLevel.JUSTICE_DEPARTMENT, True),
    ("41", "15", AgreementLevel.JUSTICE_DEPARTMENT, True),
    ("41", "65", AgreementLevel.JUSTICE_DEPARTMENT, True),
    ("41", "66", AgreementLevel.JUSTICE_DEPARTMENT, True),
    ("31", "65", AgreementLevel.JUSTICE_DEPARTMENT, True),
    ("31", "66", AgreementLevel.JUSTICE_DEPARTMENT, True),
    ("31", "50", AgreementLevel.JUSTICE_DEPARTMENT, True),
    ("44", "63", AgreementLevel.JUSTICE_DEPARTMENT, True),
    ("44", "52", AgreementLevel.JUSTICE_DEPARTMENT, True),
    ("44", "54", AgreementLevel.BAR_ASSOCIATION, True),
    ("44", "63", AgreementLevel.BAR_ASSOCIATION, True),
    ("44", "52", AgreementLevel.BAR_ASSOCIATION, True),
    ("12", "62", AgreementLevel.JUSTICE_DEPARTMENT, True),
    ("12", "63", AgreementLevel.JUSTICE_DEPARTMENT, True),
    # further helpers, marked as assumed
    ("32", "61", AgreementLevel.JUSTICE_DEPARTMENT, False),
    ("33", "52", AgreementLevel.JUSTICE_DEPARTMENT, False),
    ("35", "64", AgreementLevel.JUSTICE_DEPARTMENT, False),
    ("34", "64", AgreementLevel.JUSTICE_DEPARTMENT, False),
    ("42", "54", AgreementLevel.JUSTICE_DEPARTMENT, False),
]

# the four intakes of the source document: hosts ← sources, seats
QUOTAS: list[tuple[str, tuple[str, ...], tuple[str, ...], int]] = [
    ("京沪粤川接收西藏青年律师", ("11", "31", "44", "51"), ("54",), 37),
    ("湖南接收重庆、云南青年律师", ("43",), ("50", "53"), 60),
    ("山东接收广西、甘肃青年律师", ("37",), ("45", "62"), 60),
    ("河南接收内蒙古、新疆、兵团律师", ("41",), ("15", "65", "66"), 60),
]

CAPITALS = {
    "11": "北京",
    "12": "天津",
    "31": "上海",
    "32": "南京",
    "33": "杭州",
    "34": "合肥",
    "35": "福州",
    "37": "济南",
    "41": "郑州",
    "42": "武汉",
    "43": "长沙",
    "44": "广州",
    "51": "成都",
    "15": "呼和浩特",
    "45": "南宁",
    "50": "重庆",
    "52": "贵阳",
    "53": "昆明",
    "54": "拉萨",
    "61": "西安",
    "62": "兰州",
    "63": "西宁",
    "64": "银川",
    "65": "乌鲁木齐",
    "66": "石河子",
    "14": "太原",
    "23": "哈尔滨",
}

STATISTICS = [
    (
        "west_lawyers",
        "西部12省（区、市）和兵团律师人数",
        "153000",
        "人",
        "西部",
        "2023-08-16",
        SOURCE,
    ),
    ("west_matters", "西部律师年均办理各类法律事务", "2900000", "件", "西部", "2023-08-16", SOURCE),
    ("west_firms", "西部律师事务所数量", "9800", "家", "西部", "2023-08-16", SOURCE),
    ("west_small_firms", "西部10人以下律所占比", "65.6", "%", "西部", "2023-08-16", SOURCE),
    ("young_lawyers_share", "全国40岁以下青年律师占比", "60.4", "%", "全国", "2023-08-16", SOURCE),
    ("west_share", "西部律师占全国律师比例", "22.7", "%", "西部", "2023-08-16", "新华社 2023-08"),
    (
        "national_lawyers",
        "全国执业律师人数",
        "651600",
        "人",
        "全国",
        "2022-12-31",
        "司法部《2022年度律师、基层法律服务工作统计分析》",
    ),
    (
        "national_firms",
        "全国律师事务所数量",
        "38600",
        "家",
        "全国",
        "2022-12-31",
        "司法部《2022年度律师、基层法律服务工作统计分析》",
    ),
    ("branches_2022", "无律师县设立分所", "46", "家", "6省（区）", "2022-12-31", SOURCE),
    ("posted_lawyers_2022", "派驻无律师县分所律师", "72", "人", "6省（区）", "2022-12-31", SOURCE),
]


class Builder:
    """Creates demo rows with valid, unique identifiers."""

    def __init__(self, rng: random.Random, today: dt.date) -> None:
        self.rng = rng
        self.today = today
        self.provinces = {p.code: p for p in Province.objects.all()}
        self.firm_names: set[str] = set(LawFirm.objects.values_list("name", flat=True))
        self.licence_seq = 0
        self.code_seq = 0
        self.firms: dict[str, list[LawFirm]] = defaultdict(list)

    def credit_code(self, division: str) -> str:
        self.code_seq += 1
        org = "D" + "".join(self.rng.choice(ALPHABET) for _ in range(3)) + f"{self.code_seq:05d}"
        first17 = f"31{division}{org}"
        return first17 + credit_code_check_character(first17)

    def licence_number(self, province: str, year: int, gender: str) -> str:
        self.licence_seq += 1
        return (
            f"1{province}01{year}1{'1' if gender == Gender.FEMALE else '0'}{self.licence_seq:06d}"
        )

    def make_firms(self, code: str, n: int) -> list[LawFirm]:
        """At least n firms in the province (created in bulk)."""
        have = self.firms[code]
        new = []
        for _ in range(n - len(have)):
            name = firm_name(
                self.rng, CAPITALS.get(code, self.provinces[code].short_name), self.firm_names
            )
            size = self.rng.choice((6, 8, 12, 25, 40, 80, 150, 300))
            firm = LawFirm(
                name=name,
                name_pinyin=name_pinyin(name),
                name_initials=name_initials(name),
                credit_code=self.credit_code(f"{code}0000" if code != "66" else "659001"),
                province=self.provinces[code],
                organisation_form=self.rng.choice(list(OrganisationForm.values)),
                founded_on=dt.date(self.rng.randint(1995, 2020), self.rng.randint(1, 12), 1),
                declared_lawyers=size,
                declared_as_of=dt.date(2022, 12, 31),
                is_large_scale=size >= 100,
                is_model=size >= 40 and self.rng.random() < 0.5,
                is_leading=size >= 150,
                is_boutique=12 <= size < 40 and self.rng.random() < 0.4,
                party_organisation="committee"
                if size >= 100
                else ("branch" if size >= 3 else "joint_branch"),
                phone=f"0{self.rng.randint(10, 99)}-{self.rng.randint(60000000, 89999999)}",
            )
            new.append(firm)
        LawFirm.objects.bulk_create(new)
        have.extend(new)
        return have[:n] if n else have

    def make_lawyers(
        self, specs: list[tuple[LawFirm, int]], *, licensed_by: int | None = None
    ) -> list[Lawyer]:
        """Lawyers (with their current licence) for (firm, age) pairs, first licensed in
        `licensed_by` at the latest (default: last year)."""
        lawyers, licences = [], []
        for firm, age in specs:
            gender = self.rng.choice(Gender.values)
            name = person_name(self.rng)
            birth = dt.date(self.today.year - age, self.rng.randint(1, 12), self.rng.randint(1, 28))
            first_year = min(
                licensed_by or self.today.year - 1,
                birth.year + self.rng.randint(24, max(25, age - 1)),
            )
            number = self.licence_number(firm.province.code, first_year, gender)
            lawyers.append(
                Lawyer(
                    name=name,
                    name_pinyin=name_pinyin(name, person=True),
                    name_initials=name_initials(name, person=True),
                    gender=gender,
                    birth_date=birth,
                    first_licence_year=first_year,
                    political_status=self.rng.choice(
                        [PoliticalStatus.PARTY_MEMBER] * 3
                        + [PoliticalStatus.MASSES, PoliticalStatus.LEAGUE]
                    ),
                    province=firm.province,
                    firm=firm,
                    practice_areas=self.rng.sample(list(PracticeArea.values), 2),
                    phone=f"139{self.rng.randint(10000000, 99999999)}",
                    email=f"lawyer{self.licence_seq}@demo.invalid",
                    current_licence_no=number,
                )
            )
            licences.append((number, firm.province, dt.date(first_year, 3, 1)))
        Lawyer.objects.bulk_create(lawyers)
        LawyerLicence.objects.bulk_create(
            LawyerLicence(
                lawyer=lawyer,
                number=number,
                issuing_province=province,
                valid_from=valid_from,
                city_code="01",
                licensed_year=valid_from.year,
                category="1",
                is_current=True,
            )
            for lawyer, (number, province, valid_from) in zip(lawyers, licences, strict=True)
        )
        return lawyers


@transaction.atomic
def load(*, today: dt.date) -> str:
    """Load the programme's demo data once; returns a one-line summary."""
    if PairingAgreement.objects.exists():
        return "already loaded"
    rng = random.Random(20230727)  # noqa: S311  (deterministic demo data, not security)
    b = Builder(rng, today)
    provinces = b.provinces
    with audit_context(source="demo"):
        agreements = PairingAgreement.objects.bulk_create(
            PairingAgreement(
                helper_province=provinces[h],
                recipient_province=provinces[r],
                level=level,
                designated=True,
                signed_on=dt.date(2023, 7, 27),
                term_start=dt.date(2023, 7, 27),
                term_end=dt.date(2027, 12, 31) if sourced else dt.date(today.year, 12, 31),
                source_note=SOURCE if sourced else ASSUMED,
                is_assumed=not sourced,
            )
            for h, r, level, sourced in AGREEMENTS
        )
        quotas: dict[tuple[int, int], Quota] = {}
        # every year a demo secondment can start in (up to 400 days back, 60 ahead)
        first_year = (today - dt.timedelta(days=400)).year
        for year in sorted({2023, *range(first_year, today.year + 2)}):
            for i, (name, hosts, sources, seats) in enumerate(QUOTAS):
                q = Quota.objects.create(year=year, name=name, seats=seats, note=SOURCE)
                q.host_provinces.set([provinces[c] for c in hosts])
                q.source_provinces.set([provinces[c] for c in sources])
                quotas[(year, i)] = q

        # --- young lawyers and their secondments --------------------------------------
        trainee_specs: list[tuple[int, str]] = []  # (quota index, home province)
        for i, (_name, _hosts, sources, _seats) in enumerate(QUOTAS):
            per_quota = 37 if i == 0 else 35
            trainee_specs += [(i, sources[k % len(sources)]) for k in range(per_quota)]
        home_firms = {c: b.make_firms(c, 4) for c in {s for _, s in trainee_specs}}
        selection = dt.date(2023, 7, 20)
        trainee_lawyers = b.make_lawyers(
            [(rng.choice(home_firms[home]), rng.randint(27, 37)) for _, home in trainee_specs],
            licensed_by=selection.year - 1,  # licensed before they were selected
        )
        host_firms = {c: b.make_firms(c, 3) for q in QUOTAS for c in q[1]}
        mentors: dict[int, list[Lawyer]] = {}
        for firms in host_firms.values():
            for firm in firms:
                mentors[firm.pk] = b.make_lawyers([(firm, rng.randint(42, 58)) for _ in range(2)])
        trainees, secondments = [], []
        seats_used: dict[int, int] = defaultdict(int)
        for n, ((qi, home), lawyer) in enumerate(zip(trainee_specs, trainee_lawyers, strict=True)):
            years = selection.year - lawyer.first_licence_year
            trainee = Trainee(
                lawyer=lawyer,
                cohort_year=2023,
                home_province=provinces[home],
                selection_date=selection,
                experience_group=ExperienceGroup.for_years(years),
                practice_track=lawyer.practice_areas[0],
                plan_goals="提升执业技能与职业道德；参与专业团队办理案件。",
                plan_activities="实地研修、集中讲座、模拟法庭、团队作业、案例研讨",
            )
            trainees.append(trainee)
            if n % 11 == 10:  # a few are nominated only, no secondment yet
                trainee.status = TraineeStatus.NOMINATED
                continue
            state = (
                [SecondmentStatus.COMPLETED] * 5
                + [SecondmentStatus.ACTIVE] * 2
                + [SecondmentStatus.PLANNED, SecondmentStatus.CANCELLED]
            )
            status = state[n % len(state)]
            if status == SecondmentStatus.COMPLETED:
                start = today - dt.timedelta(days=rng.randint(90, 400))
            elif status == SecondmentStatus.ACTIVE:
                start = today - dt.timedelta(days=rng.randint(3, 20))
            else:
                start = today + dt.timedelta(days=rng.randint(7, 60))
            end = (
                start
                + relativedelta(months=1)
                - dt.timedelta(days=1)
                + dt.timedelta(days=rng.randint(0, 25))
            )
            quota = (
                quotas[(start.year, qi)] if (start.year, qi) in quotas else quotas[(today.year, qi)]
            )
            if seats_used[quota.pk] >= quota.seats:
                trainee.status = TraineeStatus.SELECTED
                continue
            seats_used[quota.pk] += 1
            host_code = QUOTAS[qi][1][n % len(QUOTAS[qi][1])]
            host = rng.choice(host_firms[host_code])
            trainee.status = {
                SecondmentStatus.COMPLETED: TraineeStatus.COMPLETED,
                SecondmentStatus.ACTIVE: TraineeStatus.IN_TRAINING,
                SecondmentStatus.PLANNED: TraineeStatus.SELECTED,
                SecondmentStatus.CANCELLED: TraineeStatus.SELECTED,
            }[status]
            done = status == SecondmentStatus.COMPLETED
            secondments.append(
                Secondment(
                    trainee=trainee,
                    host_firm=host,
                    mentor=rng.choice(mentors[host.pk]),
                    quota=quota,
                    start_date=start,
                    end_date=end,
                    status=status,
                    cancel_reason="本人因案件开庭冲突申请取消"
                    if status == SecondmentStatus.CANCELLED
                    else "",
                    evaluation_grade=rng.choice(EvaluationGrade.values[:3])
                    if done and n % 4
                    else "",
                    evaluation_comment="学习认真，能够独立承担团队分派的任务。"
                    if done and n % 4
                    else "",
                    evaluated_on=end if done and n % 4 else None,
                    bar_signed_off_on=end + dt.timedelta(days=10)
                    if done and n % 3 == 0 and n % 4
                    else None,
                )
            )
        Trainee.objects.bulk_create(trainees)
        for s in secondments:
            s.trainee_id = s.trainee.pk
        Secondment.objects.bulk_create(secondments)
        kinds = ["field_study", "lecture", "moot_court", "team_assignment", "case_seminar"]
        TrainingActivity.objects.bulk_create(
            TrainingActivity(
                secondment=s,
                kind=kinds[k],
                held_on=s.start_date + dt.timedelta(days=3 + 5 * k),
                hours=Decimal(rng.choice(("2.0", "3.5", "4.0", "6.0"))),
                title="跟班学习活动",
            )
            for s in secondments
            if s.status in (SecondmentStatus.ACTIVE, SecondmentStatus.COMPLETED)
            for k in range(5)
            if s.start_date + dt.timedelta(days=3 + 5 * k) <= min(s.end_date, today)
        )

        # --- 1对1 firm pairings ---------------------------------------------------------
        pairing_agreements = [a for a in agreements if a.level == AgreementLevel.JUSTICE_DEPARTMENT]
        statuses = [PairingStatus.ACTIVE] * 6 + [
            PairingStatus.PROPOSED,
            PairingStatus.ENDED,
            PairingStatus.DISSOLVED,
        ]
        pairings = []
        helper_used: dict[str, int] = defaultdict(int)
        recipient_used: dict[str, int] = defaultdict(int)
        for n in range(84):
            agreement = pairing_agreements[n % len(pairing_agreements)]
            hc, rc = agreement.helper_province.code, agreement.recipient_province.code
            helper = b.make_firms(hc, helper_used[hc] + 1)[helper_used[hc]]
            recipient = b.make_firms(rc, recipient_used[rc] + 1)[recipient_used[rc]]
            helper_used[hc] += 1
            recipient_used[rc] += 1
            status = statuses[n % len(statuses)]
            start = dt.date(2023, 9, 1) + dt.timedelta(days=30 * (n % 12))
            pairings.append(
                FirmPairing(
                    helper_firm=helper,
                    recipient_firm=recipient,
                    agreement=agreement,
                    mode=PairingMode.STRONG_WITH_STRONG
                    if recipient.declared_lawyers >= 40
                    else PairingMode.STRONG_LIFTS_WEAK,
                    focus_areas=rng.sample(list(FocusArea.values), 3),
                    term_start=start,
                    term_end=start + relativedelta(years=3),
                    status=status,
                    ended_on=today - dt.timedelta(days=40)
                    if status in (PairingStatus.ENDED, PairingStatus.DISSOLVED)
                    else None,
                    dissolve_reason="受帮扶所合并重组，双方协商解除"
                    if status == PairingStatus.DISSOLVED
                    else "",
                )
            )
        FirmPairing.objects.bulk_create(pairings)
        goals, reports = [], []
        for n, p in enumerate(pairings):
            goals += [
                PairingGoal(
                    pairing=p,
                    title="建立党建互学机制",
                    focus_area=FocusArea.PARTY_BUILDING,
                    due_date=p.term_start + relativedelta(months=6),
                    achieved_on=p.term_start + relativedelta(months=5) if n % 3 else None,
                ),
                PairingGoal(
                    pairing=p,
                    title="健全内部管理制度",
                    focus_area=FocusArea.MANAGEMENT,
                    due_date=p.term_start + relativedelta(months=18),
                ),
            ]
            if p.status == PairingStatus.PROPOSED:
                continue
            last_day = p.ended_on or today
            period = dt.date(p.term_start.year, 3 * ((p.term_start.month - 1) // 3) + 1, 1)
            while period <= last_day:
                end = period + relativedelta(months=3) - dt.timedelta(days=1)
                due = end + dt.timedelta(days=15)
                # the latest due date (quarters are at most 92 days apart) is in review
                if due < today - dt.timedelta(days=92):
                    status = ReportStatus.ACCEPTED
                elif due < today:
                    status = [
                        ReportStatus.SUBMITTED,
                        ReportStatus.RETURNED,
                        ReportStatus.DRAFT,
                        ReportStatus.ACCEPTED,
                    ][n % 4]
                else:
                    status = ReportStatus.DRAFT
                submitted = status != ReportStatus.DRAFT
                # most reports come in a few days early, every fifth one a few days late
                handed_in = due + dt.timedelta(days=4 if len(reports) % 5 == 0 else -3)
                handed_in = min(handed_in, today)
                reports.append(
                    ProgressReport(
                        pairing=p,
                        period_start=period,
                        period_end=end,
                        due_date=due,
                        status=status,
                        narrative="本季度开展联合培训、案件研讨，协助完善内部管理制度。"
                        if submitted
                        else "",
                        trainings_held=rng.randint(0, 4),
                        lawyers_trained=rng.randint(0, 20),
                        joint_cases=rng.randint(0, 3),
                        rules_adopted=rng.randint(0, 2),
                        return_reason="请补充联合办案的具体情况和数据。"
                        if status == ReportStatus.RETURNED
                        else "",
                        submitted_at=timezone.make_aware(
                            dt.datetime.combine(handed_in, dt.time(10))
                        )
                        if submitted
                        else None,
                    )
                )
                period += relativedelta(months=3)
        PairingGoal.objects.bulk_create(goals)
        ProgressReport.objects.bulk_create(reports)

        # --- targets and official statistics ------------------------------------------------
        ProgramTarget.objects.bulk_create(
            [
                ProgramTarget(metric=TargetMetric.TRAINEES, value=1000, source_note=SOURCE),
                ProgramTarget(metric=TargetMetric.SECONDMENTS, value=750, source_note=SOURCE),
                ProgramTarget(metric=TargetMetric.FIRM_PAIRINGS, value=600, source_note=SOURCE),
                ProgramTarget(metric=TargetMetric.BRANCHES, value=46, source_note=SOURCE),
                ProgramTarget(
                    metric=TargetMetric.SECONDMENTS,
                    province=provinces["54"],
                    year=2023,
                    value=37,
                    source_note=SOURCE,
                ),
                *[
                    ProgramTarget(
                        metric=TargetMetric.SECONDMENTS,
                        province=provinces[c],
                        year=2023,
                        value=60,
                        source_note=SOURCE,
                    )
                    for c in ("43", "37", "41")
                ],
            ]
        )
        StatSnapshot.objects.bulk_create(
            StatSnapshot(
                key=k,
                label=label,
                value=Decimal(v),
                unit=unit,
                region_note=scope,
                as_of=dt.date.fromisoformat(as_of),
                source=src,
            )
            for k, label, v, unit, scope, as_of, src in STATISTICS
        )
    return (
        f"{len(agreements)} agreements, {len(quotas)} quotas, {LawFirm.objects.count()} firms, "
        f"{len(trainees)} trainees, {len(secondments)} secondments, {len(pairings)} pairings, "
        f"{len(reports)} reports"
    )
