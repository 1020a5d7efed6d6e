"""The fixtures that start throwaway PostgreSQL and Redis servers (tests/faults/servers.py;
test modules elsewhere import them from there)."""

from tests.faults.servers import throwaway_postgres, throwaway_redis

__all__ = ["throwaway_postgres", "throwaway_redis"]
