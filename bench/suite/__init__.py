"""`make bench`: every case of issue 14 at 1/10 and at full national scale, in one run.

    make bench                                   (= python -m bench.suite)
    BENCH_ROUNDS=3 BENCH_CASES=api python -m bench.suite      (a quick look at some cases)

Two databases: BENCH_DATABASE_URL's (default pairing_national) at BENCH_SCALE (1.0) and
`<its name>_tenth` (or BENCH_TENTH_DATABASE_URL's, on the same server) at a tenth of it. A missing database is created and filled by
`manage.py generate_national_dataset --scale S --seed BENCH_SEED` (in a process of its
own); the generator skips the tables it finished, so rerunning it is cheap, and it runs on
every start (BENCH_GENERATE=0 skips it). BENCH_DATASET=demo fills a new database with
`manage.py demo_setup` instead (development, before the generator existed).

In each database the bench actors are made (bench/suite/actors.py: the ministry, the 湖南
justice department and bar association, a 湖南 partner key); then every case
(bench/suite/cases.py) is requested once to capture its statements, and measured in
BENCH_WARMUPS (2) + BENCH_ROUNDS (7) rounds, the two databases alternating within each
round and the cases following each other: the request's time through Django's test
client, then its raw SQL (its own statements, re-run on the psycopg2 cursor of the same
connection). The imports (BENCH_IMPORT_ROWS, "10000,50000") run in the first
BENCH_IMPORT_ROUNDS (3) rounds, without warm-up. Printed: a table of medians, spreads,
ratios, queries (at page sizes 100 and 10 for the API lists) and growth full / tenth;
written: BENCH_RESULTS (bench/results/latest.json) with the machine, the date, the commit
and every figure. BENCH_CASES (comma-separated substrings) keeps only matching cases.
Nothing is asserted about the figures.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from . import engine
from .cases import Case, all_cases
from .engine import Scale

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/pairing_national"


# --- databases ----------------------------------------------------------------------------
def _exists(database: str) -> bool:
    import psycopg2
    from django.db import connections

    params = dict(connections["default"].get_connection_params())
    params["dbname"] = "postgres"
    conn = psycopg2.connect(**params)
    conn.autocommit = True
    try:
        with conn.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [database])
            if cursor.fetchone():
                return True
            cursor.execute(f'CREATE DATABASE "{database}"')
            return False
    finally:
        conn.close()


def _url(database: str) -> str:
    from django.db import connections

    s = connections["default"].settings_dict
    user = s.get("USER") or "postgres"
    password = f":{s['PASSWORD']}" if s.get("PASSWORD") else ""
    host = s.get("HOST") or "127.0.0.1"
    port = s.get("PORT") or 5432
    return f"postgres://{user}{password}@{host}:{port}/{database}"


def ensure_dataset(scale: Scale) -> None:
    """Create the database if it is missing and run the generator (or demo_setup) on it."""
    existed = _exists(scale.database)
    dataset = os.environ.get("BENCH_DATASET", "national")
    if dataset == "demo":
        if existed:
            return
        command = ["demo_setup"]
    else:
        if existed and os.environ.get("BENCH_GENERATE", "1") == "0":
            return
        command = ["generate_national_dataset", "--scale", f"{scale.scale:g}"]
        command += ["--seed", os.environ.get("BENCH_SEED", "1")]
        if os.environ.get("BENCH_YEARS"):
            command += ["--years", os.environ["BENCH_YEARS"]]
    print(f"== {scale.label}: manage.py {' '.join(command)} on {scale.database}", flush=True)
    env = {**os.environ, "DATABASE_URL": _url(scale.database)}
    subprocess.run(  # noqa: S603 (our own manage.py)
        [sys.executable, str(ROOT / "manage.py"), *command], env=env, check=True, cwd=ROOT
    )


# --- the run ------------------------------------------------------------------------------
def _selected(cases: list[Case]) -> list[Case]:
    wanted = [w.strip() for w in os.environ.get("BENCH_CASES", "").split(",") if w.strip()]
    if not wanted:
        return cases
    return [c for c in cases if any(w in c.name for w in wanted)]


def measure(
    scales: list[Scale],
    *,
    rounds: int,
    warmups: int,
    import_sizes: tuple[int, ...],
    import_rounds: int,
) -> list[Case]:
    cases = _selected(all_cases(import_sizes))
    for scale in scales:
        print(f"== {scale.label}: actors and captured statements", flush=True)
        engine.prepare(scale, cases)
        if any(c.kind == "sweep" for c in cases):
            engine.activate(scale)
            try:
                scale.captured["sweep"] = engine.capture_sweep()
            except Exception as error:
                scale.errors["sweep"] = f"{type(error).__name__}: {error}"[:500]
    next_code = engine.IMPORT_FIRST_CODE
    for round_ in range(warmups + rounds):
        counted = round_ >= warmups
        started = time.perf_counter()
        order = scales if round_ % 2 == 0 else list(reversed(scales))
        for scale in order:
            engine.activate(scale)
            for case in cases:
                if case.kind in ("request", "sweep"):
                    key = case.name if case.kind == "request" else "sweep"
                    if key not in scale.captured or case.name in scale.errors:
                        continue
                    try:
                        if case.kind == "request":
                            _, app = engine.send(scale, scale.requests[case.name])
                        else:
                            app = engine.sweep_once()
                        raw = engine.run_raw(scale.captured[key])
                    except Exception as error:  # reported with the case; the others go on
                        scale.errors[case.name] = f"{type(error).__name__}: {error}"[:500]
                        continue
                else:  # import: counted rounds only
                    if not counted or round_ - warmups >= import_rounds:
                        continue
                    if case.name in scale.errors:
                        continue
                    try:
                        out = engine.import_once(scale, case.size, next_code)
                    except Exception as error:
                        scale.errors[case.name] = f"{type(error).__name__}: {error}"[:500]
                        continue
                    next_code += 2 * case.size
                    app, raw = out["upload"] + out["preview"] + out["apply"], out["raw"]
                    for step in ("upload", "preview", "apply"):
                        engine.record(scale, case.name, step, out[step])
                    scale.extra[case.name] = {"queries": int(out["queries"])}
                if counted:
                    engine.record(scale, case.name, "app", app)
                    engine.record(scale, case.name, "raw", raw)
        label = "warm-up" if not counted else "round"
        print(
            f"   {label} {round_ + 1 - (warmups if counted else 0)}: "
            f"{time.perf_counter() - started:.1f} s",
            flush=True,
        )
    return cases


# --- the report ---------------------------------------------------------------------------
def _machine() -> dict[str, Any]:
    from django.db import connection

    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        cpu = platform.processor()
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        postgres = cursor.fetchone()[0]
    import django

    memory = 0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                memory = int(line.split()[1]) // 1024
    except OSError:
        pass
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_mb": memory,
        "postgresql": postgres,
        "python": platform.python_version(),
        "django": django.get_version(),
        "platform": platform.platform(),
    }


def _git(*args: str) -> str:
    git = shutil.which("git")
    if git is None:
        return ""
    done = subprocess.run([git, *args], capture_output=True, text=True, cwd=ROOT, check=False)  # noqa: S603
    return done.stdout.strip()


def _commit() -> str:
    dirty = _git("status", "--porcelain", "--untracked-files=no")
    return _git("rev-parse", "--short", "HEAD") + ("+dirty" if dirty else "")


def report(scales: list[Scale], cases: list[Case], settings: dict[str, Any]) -> dict[str, Any]:
    out_cases = []
    for case in cases:
        entry: dict[str, Any] = {
            "name": case.name,
            "group": case.group,
            "actor": case.actor,
            "scales": {},
        }
        for scale in scales:
            key = "sweep" if case.kind == "sweep" else case.name
            samples = scale.samples.get(case.name, {})
            if case.name in scale.errors or key in scale.errors or "app" not in samples:
                error = scale.errors.get(case.name) or scale.errors.get(key) or "not measured"
                entry["scales"][scale.label] = {"error": error}
                continue
            app, raw = engine.stats(samples["app"]), engine.stats(samples["raw"])
            figures: dict[str, Any] = {
                "app_ms": app,
                "raw_ms": raw,
                "ratio": round(app["median"] / raw["median"], 2) if raw["median"] else None,
            }
            if case.kind == "request":
                request = scale.requests[case.name]
                captured = scale.captured[case.name]
                figures |= {
                    "method": request.method,
                    "path": request.path,
                    "queries": captured.queries,
                    "raw_statements": len(captured.statements),
                    "raw_kind": request.raw,
                }
                if captured.queries_page10 is not None:
                    figures["queries_page10"] = captured.queries_page10
                    figures["path_page10"] = request.page10
                if captured.rows is not None:
                    figures["rows"] = captured.rows
            elif case.kind == "sweep":
                captured = scale.captured["sweep"]
                figures |= {
                    "queries": captured.queries,
                    "raw_statements": len(captured.statements),
                    "raw_kind": "all",
                    "day": engine.SWEEP_DAY.isoformat(),
                }
            else:
                n = case.size
                steps = {s: engine.stats(samples[s]) for s in ("upload", "preview", "apply")}
                figures |= {
                    "rows": n,
                    "queries": scale.extra.get(case.name, {}).get("queries", 0),
                    "raw_kind": "floor: pinyin + COPY with the audit trigger",
                    "steps_ms": steps,
                    "rows_per_s": round(n / (app["median"] / 1000)),
                    "apply_rows_per_s": round(n / (steps["apply"]["median"] / 1000)),
                    "per_row_ms": round(app["median"] / n, 5),
                }
            entry["scales"][scale.label] = figures
        if len(scales) > 1:
            first, last = (entry["scales"][s.label] for s in (scales[0], scales[-1]))
            if "app_ms" in first and "app_ms" in last:
                entry["growth"] = {
                    "app": round(last["app_ms"]["median"] / first["app_ms"]["median"], 2),
                    "raw": round(last["raw_ms"]["median"] / first["raw_ms"]["median"], 2),
                    "ratio": round(last["ratio"] / first["ratio"], 2)
                    if first["ratio"] and last["ratio"]
                    else None,
                }
        out_cases.append(entry)
    imports = [c for c in cases if c.kind == "import"]
    per_row = {}
    if len(imports) > 1:
        small, big = imports[0], imports[-1]
        for scale in scales:
            a = next(e for e in out_cases if e["name"] == small.name)["scales"][scale.label]
            b = next(e for e in out_cases if e["name"] == big.name)["scales"][scale.label]
            if "per_row_ms" in a and "per_row_ms" in b:
                per_row[scale.label] = round(b["per_row_ms"] / a["per_row_ms"], 2)
    return {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "commit": _commit(),
        "machine": _machine(),
        "settings": settings,
        "scales": [
            {"label": s.label, "database": s.database, "scale": s.scale, "rows": s.sizes}
            for s in scales
        ],
        "cases": out_cases,
        "import_per_row_cost_big_over_small": per_row,
    }


def print_table(result: dict[str, Any]) -> None:
    labels = [s["label"] for s in result["scales"]]
    machine = result["machine"]
    print()
    print(
        f"make bench, {result['date']}, commit {result['commit']}; {machine['cpu']}, "
        f"{machine['cores']} cores, PostgreSQL {machine['postgresql']}; "
        f"{result['settings']['rounds']} rounds, medians (min-max)"
    )
    for scale in result["scales"]:
        rows = ", ".join(
            f"{v:,} {k}"
            for k, v in scale["rows"].items()
            if k in ("lawyers", "firms", "service records")
        )
        print(f"  {scale['label']}: scale {scale['scale']:g}, {scale['database']}: {rows}")
    head = f"{'case':<52}"
    for label in labels:
        head += f" | {label + ' ms':>19} {'raw ms':>8} {'ratio':>6} {'q':>7}"
    head += f" | {'growth':>6}"
    print(head)
    print("-" * len(head))
    for case in result["cases"]:
        line = f"{case['name'][:52]:<52}"
        for label in labels:
            f = case["scales"].get(label, {})
            if "app_ms" not in f:
                line += f" | {'(' + f.get('error', '-')[:40] + ')':>44}"
                continue
            app = f["app_ms"]
            spread = f"{app['median']:.1f} ({app['min']:.0f}-{app['max']:.0f})"
            queries = str(f.get("queries", ""))
            if "queries_page10" in f:
                queries += f"/{f['queries_page10']}"
            ratio = f"{f['ratio']:.1f}x" if f.get("ratio") else "-"
            line += f" | {spread:>19} {f['raw_ms']['median']:8.2f} {ratio:>6} {queries:>7}"
        growth = case.get("growth", {}).get("app")
        line += f" | {growth:5.2f}x" if growth else " |"
        print(line)
    print(
        "(raw: the request's own statements re-run on psycopg2, see bench/suite/cases.py; "
        "q: queries per request, API lists q at page size 100/10; growth: app full / tenth)"
    )
    for case in result["cases"]:
        for label in labels:
            f = case["scales"].get(label, {})
            if "rows_per_s" in f:
                print(
                    f"  {case['name']} at {label}: {f['rows_per_s']:,} rows/s whole path, "
                    f"apply {f['apply_rows_per_s']:,} rows/s, {f['per_row_ms'] * 1000:.1f} µs/row"
                )
    for label, value in result["import_per_row_cost_big_over_small"].items():
        print(f"  import per-row cost, largest / smallest file, {label}: {value:.2f}x")


def run(
    scales: list[Scale],
    *,
    rounds: int,
    warmups: int,
    import_sizes: tuple[int, ...],
    import_rounds: int,
    results: Path | None,
) -> dict[str, Any]:
    """Measure, print and write the report; the connections are restored afterwards."""
    from django.conf import settings
    from django.core.cache import caches
    from django.db import connections

    default, cache = connections["default"], caches["default"]
    debug = settings.DEBUG
    settings.DEBUG = False  # no query log kept in the timed requests
    try:
        for scale in scales:
            scale.connection = engine.connection_to(scale.database)
            scale.cache = engine.cache_for(scale.database)
        cases = measure(
            scales,
            rounds=rounds,
            warmups=warmups,
            import_sizes=import_sizes,
            import_rounds=import_rounds,
        )
        engine.activate(scales[0])
        result = report(
            scales,
            cases,
            {
                "rounds": rounds,
                "warmups": warmups,
                "import_sizes": list(import_sizes),
                "import_rounds": import_rounds,
                "sweep_day": engine.SWEEP_DAY.isoformat(),
            },
        )
    finally:
        for scale in scales:
            if scale.connection is not None:
                scale.connection.close()
        connections["default"], caches["default"] = default, cache
        settings.DEBUG = debug
    print_table(result)
    if results is not None:
        results.parent.mkdir(parents=True, exist_ok=True)
        results.write_text(json.dumps(result, ensure_ascii=False, indent=1))
        print(f"written: {results}")
    return result


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    os.environ["DATABASE_URL"] = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "true")
    os.environ.setdefault("DEBUG", "false")
    # the rate limit still runs on every request (its cost is measured); the bench's
    # thousands of requests a run must not hit it
    os.environ.setdefault("API_KEY_RATE", "10000000/hour")
    os.environ.setdefault("API_USER_RATE", "10000000/hour")
    import django

    django.setup()
    from django.db import connections
    from django.test.utils import setup_test_environment

    setup_test_environment(debug=False)  # the test client's hooks (templates, no SSL)
    full = connections["default"].settings_dict["NAME"]
    big = float(os.environ.get("BENCH_SCALE", "1.0"))
    tenth = os.environ.get("BENCH_TENTH_DATABASE_URL", "").rsplit("/", 1)[-1] or f"{full}_tenth"
    scales = [Scale("tenth", tenth, big / 10), Scale("full", full, big)]
    for scale in scales:
        ensure_dataset(scale)
    sizes = tuple(
        int(n) for n in os.environ.get("BENCH_IMPORT_ROWS", "10000,50000").split(",") if n
    )
    results = Path(os.environ.get("BENCH_RESULTS", ROOT / "bench" / "results" / "latest.json"))
    run(
        scales,
        rounds=int(os.environ.get("BENCH_ROUNDS", "7")),
        warmups=int(os.environ.get("BENCH_WARMUPS", "2")),
        import_sizes=sizes,
        import_rounds=int(os.environ.get("BENCH_IMPORT_ROUNDS", "3")),
        results=results,
    )
    return 0


__all__ = ["Scale", "main", "run"]
