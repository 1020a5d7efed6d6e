"""Lawyers and firms at national scale for the benchmarks, written with set-based SQL.

Issue 14's `generate_national_dataset` (every table, licence histories, programme years) is
not in the tree yet; this is the minimum the scope benchmark needs: `ensure(lawyers)` fills
the bench database up to `lawyers` lawyers (each with a current licence) and
`lawyers * 44,000 / 751,520` firms, spread over the provinces in proportion to their real
numbers of lawyers (PROVINCE_WEIGHTS). Deterministic: the n-th lawyer or firm is the same
row whatever size is asked for, so the data at 1/10 scale is the first tenth of the full
data, with the same province mix. Calling it again with a larger number adds the rest.

- about 95% of lawyers work at a firm of their own province, 2% at a firm of another
  province (a posted lawyer keeps the licence of the province that issued it), 3% at none;
  so both province paths of a lawyer's scope ("province", "firm__province") carry rows;
- names are fictional (core.fake_names' characters) with pinyin and initials as the
  services store them (per character, surname-aware); 张伟 occurs about as often as a
  common name does;
- rows are inserted with the history triggers off (`session_replication_role = replica`,
  a bench database only): an audit event per generated row is not what is measured.
"""

from __future__ import annotations

import os

FULL_LAWYERS = 751_520
FULL_FIRMS = 44_000

# Lawyers per province (thousands), rounded from the Ministry of Justice's yearly figures
# (end of 2023); only the proportions are used. West = 153k, as REFERENCE.md says.
PROVINCE_WEIGHTS = {
    "11": 43, "12": 10, "13": 30, "14": 13, "15": 11, "21": 23, "22": 10, "23": 13,
    "31": 32, "32": 48, "33": 36, "34": 20, "35": 21, "36": 14, "37": 46, "41": 36,
    "42": 22, "43": 22, "44": 65, "45": 16, "46": 5, "50": 18, "51": 37, "52": 13,
    "53": 15, "54": 1, "61": 18, "62": 8, "63": 2, "64": 4, "65": 9,
}  # fmt: skip


def firms_for(lawyers: int) -> int:
    return max(1, round(lawyers * FULL_FIRMS / FULL_LAWYERS))


def _setup_tables(cursor) -> None:
    """Lookup tables (province shares, name characters with pinyin) for the SQL below."""
    from core.fake_names import GIVEN, SURNAMES
    from core.pinyin import name_pinyin

    cursor.execute("DROP TABLE IF EXISTS bench_province_share, bench_surname, bench_given")
    cursor.execute(
        "CREATE UNLOGGED TABLE bench_province_share (province_id bigint, code text, "
        "lo integer, hi integer)"
    )
    cursor.execute("SELECT code, id FROM regions_province")
    ids = dict(cursor.fetchall())
    lo = 0
    for code, weight in PROVINCE_WEIGHTS.items():
        cursor.execute(
            "INSERT INTO bench_province_share VALUES (%s, %s, %s, %s)",
            [ids[code], code, lo, lo + weight],
        )
        lo += weight
    for table, chars, person in (("bench_surname", SURNAMES, True), ("bench_given", GIVEN, False)):
        cursor.execute(f"CREATE UNLOGGED TABLE {table} (k integer, ch text, py text)")
        cursor.executemany(
            f"INSERT INTO {table} VALUES (%s, %s, %s)",
            [(k, ch, name_pinyin(ch, person=person)) for k, ch in enumerate(dict.fromkeys(chars))],
        )


# A deterministic hash of (n, salt) -> 0..2^31: the same row for the same n at any scale.
_HASH = "(abs(hashtext(({n})::text || '{salt}')))"


def ensure(lawyers: int) -> None:
    """At least `lawyers` lawyers (and their firms and licences) in the bench database."""
    from django.core.management import call_command
    from django.db import connection, transaction

    from lawyers.models import Lawyer

    call_command("migrate", verbosity=0)
    call_command("load_regions", verbosity=0, stdout=open(os.devnull, "w"))  # noqa: SIM115
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM lawyers_lawyer")
        (have,) = cursor.fetchone()
    if have >= lawyers:
        return
    if Lawyer.objects.exclude(current_licence_no__startswith="1").exists():
        raise RuntimeError("the bench database holds lawyers of another benchmark")
    firms = firms_for(lawyers)
    total_weight = sum(PROVINCE_WEIGHTS.values())
    h = _HASH.format
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")  # no history rows
        _setup_tables(cursor)
        cursor.execute("SELECT count(*) FROM firms_lawfirm")
        (have_firms,) = cursor.fetchone()
        # firms n = have_firms+1 .. firms; province by the lawyers' weights
        cursor.execute(
            f"""
            INSERT INTO firms_lawfirm (created_at, updated_at, name, name_pinyin, name_initials,
                credit_code, legacy_licence_no, organisation_form, declared_lawyers,
                is_large_scale, is_boutique, is_model, is_leading, party_organisation,
                address, phone, email, province_id)
            SELECT now(), timestamp '2024-01-01' + n * interval '1 minute',
                p.code || '号' || n || '律师事务所', 'bench' || n || 'lvshishiwusuo',
                'b' || n || 'lsswsu',
                '31' || p.code || '0000E' || lpad(n::text, 9, '0'), '', 'partnership', 0,
                false, false, false, false, 'none', '', '', '', p.province_id
            FROM generate_series(%s, %s) n
            JOIN bench_province_share p ON {h(n="n", salt="f")} %% {total_weight}
                >= p.lo AND {h(n="n", salt="f")} %% {total_weight} < p.hi
            ORDER BY n
            """,  # no user input
            [have_firms + 1, firms],
        )
        cursor.execute(
            "CREATE TEMP TABLE bench_firm_rank ON COMMIT DROP AS SELECT id, province_id, "
            "row_number() OVER (PARTITION BY province_id ORDER BY id) AS k, "
            "row_number() OVER (ORDER BY id) AS g FROM firms_lawfirm"
        )
        cursor.execute("CREATE INDEX ON bench_firm_rank (province_id, k)")
        cursor.execute("CREATE INDEX ON bench_firm_rank (g)")
        cursor.execute(
            "CREATE TEMP TABLE bench_firm_count ON COMMIT DROP AS "
            "SELECT province_id, count(*) AS c FROM bench_firm_rank GROUP BY province_id"
        )
        cursor.execute("ANALYZE bench_firm_rank")
        cursor.execute("SELECT count(*) FROM bench_surname")
        (surnames,) = cursor.fetchone()
        cursor.execute("SELECT count(*) FROM bench_given")
        (given,) = cursor.fetchone()
        cursor.execute("SELECT count(*) FROM firms_lawfirm")
        (all_firms,) = cursor.fetchone()
        cursor.execute(
            f"""
            WITH base AS (
                SELECT n, p.province_id, p.code,
                    {h(n="n", salt="s")} %% {surnames} AS s,
                    {h(n="n", salt="g1")} %% {given} AS g1,
                    CASE WHEN {h(n="n", salt="len")} %% 2 = 0
                        THEN {h(n="n", salt="g2")} %% {given} END AS g2,
                    {h(n="n", salt="firm")} %% 100 AS firm_kind,
                    {h(n="n", salt="k")} AS k,
                    {h(n="n", salt="y")} AS y
                FROM generate_series(%s, %s) n
                JOIN bench_province_share p ON {h(n="n", salt="p")} %% {total_weight}
                    >= p.lo AND {h(n="n", salt="p")} %% {total_weight} < p.hi
            )
            INSERT INTO lawyers_lawyer (created_at, updated_at, name, name_pinyin,
                name_initials, gender, birth_date, political_status, first_licence_year,
                practice_areas, phone, email, current_licence_no, firm_id, province_id)
            SELECT now(), timestamp '2024-01-01' + b.n * interval '10 seconds',
                s.ch || g1.ch || coalesce(g2.ch, ''),
                s.py || g1.py || coalesce(g2.py, ''),
                left(s.py, 1) || left(g1.py, 1) || coalesce(left(g2.py, 1), ''),
                CASE WHEN b.y %% 2 = 0 THEN 'M' ELSE 'F' END,
                date '1960-01-01' + (b.y %% 14000),
                'masses', 1990 + b.y %% 34, '["civil"]', '', '',
                '1' || b.code || '01' || (1990 + b.y %% 34) || '1' || (b.y %% 2)
                    || lpad((b.n %% 1000000)::text, 6, '0'),
                CASE WHEN b.firm_kind < 3 THEN NULL
                     WHEN b.firm_kind < 5 THEN (SELECT id FROM bench_firm_rank
                        WHERE g = 1 + b.k %% {all_firms})
                     ELSE (SELECT r.id FROM bench_firm_rank r
                        WHERE r.province_id = b.province_id
                        AND r.k = 1 + b.k %% (SELECT c FROM bench_firm_count c
                            WHERE c.province_id = b.province_id)) END,
                b.province_id
            FROM base b
            JOIN bench_surname s ON s.k = b.s
            JOIN bench_given g1 ON g1.k = b.g1
            LEFT JOIN bench_given g2 ON g2.k = b.g2
            ORDER BY b.n
            """,  # no user input
            [have + 1, lawyers],
        )
        cursor.execute(
            """
            INSERT INTO lawyers_lawyerlicence (lawyer_id, number, issuing_province_id,
                city_code, licensed_year, category, valid_from, is_current, created_at,
                updated_at)
            SELECT l.id, l.current_licence_no, l.province_id, '01', l.first_licence_year, '1',
                make_date(l.first_licence_year, 7, 1), true, now(), now()
            FROM lawyers_lawyer l
            WHERE NOT EXISTS (SELECT 1 FROM lawyers_lawyerlicence c WHERE c.lawyer_id = l.id)
            """
        )
        cursor.execute("DROP TABLE bench_province_share, bench_surname, bench_given")
    with connection.cursor() as cursor:
        for table in ("firms_lawfirm", "lawyers_lawyer", "lawyers_lawyerlicence"):
            cursor.execute(f"VACUUM ANALYZE {table}")
