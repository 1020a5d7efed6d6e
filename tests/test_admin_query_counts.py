"""Admin pages do not get slower as tables grow: every changelist of the programme's apps
runs the same number of queries for 10 rows as for 500 (as the ministry and as the 湖南
department, all rows on one page), and no form offers a <select> of a large table.

The rows are bulk-created (factories only `build()` them): the module stays fast at 500."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable

import pytest
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import ApiKey, AuditEvent, Organisation, PersonalDataAccess, User
from accounts.policy import Action, Role, allows
from branches.models import BranchOffice, CareVisit, Posting, ServiceRecord, SupportContract
from firms.models import BarAssociation, LawFirm
from lawyers.models import Lawyer, Trainee
from pairing.models import (
    AgreementLevel,
    FirmPairing,
    PairingAgreement,
    ProgramTarget,
    ProgressReport,
    Quota,
    Secondment,
    StatSnapshot,
    TargetMetric,
)
from regions.models import CalendarDay, County, Province
from reminders.models import Notification, ReminderRule, SweepRun
from tests.adminutil import add_url, changelist_url, parse_form
from tests.factories import (
    BranchOfficeFactory,
    FirmPairingFactory,
    LawFirmFactory,
    LawyerFactory,
    PairingAgreementFactory,
    PostingFactory,
    QuotaFactory,
    SecondmentFactory,
    TraineeFactory,
    credit_code,
)

pytestmark = pytest.mark.django_db

APPS = {"accounts", "regions", "firms", "lawyers", "pairing", "branches", "reminders"}
MAX_QUERIES_PER_PAGE = 20
SMALL, LARGE = 10, 500
_seq = itertools.count(1)


def hunan_county(regions):
    return County.objects.filter(province=regions["43"]).order_by("code").first()


# --- row builders: each adds `n` rows that involve 湖南 (43) -----------------------------


def add_organisations(regions, n):
    hunan = regions["43"]
    Organisation.objects.bulk_create(
        Organisation(kind=Role.PARTNER, province=hunan, name=f"湖南对接系统{next(_seq)}")
        for _ in range(n)
    )


def add_users(regions, n):
    org = Organisation.objects.get(kind=Role.JUSTICE_DEPARTMENT, province=regions["43"])
    User.objects.bulk_create(
        User(username=f"u{next(_seq)}", organisation=org, is_staff=True) for _ in range(n)
    )


def add_access_log(regions, n):
    user = User.objects.get(
        organisation__kind=Role.JUSTICE_DEPARTMENT, organisation__province=regions["43"]
    )
    PersonalDataAccess.objects.bulk_create(
        PersonalDataAccess(user=user, kind="view", model_label="lawyers.Lawyer", count=1)
        for _ in range(n)
    )


def add_firms(regions, n):
    LawFirm.objects.bulk_create(
        LawFirmFactory.build(province=regions["43"], county=hunan_county(regions)) for _ in range(n)
    )


def add_bar_associations(regions, n):
    taken = set(BarAssociation.objects.values_list("province_id", flat=True))
    free = [p for code, p in sorted(regions.items()) if p.pk not in taken][:n]
    assert len(free) == n, "one bar association per province"
    BarAssociation.objects.bulk_create(
        BarAssociation(name=f"{p.name}律师协会{next(_seq)}", province=p) for p in free
    )


def bulk_lawyers(firm, n) -> list[Lawyer]:
    return Lawyer.objects.bulk_create(LawyerFactory.build(firm=firm) for _ in range(n))


def add_lawyers(regions, n):
    bulk_lawyers(LawFirmFactory(province=regions["43"]), n)


def _hunan_hosted_secondments(regions, n):
    """Trainees of 重庆 (50) seconded to one 湖南 firm: both show to the 湖南 department."""
    hunan, chongqing = regions["43"], regions["50"]
    PairingAgreementFactory(helper_province=hunan, recipient_province=chongqing)
    host = LawFirmFactory(province=hunan)
    mentor = LawyerFactory(firm=host, birth_date=dt.date(1970, 1, 1), first_licence_year=1998)
    quota = QuotaFactory(hosts=[hunan], sources=[chongqing], seats=1000)
    home_firm = LawFirmFactory(province=chongqing)
    trainees = Trainee.objects.bulk_create(
        TraineeFactory.build(home_province=chongqing, lawyer=lawyer)
        for lawyer in bulk_lawyers(home_firm, n)
    )
    Secondment.objects.bulk_create(
        SecondmentFactory.build(trainee=trainee, host_firm=host, mentor=mentor, quota=quota)
        for trainee in trainees
    )


def add_agreements(regions, n):
    hunan = regions["43"]
    existing = set(
        PairingAgreement.objects.values_list("helper_province_id", "recipient_province_id", "level")
    )
    combos = [
        (h, r, level)
        for level in AgreementLevel.values
        for p in sorted(regions.values(), key=lambda p: p.code)
        if p != hunan
        for h, r in ((hunan, p), (p, hunan))
        if (h.pk, r.pk, level) not in existing
    ][:n]
    assert len(combos) == n
    PairingAgreement.objects.bulk_create(
        PairingAgreement(helper_province=h, recipient_province=r, level=level)
        for h, r, level in combos
    )


def add_quotas(regions, n):
    quotas = Quota.objects.bulk_create(QuotaFactory.build() for _ in range(n))
    hosts, sources = Quota.host_provinces.through, Quota.source_provinces.through
    hosts.objects.bulk_create(hosts(quota=q, province=regions["43"]) for q in quotas)
    sources.objects.bulk_create(
        sources(quota=q, province=p) for q in quotas for p in (regions["50"], regions["53"])
    )


def add_pairings(regions, n):
    """Each active pairing has firms of its own (one active pairing per firm)."""
    agreement = PairingAgreementFactory(
        helper_province=regions["43"], recipient_province=regions["50"]
    )
    helpers = LawFirm.objects.bulk_create(
        LawFirmFactory.build(province=regions["43"]) for _ in range(n)
    )
    recipients = LawFirm.objects.bulk_create(
        LawFirmFactory.build(province=regions["50"]) for _ in range(n)
    )
    FirmPairing.objects.bulk_create(
        FirmPairingFactory.build(agreement=agreement, helper_firm=h, recipient_firm=r)
        for h, r in zip(helpers, recipients, strict=True)
    )


def add_reports(regions, n):
    pairing = FirmPairingFactory(
        agreement=PairingAgreementFactory(
            helper_province=regions["43"], recipient_province=regions["50"]
        )
    )
    start = dt.date(2023, 1, 1)
    ProgressReport.objects.bulk_create(
        ProgressReport(
            pairing=pairing,
            period_start=start + dt.timedelta(days=i),
            period_end=start + dt.timedelta(days=i + 30),
            due_date=start + dt.timedelta(days=i + 45),
        )
        for i in (next(_seq) for _ in range(n))
    )


def add_targets(regions, n):
    # unique (province, metric, year) for up to 9,240 rows: targets are reference data every
    # role sees; years within the programme's 2023-2100, after the seeded targets' years
    provinces = sorted(regions.values(), key=lambda p: p.code)
    metrics = TargetMetric.values
    per_year = len(provinces) * len(metrics)
    ProgramTarget.objects.bulk_create(
        ProgramTarget(
            metric=metrics[(k // len(provinces)) % len(metrics)],
            province=provinces[k % len(provinces)],
            year=2100 - (k // per_year) % 70,
            value=1,
        )
        for k in (next(_seq) for _ in range(n))
    )


def add_snapshots(regions, n):
    StatSnapshot.objects.bulk_create(
        StatSnapshot(
            key=f"stat-{next(_seq)}",
            label="统计",
            value=1,
            as_of=dt.date(2026, 1, 1),
            source="测试",
            province=regions["43"],
        )
        for _ in range(n)
    )


def add_branches(regions, n):
    parent = LawFirmFactory(province=regions["43"])
    county = hunan_county(regions)
    BranchOffice.objects.bulk_create(
        BranchOfficeFactory.build(parent_firm=parent, county=county) for _ in range(n)
    )


def _hunan_branch(regions):
    return BranchOfficeFactory(
        parent_firm=LawFirmFactory(province=regions["43"]), county=hunan_county(regions)
    )


def add_postings(regions, n):
    branch = _hunan_branch(regions)
    firm = LawFirmFactory(province=regions["43"])
    Posting.objects.bulk_create(
        PostingFactory.build(branch=branch, lawyer=lawyer) for lawyer in bulk_lawyers(firm, n)
    )


def add_service_records(regions, n):
    branch = _hunan_branch(regions)
    lawyer = LawyerFactory(firm=branch.parent_firm)
    ServiceRecord.objects.bulk_create(
        ServiceRecord(
            branch=branch,
            lawyer=lawyer,
            kind="legal_aid",
            served_on=dt.date(2026, 1, 1),
            quantity=1,
        )
        for _ in range(n)
    )


def add_contracts(regions, n):
    branch = _hunan_branch(regions)
    SupportContract.objects.bulk_create(
        SupportContract(
            branch=branch,
            kind="procured_service",
            counterparty=f"县司法局{next(_seq)}",
            amount=10000,
            start_date=dt.date(2026, 1, 1),
            end_date=dt.date(2026, 12, 31),
        )
        for _ in range(n)
    )


def add_visits(regions, n):
    branch = _hunan_branch(regions)
    CareVisit.objects.bulk_create(
        CareVisit(
            branch=branch, visited_on=dt.date(2026, 1, 1), visitor_organisation="湖南省司法厅"
        )
        for _ in range(n)
    )


def add_api_keys(regions, n):
    org = Organisation.objects.get(kind=Role.JUSTICE_DEPARTMENT, province=regions["43"])
    start = next(_seq) * 10_000
    users = User.objects.bulk_create(
        User(username=f"api-{start + i}", organisation=org) for i in range(n)
    )
    ApiKey.objects.bulk_create(
        ApiKey(
            organisation=org,
            service_user=user,
            name=f"系统{start + i}",
            prefix=f"p{start + i}",
            key_digest=f"{start + i:064d}",
        )
        for i, user in enumerate(users)
    )


def add_notifications(regions, n):
    user = User.objects.get(
        organisation__kind=Role.JUSTICE_DEPARTMENT, organisation__province=regions["43"]
    )
    Notification.objects.bulk_create(
        Notification(recipient=user, rule_kind="report_due", object_id=str(i), subject=f"提醒{i}")
        for i in (next(_seq) for _ in range(n))
    )


def add_rules(regions, n):
    ReminderRule.objects.bulk_create(
        ReminderRule(name=f"规则{next(_seq)}", kind="report_due", recipients=["pairing_bars"])
        for _ in range(n)
    )


def add_sweep_runs(regions, n):
    the_rule = ReminderRule.objects.create(
        name=f"规则{next(_seq)}", kind="report_due", recipients=["pairing_bars"]
    )
    SweepRun.objects.bulk_create(
        SweepRun(rule=the_rule, run_on=dt.date(2026, 1, 1) + dt.timedelta(days=i)) for i in range(n)
    )


ROW_BUILDERS: dict[type, Callable] = {
    ApiKey: add_api_keys,
    Notification: add_notifications,
    ReminderRule: add_rules,
    SweepRun: add_sweep_runs,
    Organisation: add_organisations,
    User: add_users,
    PersonalDataAccess: add_access_log,
    LawFirm: add_firms,
    BarAssociation: add_bar_associations,
    Lawyer: add_lawyers,
    Trainee: _hunan_hosted_secondments,
    Secondment: _hunan_hosted_secondments,
    PairingAgreement: add_agreements,
    Quota: add_quotas,
    FirmPairing: add_pairings,
    ProgressReport: add_reports,
    ProgramTarget: add_targets,
    StatSnapshot: add_snapshots,
    BranchOffice: add_branches,
    Posting: add_postings,
    ServiceRecord: add_service_records,
    SupportContract: add_contracts,
    CareVisit: add_visits,
}
# reference data is already there in bulk: vary the page size instead of the rows
REFERENCE = {Province, County, CalendarDay}
# tables that cannot hold LARGE rows involving one province
LARGE_FOR = {BarAssociation: 30, PairingAgreement: 120}


# pages of their own, not changelists; their query counts are tested with them
CUSTOM_PAGES = {AuditEvent}  # tests/test_history.py


def registered_admins():
    return sorted(
        (m for m in admin.site._registry if m._meta.app_label in APPS and m not in CUSTOM_PAGES),
        key=lambda m: m._meta.label,
    )


def test_every_registered_changelist_is_covered():
    missing = [
        m._meta.label for m in registered_admins() if m not in ROW_BUILDERS.keys() | REFERENCE
    ]
    assert missing == []


def count_changelist_queries(client, model) -> tuple[int, int]:
    """(queries, rows shown) for the changelist with every row on one page."""
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(changelist_url(model))
    assert response.status_code == 200
    return len(ctx.captured_queries), len(response.context["cl"].result_list)


@pytest.mark.parametrize("who", ["ministry", "hunan_dept"])
@pytest.mark.parametrize("model", registered_admins(), ids=lambda m: m._meta.label)
def test_changelist_queries_do_not_grow_with_rows(
    client, users, regions, model, who, monkeypatch, django_assert_max_num_queries
):
    model_admin = admin.site._registry[model]
    monkeypatch.setattr(model_admin, "list_per_page", LARGE)
    client.force_login(users[who])
    client.get(changelist_url(model))  # session, content types and caches warmed up
    if not allows(users[who], model, Action.VIEW):  # ministry-only tables (reminder rules)
        assert client.get(changelist_url(model)).status_code == 403
        return

    if model in REFERENCE:
        assert model._default_manager.count() > SMALL
        monkeypatch.setattr(model_admin, "list_per_page", SMALL)
        small, shown_small = count_changelist_queries(client, model)
        monkeypatch.setattr(model_admin, "list_per_page", LARGE)
        with django_assert_max_num_queries(MAX_QUERIES_PER_PAGE):
            large, shown_large = count_changelist_queries(client, model)
    else:
        large_n = LARGE_FOR.get(model, LARGE)
        before = model._default_manager.count()
        ROW_BUILDERS[model](regions, SMALL)
        small, shown_small = count_changelist_queries(client, model)
        ROW_BUILDERS[model](regions, large_n - SMALL)
        with django_assert_max_num_queries(MAX_QUERIES_PER_PAGE):
            large, shown_large = count_changelist_queries(client, model)
        assert model._default_manager.count() - before == large_n
    assert shown_large > shown_small >= min(SMALL, shown_large), (shown_small, shown_large)
    assert small <= MAX_QUERIES_PER_PAGE
    assert large == small, f"{model._meta.label} as {who}: {small} → {large} queries"


# --- form widgets --------------------------------------------------------------------------

MAX_OPTIONS = 1000


@pytest.fixture
def national_tables(regions):
    """More than 1,000 firms, lawyers and trainees (counties: 2,847 already)."""
    n = MAX_OPTIONS + 1
    xizang = regions["54"]
    firms = LawFirm.objects.bulk_create(
        LawFirm(
            name=f"大表律所{i}",
            province=xizang,
            credit_code=credit_code("540000", 900000 + i),
            name_pinyin="",
            name_initials="",
        )
        for i in range(n)
    )
    lawyers = Lawyer.objects.bulk_create(
        Lawyer(
            name=f"王{i}",
            gender="M",
            birth_date=dt.date(1990, 1, 1),
            first_licence_year=2020,
            province=xizang,
            firm=firms[i],
            current_licence_no=f"15401202010{i:06d}",
        )
        for i in range(n)
    )
    Trainee.objects.bulk_create(
        Trainee(
            lawyer=lawyer,
            cohort_year=2026,
            home_province=xizang,
            selection_date=dt.date(2026, 3, 1),
            experience_group="lt3",
            practice_track="civil",
        )
        for lawyer in lawyers
    )
    branches = [
        BranchOfficeFactory.build(
            parent_firm=firms[i], credit_code=credit_code("540102", 700000 + i)
        )
        for i in range(n)
    ]
    BranchOffice.objects.bulk_create(branches)
    return {"firm": firms[0], "lawyer": lawyers[0], "branch": branches[0]}


def test_no_form_offers_a_select_of_more_than_1000_options(client, users, national_tables):
    client.force_login(users["ministry"])
    pages = [add_url(m) for m in registered_admins()]
    # change forms with inlines that hold foreign keys
    pages += [
        f"/admin/branches/branchoffice/{national_tables['branch'].pk}/change/",
        f"/admin/lawyers/lawyer/{national_tables['lawyer'].pk}/change/",
    ]
    largest = {}
    for url in pages:
        response = client.get(url)
        if response.status_code == 403:  # no add form for this model
            continue
        assert response.status_code == 200, url
        selects = parse_form(response.content.decode()).selects
        largest[url] = max(selects, default=0)
    assert len(largest) >= 15
    assert max(largest.values()) > 1  # the options are counted at all
    too_big = {url: n for url, n in largest.items() if n > MAX_OPTIONS}
    assert too_big == {}
