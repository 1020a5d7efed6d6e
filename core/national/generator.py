"""`generate_national_dataset`: the steps that write the national dataset.

Each step writes one table (or a table and the rows that belong to it: a lawyer's
licences, a branch's postings and service records) in ONE transaction, with PostgreSQL's
COPY (`core.bulk.copy_rows`), and ends by marking its table with `COMMENT ON TABLE` (the
generator's version, seed, scale, years, and the rows and last id written). A second run
with the same arguments skips every marked step whose rows are still there; a run that
was interrupted resumes at the step it was in (that step's transaction was rolled back).
A table that holds rows the generator did not write (another seed, demo data) stops the
run, unless `--flush` empties the dataset's tables first.

Rows are drawn from `random.Random(f"{seed}/{step}")` in a fixed order, and read back from
the database in id order where a later step needs them, so a seed always gives the same
rows (tests/national/ checks it). Ids are chosen here, after the table's largest id (so a
fresh database gets 1..n).

What the services do, the generator does the same way:
- constraints and triggers are on: foreign keys, CHECKs, exclusion constraints, the quota
  seat triggers, and pghistory's triggers, which record an insert event for every row;
- state changes are UPDATEs after the insert (a secondment is inserted planned and then
  started and completed, a report drafted then submitted and accepted), so the audit log
  holds the update events those transitions leave;
- a posted lawyer whose licence moved to the branch's province gets a new licence number
  (the old licence closed the day before), as the licence services re-issue it.

A big table's own indexes (not those of its constraints) are dropped for its COPY and
built again after it, in the same transaction: one sort instead of 700,000 index inserts.
"""

from __future__ import annotations

import bisect
import datetime as dt
import itertools
import json
import math
import random
import re
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, TextIO

from dateutil.relativedelta import relativedelta
from django.core.management import call_command
from django.db import connection, transaction

from . import shape

DAY = dt.timedelta(days=1)
NULL = "\\N"  # COPY's NULL, in the lines the big steps format themselves
MARKER = "national_dataset"


class DatasetConflict(Exception):
    """The database holds rows the generator did not write with these arguments."""


@dataclass(frozen=True)
class Options:
    scale: float = 1.0
    seed: int = 1
    first_year: int = shape.YEARS[0]
    last_year: int = shape.YEARS[1]

    @property
    def as_of(self) -> dt.date:
        return shape.as_of(self.last_year)

    def count(self, full: int, minimum: int = 1) -> int:
        return max(minimum, round(full * self.scale))

    def marker(self) -> str:
        return (
            f"{MARKER} v{shape.VERSION} seed={self.seed} scale={self.scale:g} "
            f"years={self.first_year}-{self.last_year}"
        )


class Progress:
    """A progress line per table: rows written, rows/s; redrawn in place on a terminal."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.tty = out.isatty() if hasattr(out, "isatty") else False

    def table(self, name: str, expected: int | None = None) -> Callable[[int], None]:
        start = time.perf_counter()
        last = [start]

        def report(done: int, final: bool = False) -> None:
            now = time.perf_counter()
            if not final and not self.tty and now - last[0] < 5:
                return
            last[0] = now
            rate = done / max(now - start, 1e-6)
            of = f" / {expected:,}" if expected else ""
            line = f"  {name:<32} {done:>11,}{of} rows  {rate:>10,.0f} rows/s"
            if self.tty:
                self.out.write("\r" + line + ("\n" if final else ""))
            else:
                self.out.write(line + "\n")
            self.out.flush()

        return report

    def line(self, text: str) -> None:
        self.out.write(text + "\n")
        self.out.flush()


# --- the world: what later steps read back ------------------------------------------------
@dataclass
class Province:
    id: int
    code: str
    name: str
    short: str
    region: str
    is_recipient: bool


@dataclass
class World:
    provinces: list[Province]
    by_code: dict[str, Province]
    counties: dict[int, list[tuple[int, str, str, str]]]  # province -> (id, code, name, kind)
    organisations: dict[tuple[str, str], int]  # (kind, province code) -> id
    rules: dict[str, int]  # rule kind -> id
    users: dict[tuple[str, str], list[int]] = field(default_factory=dict)


def _text_rng(options: Options, step: str) -> random.Random:
    return random.Random(f"{options.seed}/{step}")


def _weighted_counts(total: int, weights: dict[str, float]) -> dict[str, int]:
    """`total` split by weights, largest remainders first: the parts sum to `total`."""
    whole = sum(weights.values())
    raw = {k: total * w / whole for k, w in weights.items()}
    counts = {k: math.floor(v) for k, v in raw.items()}
    rest = total - sum(counts.values())
    for k in sorted(raw, key=lambda k: (counts[k] - raw[k], k))[:rest]:
        counts[k] += 1
    return counts


def _stamp(day: dt.date, rng: random.Random) -> dt.datetime:
    """A moment in office hours (Beijing time, as UTC) on `day`."""
    return dt.datetime(day.year, day.month, day.day, 1, 0, tzinfo=dt.UTC) + dt.timedelta(
        seconds=rng.randrange(9 * 3600)
    )


def _day_between(rng: random.Random, first: dt.date, last: dt.date) -> dt.date:
    if last <= first:
        return first
    return first + dt.timedelta(days=rng.randrange((last - first).days + 1))


class Generator:
    def __init__(self, options: Options, out: TextIO | None = None) -> None:
        self.options = options
        self.progress = Progress(out or sys.stdout)
        self.world: World | None = None
        self.timings: dict[str, float] = {}
        self.skipped: list[str] = []  # steps found done by an earlier run

    # --- running ------------------------------------------------------------------------
    def run(self) -> dict[str, float]:
        if connection.vendor != "postgresql":
            raise DatasetConflict("The national dataset is written to PostgreSQL only.")
        started = time.perf_counter()
        self._reference()
        for name, table, method in self.steps():
            self._step(name, table, method)
        self.timings["total"] = time.perf_counter() - started
        return self.timings

    def steps(self) -> list[tuple[str, str, Callable[[Any], int]]]:
        return [
            ("users", "accounts_user", self.users),
            ("firms", "firms_lawfirm", self.firms),
            ("lawyers", "lawyers_lawyer", self.lawyers),
            ("agreements", "pairing_pairingagreement", self.agreements),
            ("trainees", "lawyers_trainee", self.trainees),
            ("secondments", "pairing_secondment", self.secondments),
            ("pairings", "pairing_firmpairing", self.pairings),
            ("branches", "branches_branchoffice", self.branches),
            ("notifications", "reminders_notification", self.notifications),
            ("personal_data", "accounts_personaldataaccess", self.personal_data),
        ]

    def _reference(self) -> None:
        """Schema, provinces and counties, the calendar, organisations (get-or-create)."""
        import os

        from accounts.demo import create_demo_organisations

        devnull = open(os.devnull, "w")  # noqa: SIM115
        try:
            call_command("migrate", verbosity=0, stdout=devnull)
            call_command("load_regions", verbosity=0, stdout=devnull)
            call_command("load_calendar", verbosity=0, stdout=devnull)
        finally:
            devnull.close()
        create_demo_organisations()
        self._partners()
        self.world = self._load_world()

    def _partners(self) -> None:
        from accounts.models import Organisation
        from accounts.policy import Role
        from regions.models import Province

        provinces = list(Province.objects.order_by("code"))
        rng = _text_rng(self.options, "partners")
        for n in range(shape.PARTNERS):
            province = provinces[rng.randrange(len(provinces))]
            Organisation.objects.get_or_create(
                name=f"{province.name}律师管理信息系统（对接{n + 1:02d}）",
                defaults={"kind": Role.PARTNER, "province": province},
            )

    def _load_world(self) -> World:
        from accounts.models import Organisation
        from regions.models import County
        from regions.models import Province as ProvinceModel
        from reminders.models import ReminderRule

        provinces = [
            Province(p.pk, p.code, p.name, p.short_name, p.region, p.is_recipient)
            for p in ProvinceModel.objects.order_by("code")
        ]
        counties: dict[int, list[tuple[int, str, str, str]]] = defaultdict(list)
        for row in County.objects.order_by("code").values_list(
            "province_id", "pk", "code", "name", "kind"
        ):
            counties[row[0]].append(row[1:])
        organisations: dict[tuple[str, str], int] = {}
        for pk, kind, code in Organisation.objects.order_by("pk").values_list(
            "pk", "kind", "province__code"
        ):
            organisations.setdefault((kind, code or ""), pk)
        rules: dict[str, int] = {}
        for pk, kind in ReminderRule.objects.order_by("pk").values_list("pk", "kind"):
            rules.setdefault(kind, pk)
        return World(
            provinces=provinces,
            by_code={p.code: p for p in provinces},
            counties=dict(counties),
            organisations=organisations,
            rules=rules,
        )

    def _step(self, name: str, table: str, method: Callable[[Any], int]) -> None:
        options = self.options
        with connection.cursor() as cursor:
            cursor.execute("SELECT obj_description(%s::regclass, 'pg_class')", [f'"{table}"'])
            (comment,) = cursor.fetchone()
            if comment and comment.startswith(options.marker() + " "):
                done = dict(part.split("=", 1) for part in comment.split() if "=" in part)
                cursor.execute(
                    f'SELECT count(*) FROM "{table}" WHERE id <= %s',  # table: ours
                    [int(done.get("last_id", 0))],
                )
                if cursor.fetchone()[0] == int(done.get("rows", -1)):
                    self.progress.line(f"  {name:<32} done earlier ({done['rows']} rows), skipped")
                    self.skipped.append(name)
                    return
            cursor.execute(f'SELECT EXISTS (SELECT 1 FROM "{table}")')
            if cursor.fetchone()[0]:
                raise DatasetConflict(
                    f"{table} holds rows this run did not write ({comment or 'no marker'}); "
                    "use an empty database, or --flush to empty the dataset's tables first."
                )
        started = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
            cursor.execute("SET LOCAL synchronous_commit = off")
            # foreign keys checked at each statement's end, not queued for COMMIT (an
            # index cannot be built on a table with queued checks)
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            self._audit_context(cursor)
            rows = method(cursor)
            cursor.execute(f'SELECT max(id) FROM "{table}"')
            last_id = cursor.fetchone()[0] or 0
            cursor.execute(
                f'COMMENT ON TABLE "{table}" IS %s',
                [f"{options.marker()} step={name} rows={rows} last_id={last_id}"],
            )
        with connection.cursor() as cursor:
            cursor.execute(f'ANALYZE "{table}"')
        self.timings[name] = time.perf_counter() - started

    def _audit_context(self, cursor: Any) -> None:
        """pghistory's context for the step's events (transaction-local): the generator
        as the actor, so the change log tells generated rows from real ones."""
        import pghistory

        with pghistory.context(source="generate_national_dataset", seed=self.options.seed):
            # pghistory's execute wrapper sets the context on a statement that is not a
            # plain SELECT (see core.bulk.bulk_insert); the COPYs after it carry it
            cursor.execute("WITH t AS (SELECT 1) SELECT 1 FROM t")

    # --- helpers ------------------------------------------------------------------------
    def _ids(self, cursor: Any, table: str) -> int:
        cursor.execute(f'SELECT COALESCE(max(id), 0) FROM "{table}"')
        return cursor.fetchone()[0]

    def _copy(
        self,
        cursor: Any,
        table: str,
        columns: Sequence[str],
        rows: Iterable[Sequence[Any]],
        expected: int | None = None,
    ) -> int:
        from core.bulk import copy_rows, copy_text

        report = self.progress.table(table, expected)
        rest, defaults = self._defaults(table, columns)
        if rest:
            tail = "\t" + "\t".join(copy_text(v) for v in defaults)
            rows = (row + tail if type(row) is str else tuple(row) + defaults for row in rows)
        before = self._ids(cursor, table)
        # The COPY with triggers off (a transaction-local setting): no per-row foreign-key
        # trigger, no per-statement audit trigger per 50,000 rows. Both are done after it,
        # set-based over the new rows: the foreign keys checked, the insert events written
        # by the audit trigger's own INSERT. CHECK, NOT NULL, unique and exclusion
        # constraints are not triggers: PostgreSQL checks every row as it is copied.
        cursor.execute("SET LOCAL session_replication_role = replica")
        try:
            n = copy_rows(cursor, table, [*columns, *rest], rows, progress=report)
        finally:
            cursor.execute("SET LOCAL session_replication_role = origin")
        if n:
            report(n, final=True)
            self._check_foreign_keys(cursor, table, before)
            self._insert_events(cursor, table, before)
        return n

    def _check_foreign_keys(self, cursor: Any, table: str, after_id: int) -> None:
        """Every foreign key of the rows after `after_id` names an existing row (what the
        skipped triggers would have checked), one anti-join per key."""
        cursor.execute(
            """
            SELECT c.conname, a.attname, p.relname, pa.attname FROM pg_constraint c
            JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
            JOIN pg_class p ON p.oid = c.confrelid
            JOIN pg_attribute pa ON pa.attrelid = c.confrelid AND pa.attnum = c.confkey[1]
            WHERE c.contype = 'f' AND c.conrelid = %s::regclass ORDER BY c.conname
            """,
            [f'"{table}"'],
        )
        for name, column, parent, parent_column in cursor.fetchall():
            cursor.execute(
                f'SELECT count(*) FROM "{table}" c WHERE c.id > %s AND c."{column}" IS NOT NULL '
                f'AND NOT EXISTS (SELECT 1 FROM "{parent}" p WHERE p."{parent_column}" = c."{column}")',
                [after_id],
            )
            missing = cursor.fetchone()[0]
            if missing:
                raise DatasetConflict(
                    f"{table}.{column}: {missing} row(s) name no {parent} row ({name})"
                )

    _NEW_ROWS = re.compile(r"FROM \(\s*SELECT new_values\.\* FROM new_values\s*\) AS new_values")

    def _insert_events(self, cursor: Any, table: str, after_id: int) -> None:
        """The audit trigger's insert events for the rows after `after_id`: its own
        INSERT ... SELECT (read from the trigger function), over those rows instead of the
        statement's transition table; the same columns, context and label."""
        cursor.execute(
            "SELECT p.prosrc FROM pg_trigger t JOIN pg_proc p ON p.oid = t.tgfoid "
            "WHERE t.tgrelid = %s::regclass AND NOT t.tgisinternal "
            "AND t.tgname LIKE 'pgtrigger_insert_insert%%'",
            [f'"{table}"'],
        )
        found = cursor.fetchone()
        if found is None:  # not an audited table
            return
        body = found[0]
        start = body.index("WITH _pgh_attached_context")
        statement = body[start : body.index("; RETURN NULL;", start)]
        rows = f'FROM (SELECT * FROM "{table}" WHERE id > {int(after_id)}) AS new_values'
        statement, replaced = self._NEW_ROWS.subn(rows, statement)
        if replaced != 1:
            raise RuntimeError(f"{table}: the audit trigger's INSERT has changed shape")
        cursor.execute(statement.replace("%", "%%"), [])

    @staticmethod
    def _defaults(table: str, columns: Sequence[str]) -> tuple[list[str], tuple[Any, ...]]:
        """The model's columns not given, with their fields' defaults (PostgreSQL has no
        defaults: Django fills them in)."""
        from django.apps import apps

        model = next((m for m in apps.get_models() if m._meta.db_table == table), None)
        if model is None:  # a many-to-many table, or one of ours
            return [], ()
        rest = [
            f
            for f in model._meta.concrete_fields
            if f.column not in columns and not f.primary_key and not f.generated
        ]
        values = []
        for f in rest:
            value = f.get_default()
            if value is None and not f.null:
                raise ValueError(f"{table}.{f.column}: no value given and no default")
            values.append(value)
        return [f.column for f in rest], tuple(values)

    def _sync_sequence(self, cursor: Any, table: str) -> None:
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence(%s, 'id'), "
            f'(SELECT COALESCE(max(id), 1) FROM "{table}"))',
            [f'"{table}"'],
        )

    def _without_indexes(self, cursor: Any, table: str) -> list[str]:
        """Drop the table's own indexes (not its constraints'); returns their definitions
        for `_rebuild`."""
        cursor.execute(
            """
            SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x
            JOIN pg_class i ON i.oid = x.indexrelid
            WHERE x.indrelid = %s::regclass
              AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)
            ORDER BY i.relname
            """,
            [f'"{table}"'],
        )
        found = cursor.fetchall()
        for name, _ in found:
            cursor.execute(f'DROP INDEX "{name}"')
        return [definition for _, definition in found]

    def _rebuild(self, cursor: Any, definitions: Sequence[str]) -> None:
        for definition in definitions:
            cursor.execute(definition)

    # --- users --------------------------------------------------------------------------
    def users(self, cursor: Any) -> int:
        """Clerks of every justice department and bar association, the ministry's staff and
        a service user per partner: unusable passwords (sign-in is the bench's own
        accounts or SSO), fictional names."""
        from accounts.policy import Role
        from core.fake_names import person_name

        world = self.world
        rng = _text_rng(self.options, "users")
        base = self._ids(cursor, "accounts_user")
        per_org = self.options.count(shape.CLERKS_PER_ORGANISATION)
        plan: list[tuple[str, str, int, bool]] = []  # username, kind, organisation, staff
        for n in range(self.options.count(shape.MINISTRY_USERS)):
            plan.append(
                (
                    f"nat-mj-{n + 1:02d}",
                    Role.MINISTRY,
                    world.organisations[(Role.MINISTRY, "")],
                    True,
                )
            )
        for p in world.provinces:
            for kind, tag, staff in (
                (Role.JUSTICE_DEPARTMENT, "sft", True),
                (Role.BAR_ASSOCIATION, "lx", False),
            ):
                org = world.organisations[(kind, p.code)]
                for n in range(per_org):
                    plan.append((f"nat-{p.code}-{tag}-{n + 1:02d}", kind, org, staff))
        for (kind, _code), org in sorted(world.organisations.items(), key=lambda kv: kv[1]):
            if kind == Role.PARTNER:
                plan.append((f"nat-partner-{org}", kind, org, False))
        joined = dt.datetime(self.options.first_year - 1, 12, 1, 1, tzinfo=dt.UTC)

        def rows() -> Iterator[tuple[Any, ...]]:
            for k, (username, _kind, org, staff) in enumerate(plan):
                name = person_name(rng)
                password = "!" + "".join(
                    rng.choice("abcdefghjkmnpqrstuvwxyz23456789") for _ in range(40)
                )
                yield (
                    base + k + 1,
                    password,
                    None,
                    False,
                    username,
                    name[1:],
                    name[0],
                    f"{username}@example.gov.cn",
                    staff,
                    True,
                    joined,
                    org,
                    "",
                    joined,
                    joined,
                )

        n = self._copy(
            cursor, "accounts_user",
            ["id", "password", "last_login", "is_superuser", "username", "first_name",
             "last_name", "email", "is_staff", "is_active", "date_joined", "organisation_id",
             "phone", "created_at", "updated_at"],
            rows(),
        )  # fmt: skip
        self._sync_sequence(cursor, "accounts_user")
        return n

    def _users(self) -> dict[tuple[str, str], list[int]]:
        """(kind, province code) -> ids of the generated users of those organisations."""
        world = self.world
        if not world.users:
            from accounts.models import User

            users: dict[tuple[str, str], list[int]] = defaultdict(list)
            for pk, kind, code in (
                User.objects.filter(username__startswith="nat-")
                .order_by("pk")
                .values_list("pk", "organisation__kind", "organisation__province__code")
            ):
                users[(kind, code or "")].append(pk)
            world.users = dict(users)
        return world.users

    # --- firms --------------------------------------------------------------------------
    def firms(self, cursor: Any) -> int:
        from core.fake_names import FIRM_WORDS
        from core.pinyin import name_initials, name_pinyin
        from firms.identifiers import credit_code_check_character

        options, world = self.options, self.world
        rng = _text_rng(options, "firms")
        total = options.count(shape.FIRMS, minimum=len(world.provinces))
        weights = {
            code: w * (shape.WEST_FIRM_FACTOR if world.by_code[code].region == "west" else 1.0)
            for code, w in shape.PROVINCE_WEIGHTS.items()
        }
        per_province = _weighted_counts(total, weights)
        base = self._ids(cursor, "firms_lawfirm")
        cumulative = {
            west: list(itertools.accumulate(b[0] for b in bands))
            for west, bands in ((False, shape.FIRM_SIZE_BANDS), (True, shape.WEST_FIRM_SIZE_BANDS))
        }
        plan: list[tuple[str, int]] = []
        for code in sorted(per_province):
            plan.extend((code, k) for k in range(per_province[code]))
        rng.shuffle(plan)  # ids not grouped by province
        used: set[str] = set()

        def size(west: bool) -> int:
            bands = shape.WEST_FIRM_SIZE_BANDS if west else shape.FIRM_SIZE_BANDS
            shares = cumulative[west]
            band = min(bisect.bisect(shares, rng.random() * shares[-1]), len(bands) - 1)
            _, low, high = bands[band]
            if band == len(bands) - 1:  # a long tail: most large firms near the bottom
                return min(high, int(low / (1 - rng.random()) ** 0.7))
            if band == 0:
                return rng.choice((1, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 10))
            return rng.randint(low, high)

        def rows() -> Iterator[tuple[Any, ...]]:
            for k, (code, n) in enumerate(plan):
                province = world.by_code[code]
                counties = world.counties.get(province.id)
                county = counties[rng.randrange(len(counties))] if counties else None
                place = (county[2] if county else province.short).removesuffix("区")
                place = place.removesuffix("县").removesuffix("市") or province.short
                w1, w2 = rng.choice(FIRM_WORDS), rng.choice(FIRM_WORDS)
                name = f"{place}{w1}{w2}律师事务所"
                if name in used:
                    name = f"{place}{w1}{w2}{n + 1}律师事务所"
                used.add(name)
                lawyers = size(province.region == "west")
                division = county[1] if county else f"{code}0000"
                first17 = f"31{division}{base + k + 1:09d}"
                credit = first17 + credit_code_check_character(first17)
                founded = dt.date(1985, 1, 1) + dt.timedelta(days=rng.randrange(365 * 40))
                form = (
                    "sole" if lawyers <= 3 and rng.random() < 0.6
                    else "state" if rng.random() < 0.03
                    else "special_partnership" if lawyers > 100 and rng.random() < 0.3
                    else "partnership"
                )  # fmt: skip
                party = (
                    "none" if lawyers < 3
                    else "committee" if lawyers > 100
                    else "general_branch" if lawyers > 50
                    else "joint_branch" if lawyers < 5 and rng.random() < 0.5
                    else "branch"
                )  # fmt: skip
                updated = _stamp(
                    _day_between(rng, dt.date(options.first_year, 1, 1), options.as_of), rng
                )
                yield (
                    base + k + 1, updated, updated, name, name_pinyin(name), name_initials(name),
                    credit, "", province.id, county[0] if county else None, form, founded,
                    lawyers, dt.date(options.last_year - 1, 12, 31), lawyers > 100,
                    rng.random() < 0.03, rng.random() < 0.01, lawyers > 100 and rng.random() < 0.3,
                    party, f"{place}{rng.choice('东西南北中')}路{rng.randint(1, 999)}号",
                    f"0{rng.randint(10, 999)}-{rng.randint(2000000, 89999999)}", "",
                )  # fmt: skip

        n = self._copy(
            cursor, "firms_lawfirm",
            ["id", "created_at", "updated_at", "name", "name_pinyin", "name_initials",
             "credit_code", "legacy_licence_no", "province_id", "county_id",
             "organisation_form", "founded_on", "declared_lawyers", "declared_as_of",
             "is_large_scale", "is_boutique", "is_model", "is_leading", "party_organisation",
             "address", "phone", "email"],
            rows(), total,
        )  # fmt: skip
        self._sync_sequence(cursor, "firms_lawfirm")
        return n

    # --- lawyers and licences -----------------------------------------------------------
    def lawyers(self, cursor: Any) -> int:
        """Every firm's declared lawyers, plus lawyers outside firms (company and public
        lawyers) up to each province's share; 60.4% under 40; about 4% moved province once
        (an older licence of another province, closed the day before the current one)."""
        from core.fake_names import person_name
        from core.pinyin import name_initials, name_pinyin

        options, world = self.options, self.world
        rng = _text_rng(options, "lawyers")
        total = options.count(shape.LAWYERS, minimum=len(world.provinces) * 3)
        target = _weighted_counts(total, dict(shape.PROVINCE_WEIGHTS))
        cursor.execute(
            "SELECT f.id, f.province_id, f.declared_lawyers, c.code FROM firms_lawfirm f "
            "LEFT JOIN regions_county c ON c.id = f.county_id ORDER BY f.id"
        )
        firms = cursor.fetchall()
        # (province id, firm id or None, city code)
        plan: list[tuple[int, int | None, str]] = []
        in_firms: dict[int, int] = defaultdict(int)
        for firm, province, size, county in firms:
            city = county[2:4] if county else "01"
            plan.extend((province, firm, city) for _ in range(size))
            in_firms[province] += size
        for code, wanted in sorted(target.items()):
            province = world.by_code[code]
            counties = world.counties.get(province.id) or [(0, f"{code}0100", "", "")]
            outside = max(wanted - in_firms[province.id], round(0.03 * in_firms[province.id]), 1)
            for _ in range(outside):
                plan.append((province.id, None, counties[rng.randrange(len(counties))][1][2:4]))
        rng.shuffle(plan)
        total = len(plan)
        base = self._ids(cursor, "lawyers_lawyer")
        licence_base = self._ids(cursor, "lawyers_lawyerlicence")
        codes = {p.id: p.code for p in world.provinces}
        others = [p for p in world.provinces if p.code != "66"]
        sequence: dict[str, int] = defaultdict(int)
        as_of = options.as_of
        pinyin: dict[str, tuple[str, str]] = {}
        practice_json: dict[tuple[str, ...], str] = {}
        licences: list[tuple[Any, ...]] = []
        areas = [
            "civil",
            "criminal",
            "administrative",
            "foreign",
            "ip",
            "finance",
            "labour",
            "government",
        ]
        politics = (["masses"] * 62 + ["party_member"] * 30 + ["democratic_party"] * 4
                    + ["league"] * 3 + ["probationary"])  # fmt: skip

        def number(province_code: str, city: str, year: int, gender: str) -> str:
            prefix = f"1{province_code}{city}{year}1{'1' if gender == 'F' else '0'}"
            sequence[prefix] += 1
            return f"{prefix}{sequence[prefix]:06d}"

        def rows() -> Iterator[tuple[Any, ...]]:
            next_licence = licence_base
            for k, (province, firm, city) in enumerate(plan):
                lawyer_id = base + k + 1
                name = person_name(rng)
                got = pinyin.get(name)
                if got is None:
                    got = pinyin[name] = (
                        name_pinyin(name, person=True),
                        name_initials(name, person=True),
                    )
                gender = "M" if rng.random() < 0.53 else "F"
                if rng.random() < shape.UNDER_40:
                    age = rng.randint(24, 39)
                else:
                    age = 40 + int(rng.expovariate(1 / 9)) % 36
                birth = dt.date(as_of.year - age, as_of.month, 1) - dt.timedelta(
                    days=rng.randrange(1, 365)
                )
                first_year = min(
                    as_of.year,
                    max(shape_first(birth), birth.year + 23 + int(rng.expovariate(1 / 3))),
                )
                moved = first_year < as_of.year - 2 and rng.random() < 0.04
                code = codes[province]
                current_from = dt.date(first_year, rng.randint(1, 12), rng.randint(1, 28))
                if moved:
                    old = others[rng.randrange(len(others))]
                    if old.id == province:
                        old = others[(others.index(old) + 1) % len(others)]
                    old_number = number(old.code, "01", first_year, gender)
                    moved_on = _day_between(rng, current_from + dt.timedelta(days=400), as_of)
                    next_licence += 1
                    licences.append((next_licence, lawyer_id, old_number, old.id, "01", first_year,
                                     current_from, moved_on - DAY, False))  # fmt: skip
                    current_from = moved_on
                current = number(code, city, first_year, gender)
                next_licence += 1
                licences.append((next_licence, lawyer_id, current, province, city, first_year,
                                 current_from, None, True))  # fmt: skip
                updated = _stamp(_day_between(rng, dt.date(options.first_year, 1, 1), as_of), rng)
                practice = sorted(rng.sample(areas, rng.choice((1, 1, 2, 2, 3))), key=areas.index)
                phone = (
                    f"1{rng.choice('3456789')}{rng.randrange(10**9):09d}"
                    if rng.random() < 0.85
                    else ""
                )
                email = f"lawyer{lawyer_id}@example.com" if rng.random() < 0.3 else ""
                areas_json = practice_json.get(tuple(practice))
                if areas_json is None:
                    areas_json = practice_json[tuple(practice)] = json.dumps(practice)
                stamp = updated.isoformat()
                # the COPY line itself (generated text has no tab, newline or backslash)
                yield (
                    f"{lawyer_id}\t{stamp}\t{stamp}\t{name}\t{got[0]}\t{got[1]}\t{gender}\t"
                    f"{birth.isoformat()}\t{rng.choice(politics)}\t{first_year}\t{province}\t"
                    f"{NULL if firm is None else firm}\t{areas_json}\t{phone}\t{email}\t{current}"
                )

        indexes = self._without_indexes(cursor, "lawyers_lawyer")
        n = self._copy(
            cursor, "lawyers_lawyer",
            ["id", "created_at", "updated_at", "name", "name_pinyin", "name_initials", "gender",
             "birth_date", "political_status", "first_licence_year", "province_id", "firm_id",
             "practice_areas", "phone", "email", "current_licence_no"],
            rows(), total,
        )  # fmt: skip
        self._rebuild(cursor, indexes)
        stamp = shape.LOADED_AT
        indexes = self._without_indexes(cursor, "lawyers_lawyerlicence")
        self._copy(
            cursor, "lawyers_lawyerlicence",
            ["id", "created_at", "updated_at", "lawyer_id", "number", "issuing_province_id",
             "city_code", "licensed_year", "category", "valid_from", "valid_to", "is_current"],
            ((i, stamp, stamp, lawyer, num, prov, city, year, "1", start, end, current)
             for i, lawyer, num, prov, city, year, start, end, current in licences),
            len(licences),
        )  # fmt: skip
        self._rebuild(cursor, indexes)
        self._sync_sequence(cursor, "lawyers_lawyer")
        self._sync_sequence(cursor, "lawyers_lawyerlicence")
        cursor.execute('ANALYZE "lawyers_lawyerlicence"')
        return n

    # --- agreements, quotas, targets ----------------------------------------------------
    def agreements(self, cursor: Any) -> int:
        """The agreements of the source document (pairing.demo.AGREEMENTS), a quota per
        intake and year (the four intakes of the document, and one per other agreement),
        targets per recipient province and year, and the document's statistics."""
        from pairing.demo import AGREEMENTS, QUOTAS, STATISTICS

        options, world = self.options, self.world
        stamp = shape.LOADED_AT
        base = self._ids(cursor, "pairing_pairingagreement")
        start = dt.date(options.first_year, 7, 1)
        rows = []
        for k, (helper, recipient, level, sourced) in enumerate(AGREEMENTS):
            term_end = (
                dt.date(options.last_year + 1, 6, 30)
                if k % 7
                else dt.date(options.last_year, 12, 31)
            )
            rows.append((
                base + k + 1, stamp, stamp, world.by_code[helper].id, world.by_code[recipient].id,
                level, True, dt.date(options.first_year, 6, 1), start, term_end, "",
                "" if sourced else "assumed", not sourced,
            ))  # fmt: skip
        n = self._copy(
            cursor, "pairing_pairingagreement",
            ["id", "created_at", "updated_at", "helper_province_id", "recipient_province_id",
             "level", "designated", "signed_on", "term_start", "term_end", "document",
             "source_note", "is_assumed"],
            rows,
        )  # fmt: skip
        # quotas: the intakes of the document, then one per further helper → recipient pair
        intakes: list[tuple[str, tuple[str, ...], tuple[str, ...]]] = [
            (name, hosts, sources) for name, hosts, sources, _seats in QUOTAS
        ]
        covered = {(h, s) for _, hosts, sources in intakes for h in hosts for s in sources}
        for helper, recipient, _level, _sourced in AGREEMENTS:
            if (helper, recipient) not in covered:
                covered.add((helper, recipient))
                name = f"{world.by_code[helper].short}接收{world.by_code[recipient].short}青年律师"
                intakes.append((name, (helper,), (recipient,)))
        trainees = options.count(shape.TRAINEES_PER_YEAR, minimum=4)
        # a source province's cohort (by its lawyers, as the trainees step draws it) spread
        # over the intakes it sends to
        sources = sorted({s for _, _, ss in intakes for s in ss})
        weight = {s: shape.PROVINCE_WEIGHTS[s] + 2 for s in sources}
        intakes_of = {s: sum(1 for _, _, ss in intakes if s in ss) for s in sources}
        quota_base = self._ids(cursor, "pairing_quota")
        quota_rows, hosts_rows, source_rows = [], [], []
        qid = quota_base
        for year in range(options.first_year, options.last_year + 1):
            for name, hosts, sources_ in intakes:
                qid += 1
                # seats: the intake's share of a cohort's ~1.6 secondments per trainee, with room
                share = sum(weight[s] / intakes_of[s] for s in sources_) / sum(weight.values())
                seats = max(2, math.ceil(trainees * 1.6 * share * 1.25))
                quota_rows.append((qid, stamp, stamp, year, name, seats, ""))
                hosts_rows.extend((qid, world.by_code[h].id) for h in hosts)
                source_rows.extend((qid, world.by_code[s].id) for s in sources_)
        self._copy(
            cursor,
            "pairing_quota",
            ["id", "created_at", "updated_at", "year", "name", "seats", "note"],
            quota_rows,
        )
        self._copy(cursor, "pairing_quota_host_provinces", ["quota_id", "province_id"], hosts_rows)
        self._copy(
            cursor, "pairing_quota_source_provinces", ["quota_id", "province_id"], source_rows
        )
        target_rows = []
        tid = self._ids(cursor, "pairing_programtarget")
        recipients = [p for p in world.provinces if p.is_recipient]
        for year in range(options.first_year, options.last_year + 1):
            for p in recipients:
                for metric, full in (
                    ("trainees", 80),
                    ("secondments", 120),
                    ("firm_pairings", 300),
                    ("branches", 60),
                ):
                    tid += 1
                    value = max(
                        1, round(full * options.scale * shape.PROVINCE_WEIGHTS[p.code] / 12)
                    )
                    target_rows.append((tid, stamp, stamp, metric, p.id, year, value, ""))
        self._copy(cursor, "pairing_programtarget",
                   ["id", "created_at", "updated_at", "metric", "province_id", "year", "value", "source_note"],
                   target_rows)  # fmt: skip
        sid = self._ids(cursor, "pairing_statsnapshot")
        stat_rows = []
        for k, (key, label, value, unit, region, as_of, source) in enumerate(STATISTICS):
            cursor.execute(
                "SELECT 1 FROM pairing_statsnapshot WHERE key = %s AND as_of = %s", [key, as_of]
            )
            if cursor.fetchone() is None:
                stat_rows.append(
                    (
                        sid + k + 1,
                        stamp,
                        stamp,
                        key,
                        label,
                        value,
                        unit,
                        None,
                        region,
                        as_of,
                        source,
                    )
                )
        self._copy(cursor, "pairing_statsnapshot",
                   ["id", "created_at", "updated_at", "key", "label", "value", "unit", "province_id",
                    "region_note", "as_of", "source"], stat_rows)  # fmt: skip
        for table in (
            "pairing_pairingagreement",
            "pairing_quota",
            "pairing_programtarget",
            "pairing_statsnapshot",
        ):
            self._sync_sequence(cursor, table)
        return n

    # --- trainees -----------------------------------------------------------------------
    def trainees(self, cursor: Any) -> int:
        """Each year's cohort: young lawyers (under 40 on the selection date, licensed
        before it) of the western provinces and the Corps, by their numbers of lawyers."""
        from lawyers.models import ExperienceGroup

        options, world = self.options, self.world
        rng = _text_rng(options, "trainees")
        per_year = options.count(shape.TRAINEES_PER_YEAR, minimum=4)
        recipients = [p for p in world.provinces if p.is_recipient]
        cursor.execute("SELECT DISTINCT s.province_id FROM pairing_quota_source_provinces s")
        sourced = {row[0] for row in cursor.fetchall()}
        recipients = [p for p in recipients if p.id in sourced]
        base = self._ids(cursor, "lawyers_trainee")
        cursor.execute(
            "SELECT id, province_id, birth_date, first_licence_year FROM lawyers_lawyer "
            "WHERE province_id = ANY(%s) AND birth_date > %s ORDER BY id",
            [[p.id for p in recipients], dt.date(options.first_year - 40, 1, 1)],
        )
        candidates: dict[int, list[tuple[int, dt.date, int]]] = defaultdict(list)
        for pk, province, birth, first_year in cursor.fetchall():
            candidates[province].append((pk, birth, first_year))
        taken: set[int] = set()
        plan = []
        for year in range(options.first_year, options.last_year + 1):
            selection = dt.date(year, 3, 15)
            counts = _weighted_counts(
                per_year, {p.code: shape.PROVINCE_WEIGHTS[p.code] + 2 for p in recipients}
            )
            for p in recipients:
                pool = candidates[p.id]
                want = counts[p.code]
                tries = 0
                while want and pool and tries < 50 * counts[p.code] + 100:
                    tries += 1
                    pk, birth, first_year = pool[rng.randrange(len(pool))]
                    age = (
                        selection.year
                        - birth.year
                        - ((selection.month, selection.day) < (birth.month, birth.day))
                    )
                    if pk in taken or age >= 40 or first_year >= year:
                        continue
                    taken.add(pk)
                    want -= 1
                    plan.append(
                        (
                            pk,
                            year,
                            p.id,
                            selection,
                            ExperienceGroup.for_years(year - first_year).value,
                        )
                    )
        tracks = ["civil", "criminal", "administrative", "labour", "ip", "finance", "government"]

        def rows() -> Iterator[tuple[Any, ...]]:
            for k, (lawyer, year, province, selection, group) in enumerate(plan):
                # this year's cohort still in training at the dataset's date, earlier ones done
                status = "nominated"
                updated = _stamp(selection, rng)
                yield (
                    base + k + 1, updated, updated, lawyer, year, province, selection, status,
                    group, rng.choice(tracks), "提升办案能力，熟悉东部地区律所管理。", "跟班办案、专题讲座、模拟法庭。",
                )  # fmt: skip

        n = self._copy(
            cursor, "lawyers_trainee",
            ["id", "created_at", "updated_at", "lawyer_id", "cohort_year", "home_province_id",
             "selection_date", "status", "experience_group", "practice_track", "plan_goals",
             "plan_activities"],
            rows(), len(plan),
        )  # fmt: skip
        # nominated → selected (all but a few), as the bar associations confirm them
        cursor.execute(
            "UPDATE lawyers_trainee SET status = 'selected', updated_at = updated_at + interval '20 days' "
            "WHERE id > %s AND (id * 7919) %% 50 <> 0",
            [base],
        )
        self._sync_sequence(cursor, "lawyers_trainee")
        return n

    # --- secondments and training activities --------------------------------------------
    def secondments(self, cursor: Any) -> int:
        """One or two 1–2-month secondments per trainee in the cohort's year at a host
        firm of a helper province, under that year's quota, with a senior lawyer of the
        firm as mentor; inserted planned, then started, completed (evaluated, signed off)
        or cancelled as their dates pass the dataset's date; training activities."""
        options = self.options
        rng = _text_rng(options, "secondments")
        as_of = options.as_of
        cursor.execute(
            "SELECT q.id, q.year, q.seats, array_agg(DISTINCT h.province_id), array_agg(DISTINCT s.province_id) "
            "FROM pairing_quota q JOIN pairing_quota_host_provinces h ON h.quota_id = q.id "
            "JOIN pairing_quota_source_provinces s ON s.quota_id = q.id GROUP BY q.id ORDER BY q.id"
        )
        quotas: dict[tuple[int, int], list[list[Any]]] = defaultdict(list)  # (year, source)
        for qid, year, seats, hosts, sources in cursor.fetchall():
            entry = [qid, seats, sorted(hosts)]
            for s in sorted(sources):
                quotas[(year, s)].append(entry)
        # host firms: 21+ lawyers in a helper province, with their most senior lawyer
        cursor.execute(
            """
            SELECT DISTINCT ON (f.id) f.province_id, f.id, l.id FROM firms_lawfirm f
            JOIN lawyers_lawyer l ON l.firm_id = f.id
            WHERE f.declared_lawyers >= 21 AND f.province_id IN
                (SELECT province_id FROM pairing_quota_host_provinces)
            ORDER BY f.id, l.first_licence_year, l.id
            """
        )
        hosts: dict[int, list[tuple[int, int]]] = defaultdict(list)
        for province, firm, mentor in cursor.fetchall():
            hosts[province].append((firm, mentor))
        cursor.execute(
            "SELECT id, home_province_id, cohort_year, selection_date, status FROM lawyers_trainee "
            "ORDER BY id"
        )
        trainees = cursor.fetchall()
        base = self._ids(cursor, "pairing_secondment")
        plan = []
        for trainee, home, year, selection, status in trainees:
            if status != "selected":
                continue
            options_ = quotas.get((year, home), [])
            start_floor = max(selection + dt.timedelta(days=30), dt.date(year, 4, 1))
            for _turn in range(2 if rng.random() < 0.6 else 1):
                open_ = [q for q in options_ if q[1] > 0 and any(hosts.get(h) for h in q[2])]
                if not open_:
                    break
                quota = open_[rng.randrange(len(open_))]
                host_provinces = [h for h in quota[2] if hosts.get(h)]
                firms = hosts[host_provinces[rng.randrange(len(host_provinces))]]
                firm, mentor = firms[rng.randrange(len(firms))]
                latest = dt.date(year, 10, 31)
                if start_floor > latest:
                    break
                start = _day_between(
                    rng, start_floor, min(latest, start_floor + dt.timedelta(days=90))
                )
                shortest = start + relativedelta(months=1) - DAY
                longest = start + relativedelta(months=2) - DAY
                end = _day_between(rng, shortest, longest)
                cancelled = rng.random() < 0.03
                quota[1] -= 1  # inserted planned: it holds its seat until it is cancelled
                plan.append((trainee, firm, mentor, quota[0], start, end, cancelled))
                start_floor = end + dt.timedelta(days=rng.randint(20, 60))
        stamp_rng = random.Random(f"{options.seed}/secondment-stamps")

        def rows() -> Iterator[tuple[Any, ...]]:
            for k, (trainee, firm, mentor, quota, start, end, _c) in enumerate(plan):
                created = _stamp(start - dt.timedelta(days=30), stamp_rng)
                yield (base + k + 1, created, created, trainee, firm, mentor, quota, start, end,
                       "planned", "", "", "", None, None)  # fmt: skip

        n = self._copy(
            cursor, "pairing_secondment",
            ["id", "created_at", "updated_at", "trainee_id", "host_firm_id", "mentor_id",
             "quota_id", "start_date", "end_date", "status", "cancel_reason",
             "evaluation_grade", "evaluation_comment", "evaluated_on", "bar_signed_off_on"],
            rows(), len(plan),
        )  # fmt: skip
        # the transitions, as the services make them (each leaves its update event)
        cursor.execute(
            "UPDATE pairing_secondment SET status = 'cancelled', cancel_reason = '学员因工作安排无法参加', "
            "updated_at = created_at + interval '7 days' WHERE id = ANY(%s)",
            [[base + k + 1 for k, p in enumerate(plan) if p[6]]],
        )
        cursor.execute(
            "UPDATE pairing_secondment SET status = 'active', updated_at = start_date + interval '9 hours' "
            "WHERE id > %s AND status = 'planned' AND start_date <= %s",
            [base, as_of],
        )
        cursor.execute(
            """
            UPDATE pairing_secondment SET status = 'completed',
                evaluation_grade = (ARRAY['excellent','good','good','pass','pass','fail'])[1 + (id * 31) %% 6],
                evaluation_comment = '学员认真参与案件办理，表现良好。',
                evaluated_on = LEAST(end_date + ((id * 13) %% 25)::int, %s::date),
                bar_signed_off_on = CASE WHEN end_date + ((id * 13) %% 25)::int + 10 <= %s::date
                    THEN end_date + ((id * 13) %% 25)::int + 10 END,
                updated_at = LEAST(end_date + ((id * 13) %% 25)::int, %s::date) + interval '10 hours'
            WHERE id > %s AND status = 'active' AND end_date < %s
            """,
            [as_of, as_of, as_of, base, as_of],
        )
        # trainees follow their secondments
        cursor.execute(
            """
            UPDATE lawyers_trainee t SET status = s.status,
                updated_at = GREATEST(t.updated_at, s.last_change)
            FROM (SELECT trainee_id,
                    CASE WHEN bool_and(status IN ('completed', 'cancelled')) THEN 'completed'
                         ELSE 'in_training' END AS status,
                    max(updated_at) AS last_change
                  FROM pairing_secondment GROUP BY trainee_id
                  HAVING bool_or(status IN ('active', 'completed'))) s
            WHERE s.trainee_id = t.id AND t.status = 'selected'
            """
        )
        # training activities of every secondment that started
        cursor.execute(
            "SELECT id, start_date, end_date FROM pairing_secondment WHERE id > %s "
            "AND status IN ('active', 'completed') ORDER BY id",
            [base],
        )
        started = cursor.fetchall()
        act_base = self._ids(cursor, "pairing_trainingactivity")
        kinds = ["field_study", "lecture", "moot_court", "team_assignment", "case_seminar"]
        titles = {"field_study": "随案实习", "lecture": "专题讲座", "moot_court": "模拟法庭",
                  "team_assignment": "团队办案", "case_seminar": "案例研讨"}  # fmt: skip

        def activities() -> Iterator[tuple[Any, ...]]:
            k = act_base
            for secondment, start, end in started:
                last = min(end, as_of)
                for _ in range(rng.randint(4, 10)):
                    k += 1
                    kind = kinds[rng.randrange(len(kinds))]
                    held = _day_between(rng, start, last)
                    stamp = _stamp(held, rng)
                    yield (k, stamp, stamp, secondment, kind, held,
                           f"{rng.choice((2, 3, 4, 6, 8))}.0", titles[kind])  # fmt: skip

        self._copy(
            cursor, "pairing_trainingactivity",
            ["id", "created_at", "updated_at", "secondment_id", "kind", "held_on", "hours", "title"],
            activities(),
        )  # fmt: skip
        self._sync_sequence(cursor, "pairing_secondment")
        self._sync_sequence(cursor, "pairing_trainingactivity")
        return n

    # --- firm pairings, goals, reports --------------------------------------------------
    def pairings(self, cursor: Any) -> int:
        """1对1 pairings under each agreement (a helper firm of 11+ lawyers, a recipient
        firm), started over the programme's years for two or three years; at most one
        active pairing per firm on each side. Goals, and quarterly progress reports to the
        dataset's date: drafted, submitted by the recipient's bar association, accepted
        (or returned) by the helper's justice department."""
        from accounts.policy import Role

        options = self.options
        rng = _text_rng(options, "pairings")
        as_of = options.as_of
        users = self._users()
        cursor.execute(
            "SELECT id, helper_province_id, recipient_province_id FROM pairing_pairingagreement ORDER BY id"
        )
        agreements = cursor.fetchall()
        cursor.execute("SELECT id, province_id, declared_lawyers FROM firms_lawfirm ORDER BY id")
        helpers: dict[int, list[int]] = defaultdict(list)
        recipients: dict[int, list[int]] = defaultdict(list)
        for firm, province, size in cursor.fetchall():
            if size >= 11:
                helpers[province].append(firm)
            recipients[province].append(firm)
        for pool in (*helpers.values(), *recipients.values()):
            rng.shuffle(pool)
        total = options.count(shape.PAIRINGS, minimum=len(agreements))
        weights = {str(a[0]): len(recipients[a[2]]) + 1 for a in agreements}
        counts = _weighted_counts(total, weights)
        base = self._ids(cursor, "pairing_firmpairing")
        start_first = dt.date(options.first_year, 7, 1)
        busy_helper: dict[int, dt.date] = {}  # firm -> end of its current pairing
        busy_recipient: dict[int, dt.date] = {}
        cursors: dict[tuple[str, int], int] = defaultdict(int)
        plan = []

        def take(
            kind: str, province: int, pool: list[int], busy: dict[int, dt.date], day: dt.date
        ) -> int | None:
            for _ in range(len(pool)):
                i = cursors[(kind, province)] % len(pool)
                cursors[(kind, province)] += 1
                firm = pool[i]
                if busy.get(firm, dt.date.min) < day:
                    return firm
            return None

        for agreement, helper_p, recipient_p in agreements:
            for _ in range(counts[str(agreement)]):
                start = _day_between(rng, start_first, as_of - dt.timedelta(days=20))
                years = rng.choice((2, 3))
                term_end = start + relativedelta(years=years) - DAY
                fate = rng.random()
                helper = take("h", helper_p, helpers[helper_p], busy_helper, start)
                recipient = take("r", recipient_p, recipients[recipient_p], busy_recipient, start)
                if helper is None or recipient is None or helper == recipient:
                    continue
                if fate < 0.04:
                    ended = _day_between(rng, start + dt.timedelta(days=90), min(term_end, as_of))
                    status, until = "dissolved", ended
                elif term_end < as_of:
                    status, until, ended = "ended", term_end, term_end
                elif fate > 0.97 and start > as_of - dt.timedelta(days=60):
                    status, until, ended = "proposed", term_end, None
                else:
                    status, until, ended = "active", term_end, None
                busy_helper[helper] = until
                busy_recipient[recipient] = until
                plan.append((helper, recipient, agreement, start, term_end, status, ended,
                             helper_p, recipient_p))  # fmt: skip
        focus = ["party_building", "talent", "management", "collaboration", "service"]

        def rows() -> Iterator[tuple[Any, ...]]:
            for k, (helper, recipient, agreement, start, term_end, _s, _e, _h, _r) in enumerate(
                plan
            ):
                created = _stamp(start - dt.timedelta(days=14), rng)
                mode = "strong_weak" if rng.random() < 0.8 else "strong_strong"
                areas = sorted(rng.sample(focus, rng.randint(1, 3)), key=focus.index)
                yield (base + k + 1, created, created, helper, recipient, agreement, mode, areas,
                       start, term_end, "proposed", None, "")  # fmt: skip

        n = self._copy(
            cursor, "pairing_firmpairing",
            ["id", "created_at", "updated_at", "helper_firm_id", "recipient_firm_id",
             "agreement_id", "mode", "focus_areas", "term_start", "term_end", "status",
             "ended_on", "dissolve_reason"],
            rows(), len(plan),
        )  # fmt: skip
        # proposed → active on the start, then ended or dissolved; one statement per step,
        # in time order, so that no firm ever has two active pairings
        cursor.execute(
            "CREATE TEMP TABLE national_fate (id bigint PRIMARY KEY, status text, ended date) ON COMMIT DROP"
        )
        from core.bulk import copy_rows

        copy_rows(cursor, "national_fate", ["id", "status", "ended"],
                  ((base + k + 1, p[5], p[6]) for k, p in enumerate(plan)))  # fmt: skip
        cursor.execute(
            "UPDATE pairing_firmpairing p SET status = f.status, ended_on = f.ended, "
            "dissolve_reason = CASE WHEN f.status = 'dissolved' THEN '双方经营方向调整，协商解除' ELSE '' END, "
            "updated_at = f.ended + interval '10 hours' FROM national_fate f "
            "WHERE f.id = p.id AND f.status IN ('ended', 'dissolved')"
        )
        cursor.execute(
            "UPDATE pairing_firmpairing p SET status = 'active', updated_at = p.term_start + interval '9 hours' "
            "FROM national_fate f WHERE f.id = p.id AND f.status = 'active'"
        )
        # goals
        goal_base = self._ids(cursor, "pairing_pairinggoal")
        goal_titles = {"party_building": "联合开展党建活动", "talent": "培养青年律师骨干",
                       "management": "建立规范化管理制度", "collaboration": "联合承办重大案件",
                       "service": "开展公益法律服务"}  # fmt: skip

        def goals() -> Iterator[tuple[Any, ...]]:
            k = goal_base
            for i, (_h, _r, _a, start, term_end, _s, _e, _hp, _rp) in enumerate(plan):
                for area in rng.sample(focus, 3):
                    k += 1
                    due = _day_between(rng, start + dt.timedelta(days=90), term_end)
                    achieved = None
                    if due < as_of and rng.random() < 0.7:
                        achieved = _day_between(rng, start + dt.timedelta(days=30), min(due, as_of))
                    stamp = _stamp(start, rng)
                    yield (k, stamp, stamp, base + i + 1, goal_titles[area], area, due, achieved)

        self._copy(
            cursor, "pairing_pairinggoal",
            ["id", "created_at", "updated_at", "pairing_id", "title", "focus_area", "due_date", "achieved_on"],
            goals(),
        )  # fmt: skip
        # reports: a quarter each, from the start to the end (or the dataset's date)
        report_base = self._ids(cursor, "pairing_progressreport")
        fates: list[
            tuple[int, str, dt.datetime | None, int | None, dt.datetime | None, int | None]
        ] = []

        def reports() -> Iterator[tuple[Any, ...]]:
            k = report_base
            for i, (_h, _r, _a, start, term_end, status, ended, helper_p, recipient_p) in enumerate(
                plan
            ):
                if status == "proposed":
                    continue
                last = min(ended or term_end, as_of)
                period = start
                submitters = users.get((Role.BAR_ASSOCIATION, self._code(recipient_p)), [None])
                reviewers = users.get((Role.JUSTICE_DEPARTMENT, self._code(helper_p)), [None])
                while period <= last:
                    period_end = period + relativedelta(months=3) - DAY
                    due = period_end + dt.timedelta(days=15)
                    k += 1
                    created = _stamp(period, rng)
                    yield (k, created, created, base + i + 1, period, period_end, due, "draft", "",
                           0, 0, 0, 0, None, None, None, None, "")  # fmt: skip
                    roll = rng.random()
                    if due <= as_of:
                        submitted = _stamp(
                            _day_between(rng, period_end, due + dt.timedelta(days=10)), rng
                        )
                        if submitted.date() > as_of or roll < 0.04:
                            fates.append((k, "draft", None, None, None, None))
                        else:
                            reviewed = _stamp(
                                _day_between(
                                    rng, submitted.date(), submitted.date() + dt.timedelta(days=20)
                                ),
                                rng,
                            )
                            outcome = (
                                "returned"
                                if roll > 0.97
                                else "accepted"
                                if reviewed.date() <= as_of and roll < 0.85
                                else "submitted"
                            )
                            fates.append((k, outcome, submitted, submitters[k % len(submitters)],
                                          reviewed if outcome != "submitted" else None,
                                          reviewers[k % len(reviewers)] if outcome != "submitted" else None))  # fmt: skip
                    elif period_end < as_of and roll < 0.3:
                        submitted = _stamp(_day_between(rng, period_end, as_of), rng)
                        fates.append(
                            (k, "submitted", submitted, submitters[k % len(submitters)], None, None)
                        )
                    period = period_end + DAY

        self._copy(
            cursor, "pairing_progressreport",
            ["id", "created_at", "updated_at", "pairing_id", "period_start", "period_end",
             "due_date", "status", "narrative", "trainings_held", "lawyers_trained",
             "joint_cases", "rules_adopted", "submitted_at", "submitted_by_id", "reviewed_at",
             "reviewed_by_id", "return_reason"],
            reports(),
        )  # fmt: skip
        cursor.execute(
            "CREATE TEMP TABLE national_report (id bigint PRIMARY KEY, status text, submitted timestamptz, "
            "submitter bigint, reviewed timestamptz, reviewer bigint) ON COMMIT DROP"
        )
        copy_rows(cursor, "national_report", ["id", "status", "submitted", "submitter", "reviewed", "reviewer"],
                  (f for f in fates if f[1] != "draft"))  # fmt: skip
        cursor.execute(
            "UPDATE pairing_progressreport r SET status = 'submitted', submitted_at = f.submitted, "
            "submitted_by_id = f.submitter, narrative = '本季度双方开展联合培训并共同办理案件。', "
            "trainings_held = 1 + r.id % 4, lawyers_trained = 3 + r.id % 20, joint_cases = r.id % 5, "
            "rules_adopted = r.id % 2, updated_at = f.submitted FROM national_report f WHERE f.id = r.id"
        )
        cursor.execute(
            "UPDATE pairing_progressreport r SET status = f.status, reviewed_at = f.reviewed, "
            "reviewed_by_id = f.reviewer, return_reason = CASE WHEN f.status = 'returned' "
            "THEN '请补充联合办案的具体情况。' ELSE '' END, updated_at = f.reviewed "
            "FROM national_report f WHERE f.id = r.id AND f.status IN ('accepted', 'returned')"
        )
        for table in ("pairing_firmpairing", "pairing_pairinggoal", "pairing_progressreport"):
            self._sync_sequence(cursor, table)
        return n

    def _code(self, province_id: int) -> str:
        return next(p.code for p in self.world.provinces if p.id == province_id)

    # --- branch offices, postings, service records --------------------------------------
    def branches(self, cursor: Any) -> int:
        """Branch offices in counties (县, 旗) of the western provinces, each opened by a
        firm of 21+ lawyers of a province helping that one; their staff in postings of
        6–12 months since the opening (a resident posting moves the lawyer's licence: a new
        number from the branch's province); daily service records; support contracts and
        care visits. The counties are marked as served by a branch."""
        from firms.identifiers import credit_code_check_character

        options, world = self.options, self.world
        rng = _text_rng(options, "branches")
        as_of = options.as_of
        cursor.execute(
            "SELECT helper_province_id, recipient_province_id FROM pairing_pairingagreement ORDER BY id"
        )
        helped_by: dict[int, list[int]] = defaultdict(list)
        for helper, recipient in cursor.fetchall():
            if helper not in helped_by[recipient]:
                helped_by[recipient].append(helper)
        cursor.execute(
            "SELECT f.province_id, f.id FROM firms_lawfirm f WHERE f.declared_lawyers >= 21 ORDER BY f.id"
        )
        parents: dict[int, list[int]] = defaultdict(list)
        for province, firm in cursor.fetchall():
            parents[province].append(firm)
        counties = []
        for p in world.provinces:
            if p.region != "west" or not helped_by.get(p.id):
                continue
            for county in world.counties.get(p.id, []):
                if county[3] in ("县", "旗", "自治县", "自治旗"):
                    counties.append((p, county))
        rng.shuffle(counties)
        wanted = min(len(counties), options.count(shape.BRANCHES, minimum=3))
        base = self._ids(cursor, "branches_branchoffice")
        plan = []
        for p, county in counties[:wanted]:
            helper = helped_by[p.id][rng.randrange(len(helped_by[p.id]))]
            pool = parents.get(helper) or parents.get(p.id) or []
            if not pool:
                continue
            parent = pool[rng.randrange(len(pool))]
            opened = _day_between(
                rng, dt.date(options.first_year - 1, 6, 1), as_of - dt.timedelta(days=120)
            )
            roll = rng.random()
            status = "closed" if roll < 0.03 else "suspended" if roll < 0.08 else "active"
            staff = rng.choice((1, 1, 2, 2, 3))
            plan.append((base + len(plan) + 1, p, county, parent, opened, status, staff))
        cursor.execute(
            "SELECT id, name FROM firms_lawfirm WHERE id = ANY(%s)", [[b[3] for b in plan]]
        )
        parent_name = dict(cursor.fetchall())

        def rows() -> Iterator[tuple[Any, ...]]:
            for bid, _p, county, parent, opened, status, staff in plan:
                first17 = f"31{county[1]}{900_000_000 + bid:09d}"
                stamp = _stamp(opened, rng)
                name = f"{parent_name[parent].removesuffix('律师事务所')}{county[2]}分所"
                yield (bid, stamp, stamp, name, parent, county[0], first17 + credit_code_check_character(first17),
                       f"2{county[1]}{bid:07d}", opened, status, staff)  # fmt: skip

        n = self._copy(
            cursor, "branches_branchoffice",
            ["id", "created_at", "updated_at", "name", "parent_firm_id", "county_id",
             "credit_code", "licence_no", "established_on", "status", "minimum_staff"],
            rows(), len(plan),
        )  # fmt: skip
        cursor.execute(
            "UPDATE regions_county c SET lawyer_status = 'branch', was_no_lawyer = true, "
            "lawyer_status_since = b.established_on, updated_at = b.created_at "
            "FROM branches_branchoffice b WHERE b.county_id = c.id AND b.id > %s AND b.status <> 'closed'",
            [base],
        )
        postings = self._postings(cursor, rng, plan)
        self._service_records(cursor, rng, plan, postings)
        self._contracts_and_visits(cursor, rng, plan)
        for table in ("branches_branchoffice", "branches_posting", "branches_servicerecord",
                      "branches_supportcontract", "branches_carevisit", "lawyers_lawyerlicence"):  # fmt: skip
            self._sync_sequence(cursor, table)
        return n

    def _postings(
        self, cursor: Any, rng: random.Random, plan: list[tuple[Any, ...]]
    ) -> dict[int, list[tuple[dt.date, dt.date | None, int]]]:
        """Each staff place of a branch held by one lawyer after another, 6–12 months each,
        from the opening to the dataset's date (the last one running or planned ahead);
        lawyers of the parent firm, each posted once."""
        options = self.options
        as_of = options.as_of
        cursor.execute(
            "SELECT l.firm_id, l.id, l.province_id, c.valid_from, c.city_code, l.first_licence_year, l.gender "
            "FROM lawyers_lawyer l JOIN lawyers_lawyerlicence c ON c.lawyer_id = l.id AND c.is_current "
            "WHERE l.firm_id = ANY(%s) ORDER BY l.firm_id, l.id",
            [sorted({b[3] for b in plan})],
        )
        staff: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
        for firm, *rest in cursor.fetchall():
            staff[firm].append(tuple(rest))
        used: set[int] = set()
        base = self._ids(cursor, "branches_posting")
        rows = []
        reissue = []  # (lawyer, old licence valid_from, posting start, branch province)
        by_branch: dict[int, list[tuple[dt.date, dt.date | None, int]]] = defaultdict(list)
        for bid, province, _county, parent, opened, status, places in plan:
            pool = [s for s in staff[parent] if s[0] not in used]
            rng.shuffle(pool)
            closed_on = as_of - dt.timedelta(days=60) if status == "closed" else None
            for _place in range(places):
                day = opened
                while day <= (closed_on or as_of) and pool:
                    lawyer, lawyer_province, licence_from, city, first_year, gender = pool.pop()
                    used.add(lawyer)
                    months = rng.randint(6, 12)
                    end = day + relativedelta(months=months) - DAY
                    kind = rng.choice(
                        ("rotation", "rotation", "rotation", "reassignment", "resident")
                    )
                    if closed_on and end > closed_on:
                        end = closed_on
                    open_ended = kind == "resident" and end > as_of and rng.random() < 0.5
                    started = day <= as_of
                    checklist = started or rng.random() < 0.5
                    transferred = kind == "resident" and checklist  # the licence moves
                    ended_reason = "派驻期满" if end < as_of else ""
                    rows.append((base + len(rows) + 1, lawyer, bid, kind, day, None if open_ended else end,
                                 checklist, checklist, checklist, ended_reason))  # fmt: skip
                    by_branch[bid].append((day, None if open_ended else end, lawyer))
                    if (
                        transferred
                        and started
                        and licence_from < day
                        and lawyer_province != province.id
                    ):
                        reissue.append((lawyer, day, province, city, first_year, gender))
                    day = end + DAY
        stamp = shape.LOADED_AT
        self._copy(
            cursor, "branches_posting",
            ["id", "created_at", "updated_at", "lawyer_id", "branch_id", "kind", "start_date",
             "end_date", "agreement_signed", "medical_passed", "licence_transferred",
             "end_reason"],
            ((r[0], stamp, stamp, *r[1:]) for r in rows), len(rows),
        )  # fmt: skip
        self._reissue(cursor, reissue)
        return by_branch

    def _reissue(self, cursor: Any, reissue: list[tuple[Any, ...]]) -> None:
        """A resident posting's licence moves to the branch's province: the old licence
        closes the day before the posting starts, a new number is issued (sequence numbers
        from 900001 up, apart from the ones the lawyers step issued)."""
        if not reissue:
            return
        sequence: dict[str, int] = defaultdict(lambda: 900_000)
        new = []
        for lawyer, day, province, _city, first_year, gender in reissue:
            prefix = f"1{province.code}01{first_year}1{'1' if gender == 'F' else '0'}"
            sequence[prefix] += 1
            new.append((lawyer, day, province.id, f"{prefix}{sequence[prefix]:06d}"))
        cursor.execute(
            "CREATE TEMP TABLE national_reissue (lawyer bigint PRIMARY KEY, day date, province bigint, "
            "number text) ON COMMIT DROP"
        )
        from core.bulk import copy_rows

        copy_rows(cursor, "national_reissue", ["lawyer", "day", "province", "number"], new)
        cursor.execute(
            "UPDATE lawyers_lawyerlicence c SET is_current = false, valid_to = r.day - 1, "
            "updated_at = r.day + interval '9 hours' FROM national_reissue r "
            "WHERE c.lawyer_id = r.lawyer AND c.is_current"
        )
        cursor.execute(
            "INSERT INTO lawyers_lawyerlicence (created_at, updated_at, lawyer_id, number, "
            "issuing_province_id, city_code, licensed_year, category, valid_from, valid_to, is_current) "
            "SELECT r.day + interval '9 hours', r.day + interval '9 hours', r.lawyer, r.number, "
            "r.province, '01', substr(r.number, 6, 4)::int, '1', r.day, NULL, true "
            "FROM national_reissue r ORDER BY r.lawyer"
        )
        cursor.execute(
            "UPDATE lawyers_lawyer l SET province_id = r.province, current_licence_no = r.number, "
            "updated_at = r.day + interval '9 hours' FROM national_reissue r WHERE l.id = r.lawyer"
        )

    def _service_records(self, cursor: Any, rng: random.Random, plan: list[tuple[Any, ...]],
                         postings: dict[int, list[tuple[dt.date, dt.date | None, int]]]) -> None:  # fmt: skip
        """About SERVICE_RECORDS records over the branches' open days, each by the lawyer
        posted there that day (or the branch as a whole)."""
        options = self.options
        as_of = options.as_of
        spans = []
        for bid, _p, _c, _parent, opened, status, _staff in plan:
            last = as_of - dt.timedelta(days=60) if status == "closed" else as_of
            spans.append((bid, opened, last))
        days = sum(max(0, (last - first).days + 1) for _, first, last in spans)
        total = options.count(shape.SERVICE_RECORDS)
        rate = total / max(days, 1)
        kinds = (
            ["legal_aid"] * 3
            + ["village_adviser"] * 3
            + ["platform_duty"] * 2
            + ["government_adviser", "paid_service"]
        )
        base = self._ids(cursor, "branches_servicerecord")

        def rows() -> Iterator[tuple[Any, ...]]:
            k = base
            carry = 0.0
            for bid, first, last in spans:
                posted = postings.get(bid, [])
                day = first
                while day <= last:
                    carry += rate
                    n = int(carry)
                    carry -= n
                    if n:
                        here = [lw for s, e, lw in posted if s <= day and (e is None or e >= day)]
                        stamp = _stamp(day, rng).isoformat()
                        served = day.isoformat()
                        for _ in range(n):
                            k += 1
                            lawyer = (
                                here[rng.randrange(len(here))]
                                if here and rng.random() < 0.9
                                else None
                            )
                            yield (
                                f"{k}\t{stamp}\t{stamp}\t{bid}\t{NULL if lawyer is None else lawyer}\t"
                                f"{kinds[rng.randrange(10)]}\t{served}\t{1 + int(rng.expovariate(0.8))}\t"
                            )  # the COPY line (note: empty)
                    day += DAY

        indexes = self._without_indexes(cursor, "branches_servicerecord")
        self._copy(
            cursor, "branches_servicerecord",
            ["id", "created_at", "updated_at", "branch_id", "lawyer_id", "kind", "served_on",
             "quantity", "note"],
            rows(), total,
        )  # fmt: skip
        self._rebuild(cursor, indexes)

    def _contracts_and_visits(
        self, cursor: Any, rng: random.Random, plan: list[tuple[Any, ...]]
    ) -> None:
        as_of = self.options.as_of
        stamp = shape.LOADED_AT
        contracts, visits = [], []
        cbase = self._ids(cursor, "branches_supportcontract")
        vbase = self._ids(cursor, "branches_carevisit")
        for bid, province, county, _parent, opened, _status, _staff in plan:
            for _ in range(rng.randint(1, 3)):
                start = _day_between(rng, opened, as_of)
                kind = rng.choice(("procured_service", "adviser"))
                counterparty = f"{county[2]}人民政府" if kind == "adviser" else f"{county[2]}司法局"
                contracts.append((cbase + len(contracts) + 1, stamp, stamp, bid, kind, counterparty,
                                  f"{rng.randint(2, 30) * 10000}.00", start, start + relativedelta(years=1) - DAY,
                                  "县级财政"))  # fmt: skip
            for _ in range(rng.randint(2, 6)):
                day = _day_between(rng, opened, as_of)
                visits.append((vbase + len(visits) + 1, stamp, stamp, bid, day,
                               f"{province.name}律师协会", "走访慰问组", "了解派驻律师工作生活情况。"))  # fmt: skip
        self._copy(cursor, "branches_supportcontract",
                   ["id", "created_at", "updated_at", "branch_id", "kind", "counterparty", "amount",
                    "start_date", "end_date", "funding_source"], contracts)  # fmt: skip
        self._copy(cursor, "branches_carevisit",
                   ["id", "created_at", "updated_at", "branch_id", "visited_on",
                    "visitor_organisation", "visitors", "notes"], visits)  # fmt: skip

    # --- notifications ------------------------------------------------------------------
    def notifications(self, cursor: Any) -> int:
        """What four years of daily sweeps left: reminders about reports, secondments and
        postings to the users of the provinces concerned, delivered (in-app, most read;
        e-mail sent, a few failed)."""
        from accounts.policy import Role

        options = self.options
        rng = _text_rng(options, "notifications")
        as_of = options.as_of
        users = self._users()
        world = self.world
        cursor.execute(
            "SELECT r.id, r.due_date, f.province_id FROM pairing_progressreport r "
            "JOIN pairing_firmpairing p ON p.id = r.pairing_id JOIN firms_lawfirm f ON f.id = p.recipient_firm_id "
            "WHERE r.due_date <= %s ORDER BY r.id",
            [as_of],
        )
        objects = [("pairing.progressreport", pk, due, prov, "report_due", "/admin/pairing/progressreport/%d/change/")
                   for pk, due, prov in cursor.fetchall()]  # fmt: skip
        cursor.execute(
            "SELECT s.id, s.start_date, t.home_province_id, s.end_date FROM pairing_secondment s "
            "JOIN lawyers_trainee t ON t.id = s.trainee_id WHERE s.start_date <= %s ORDER BY s.id",
            [as_of],
        )
        for pk, start, prov, end in cursor.fetchall():
            objects.append(
                (
                    "pairing.secondment",
                    pk,
                    start,
                    prov,
                    "secondment_starting",
                    "/admin/pairing/secondment/%d/change/",
                )
            )
            if end < as_of:
                objects.append(("pairing.secondment", pk, end + dt.timedelta(days=14), prov, "evaluation_due",
                                "/admin/pairing/secondment/%d/change/"))  # fmt: skip
        cursor.execute(
            "SELECT p.id, p.end_date, c.province_id FROM branches_posting p JOIN branches_branchoffice b "
            "ON b.id = p.branch_id JOIN regions_county c ON c.id = b.county_id "
            "WHERE p.end_date <= %s ORDER BY p.id",
            [as_of],
        )
        for pk, end, prov in cursor.fetchall():
            objects.append(
                (
                    "branches.posting",
                    pk,
                    end,
                    prov,
                    "posting_ending",
                    "/admin/branches/posting/%d/change/",
                )
            )
        total = options.count(shape.NOTIFICATIONS)
        if not objects:
            return 0
        subjects = {"report_due": "进展报告即将到期", "secondment_starting": "跟班学习即将开始",
                    "evaluation_due": "带教评价到期", "posting_ending": "派驻即将期满"}  # fmt: skip
        base = self._ids(cursor, "reminders_notification")
        codes = {p.id: p.code for p in world.provinces}
        cursor.execute("SELECT id, email FROM accounts_user WHERE id = ANY(%s)",
                       [[u for ids in users.values() for u in ids]])  # fmt: skip
        emails = dict(cursor.fetchall())

        def rows() -> Iterator[tuple[Any, ...]]:
            for k in range(total):
                label, pk, due, prov, kind, link = objects[k % len(objects)]
                step = k // len(objects)
                people = users.get((Role.BAR_ASSOCIATION if kind != "posting_ending" else Role.JUSTICE_DEPARTMENT,
                                    codes[prov]), [])  # fmt: skip
                if not people:
                    continue
                recipient = people[(pk + step) % len(people)]
                email = rng.random() < 0.3
                sent_day = min(
                    as_of, max(dt.date(options.first_year, 1, 2), due - dt.timedelta(days=7 - step))
                )
                sent = _stamp(sent_day, rng)
                failed = email and rng.random() < 0.02
                state = "failed" if failed else "sent"
                read = (
                    sent + dt.timedelta(hours=rng.randint(1, 200))
                    if not email and rng.random() < 0.7
                    else None
                )
                yield (
                    base + k + 1, sent, sent, world.rules.get(kind), recipient,
                    emails[recipient] if email else "", kind,
                    "email" if email else "in_app", subjects[kind], "", link % pk, label, str(pk), due,
                    step, 0, state, "SMTP 550 mailbox unavailable" if failed else "",
                    None if failed else sent, read, sent,
                )  # fmt: skip

        indexes = self._without_indexes(cursor, "reminders_notification")
        n = self._copy(
            cursor, "reminders_notification",
            ["id", "created_at", "updated_at", "rule_id", "recipient_id", "address", "rule_kind",
             "channel", "subject", "body", "link", "object_label", "object_id", "due_date",
             "step", "level", "state", "failure_reason", "sent_at", "read_at", "enqueued_at"],
            rows(), total,
        )  # fmt: skip
        self._rebuild(cursor, indexes)
        self._sync_sequence(cursor, "reminders_notification")
        return n

    # --- the PIPL access log ------------------------------------------------------------
    def personal_data(self, cursor: Any) -> int:
        """Clerks viewing and exporting lawyers' personal data over the years (PIPL log)."""
        options = self.options
        rng = _text_rng(options, "personal_data")
        users = [u for ids in self._users().values() for u in ids]
        users.sort()
        cursor.execute("SELECT max(id) FROM lawyers_lawyer")
        last_lawyer = cursor.fetchone()[0] or 1
        total = options.count(shape.PERSONAL_DATA_ACCESSES)
        base = self._ids(cursor, "accounts_personaldataaccess")
        first = dt.date(options.first_year, 1, 1)
        span = (options.as_of - first).days

        def rows() -> Iterator[tuple[Any, ...]]:
            for k in range(total):
                day = first + dt.timedelta(days=span * k // total)  # in time order, as logged
                stamp = _stamp(day, rng)
                if rng.random() < 0.9:
                    ids = [rng.randint(1, last_lawyer)]
                    kind, description = "view", f"查看律师 #{ids[0]} 的个人信息"
                else:
                    ids = sorted(rng.sample(range(1, last_lawyer + 1), rng.randint(2, 20)))
                    kind, description = "export", f"导出律师名单（{len(ids)} 人）"
                yield (base + k + 1, stamp, stamp, users[rng.randrange(len(users))], kind,
                       "lawyers.lawyer", ids, description, len(ids), f"{rng.getrandbits(64):016x}")  # fmt: skip

        indexes = self._without_indexes(cursor, "accounts_personaldataaccess")
        n = self._copy(
            cursor, "accounts_personaldataaccess",
            ["id", "created_at", "updated_at", "user_id", "kind", "model_label", "object_ids",
             "description", "count", "request_id"],
            rows(), total,
        )  # fmt: skip
        self._rebuild(cursor, indexes)
        self._sync_sequence(cursor, "accounts_personaldataaccess")
        return n


def shape_first(birth: dt.date) -> int:
    """The earliest year a lawyer born then could be licensed (from 1979, at 22)."""
    from lawyers.identifiers import FIRST_YEAR

    return max(FIRST_YEAR, birth.year + 22)
