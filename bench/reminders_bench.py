"""The daily reminder sweep over a national-scale dataset, and the same sweep with ten
times the rows: per rule the deadlines found, the notifications written, the queries and
the median time, and the whole sweep's time at 10x over 1x (issue 6: at most 1.5x).

    createdb -h 127.0.0.1 -U postgres pairing_bench
    python -m bench.run reminders_bench                 (BENCH_REPEAT rounds, default 11)

Two databases: BENCH_DATABASE_URL's holds the 1x dataset; `<its name>_10x`, which the
benchmark makes from it (CREATE DATABASE ... TEMPLATE: the role must be allowed to create
databases), holds the same rows plus nine times as many older ones. Both are built once
(about 1.5 minutes) and reused while their `COMMENT ON DATABASE` matches the sizes asked
for. Rows are COPYed with triggers off (`session_replication_role = replica`: no pghistory
events, no foreign-key checks; the generator keeps the keys right), then VACUUM ANALYZE.

The rules are the enabled ones: in a new database, the defaults the migrations create,
one per kind. Every value passes the models' validation and CHECK constraints (issue 22:
programme records dated 2023-2100, branch work from 2000, people born from 1930, firms
from 1979; tests/bench/test_reminders_bench_data.py builds both datasets small and checks
them). The 1x dataset, around the sweep day 2026-12-03 (a Thursday), starts with the
agreements' terms on 2023-07-01 (PROGRAMME_START):

- a justice department and a bar association with two users each in every province, and
  the ministry, so that every recipient role resolves;
- 39 province agreements (each western province helped by three others), signed
  2023-06-01, in force from 2023-07-01, one or two of them ending on the dates the
  agreement rule reminds about that day; a quota per agreement and year, a quarter of
  2026's with seats left;
- BENCH_REMINDER_PAIRINGS (2,000) active firm pairings that started between 2023-07-01
  and 2024-06-30, with their quarterly or half-yearly progress reports to date, each due
  15 days after its period: most submitted early, some late, 2% never;
- BENCH_REMINDER_SECONDMENTS (20,000) secondments starting from 2023-07-01 to 2027-06-30,
  two per trainee (lawyers born 1994-1999, selected 2023-05-02), their status following
  the dates (3% cancelled), the mentor's evaluation written 0-60 days after the end or
  (2%) never;
- BENCH_REMINDER_BRANCHES (500) branch offices opened in the second half of 2023 with
  their minimum staff in postings of 4-12 whole months since and, for most current
  postings, a successor planned;
- one past in-app notification per deadline more than 90 days before the sweep day: what
  earlier sweeps left (thinned: a real sweep writes several per deadline).

The 10x dataset adds nine times as many reports (of two-year pairings of an earlier round,
ended), secondments (of other trainees, under that round's quotas), postings (of other
lawyers at the same branches) and past notifications, in denser years from 2023-07-01 to
HISTORY_END, 90 days before the sweep day (the secondments to the end of 2025, so that
2026's quotas, whose secondments the quota rule counts, hold the same ones at both
sizes): all of them settled by then (pairings and postings ended, every report
submitted, every secondment evaluated), so none is due on the sweep day. The deadlines around the sweep day are the same in both: the
tables grow, the rows due do not. (Until DATASET_VERSION 3 the 1x rows started in
2018/2019 and the 10x ones reached back to 1947, dates the CHECK constraints now refuse.)

The sweep is `run_sweep(on=2026-12-03)`, not a dry run: what it writes is the cost - the
INSERT ... ON CONFLICT of the notifications (their unique key, pghistory's trigger), the
count of the rows it created, the SweepRun rows - inside a transaction then rolled back,
so every round writes the same rows. The outbox query each rule leaves for after the
commit runs inside the transaction too, with the hand-off to Celery
(`reminders.delivery.enqueue`) replaced by a no-op. Not measured: the COMMIT (a WAL flush
per rule) and delivery. 1x and 10x rounds are interleaved on two open connections after
two warm-ups; medians are printed, then the slowest query of each rule at both sizes.
Nothing is asserted.
"""

from __future__ import annotations

import copy
import datetime as dt
import io
import os
import random
import statistics
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

FACTOR = 10
ON = dt.date(2026, 12, 3)  # the sweep day, a Thursday
LOADED_AT = dt.datetime(2026, 12, 2, 12, 0, tzinfo=dt.UTC)  # created_at of loaded rows
# The 1x rows start with the agreements' terms (2023-07-01): programme records may not
# be dated before 2023 (core.validators.PROGRAMME_EARLIEST, CHECK constraints hold it).
PROGRAMME_START = dt.date(2023, 7, 1)
# The 10x rows: nine times denser years from PROGRAMME_START to 90 days before the sweep
# day, all ended, submitted and evaluated by then, so none is due on the sweep day.
HISTORY_START = PROGRAMME_START
HISTORY_END = ON - dt.timedelta(days=90)
# ... but their secondments end within the years before the sweep day's: the quota rule
# counts the secondments of this year's quotas, which stay the 1x ones
SECONDMENT_HISTORY_END = dt.date(ON.year - 1, 12, 31)
HISTORY_TERM_MONTHS = 24  # the ended pairings of the 10x rows
DAY = dt.timedelta(days=1)
REPORT_GRACE = dt.timedelta(days=15)  # a report is due 15 days after its period
PAST_NOTICES_BEFORE = ON - dt.timedelta(days=90)  # past notices only for deadlines before
SETTLED_BY = ON - dt.timedelta(days=31)  # the 10x rows' last submission or evaluation
# 2: from 2018/2019; 3: from 2023 (issue 22's plausible dates)
DATASET_VERSION = 3
# of the 10x rows (1: nine times denser years 2005-2018; 2: the 1x rate per year back to
# 1947; 3: denser years within 2023-07-01..HISTORY_END; 4: the same, the secondments
# within 2023-07-01..SECONDMENT_HISTORY_END)
HISTORY_VERSION = 4

# the tables whose sizes are printed (and analysed after loading)
COUNTED = (
    ("progress reports", "pairing_progressreport"),
    ("firm pairings", "pairing_firmpairing"),
    ("secondments", "pairing_secondment"),
    ("postings", "branches_posting"),
    ("lawyers", "lawyers_lawyer"),
    ("notifications", "reminders_notification"),
)
LOADED_TABLES = (
    "accounts_organisation",
    "accounts_user",
    "firms_lawfirm",
    "lawyers_lawyer",
    "lawyers_trainee",
    "pairing_pairingagreement",
    "pairing_quota",
    "pairing_quota_host_provinces",
    "pairing_quota_source_provinces",
    "pairing_firmpairing",
    "pairing_progressreport",
    "pairing_secondment",
    "branches_branchoffice",
    "branches_posting",
    "reminders_reminderrule",
    "reminders_notification",
)


@dataclass(frozen=True)
class Size:
    pairings: int
    secondments: int
    branches: int

    @classmethod
    def from_env(cls) -> Size:
        return cls(
            pairings=int(os.environ.get("BENCH_REMINDER_PAIRINGS", "2000")),
            secondments=int(os.environ.get("BENCH_REMINDER_SECONDMENTS", "20000")),
            branches=int(os.environ.get("BENCH_REMINDER_BRANCHES", "500")),
        )

    def marker(self) -> str:
        return (
            f"reminders_bench v{DATASET_VERSION} pairings={self.pairings} "
            f"secondments={self.secondments} branches={self.branches}"
        )


# --- loading ----------------------------------------------------------------------------------
def _text(value: Any) -> str:
    """A value in COPY's text format (core.bulk's, as the national dataset writes them)."""
    from core.bulk import copy_text

    return copy_text(value)


class Loader:
    """COPY rows into a model's table with ids chosen here (so rows can refer to each other
    before they are written); columns not given take the field's default."""

    CHUNK = 50_000

    def __init__(self, cursor: Any) -> None:
        self.cursor = cursor
        self.next_id: dict[str, int] = {}
        self.touched: set[str] = set()

    def ids(self, model: Any, n: int) -> range:
        table = model._meta.db_table
        if table not in self.next_id:
            self.cursor.execute(f'SELECT COALESCE(MAX(id), 0) + 1 FROM "{table}"')
            self.next_id[table] = self.cursor.fetchone()[0]
        first = self.next_id[table]
        self.next_id[table] += n
        return range(first, first + n)

    def next(self, model: Any) -> int:
        return self.ids(model, 1)[0]

    def copy(self, model: Any, columns: Iterable[str], rows: Iterable[tuple[Any, ...]]) -> int:
        from django.db import models

        meta = model._meta
        columns = list(columns)
        by_attname = {f.attname: f for f in meta.concrete_fields}
        rest = [
            f
            for f in meta.concrete_fields
            if f.attname not in columns
            and not f.primary_key  # an identity column numbers the rows given no id
            and not isinstance(f, models.GeneratedField)
        ]
        defaults = tuple(_text(self._default(model, f)) for f in rest)
        names = ", ".join(f'"{by_attname[c].column}"' for c in columns)
        names += "".join(f', "{f.column}"' for f in rest)
        sql = f'COPY "{meta.db_table}" ({names}) FROM STDIN'
        tail = "\t" + "\t".join(defaults) if defaults else ""
        buffer, n = io.StringIO(), 0
        for row in rows:
            buffer.write("\t".join(map(_text, row)) + tail + "\n")
            n += 1
            if n % self.CHUNK == 0:
                self._flush(sql, buffer)
                buffer = io.StringIO()
        self._flush(sql, buffer)
        self.touched.add(meta.db_table)
        return n

    def _flush(self, sql: str, buffer: io.StringIO) -> None:
        if buffer.tell():
            buffer.seek(0)
            self.cursor.copy_expert(sql, buffer)

    @staticmethod
    def _default(model: Any, field: Any) -> Any:
        if field.name in ("created_at", "updated_at"):
            return LOADED_AT
        value = field.get_default()  # "" for text fields without a default
        if value is None and not field.null:
            raise ValueError(f"{model.__name__}.{field.name}: no value and no default")
        return value

    def finish(self) -> None:
        """Move each identity sequence past the ids used here."""
        for table in sorted(self.touched):
            self.cursor.execute(
                f"SELECT setval(pg_get_serial_sequence(%s, 'id'), "
                f'(SELECT COALESCE(MAX(id), 1) FROM "{table}"))',
                [f'"{table}"'],
            )


def _day_between(rng: random.Random, first: dt.date, last: dt.date) -> dt.date:
    return first + dt.timedelta(days=rng.randint(0, (last - first).days))


def _credit_code(division: str, seq: int) -> str:
    from firms.identifiers import credit_code_check_character

    first17 = f"31{division}{seq:09d}"
    return first17 + credit_code_check_character(first17)


def _add_months(day: dt.date, months: int) -> dt.date:
    from dateutil.relativedelta import relativedelta

    return day + relativedelta(months=months)


# --- what the generator knows about the rows already loaded --------------------------------------
@dataclass
class World:
    """What the generator needs to know of the rows already loaded."""

    provinces: dict[str, int]  # code -> id
    short: dict[int, str]  # province id -> short name
    agreements: list[tuple[int, int, int]]  # (id, helper province, recipient province)
    by_recipient: dict[int, list[int]]  # recipient province -> agreement indexes
    helper_firms: dict[int, list[int]]  # agreement index -> helper firms of its pairings
    recipient_firms: dict[int, list[int]]  # agreement index -> recipient firms
    firm_province: dict[int, int]
    mentor_of: dict[int, int]  # helper (host) firm -> its mentor
    bar_user: dict[int, int]  # province -> a bar association user (past notices)
    rules: dict[str, int]  # kind -> rule id
    branches: list[tuple[int, int]]  # (id, parent firm)


MENTOR = "基准导师"
BRANCH = "基准分所"


def _world() -> World:
    from accounts.models import User
    from accounts.policy import Role
    from branches.models import BranchOffice
    from firms.models import LawFirm
    from lawyers.models import Lawyer
    from pairing.models import FirmPairing, PairingAgreement
    from regions.models import Province

    provinces = list(Province.objects.order_by("code"))
    agreements = list(
        PairingAgreement.objects.order_by("pk").values_list(
            "pk", "helper_province_id", "recipient_province_id"
        )
    )
    index = {pk: n for n, (pk, _, _) in enumerate(agreements)}
    by_recipient: dict[int, list[int]] = defaultdict(list)
    for n, (_, _, recipient) in enumerate(agreements):
        by_recipient[recipient].append(n)
    helper_firms: dict[int, list[int]] = defaultdict(list)
    recipient_firms: dict[int, list[int]] = defaultdict(list)
    for agreement, helper, recipient in (
        FirmPairing.objects.filter(status="active")
        .order_by("pk")
        .values_list("agreement_id", "helper_firm_id", "recipient_firm_id")
    ):
        helper_firms[index[agreement]].append(helper)
        recipient_firms[index[agreement]].append(recipient)
    bar_user: dict[int, int] = {}
    for pk, province in (
        User.objects.filter(username__startswith="rb-", organisation__kind=Role.BAR_ASSOCIATION)
        .order_by("pk")
        .values_list("pk", "organisation__province_id")
    ):
        bar_user.setdefault(province, pk)
    return World(
        provinces={p.code: p.pk for p in provinces},
        short={p.pk: p.short_name for p in provinces},
        agreements=agreements,
        by_recipient=dict(by_recipient),
        helper_firms=dict(helper_firms),
        recipient_firms=dict(recipient_firms),
        firm_province=dict(LawFirm.objects.values_list("pk", "province_id")),
        mentor_of=dict(Lawyer.objects.filter(name__startswith=MENTOR).values_list("firm_id", "pk")),
        bar_user=bar_user,
        rules={rule.kind: rule.pk for rule in reversed(_rules())},
        branches=list(
            BranchOffice.objects.filter(name__startswith=BRANCH)
            .order_by("pk")
            .values_list("pk", "parent_firm_id")
        ),
    )


# --- reference rows: organisations and users, rules, agreements ------------------------------------
def _reference(loader: Loader) -> None:
    from accounts.models import Organisation, User
    from accounts.policy import Role
    from pairing.models import PairingAgreement
    from regions.models import Province

    provinces = list(Province.objects.order_by("code"))
    ministry, _ = Organisation.objects.get_or_create(
        kind=Role.MINISTRY, province=None, defaults={"name": "司法部"}
    )
    users = [
        User(
            username=f"rb-ministry-{i}",
            email=f"ministry{i}@bench.example",
            organisation=ministry,
            is_staff=True,
        )
        for i in (1, 2)
    ]
    for province in provinces:
        for kind, suffix in (
            (Role.JUSTICE_DEPARTMENT, "司法厅"),
            (Role.BAR_ASSOCIATION, "律师协会"),
        ):
            org, _ = Organisation.objects.get_or_create(
                kind=kind, province=province, defaults={"name": f"{province.name}{suffix}"}
            )
            users += [
                User(
                    username=f"rb-{province.code}-{kind}-{i}",
                    email=f"{kind}{province.code}.{i}@bench.example",
                    organisation=org,
                    is_staff=kind == Role.JUSTICE_DEPARTMENT,
                )
                for i in (1, 2)
            ]
    for user in users:
        user.set_unusable_password()
    User.objects.bulk_create(users)

    helpers = [p.pk for p in provinces if not p.is_recipient]
    recipients = [p.pk for p in provinces if p.is_recipient]
    pairs = [
        (helpers[(3 * r + k) % len(helpers)], recipient)
        for r, recipient in enumerate(recipients)
        for k in range(3)
    ]
    # one or two agreements end on dates the agreement rule reminds about on the sweep day
    ends = _agreement_rule_due_dates()[-2:]
    ends += [dt.date(2028, 12, 31)] * (len(pairs) - len(ends))
    ids = loader.ids(PairingAgreement, len(pairs))
    signed = PROGRAMME_START - dt.timedelta(days=30)
    loader.copy(
        PairingAgreement,
        (
            "id",
            "helper_province_id",
            "recipient_province_id",
            "level",
            "signed_on",
            "term_start",
            "term_end",
        ),
        (
            (pk, h, r, "justice_department", signed, PROGRAMME_START, end)
            for pk, (h, r), end in zip(ids, pairs, ends, strict=True)
        ),
    )


def _rules() -> list[Any]:
    """The rules the sweep runs: every enabled one (in a new database, the defaults the
    migrations create, one per kind)."""
    from reminders.models import ReminderRule

    return list(ReminderRule.objects.filter(enabled=True).order_by("kind", "pk"))


def _agreement_rule_due_dates() -> list[dt.date]:
    """The due dates the agreement rules remind about on the sweep day."""
    from regions.workdays import WorkCalendar
    from reminders.sweep import schedule

    calendar = WorkCalendar.for_years(ON.year - 1, ON.year + 2)
    return sorted(
        {
            due
            for rule in _rules()
            if rule.kind == "agreement_ending"
            for due in schedule(rule, ON, calendar)
        }
    )


# --- firms, lawyers, pairings and their reports ----------------------------------------------------
def _firms(
    loader: Loader,
    codes: dict[int, str],
    short: dict[int, str],
    provinces: list[int],
    rng: random.Random,
) -> list[int]:
    from firms.models import LawFirm

    ids = loader.ids(LawFirm, len(provinces))
    loader.copy(
        LawFirm,
        (
            "id",
            "name",
            "name_pinyin",
            "name_initials",
            "credit_code",
            "province_id",
            "email",
            "founded_on",
        ),
        (
            (
                pk,
                f"{short[province]}基准律师事务所{pk}",
                f"jizhunlvshishiwusuo{pk}",
                f"jzlssws{pk % 1000}",
                _credit_code(f"{codes[province]}0000", pk),
                province,
                f"firm{pk}@bench.example" if rng.random() < 0.95 else "",
                dt.date(2000 + pk % 18, 1 + pk % 12, 1),
            )
            for pk, province in zip(ids, provinces, strict=True)
        ),
    )
    return list(ids)


def _lawyers(
    loader: Loader,
    people: list[tuple[int, int | None, bool]],
    title: str = "基准律师",
    young: bool = False,
) -> list[int]:
    """Lawyers for (province, firm, has an e-mail address); returns their ids. Born
    1970-1994 and licensed at 24-28, or (`young`: trainees, under 40 when selected, in
    practice under three years) born 1994-1999 and licensed 2021-2023."""
    from lawyers.models import Lawyer

    def born(pk: int) -> dt.date:
        return dt.date((1994 + pk % 6) if young else (1970 + pk % 25), 1 + pk % 12, 1 + pk % 28)

    def licensed(pk: int) -> int:
        return (2021 + pk % 3) if young else born(pk).year + 24 + pk % 5

    ids = loader.ids(Lawyer, len(people))
    loader.copy(
        Lawyer,
        (
            "id",
            "name",
            "name_pinyin",
            "name_initials",
            "gender",
            "birth_date",
            "first_licence_year",
            "province_id",
            "firm_id",
            "email",
            "current_licence_no",
        ),
        (
            (
                pk,
                f"{title}{pk}",
                f"jizhunlvshi{pk}",
                f"jzls{pk % 1000}",
                "MF"[pk % 2],
                born(pk),
                licensed(pk),
                province,
                firm,
                f"lawyer{pk}@bench.example" if email else "",
                f"9{pk:016d}",
            )
            for pk, (province, firm, email) in zip(ids, people, strict=True)
        ),
    )
    return list(ids)


def _pairings(
    loader: Loader, world: World, rows: list[tuple[int, int, int, dt.date, dt.date | None]]
) -> list[tuple[int, int, dt.date, dt.date | None]]:
    """Copies (agreement index, helper firm, recipient firm, term start, term end) pairings,
    active when open-ended, else ended; returns (id, agreement index, start, end)."""
    from pairing.models import FirmPairing

    ids = loader.ids(FirmPairing, len(rows))
    loader.copy(
        FirmPairing,
        (
            "id",
            "agreement_id",
            "helper_firm_id",
            "recipient_firm_id",
            "mode",
            "term_start",
            "term_end",
            "status",
            "ended_on",
        ),
        (
            (pk, world.agreements[a][0], h, r, "strong_weak", s, e, "ended" if e else "active", e)
            for pk, (a, h, r, s, e) in zip(ids, rows, strict=True)
        ),
    )
    return [(pk, a, s, e) for pk, (a, _, _, s, e) in zip(ids, rows, strict=True)]


def _reports(
    loader: Loader,
    world: World,
    pairings: list[tuple[int, int, dt.date, dt.date | None]],
    rng: random.Random,
    settled: bool = False,
) -> list[tuple[int, dt.date, int, bool]]:
    """A report per quarter or half-year of each pairing's term up to the sweep day, due 15
    days after the period: 60% submitted early, 25% up to 20 days late, 10% up to 60, 3%
    later, 2% never (one in twenty of the open ones returned). `settled` (the 10x rows):
    every report submitted, by SETTLED_BY at the latest, none open. Returns (id, due date,
    helper province, submitted late or not at all) per report."""
    from pairing.models import ProgressReport

    made: list[tuple[int, dt.date, int, bool]] = []
    table = ProgressReport._meta.db_table

    def rows() -> Iterator[tuple[Any, ...]]:
        pk = loader.next(ProgressReport)
        for pairing, agreement, start, end in pairings:
            months = 3 if pairing % 5 < 3 else 6
            province = world.agreements[agreement][1]
            k = 0
            while (period_start := _add_months(start, months * k)) <= (end or ON):
                k += 1
                period_end = _add_months(start, months * k) - dt.timedelta(days=1)
                due = period_end + REPORT_GRACE
                r = rng.random()
                lag = (
                    -rng.randint(0, 10)
                    if r < 0.6
                    else rng.randint(1, 20)
                    if r < 0.85
                    else rng.randint(21, 60)
                    if r < 0.95
                    else rng.randint(61, 200)
                    if r < 0.98 or settled
                    else None
                )
                submitted = None if lag is None else due + dt.timedelta(days=lag)
                if settled:
                    submitted = min(submitted, SETTLED_BY)  # type: ignore[type-var]
                elif submitted is not None and submitted > ON:
                    submitted = None
                if submitted is None:
                    returned = due < ON and pk % 20 == 0  # open: draft, or returned
                    status = "returned" if returned else "draft"
                    at, reason = None, "请补充培训记录。" if returned else ""
                else:
                    at, reason = dt.datetime.combine(submitted, dt.time(2), tzinfo=dt.UTC), ""
                    status = "accepted" if submitted < ON - dt.timedelta(days=30) else "submitted"
                made.append((pk, due, province, lag is None or lag > 0))
                yield (pk, pairing, period_start, period_end, due, status, at, reason)
                pk += 1
        loader.next_id[table] = pk

    loader.copy(
        ProgressReport,
        (
            "id",
            "pairing_id",
            "period_start",
            "period_end",
            "due_date",
            "status",
            "submitted_at",
            "return_reason",
        ),
        rows(),
    )
    return made


# --- trainees, secondments, quotas ------------------------------------------------------------
def _secondments(
    loader: Loader,
    world: World,
    rng: random.Random,
    count: int,
    first: dt.date,
    last: dt.date,
    settled: bool = False,
) -> list[tuple[int, dt.date, dt.date, int]]:
    """`count` secondments starting between `first` and `last`, two per new trainee (years
    apart; selected 60 days before `first`, not before 2023); status from the dates (3%
    cancelled); the mentor's evaluation written 0-14 days after the end (60%), 15-30
    (30%), 31-60 (8%) or never. `settled` (the 10x rows, all ended): every one
    evaluated, under quotas of their own. Returns (id, start, end, home province) per
    secondment."""
    from core.validators import PROGRAMME_EARLIEST
    from lawyers.models import Trainee
    from pairing.models import Secondment

    recipients = sorted(world.by_recipient)
    trainees = max(1, count // 2)
    homes = [recipients[t % len(recipients)] for t in range(trainees)]
    firms_of = {
        r: [f for a in world.by_recipient[r] for f in world.recipient_firms[a]] for r in recipients
    }
    lawyer_ids = _lawyers(
        loader, [(h, rng.choice(firms_of[h]), True) for h in homes], title="基准学员", young=True
    )
    selected = max(first - dt.timedelta(days=60), PROGRAMME_EARLIEST)
    trainee_ids = loader.ids(Trainee, trainees)
    loader.copy(
        Trainee,
        (
            "id",
            "lawyer_id",
            "cohort_year",
            "home_province_id",
            "selection_date",
            "status",
            "experience_group",
            "practice_track",
        ),
        (
            (t, lw, selected.year, h, selected, "selected", "lt3", "civil")
            for t, lw, h in zip(trainee_ids, lawyer_ids, homes, strict=True)
        ),
    )
    starts = sorted(_day_between(rng, first, last) for _ in range(count))
    ids = loader.ids(Secondment, count)
    quotas: dict[tuple[int, int], int] = {}
    taken: dict[int, int] = defaultdict(int)
    rows, made = [], []
    for n, (pk, start) in enumerate(zip(ids, starts, strict=True)):
        trainee = n % trainees  # the trainee's other secondment is `trainees` starts away
        home = homes[trainee]
        agreement = rng.choice(world.by_recipient[home])
        host = rng.choice(world.helper_firms[agreement])
        quota = quotas.setdefault((start.year, agreement), len(quotas))
        end = _add_months(start, rng.choice((1, 2))) - dt.timedelta(days=1)
        status, reason, grade, evaluated = "completed", "", "", None
        if rng.random() < 0.03:
            status, reason = "cancelled", "单位工作安排，取消。"
        elif start > ON:
            status = "planned"
        elif end >= ON:
            status = "active"
        else:
            r = rng.random()
            lag = (
                rng.randint(0, 14)
                if r < 0.6
                else rng.randint(15, 30)
                if r < 0.9
                else rng.randint(31, 60)
                if r < 0.98 or settled
                else None
            )
            if lag is not None and end + dt.timedelta(days=lag) <= ON:
                grade, evaluated = (
                    ("excellent" if pk % 4 == 0 else "good"),
                    end + dt.timedelta(days=lag),
                )
        if status != "cancelled":
            taken[quota] += 1
        rows.append(
            [
                pk,
                trainee_ids[trainee],
                host,
                world.mentor_of[host],
                quota,
                start,
                end,
                status,
                reason,
                grade,
                evaluated,
            ]
        )
        made.append((pk, start, end, home))
    quota_ids = _quotas(loader, world, quotas, taken, rng, earlier=settled)
    for row in rows:
        row[4] = quota_ids[row[4]]
    loader.copy(
        Secondment,
        (
            "id",
            "trainee_id",
            "host_firm_id",
            "mentor_id",
            "quota_id",
            "start_date",
            "end_date",
            "status",
            "cancel_reason",
            "evaluation_grade",
            "evaluated_on",
        ),
        rows,
    )
    return made


def _quotas(
    loader: Loader,
    world: World,
    quotas: dict[tuple[int, int], int],
    taken: dict[int, int],
    rng: random.Random,
    earlier: bool = False,
) -> dict[int, int]:
    """A quota per (year, agreement) with as many seats as secondments took, a few more for
    a quarter of this year's (left unfilled); `earlier` (the 10x rows): an earlier round's
    quotas, named so (a quota's name is unique in its year), all filled. Returns local
    number -> quota id."""
    from pairing.models import Quota

    ids = loader.ids(Quota, len(quotas))
    rows, hosts, sources = [], [], []
    for pk, ((year, agreement), n) in zip(ids, quotas.items(), strict=True):
        _, helper, recipient = world.agreements[agreement]
        seats = max(1, taken[n])
        if year == ON.year and not earlier and rng.random() < 0.25:
            seats += rng.randint(1, 5)
        name = f"{year} {world.short[helper]}→{world.short[recipient]}"
        rows.append((pk, year, f"{name}（前期）" if earlier else name, seats))
        hosts.append((pk, helper))
        sources.append((pk, recipient))
    loader.copy(Quota, ("id", "year", "name", "seats"), rows)
    for through, pairs in (
        (Quota.host_provinces.through, hosts),
        (Quota.source_provinces.through, sources),
    ):
        through_ids = loader.ids(through, len(pairs))
        loader.copy(
            through,
            ("id", "quota_id", "province_id"),
            ((i, q, p) for i, (q, p) in zip(through_ids, pairs, strict=True)),
        )
    return {n: pk for pk, n in zip(ids, quotas.values(), strict=True)}


# --- branches and postings ---------------------------------------------------------------------------
def _branches(loader: Loader, world: World, count: int, rng: random.Random) -> dict[int, int]:
    """Branch offices in the western provinces' counties, opened by helper firms in the
    second half of 2023 (`_opened`); minimum staff 1 (60%), 2 (35%) or 3. Returns
    branch -> minimum staff."""
    from branches.models import BranchOffice
    from regions.models import County

    counties: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for pk, code, province in County.objects.filter(valid_to__isnull=True).values_list(
        "pk", "code", "province_id"
    ):
        counties[province].append((pk, code))
    ids = loader.ids(BranchOffice, count)
    rows, minimum = [], {}
    for n, pk in enumerate(ids):
        agreement = n % len(world.agreements)
        firms = world.helper_firms[agreement]
        parent = firms[(n // len(world.agreements)) % len(firms)]
        # the Corps' county-level cities are filed under 新疆 (65)
        province = world.agreements[agreement][2]
        county, code = rng.choice(counties.get(province) or counties[world.provinces["65"]])
        r = rng.random()
        minimum[pk] = 1 if r < 0.6 else 2 if r < 0.95 else 3
        rows.append(
            (
                pk,
                f"{BRANCH}{pk}",
                parent,
                county,
                _credit_code(code, 800000000 + pk),
                _opened(pk),
                "active",
                minimum[pk],
            )
        )
        world.branches.append((pk, parent))
    loader.copy(
        BranchOffice,
        (
            "id",
            "name",
            "parent_firm_id",
            "county_id",
            "credit_code",
            "established_on",
            "status",
            "minimum_staff",
        ),
        rows,
    )
    return minimum


Span = tuple[int, dt.date, dt.date | None, bool, str]  # branch, start, end, complete, kind


def _opened(branch: int) -> dt.date:
    """The day a branch opened: the first of a month from July to December 2023."""
    return PROGRAMME_START.replace(month=PROGRAMME_START.month + branch % 6)


def _current_spans(world: World, minimum: dict[int, int], rng: random.Random) -> list[Span]:
    """Per branch its minimum staff (30%: one more) in postings of 4-12 whole months since
    it opened (15% of places: one resident lawyer); for 85% of the current postings a
    successor is planned, 85% of those with the dispatch checklist done."""
    spans: list[Span] = []
    for branch, _ in world.branches:
        opened = _opened(branch)
        for _ in range(minimum[branch] + (rng.random() < 0.3)):
            if rng.random() < 0.15:
                spans.append((branch, opened, None, True, "resident"))
                continue
            start = opened
            while True:
                end = _add_months(start, rng.randint(4, 12)) - dt.timedelta(days=1)
                spans.append((branch, start, end, True, "rotation"))
                start = end + dt.timedelta(days=1)
                if end >= ON:
                    break
            if rng.random() < 0.85:
                end = _add_months(start, rng.randint(4, 12)) - dt.timedelta(days=1)
                spans.append((branch, start, end, rng.random() < 0.85, "rotation"))
    return spans


def _history_spans(world: World, rng: random.Random) -> list[Span]:
    """Per branch, nine times its 1x postings, all ended: chains of 4-12 month rotations
    (of other lawyers) from the day it opened to HISTORY_END, the last cut there, as many
    chains as it takes."""
    from django.db.models import Count

    from branches.models import Posting

    counts = dict(
        Posting.objects.values_list("branch_id")
        .annotate(n=Count("pk"))
        .values_list("branch_id", "n")
    )
    spans: list[Span] = []
    for branch, _ in world.branches:
        want, made = (FACTOR - 1) * counts.get(branch, 0), 0
        while made < want:  # another chain of lawyers, from the opening on
            start = _opened(branch)
            while start <= HISTORY_END and made < want:
                end = _add_months(start, rng.randint(4, 12)) - dt.timedelta(days=1)
                spans.append((branch, start, min(end, HISTORY_END), True, "rotation"))
                made += 1
                start = end + dt.timedelta(days=1)
    return spans


def _postings(
    loader: Loader, world: World, spans: list[Span]
) -> list[tuple[int, dt.date | None, int]]:
    """Copies the postings, each with a lawyer of its own (of the parent firm); returns
    (id, end date, parent firm's province) per posting."""
    from branches.models import Posting

    parent = dict(world.branches)
    provinces = [world.firm_province[parent[b]] for b, *_ in spans]
    lawyers = _lawyers(
        loader, [(p, parent[b], True) for p, (b, *_) in zip(provinces, spans, strict=True)]
    )
    ids = loader.ids(Posting, len(spans))
    loader.copy(
        Posting,
        (
            "id",
            "lawyer_id",
            "branch_id",
            "kind",
            "start_date",
            "end_date",
            "agreement_signed",
            "medical_passed",
            "licence_transferred",
        ),
        (
            (pk, lw, b, kind, s, e, True, True, done)
            for pk, lw, (b, s, e, done, kind) in zip(ids, lawyers, spans, strict=True)
        ),
    )
    return [(pk, e, p) for pk, (_, _, e, _, _), p in zip(ids, spans, provinces, strict=True)]


# --- past notifications ------------------------------------------------------------------------------
NOTICE_COLUMNS = (
    "created_at",
    "updated_at",
    "rule_id",
    "recipient_id",
    "rule_kind",
    "channel",
    "subject",
    "body",
    "link",
    "object_label",
    "object_id",
    "due_date",
    "state",
    "sent_at",
    "read_at",
)


def _past_notices(
    loader: Loader,
    world: World,
    reports: list[tuple[int, dt.date, int, bool]],
    secondments: list[tuple[int, dt.date, dt.date, int]],
    postings: list[tuple[int, dt.date | None, int]],
) -> None:
    """One in-app notice to a bar association user per past deadline (before the sweep
    day's windows): what earlier years' sweeps left in the table. Thinned: the real sweep
    writes several per deadline (each recipient, in-app and e-mail)."""
    from reminders.models import Notification
    from reminders.obligations import EVALUATION_DUE_DAYS

    after_end = dt.timedelta(days=EVALUATION_DUE_DAYS)
    items: list[tuple[str, str, Iterable[tuple[int, dt.date | None, int]]]] = [
        ("report_due", "pairing.progressreport", ((pk, d, p) for pk, d, p, _ in reports)),
        (
            "report_overdue",
            "pairing.progressreport",
            ((pk, d, p) for pk, d, p, late in reports if late),
        ),
        ("secondment_starting", "pairing.secondment", ((pk, s, h) for pk, s, _, h in secondments)),
        (
            "evaluation_due",
            "pairing.secondment",
            ((pk, e + after_end, h) for pk, _, e, h in secondments),
        ),
        ("posting_ending", "branches.posting", postings),
    ]

    def rows() -> Iterator[tuple[Any, ...]]:
        for kind, label, records in items:
            rule = world.rules[kind]
            app, model = label.split(".")
            for pk, due, province in records:
                if due is None or due >= PAST_NOTICES_BEFORE:
                    continue
                sent = dt.datetime.combine(
                    due - dt.timedelta(days=7), dt.time(0, 30), tzinfo=dt.UTC
                )
                yield (
                    sent,
                    sent,
                    rule,
                    world.bar_user[province],
                    kind,
                    "in_app",
                    f"提醒：{label} {pk}（截止 {due.isoformat()}）",
                    f"基准数据 {pk}\n截止 {due.isoformat()}。",
                    f"/admin/{app}/{model}/{pk}/change/",
                    label,
                    str(pk),
                    due,
                    "sent",
                    sent,
                    sent + dt.timedelta(days=1) if pk % 5 else None,
                )

    loader.copy(Notification, NOTICE_COLUMNS, rows())


# --- the two datasets ------------------------------------------------------------------------------------
def _load_base(size: Size) -> None:
    """The reference data (provinces, counties, holidays), then the 1x dataset."""
    from regions.services import load_calendar, load_regions

    load_regions(today=ON)
    load_calendar()
    build_base(size)


def build_base(size: Size) -> None:
    """The 1x dataset, in one transaction (a savepoint inside one: the tests build it
    small in theirs), on the reference data."""
    from django.db import connection, transaction

    rng = random.Random(20261203)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")
        loader = Loader(cursor)
        _reference(loader)
        world = _world()
        codes = {pk: code for code, pk in world.provinces.items()}
        n_agreements = len(world.agreements)
        # two new firms per pairing: the helper firm (it hosts secondments and opens a
        # branch, a mentor works there) and the recipient firm
        sides = [
            world.agreements[n % n_agreements][side]
            for n in range(size.pairings)
            for side in (1, 2)
        ]
        firms = _firms(loader, codes, world.short, sides, rng)
        helpers = firms[0::2]
        _lawyers(
            loader,
            [(p, f, rng.random() < 0.9) for f, p in zip(helpers, sides[0::2], strict=True)],
            title=MENTOR,
        )
        _pairings(
            loader,
            world,
            [
                (
                    n % n_agreements,
                    firms[2 * n],
                    firms[2 * n + 1],
                    _day_between(rng, PROGRAMME_START, _add_months(PROGRAMME_START, 12) - DAY),
                    None,
                )
                for n in range(size.pairings)
            ],
        )
        world = _world()
        pairings = [(pk, a, s, e) for pk, a, s, e in _active_pairings(world)]
        reports = _reports(loader, world, pairings, rng)
        secondments = _secondments(
            loader, world, rng, size.secondments, PROGRAMME_START, dt.date(2027, 6, 30)
        )
        minimum = _branches(loader, world, size.branches, rng)
        postings = _postings(loader, world, _current_spans(world, minimum, rng))
        _past_notices(loader, world, reports, secondments, postings)
        loader.finish()


def _active_pairings(world: World) -> list[tuple[int, int, dt.date, dt.date | None]]:
    from pairing.models import FirmPairing

    index = {pk: n for n, (pk, _, _) in enumerate(world.agreements)}
    return [
        (pk, index[a], s, e)
        for pk, a, s, e in FirmPairing.objects.filter(status="active")
        .order_by("pk")
        .values_list("pk", "agreement_id", "term_start", "term_end")
    ]


def build_history(size: Size) -> None:
    """Nine times the 1x reports, secondments, postings and past notices, in nine times
    denser years from HISTORY_START to HISTORY_END (90 days before the sweep day), all
    settled by then: two-year pairings of an earlier round (ended, every report
    submitted), other trainees (every secondment ended and evaluated, under an earlier
    round's quotas, by SECONDMENT_HISTORY_END: this year's quotas and secondments stay
    the 1x ones), ended postings at the same branches. In one transaction (or savepoint)."""
    from django.db import connection, transaction

    from pairing.models import ProgressReport

    rng = random.Random(20230701)
    extra = FACTOR - 1
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")
        loader = Loader(cursor)
        world = _world()
        base_reports = ProgressReport.objects.count()
        # two-year terms of quarterly (3 in 5: 8 reports) or half-yearly (4) reports
        per_pairing = (3 * 8 + 2 * 4) / 5 * HISTORY_TERM_MONTHS / 24
        n_pairings = round(extra * base_reports / per_pairing)
        last_start = _add_months(HISTORY_END + DAY, -HISTORY_TERM_MONTHS)
        rows = []
        for n in range(n_pairings):
            agreement = n % len(world.agreements)
            start = _day_between(rng, HISTORY_START, last_start)
            rows.append(
                (
                    agreement,
                    rng.choice(world.helper_firms[agreement]),
                    rng.choice(world.recipient_firms[agreement]),
                    start,
                    _add_months(start, HISTORY_TERM_MONTHS) - DAY,
                )
            )
        pairings = _pairings(loader, world, rows)
        reports = _reports(loader, world, pairings, rng, settled=True)
        secondments = _secondments(
            loader,
            world,
            rng,
            extra * size.secondments,
            HISTORY_START,
            _add_months(SECONDMENT_HISTORY_END + DAY, -2),  # ended by then (two months at most)
            settled=True,
        )
        postings = _postings(loader, world, _history_spans(world, rng))
        _past_notices(loader, world, reports, secondments, postings)
        loader.finish()


# --- databases ------------------------------------------------------------------------------------------
def _wrapper(name: str) -> Any:
    """A second connection like the default one, to database `name`."""
    from django.db import connections

    default = connections["default"]
    settings_dict = copy.deepcopy(default.settings_dict)
    settings_dict["NAME"] = name
    return default.__class__(settings_dict, alias="default")


def _description(cursor: Any, name: str) -> str | None:
    cursor.execute(
        "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s",
        [name],
    )
    row = cursor.fetchone()
    return row[0] if row else None


def _analyze() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        for table in LOADED_TABLES:
            cursor.execute(f'VACUUM (ANALYZE) "{table}"')


def _prepare(size: Size, small: Any, big: Any) -> None:
    """Build (or reuse) the 1x dataset in the benchmark database and the 10x one beside it."""
    from django.core.management import call_command
    from django.db import connections

    from accounts.models import User

    small_name, big_name = small.settings_dict["NAME"], big.settings_dict["NAME"]
    connections["default"] = small
    call_command("migrate", verbosity=0)
    with small.cursor() as cursor:
        described = _description(cursor, small_name) or ""
    if described.split(" built=")[0] != size.marker():
        if User.objects.filter(username__startswith="rb-").exists():
            raise SystemExit(
                f"{small_name} holds a reminders_bench dataset of other sizes ({described!r}): "
                "drop and create the database again, or use the sizes it was built with."
            )
        started = time.perf_counter()
        _load_base(size)
        _analyze()
        described = f"{size.marker()} built={dt.datetime.now(dt.UTC):%Y-%m-%dT%H:%M:%S}"
        with small.cursor() as cursor:
            cursor.execute(f'COMMENT ON DATABASE "{small_name}" IS %s', [described])
        print(f"loaded the 1x dataset into {small_name} in {time.perf_counter() - started:.0f} s")
    wanted = f"{described} x{FACTOR} history v{HISTORY_VERSION}"
    maintenance = _wrapper("postgres")
    with maintenance.cursor() as cursor:
        current = _description(cursor, big_name)
    if current != wanted:
        started = time.perf_counter()
        small.close()
        big.close()
        with maintenance.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{big_name}"')
            for attempt in range(10):
                try:
                    cursor.execute(f'CREATE DATABASE "{big_name}" TEMPLATE "{small_name}"')
                    break
                except Exception:  # another session still on the template: wait
                    if attempt == 9:
                        raise
                    time.sleep(1)
        connections["default"] = big
        build_history(size)
        _analyze()
        with maintenance.cursor() as cursor:
            cursor.execute(f'COMMENT ON DATABASE "{big_name}" IS %s', [wanted])
        print(f"built {big_name} (10x) in {time.perf_counter() - started:.0f} s")
    maintenance.close()
    connections["default"] = big
    call_command("migrate", verbosity=0)


# --- measuring ------------------------------------------------------------------------------------------
@dataclass
class Round:
    sweep: float  # run_sweep, seconds
    outbox: float  # the after-commit outbox queries, seconds
    rules: dict[int, Any]  # rule id -> RuleResult


def _sweep() -> Round:
    """One real sweep of the day, rolled back; the outbox queries it leaves for after the
    commit run inside the transaction, without handing anything to Celery."""
    from unittest import mock

    from django.db import connection, transaction

    from reminders.sweep import run_sweep

    with transaction.atomic():
        first = len(connection.run_on_commit)
        started = time.perf_counter()
        results = run_sweep(on=ON)
        swept = time.perf_counter() - started
        after_commit = [callback for _, callback, _ in connection.run_on_commit[first:]]
        started = time.perf_counter()
        with mock.patch("reminders.delivery.enqueue", return_value=0):
            for callback in after_commit:
                callback()
        outbox = time.perf_counter() - started
        transaction.set_rollback(True)
    return Round(swept, outbox, {r.rule.pk: r for r in results})


def _slowest_query(rule_id: int, runs: int = 5) -> tuple[float, str]:
    """The query of one rule's sweep with the longest median time, and its SQL."""
    from django.db import connection, transaction

    from reminders.sweep import run_sweep

    timings: dict[int, list[float]] = defaultdict(list)
    sqls: dict[int, str] = {}
    for _ in range(runs):
        n = 0

        def timed(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
            nonlocal n
            started = time.perf_counter()
            try:
                return execute(sql, params, many, context)
            finally:
                timings[n].append(time.perf_counter() - started)
                sqls[n] = sql
                n += 1

        with transaction.atomic(), connection.execute_wrapper(timed):
            run_sweep(on=ON, rule_ids=[rule_id])
            transaction.set_rollback(True)
    worst = max(timings, key=lambda i: statistics.median(timings[i]))
    return statistics.median(timings[worst]), sqls[worst]


def _short_sql(sql: str) -> str:
    import re

    sql = re.sub(r"^SELECT .*? FROM ", "SELECT … FROM ", sql, flags=re.S)
    sql = re.sub(r"^INSERT INTO (\S+) \(.*", r"INSERT INTO \1 …", sql, flags=re.S)
    return sql[:150] + ("…" if len(sql) > 150 else "")


def _settings(rule: Any) -> str:
    """A rule's schedule in short: offset (wd: working days, d: calendar days), repeats,
    escalation, look-ahead."""

    def days(n: int, unit: str) -> str:
        return f"{n:+d}{'wd' if unit == 'working' else 'd'}"

    text = days(rule.offset, rule.offset_unit)
    if rule.repeat_every and rule.max_repeats:
        text += f" {days(rule.repeat_every, rule.repeat_unit)}x{rule.max_repeats}"
    if rule.escalate_after:
        text += f" esc{rule.escalate_after}"
    if rule.kind == "staffing_gap":
        text += f" {rule.horizon_days}d"
    return text


def _sizes() -> dict[str, int]:
    from django.db import connection

    out = {}
    with connection.cursor() as cursor:
        for label, table in COUNTED:
            cursor.execute(f'SELECT COUNT(*) FROM "{table}"')
            out[label] = cursor.fetchone()[0]
    return out


def main() -> None:
    import django

    django.setup()
    from django.conf import settings
    from django.db import connections

    from reminders.models import ReminderRule

    settings.DEBUG = False  # no query log in the timed sweeps
    size = Size.from_env()
    repeat = int(os.environ.get("BENCH_REPEAT", "11"))
    small = connections["default"]
    big = _wrapper(f"{small.settings_dict['NAME']}_10x")
    _prepare(size, small, big)
    scales = {"1x": small, "10x": big}

    rules = _rules()
    sizes: dict[str, dict[str, int]] = {}
    for scale, wrapper in scales.items():
        connections["default"] = wrapper
        sizes[scale] = _sizes()
        for _ in range(2):  # warm-up: caches, plans, the first sweep's imports
            _sweep()

    rounds: dict[str, list[Round]] = {scale: [] for scale in scales}
    order = list(scales)
    for n in range(repeat):
        for scale in order if n % 2 == 0 else reversed(order):
            connections["default"] = scales[scale]
            rounds[scale].append(_sweep())

    slowest: dict[str, dict[int, tuple[float, str]]] = {}
    for scale, wrapper in scales.items():
        connections["default"] = wrapper
        slowest[scale] = {rule.pk: _slowest_query(rule.pk) for rule in rules}
    connections["default"] = small

    def median_ms(scale: str, pick: Callable[[Round], float]) -> float:
        return statistics.median(pick(r) for r in rounds[scale]) * 1000

    print(
        f"reminder sweep of {ON} ({ON:%A}), {len(rules)} rules, {repeat} interleaved rounds, "
        "medians; each sweep writes its notifications in a transaction then rolled back"
    )
    print(f"{'rows':<20} {'1x':>11} {'10x':>11}")
    for label, _ in COUNTED:
        print(f"{label:<20} {sizes['1x'][label]:>11,} {sizes['10x'][label]:>11,}")
    print()
    print(
        f"{'rule':<20} {'schedule':<19} {'obligations':>11} {'notifications':>13} {'unreach.':>8} {'queries':>7} "
        f"{'1x ms':>8} {'10x ms':>8} {'10x/1x':>7}"
    )
    for rule in rules:

        def both(attribute: str, rule: ReminderRule = rule) -> str:
            values = {
                scale: getattr(rounds[scale][0].rules[rule.pk], attribute) for scale in scales
            }
            values = {k: len(v) if isinstance(v, list) else v for k, v in values.items()}
            a, b = values["1x"], values["10x"]
            return f"{a}" if a == b else f"{a}/{b}"

        small_ms = median_ms("1x", lambda r, pk=rule.pk: r.rules[pk].seconds)
        big_ms = median_ms("10x", lambda r, pk=rule.pk: r.rules[pk].seconds)
        print(
            f"{rule.kind:<20} {_settings(rule):<19} {both('obligations'):>11} {both('notifications'):>13} "
            f"{both('unreachable'):>8} {both('queries'):>7} {small_ms:8.2f} {big_ms:8.2f} "
            f"{big_ms / small_ms:6.2f}x"
        )
    for label, pick in (
        ("run_sweep, all rules", lambda r: r.sweep),
        ("+ outbox after commit", lambda r: r.outbox),
        ("sweep total", lambda r: r.sweep + r.outbox),
    ):
        a, b = median_ms("1x", pick), median_ms("10x", pick)
        print(f"{label:<84} {a:8.2f} {b:8.2f} {b / a:6.2f}x")
    print("(queries: run_sweep's count per rule; the issue asks sweep total 10x/1x <= 1.5)")
    print()
    print("slowest query of each rule's sweep (median of 5), 1x -> 10x:")
    for rule in rules:
        (a, _), (b, sql) = slowest["1x"][rule.pk], slowest["10x"][rule.pk]
        print(f"  {rule.kind:<20} {a * 1000:7.2f} ms -> {b * 1000:7.2f} ms  {_short_sql(sql)}")


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    os.environ.setdefault(
        "DATABASE_URL",
        os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/pairing_bench"),
    )
    main()
