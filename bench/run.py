"""`python -m bench.run [name ...]` (or `make bench-<name>`): the older single benchmarks
(`make bench` runs the suite, bench/suite).

Each benchmark sets up its own data in a database of its own (BENCH_DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/pairing_bench) and prints its figures.
"""

from __future__ import annotations

import importlib
import os
import sys
from pathlib import Path


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    os.environ.setdefault(
        "DATABASE_URL",
        os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/pairing_bench"),
    )
    os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "true")
    import django

    django.setup()
    names = sys.argv[1:] or sorted(p.stem for p in Path(__file__).parent.glob("*_bench.py"))
    if not names:
        print("no benchmarks found")
        return 0
    for name in names:
        print(f"== {name}")
        importlib.import_module(f"bench.{name}").main()
    return 0


if __name__ == "__main__":
    sys.exit(main())
