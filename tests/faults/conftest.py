"""Fixtures that start throwaway PostgreSQL and Redis servers (tests/faults/servers.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.faults.servers import ThrowawayPostgres, ThrowawayRedis


@pytest.fixture
def throwaway_postgres() -> Iterator[ThrowawayPostgres]:
    server = ThrowawayPostgres()
    try:
        yield server.start()
    finally:
        server.destroy()


@pytest.fixture
def throwaway_redis() -> Iterator[ThrowawayRedis]:
    server = ThrowawayRedis()
    try:
        yield server.start()
    finally:
        server.stop()
