"""Admin changelist of lawyers at national scale: the unfiltered list with the planner's
estimate (EstimatedCountPaginator) against Django's exact COUNT(*), at two table sizes.

    BENCH_ROWS=730000 python -m bench.run admin_list_bench    (default 200,000 rows)

The table grows from BENCH_ROWS/10 to BENCH_ROWS lawyers within the run (a database of its
own); the unfiltered list is timed at both sizes. Prints medians and the ratios between the
variants and between the sizes, measured in one run; nothing is asserted.
"""

from __future__ import annotations

import datetime as dt
import os
import statistics
import time


def _setup(rows: int) -> None:
    from django.core.management import call_command
    from django.db import connection

    from firms.models import LawFirm
    from lawyers.models import Lawyer
    from regions.models import Province

    call_command("migrate", verbosity=0)
    call_command("load_regions", verbosity=0, stdout=open(os.devnull, "w"))  # noqa: SIM115
    have = Lawyer.objects.count()
    if have >= rows:
        return
    province = Province.objects.get(code="54")
    firm, _ = LawFirm.objects.get_or_create(
        credit_code="31540000E00012345M",
        defaults={"name": "基准测试律师事务所", "province": province},
    )
    batch = []
    for i in range(have, rows):
        batch.append(
            Lawyer(
                name=f"律师{i}",
                name_pinyin=f"lvshi{i}",
                name_initials=f"ls{i % 1000}",
                gender="M",
                birth_date=dt.date(1980, 1, 1),
                first_licence_year=2010,
                province=province,
                firm=firm,
                current_licence_no=f"1540120101{i:07d}",
            )
        )
        if len(batch) == 10_000:
            Lawyer.objects.bulk_create(batch)
            batch = []
    Lawyer.objects.bulk_create(batch)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE lawyers_lawyer")


def _time_changelist(client, url: str, repeat: int = 7) -> float:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        response = client.get(url)
        samples.append(time.perf_counter() - start)
        assert response.status_code == 200, response.status_code
    return statistics.median(samples)


def main() -> None:
    import django

    django.setup()
    from django.contrib import admin
    from django.core.management import call_command
    from django.test import Client
    from django.test.utils import setup_test_environment

    from accounts.models import User
    from lawyers.models import Lawyer

    setup_test_environment()
    big = int(os.environ.get("BENCH_ROWS", "200000"))
    small = big // 10
    call_command("migrate", verbosity=0)
    user, _ = User.objects.get_or_create(
        username="bench-admin", defaults={"is_superuser": True, "is_staff": True}
    )
    client = Client()
    client.force_login(user)
    lawyer_admin = admin.site._registry[Lawyer]
    results: dict[tuple[int, bool], float] = {}
    for rows in (small, big):
        _setup(rows)
        for estimated in (True, False):
            lawyer_admin.large_table = estimated
            results[(rows, estimated)] = _time_changelist(client, "/admin/lawyers/lawyer/")
    lawyer_admin.large_table = True
    for (rows, estimated), seconds in sorted(results.items()):
        label = "estimate" if estimated else "exact COUNT"
        print(f"{rows:>9,} rows  {label:<12} {seconds * 1000:8.1f} ms")
    print(
        f"at {big:,} rows: exact COUNT / estimate = {results[(big, False)] / results[(big, True)]:.2f}x"
    )
    for estimated in (True, False):
        label = "estimate" if estimated else "exact COUNT"
        growth = results[(big, estimated)] / results[(small, estimated)]
        print(f"{label}: {big:,} rows / {small:,} rows = {growth:.2f}x")
