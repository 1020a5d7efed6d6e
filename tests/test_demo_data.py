"""The demo data (pairing.demo + branches.demo) is the programme as the source document
tells it (issue item 7): every number and fact checked with independent ORM queries, and
every demo row passes the model validation that carries the programme's rules.

The data is loaded once per module and demo date, inside a transaction that is rolled back
afterwards; the dates are the usual demo day and an early-January day (year boundary)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, F, Q

import branches.demo
import pairing.demo
from branches.models import (
    BranchOffice,
    CareVisit,
    Posting,
    ServiceRecord,
    SupportContract,
)
from branches.selectors import branches_with_gap
from firms.models import LawFirm
from lawyers.models import Lawyer, LawyerLicence, Trainee, TraineeStatus
from pairing.models import (
    AgreementLevel,
    FirmPairing,
    PairingAgreement,
    PairingGoal,
    PairingMode,
    PairingStatus,
    ProgramTarget,
    ProgressReport,
    Quota,
    Secondment,
    SecondmentStatus,
    StatSnapshot,
    TargetMetric,
    TrainingActivity,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
DEMO_DAYS = [dt.date(2026, 11, 27), dt.date(2027, 1, 5)]

JD, BAR = AgreementLevel.JUSTICE_DEPARTMENT, AgreementLevel.BAR_ASSOCIATION
# item 7: the agreements the source document names, (helper, recipient, level)
NAMED_AGREEMENTS = {
    ("11", "54", JD),  # 京 → 藏
    ("31", "54", JD),  # 沪 → 藏
    ("44", "54", JD),  # 粤 → 藏
    ("51", "54", JD),  # 川 → 藏
    ("43", "50", JD),  # 湖南 → 重庆
    ("43", "53", JD),  # 湖南 → 云南
    ("37", "45", JD),  # 山东 → 广西
    ("37", "62", JD),  # 山东 → 甘肃
    ("41", "15", JD),  # 河南 → 内蒙古
    ("41", "65", JD),  # 河南 → 新疆
    ("41", "66", JD),  # 河南 → 兵团
    ("31", "65", JD),  # 上海 → 新疆
    ("31", "66", JD),  # 上海 → 兵团
    ("31", "50", JD),  # 上海 → 重庆
    ("44", "63", JD),  # 广东 → 青海
    ("44", "52", JD),  # 广东 → 贵州
    ("44", "54", BAR),  # 广东 → 西藏, 青海, 贵州 also at bar-association level
    ("44", "63", BAR),
    ("44", "52", BAR),
    ("12", "62", JD),  # 天津 → 甘肃
    ("12", "63", JD),  # 天津 → 青海
}
# (hosts, sources, seats)
QUOTAS = [
    ({"11", "31", "44", "51"}, {"54"}, 37),
    ({"43"}, {"50", "53"}, 60),
    ({"37"}, {"45", "62"}, 60),
    ({"41"}, {"15", "65", "66"}, 60),
]
BRANCH_PROVINCES = {"54", "63", "51", "23", "14", "62"}  # 藏 青 川 黑 晋 甘

DEMO_MODELS = [
    PairingAgreement,
    Quota,
    LawFirm,
    Lawyer,
    LawyerLicence,
    Trainee,
    Secondment,
    TrainingActivity,
    FirmPairing,
    PairingGoal,
    ProgressReport,
    ProgramTarget,
    StatSnapshot,
    BranchOffice,
    Posting,
    ServiceRecord,
    SupportContract,
    CareVisit,
]


def noon(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(12), tzinfo=SHANGHAI)


@pytest.fixture(scope="module", params=DEMO_DAYS, ids=str)
def demo(request, django_db_setup, django_db_blocker):
    """Both loaders run once with time frozen on the demo's today; rolled back at the end."""
    today = request.param
    with django_db_blocker.unblock(), transaction.atomic():
        with time_machine.travel(noon(today), tick=False):
            summaries = (pairing.demo.load(today=today), branches.demo.load(today=today))
        yield today, summaries
        transaction.set_rollback(True)


@pytest.fixture
def today(demo, db):
    with time_machine.travel(noon(demo[0]), tick=False):
        yield demo[0]


def failures(model) -> list[str]:
    """Every row of the model whose full_clean() fails, with the messages."""
    out = []
    for obj in model.objects.all().order_by("pk"):
        try:
            obj.full_clean()
        except ValidationError as exc:
            out.append(f"{model.__name__} #{obj.pk} {obj}: {exc.message_dict}")
    return out


# --- agreements and quotas ---------------------------------------------------------------


def test_loaders_report_what_they_created(demo, today):
    first, second = demo[1]
    assert first.startswith(
        f"{PairingAgreement.objects.count()} agreements, {Quota.objects.count()} quotas, "
    )
    assert PairingAgreement.objects.count() > len(NAMED_AGREEMENTS)
    assert second.startswith("46 branch offices")


def test_every_named_agreement_exists_at_its_level_from_the_source(today):
    found = {
        (a.helper_province.code, a.recipient_province.code, a.level): a
        for a in PairingAgreement.objects.select_related("helper_province", "recipient_province")
    }
    missing = NAMED_AGREEMENTS - found.keys()
    assert not missing
    for key in NAMED_AGREEMENTS:
        assert found[key].is_assumed is False, key
        assert "2023-08-16" in found[key].source_note
    bar = {k[:2] for k, a in found.items() if a.level == BAR}
    assert bar == {("44", "54"), ("44", "63"), ("44", "52")}


def test_further_helpers_are_marked_as_assumed(today):
    extra = PairingAgreement.objects.exclude(
        pk__in=[
            a.pk
            for a in PairingAgreement.objects.select_related(
                "helper_province", "recipient_province"
            )
            if (a.helper_province.code, a.recipient_province.code, a.level) in NAMED_AGREEMENTS
        ]
    )
    assert extra.exists()
    assert not extra.filter(is_assumed=False).exists()
    assert all(a.source_note.startswith("assumed") for a in extra)
    # every agreement helps a western province or the Corps
    assert not PairingAgreement.objects.filter(recipient_province__is_recipient=False).exists()


def test_quotas_37_60_60_60_with_their_hosts_and_sources(today):
    years = set(Quota.objects.values_list("year", flat=True))
    # a quota for every year a demo secondment starts in
    assert set(Secondment.objects.values_list("start_date__year", flat=True)) <= years
    assert {2023, today.year} <= years
    for year in years:
        quotas = Quota.objects.filter(year=year).prefetch_related(
            "host_provinces", "source_provinces"
        )
        shapes = sorted(
            (
                sorted(p.code for p in q.host_provinces.all()),
                sorted(p.code for p in q.source_provinces.all()),
                q.seats,
            )
            for q in quotas
        )
        assert shapes == sorted((sorted(h), sorted(s), n) for h, s, n in QUOTAS), year


def test_no_quota_is_overbooked(today):
    over = (
        Quota.objects.annotate(
            taken=Count("secondments", filter=~Q(secondments__status=SecondmentStatus.CANCELLED))
        )
        .filter(taken__gt=0)
        .values_list("year", "name", "taken", "seats")
    )
    assert over  # the demo uses its quotas
    assert [row for row in over if row[2] > row[3]] == []


# --- firms and pairings -------------------------------------------------------------------


def test_firms_on_both_sides(today):
    """Helper firms (east, centre, and 四川 for 西藏) and helped western firms."""
    helpers = LawFirm.objects.filter(pairings_as_helper__isnull=False).distinct()
    helped = LawFirm.objects.filter(pairings_as_recipient__isnull=False).distinct()
    assert helpers.count() >= 60
    assert helped.count() >= 60
    assert not helpers.filter(pk__in=helped.values("pk")).exists()
    assert not helped.filter(province__is_recipient=False).exists()


def test_at_least_60_firm_pairings_in_both_modes_and_all_states(today):
    pairings = FirmPairing.objects.all()
    assert pairings.count() >= 60
    assert set(pairings.values_list("mode", flat=True)) == set(PairingMode.values)
    assert set(pairings.values_list("status", flat=True)) == set(PairingStatus.values)
    assert pairings.filter(status=PairingStatus.ACTIVE).count() >= 30
    # each firm lies in its side's province of the pairing's agreement
    assert not pairings.exclude(
        helper_firm__province=F("agreement__helper_province"),
        recipient_firm__province=F("agreement__recipient_province"),
    ).exists()
    assert not pairings.filter(recipient_firm__province__is_recipient=False).exists()


def test_pairings_have_goals_and_progress_reports(today):
    assert PairingGoal.objects.count() >= 2 * FirmPairing.objects.count()
    reports = ProgressReport.objects.all()
    assert reports.count() >= FirmPairing.objects.count()
    assert len(set(reports.values_list("status", flat=True))) >= 3
    assert not reports.filter(pairing__status=PairingStatus.PROPOSED).exists()


# --- trainees and secondments -------------------------------------------------------------


def test_at_least_120_trainees_and_secondments_in_every_state(today):
    assert Trainee.objects.count() >= 120
    secondments = Secondment.objects.all()
    assert secondments.count() >= 120
    by_state = Counter(secondments.values_list("status", flat=True))
    assert set(by_state) == set(SecondmentStatus.values), by_state
    running = secondments.filter(
        status=SecondmentStatus.ACTIVE, start_date__lte=today, end_date__gte=today
    )
    assert running.count() >= 1
    assert running.count() == by_state[SecondmentStatus.ACTIVE]  # every active one is running
    assert not secondments.filter(status=SecondmentStatus.COMPLETED, end_date__gte=today).exists()
    assert not secondments.filter(status=SecondmentStatus.PLANNED, start_date__lte=today).exists()


def test_trainee_status_follows_the_secondments(today):
    in_training = Trainee.objects.filter(status=TraineeStatus.IN_TRAINING)
    assert in_training.exists()
    assert not in_training.exclude(secondments__status=SecondmentStatus.ACTIVE).exists()
    assert Trainee.objects.filter(status=TraineeStatus.NOMINATED, secondments=None).exists()


def test_trainees_come_from_a_western_province_and_were_licensed_when_selected(today):
    trainees = Trainee.objects.select_related("lawyer", "home_province")
    assert not trainees.filter(home_province__is_recipient=False).exists()
    late = [
        (t.pk, t.lawyer.first_licence_year, t.selection_date)
        for t in trainees
        if t.lawyer.first_licence_year > t.selection_date.year
    ]
    assert late == []


def test_training_activities_only_up_to_today(today):
    activities = TrainingActivity.objects.all()
    assert activities.exists()
    assert not activities.filter(held_on__gt=today).exists()


# --- branch offices ---------------------------------------------------------------------


def test_46_branches_with_30_in_xizang_and_the_rest_in_the_five_named_provinces(today):
    assert BranchOffice.objects.count() == 46
    per_province = dict(
        BranchOffice.objects.values_list("county__province__code")
        .annotate(n=Count("id"))
        .values_list("county__province__code", "n")
    )
    assert per_province["54"] == 30
    assert set(per_province) == BRANCH_PROVINCES
    assert BranchOffice.objects.values("county").distinct().count() == 46


def test_one_branch_becomes_unstaffed_within_30_days(today):
    gaps = branches_with_gap(queryset=BranchOffice.objects.all(), today=today, days=30)
    assert len(gaps) == 1
    branch, first_gap = gaps[0]
    assert today < first_gap <= today + dt.timedelta(days=30)
    # staffed today
    assert (
        Posting.objects.filter(branch=branch, checklist_complete=True, start_date__lte=today)
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=today))
        .exists()
    )


def test_every_branch_is_staffed_today_and_72_lawyers_are_posted(today):
    staffed = (
        Posting.objects.filter(checklist_complete=True, start_date__lte=today)
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=today))
        .values("branch")
        .distinct()
        .count()
    )
    assert staffed == 46
    assert Posting.objects.filter(checklist_complete=True).count() == 72
    assert Posting.objects.filter(checklist_complete=False).exists()


def test_service_records_contracts_and_care_visits(today):
    for model in (ServiceRecord, SupportContract, CareVisit):
        assert model.objects.values("branch").distinct().count() == 46, model.__name__
    assert not ServiceRecord.objects.filter(served_on__gt=today).exists()
    assert not CareVisit.objects.filter(visited_on__gt=today).exists()
    assert SupportContract.objects.filter(start_date__lte=today, end_date__gte=today).count() == 46


def test_posted_lawyers_hold_a_licence_of_the_branch_province(today):
    postings = Posting.objects.filter(checklist_complete=True).select_related(
        "lawyer", "branch__county"
    )
    assert postings.count() == 72
    wrong = []
    for p in postings:
        host = p.branch.county.province_id
        current = LawyerLicence.objects.get(lawyer=p.lawyer, is_current=True)
        previous = LawyerLicence.objects.filter(lawyer=p.lawyer, is_current=False)
        if (
            current.issuing_province_id != host
            or p.lawyer.province_id != host
            or p.lawyer.current_licence_no != current.number
            or current.valid_from != p.start_date
            or previous.count() != 1
            or previous.get().valid_to != p.start_date - dt.timedelta(days=1)
        ):
            wrong.append(p.pk)
    assert wrong == []


# --- targets and statistics -------------------------------------------------------------


def test_national_targets(today):
    national = dict(
        ProgramTarget.objects.filter(province=None, year=None).values_list("metric", "value")
    )
    assert national == {
        TargetMetric.TRAINEES: 1000,
        TargetMetric.SECONDMENTS: 750,
        TargetMetric.FIRM_PAIRINGS: 600,
        TargetMetric.BRANCHES: 46,
    }
    provincial = dict(
        ProgramTarget.objects.filter(metric=TargetMetric.SECONDMENTS, year=2023)
        .exclude(province=None)
        .values_list("province__code", "value")
    )
    assert provincial == {"54": 37, "43": 60, "37": 60, "41": 60}


def test_official_statistics_as_snapshots(today):
    stats = {s.key: s for s in StatSnapshot.objects.all()}
    assert len(stats) >= 8
    assert all(s.source and s.as_of for s in stats.values())
    assert stats["branches_2022"].value == 46
    assert stats["posted_lawyers_2022"].value == 72
    assert stats["west_lawyers"].as_of == dt.date(2023, 8, 16)
    assert "2023-08-16" in stats["west_lawyers"].source


# --- every row valid ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "model",
    [
        LawFirm,
        Lawyer,
        LawyerLicence,
        Trainee,
        Secondment,
        FirmPairing,
        ProgressReport,
        BranchOffice,
        Posting,
        PairingAgreement,
        PairingGoal,
        TrainingActivity,
        SupportContract,
    ],
    ids=lambda m: m.__name__,
)
def test_every_demo_row_passes_full_clean(today, model):
    assert model.objects.exists()
    assert failures(model) == []


def test_every_lawyer_has_exactly_one_current_licence(today):
    lawyers = Lawyer.objects.annotate(
        current=Count("licences", filter=Q(licences__is_current=True))
    )
    assert lawyers.count() > 200
    assert list(lawyers.exclude(current=1).values_list("pk", "current")) == []
    mismatched = Lawyer.objects.exclude(
        current_licence_no__in=LawyerLicence.objects.filter(is_current=True).values("number")
    )
    assert not mismatched.exists()
    # a licence's province digits are its issuing province
    bad = [
        lic.number
        for lic in LawyerLicence.objects.select_related("issuing_province")
        if lic.number[1:3] != lic.issuing_province.code
    ]
    assert bad == []


def test_loading_again_changes_nothing(today):
    before = {m.__name__: m.objects.count() for m in DEMO_MODELS}
    assert pairing.demo.load(today=today) == "already loaded"
    assert branches.demo.load(today=today) == "already loaded"
    assert {m.__name__: m.objects.count() for m in DEMO_MODELS} == before
