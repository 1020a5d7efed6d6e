"""`manage.py demo_setup` on the SQLite fallback, in a subprocess with the demo's settings.

`make demo` falls back to SQLite when no PostgreSQL answers; this proves the whole set-up
(migrations of every app, reference data, demo accounts) still runs there, and reruns.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from accounts.demo import DEMO_PASSWORD

ROOT = Path(__file__).resolve().parent.parent
DEMO_USERNAMES = {
    "admin",
    "ministry",
    "hunan_sft",
    "xizang_sft",
    "hunan_lx",
    "xizang_lx",
    "partner_hunan",
}


def run_demo_setup(database: Path) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "DATABASE_URL": f"sqlite:///{database}",
        "CACHE_URL": "locmemcache://",
        "CELERY_TASK_ALWAYS_EAGER": "true",
    }
    return subprocess.run(
        [sys.executable, "manage.py", "demo_setup"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


@pytest.fixture(scope="module")
def demo_database(tmp_path_factory) -> tuple[Path, list[subprocess.CompletedProcess[str]]]:
    database = tmp_path_factory.mktemp("demo") / "demo.sqlite3"
    runs = [run_demo_setup(database), run_demo_setup(database)]
    return database, runs


def query(database: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(database) as db:
        return db.execute(sql).fetchall()


@pytest.mark.parametrize("run", [0, 1], ids=["first run", "rerun"])
def test_demo_setup_succeeds_and_prints_the_demo_accounts(demo_database, run):
    _, runs = demo_database
    result = runs[run]

    assert result.returncode == 0, result.stderr
    assert "Demo accounts" in result.stdout
    for username in DEMO_USERNAMES:
        assert username in result.stdout
    assert DEMO_PASSWORD in result.stdout


def test_demo_setup_loads_the_reference_data_once(demo_database):
    database, runs = demo_database

    assert query(database, "SELECT COUNT(*) FROM regions_province") == [(32,)]
    assert query(database, "SELECT COUNT(*) FROM regions_county")[0][0] >= 2800
    assert "created 32 provinces" in runs[0].stdout
    assert "created 0 provinces, 0 counties" in runs[1].stdout


def test_demo_setup_creates_one_account_per_role(demo_database):
    database, _ = demo_database

    rows = query(
        database,
        "SELECT u.username, u.is_superuser, u.is_staff, o.kind, p.code FROM accounts_user u "
        "LEFT JOIN accounts_organisation o ON o.id = u.organisation_id "
        "LEFT JOIN regions_province p ON p.id = o.province_id",
    )

    assert {r[0] for r in rows} == DEMO_USERNAMES
    roles = {(kind, code) for _, superuser, _, kind, code in rows if not superuser}
    assert roles == {
        ("ministry", None),
        ("justice_department", "43"),
        ("justice_department", "54"),
        ("bar_association", "43"),
        ("bar_association", "54"),
        ("partner", "43"),
    }
    staff = {name for name, _, is_staff, _, _ in rows if is_staff}
    assert staff == {"admin", "ministry", "hunan_sft", "xizang_sft"}
    assert [r[0] for r in rows if r[1]] == ["admin"]
