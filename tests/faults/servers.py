"""Throwaway PostgreSQL clusters and Redis servers on spare ports, for tests that break them.

Never the shared servers: each is started here, in a temporary directory, and stopped by
its own process id (PostgreSQL's postmaster.pid, through pg_ctl) when the test ends.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

STARTUP_SECONDS = 30


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _as_postgres_user(command: list[str]) -> list[str]:
    """initdb and postgres refuse to run as root: run them as the `postgres` user then."""
    if os.geteuid() != 0:
        return command
    return ["runuser", "-u", "postgres", "--", *command]


def _require(*programs: str) -> None:
    missing = [name for name in programs if shutil.which(name) is None]
    if missing:
        pytest.fail(
            f"the fault suite needs {', '.join(missing)} on PATH (PostgreSQL server binaries, redis-server)"
        )


class ThrowawayPostgres:
    """A PostgreSQL cluster of its own (trust authentication, user postgres, no fsync)."""

    def __init__(self) -> None:
        _require("initdb", "pg_ctl")
        self.port = free_port()
        self.root = Path(tempfile.mkdtemp(prefix="pg-fault-"))
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        if os.geteuid() == 0:
            shutil.chown(self.root, user="postgres")
        subprocess.run(
            _as_postgres_user(
                [
                    "initdb",
                    "-D",
                    str(self.data),
                    "-U",
                    "postgres",
                    "-A",
                    "trust",
                    "-E",
                    "UTF8",
                    "--locale=C",
                    "--no-sync",
                ]
            ),
            check=True,
            capture_output=True,
        )

    def url(self, database: str = "postgres", **options: str) -> str:
        query = "&".join(f"{key}={value}" for key, value in options.items())
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}" + (
            f"?{query}" if query else ""
        )

    def _pg_ctl(self, *args: str) -> None:
        # the server's output goes to its log file: a pipe would stay open in the server,
        # and waiting for its end would wait for the server to stop
        subprocess.run(
            _as_postgres_user(
                ["pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60", *args]
            ),
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def start(self) -> ThrowawayPostgres:
        options = (
            f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c full_page_writes=off -c max_connections=40"
        )
        self._pg_ctl("-o", options, "start")
        return self

    def restart(self, mode: str = "fast") -> None:
        """`pg_ctl restart -m <mode>`: every client connection is cut."""
        self._pg_ctl("-m", mode, "restart")

    def stop(self, mode: str = "fast") -> None:
        self._pg_ctl("-m", mode, "stop")

    def destroy(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)


class ThrowawayRedis:
    """A redis-server of its own, in memory only."""

    def __init__(self) -> None:
        _require("redis-server")
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> ThrowawayRedis:
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis.from_url(self.url, socket_connect_timeout=1)
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        client.close()
        return self

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=STARTUP_SECONDS)
        self.process = None


@pytest.fixture
def throwaway_postgres() -> Iterator[ThrowawayPostgres]:
    """A started ThrowawayPostgres, destroyed when the test ends."""
    server = ThrowawayPostgres()
    try:
        yield server.start()
    finally:
        server.destroy()


@pytest.fixture
def throwaway_redis() -> Iterator[ThrowawayRedis]:
    """A started ThrowawayRedis, stopped when the test ends (if the test has not)."""
    server = ThrowawayRedis()
    try:
        yield server.start()
    finally:
        server.stop()
