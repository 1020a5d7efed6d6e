"""Print the DATABASE_URL `make demo` should use, creating the demo database if needed.

Local PostgreSQL at 127.0.0.1:5432 (user postgres) when it answers; else an embedded SQLite
file, with a notice on stderr of what only PostgreSQL provides.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import psycopg2
from psycopg2 import sql

DB_NAME = "pairing_demo"
ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    host = os.environ.get("DEMO_PGHOST", "127.0.0.1")
    port = int(os.environ.get("DEMO_PGPORT", "5432"))
    try:
        conn = psycopg2.connect(
            host=host, port=port, user="postgres", dbname="postgres", connect_timeout=3
        )
    except psycopg2.Error as exc:
        sqlite_path = ROOT / "demo.sqlite3"
        print(
            f"NOTICE: PostgreSQL at {host}:{port} did not answer ({str(exc).strip()[:80]}).\n"
            f"        The demo runs on embedded SQLite ({sqlite_path}).\n"
            "        Without PostgreSQL there is no trigger-based audit history and no\n"
            "        exclusion constraints; validation still enforces every rule.",
            file=sys.stderr,
        )
        print(f"sqlite:///{sqlite_path}")
        return 0
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DB_NAME])
        if cur.fetchone() is None:
            cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(DB_NAME)))
    conn.close()
    print(f"postgres://postgres@{host}:{port}/{DB_NAME}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
