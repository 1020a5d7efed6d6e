"""Print the DATABASE_URL `make demo` should use, creating its database if needed.

With DATABASE_URL set (PostgreSQL): that database, created on its server when it does not
exist yet; if the server cannot be reached or refuses, one line on stderr says what to do
and the exit status is 1. Without it: the local PostgreSQL at 127.0.0.1:5432 (user
postgres) with the database `pairing_demo` when it answers; else an embedded SQLite file,
with a notice on stderr of what only PostgreSQL provides.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

import psycopg2
from psycopg2 import sql

DB_NAME = "pairing_demo"
ROOT = Path(__file__).resolve().parent.parent
# libpq reads these from a URL's query; django-environ's own options (conn_max_age, …) it
# would refuse
LIBPQ_OPTIONS = {"sslmode", "sslrootcert", "sslcert", "sslkey", "connect_timeout"}


def _server_url(url: str, database: str) -> str:
    """The same server, user and TLS options, another database."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k in LIBPQ_OPTIONS]
    if "connect_timeout" not in dict(query):
        query.append(("connect_timeout", "3"))
    return urlunsplit(("postgresql", parts.netloc, f"/{database}", urlencode(query), ""))


def _first_line(exc: Exception) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def ensure_database(url: str) -> int:
    """Create the database DATABASE_URL names when it does not exist; 0, or 1 with one
    line on stderr."""
    parts = urlsplit(url)
    if parts.scheme not in ("postgres", "postgresql", "pgsql", "postgis"):
        print(url)  # SQLite and the like: nothing to create
        return 0
    database = unquote(parts.path.lstrip("/"))
    where = f"{parts.hostname or 'localhost'}:{parts.port or 5432}"
    try:
        conn = psycopg2.connect(_server_url(url, "postgres"))
    except psycopg2.Error as exc:
        try:  # no access to the `postgres` database: perhaps to the demo's own
            psycopg2.connect(_server_url(url, database)).close()
        except psycopg2.Error:
            print(
                f"ERROR: PostgreSQL at {where} refused or did not answer "
                f"({_first_line(exc)}); start it or fix DATABASE_URL, or unset DATABASE_URL "
                f"to use the local {DB_NAME}.",
                file=sys.stderr,
            )
            return 1
        print(url)
        return 0
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [database])
            if cur.fetchone() is None:
                cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))
                print(f"NOTICE: created the database {database} at {where}.", file=sys.stderr)
    except psycopg2.Error as exc:
        print(
            f"ERROR: could not create the database {database} at {where} "
            f"({_first_line(exc)}); create it (createdb {database}) or use a user who may.",
            file=sys.stderr,
        )
        return 1
    finally:
        conn.close()
    print(url)
    return 0


def main() -> int:
    if os.environ.get("DATABASE_URL"):
        return ensure_database(os.environ["DATABASE_URL"])
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
