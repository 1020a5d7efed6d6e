"""`make load`: the mixed workload over HTTP against gunicorn, on the national dataset.

    LOAD_RUN_TIME=90 python -m bench.load

1. the load database (LOAD_DATABASE_URL, else BENCH_DATABASE_URL, else
   postgres://postgres@127.0.0.1:5432/pairing_national, the bench's) is created if missing
   and holds the national dataset at LOAD_SCALE (1.0: ~730,000 lawyers; `manage.py
   generate_national_dataset`, which skips the tables it has written before, so this costs
   seconds once done); the clients' accounts, keys and branch are created idempotently
   (bench.load.actors);
2. gunicorn starts with config/gunicorn.py (its worker model, or LOAD_WORKER_CLASS,
   LOAD_WORKERS and LOAD_THREADS passed on as GUNICORN_*; preload_app) on a spare port of
   127.0.0.1, production settings (DEBUG off, MFA on, secure cookies), SECURE_SSL_REDIRECT
   off for plain-HTTP loopback, static files collected first (the manifest storage needs
   them);
3. locust runs headless (LOAD_USERS clients, LOAD_SPAWN_RATE per second, LOAD_RUN_TIME
   seconds, capped at 300) against 127.0.0.1 only; the statistics start when every client
   has signed in;
4. the report: per request kind its count, req/s, p50/p95/p99, errors and its median as a
   multiple of the cheapest request's median (one province by id with an API key, part
   of the same mix); the sustained total; the worker model that ran; and the
   reconciliation: every write a client saw acknowledged is in the database exactly once.
   Printed, and written to LOAD_RESULTS (default bench/results/load-latest.json);
5. gunicorn is stopped by its PID.

The exit status is non-zero only when the harness could not run (setup, gunicorn or locust
failed to start), never for a figure that misses its target.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import platform
import runpy
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
MAX_RUN_TIME = 300  # the whole locust run, sign-ins included
SIGN_IN_ALLOWANCE = 120
MEASURE_CAP = 270
CHEAPEST = "api: province by id (cheapest)"
# per request: microseconds in the worker, status, measured (1/0), the client's request kind
ACCESS_FORMAT = "%(D)s %(s)s %({x-load-measured}i)s %({x-load-kind}i)s"
CATEGORIES = (("api:", "partner API"), ("portal:", "portal"), ("admin:", "back office"))


class SetupError(RuntimeError):
    """The harness could not run (not a missed target)."""


@dataclass
class Options:
    database_url: str
    redis_url: str
    scale: float = 1.0  # of the national dataset
    users: int = 20
    spawn_rate: float = 10
    run_time: int = 90
    # the worker model (None: config/gunicorn.py's, from GUNICORN_* or its defaults)
    worker_class: str | None = None
    workers: int | None = None
    threads: int | None = None
    results: Path = ROOT / "bench" / "results" / "load-latest.json"
    extra_env: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_env(cls) -> Options:
        env = os.environ
        database = env.get("LOAD_DATABASE_URL") or env.get(
            "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/pairing_national"
        )
        return cls(
            database_url=database,
            redis_url=env.get("LOAD_REDIS_URL", "redis://127.0.0.1:6379/0"),
            scale=float(env.get("LOAD_SCALE", "1.0")),
            users=int(env.get("LOAD_USERS", "20")),
            spawn_rate=float(env.get("LOAD_SPAWN_RATE", "10")),
            run_time=int(env.get("LOAD_RUN_TIME", "90")),
            worker_class=env.get("LOAD_WORKER_CLASS") or None,
            workers=int(env["LOAD_WORKERS"]) if env.get("LOAD_WORKERS") else None,
            threads=int(env["LOAD_THREADS"]) if env.get("LOAD_THREADS") else None,
            results=Path(env.get("LOAD_RESULTS", str(cls.results))),
        )


# --- setup ------------------------------------------------------------------------------


def _ensure_database(url: str) -> None:
    import psycopg2
    from django.db import connection

    params = dict(connection.get_connection_params())
    name = params.pop("database", None) or params.pop("dbname", None)
    params["dbname"] = "postgres"
    conn = psycopg2.connect(**params)
    conn.autocommit = True
    with conn.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if cursor.fetchone() is None:
            print(f"creating database {name}")
            cursor.execute(f'CREATE DATABASE "{name}"')
    conn.close()


def prepare(options: Options, run_id: str) -> dict[str, Any]:
    """The national dataset and the clients' actors, in this process's database."""
    from django.core.management import call_command
    from django.db import connection

    from bench.load.actors import ensure_actors

    _ensure_database(options.database_url)
    started = time.perf_counter()
    # its invariants were checked when it was written (a rerun skips every table)
    call_command(
        "generate_national_dataset",
        "--scale",
        f"{options.scale:g}",
        "--no-check",
        stdout=sys.stdout,
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM lawyers_lawyer")
        (lawyers,) = cursor.fetchone()
        cursor.execute("SELECT count(*) FROM firms_lawfirm")
        (firms,) = cursor.fetchone()
    config = ensure_actors(clients=options.users)
    config["run_id"] = run_id
    config["lawyers"], config["firms"] = lawyers, firms
    print(f"data: {lawyers:,} lawyers, {firms:,} firms ({time.perf_counter() - started:.1f} s)")
    return config


def _spare_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_env(options: Options) -> dict[str, str]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DJANGO_READ_DOT_ENV": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",  # plain HTTP on loopback; TLS ends in front of it
        "DATABASE_URL": options.database_url,
        "REDIS_URL": options.redis_url,
        "CACHE_URL": options.redis_url,
        "CELERY_BROKER_URL": options.redis_url,
        "LOG_LEVEL": "WARNING",
        **options.extra_env,
    }
    for name, value in (
        ("GUNICORN_WORKER_CLASS", options.worker_class),
        ("GUNICORN_WORKERS", options.workers),
        ("GUNICORN_THREADS", options.threads),
    ):
        if value is not None:
            env[name] = str(value)
    for name in ("CELERY_TASK_ALWAYS_EAGER", "TEST_REDIS_URL"):
        env.pop(name, None)
    return env


def _static_is_fresh() -> bool:
    """The collected files are newer than every static file of the project's own."""
    manifest = ROOT / "staticfiles" / "staticfiles.json"
    if not manifest.exists():
        return False
    sources = [ROOT / "static", *ROOT.glob("*/static")]
    newest = max(
        (p.stat().st_mtime for d in sources for p in d.rglob("*") if p.is_file()), default=0
    )
    return manifest.stat().st_mtime >= newest


def collect_static(env: dict[str, str]) -> None:
    """The manifest storage of production settings needs collected files (about 90 s on
    this machine kind with compression); skipped while they are newer than the sources."""
    if "STATIC_ROOT" not in env and _static_is_fresh():
        return
    result = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode:
        raise SetupError(f"collectstatic failed:\n{result.stderr[-2000:]}")


def start_gunicorn(
    options: Options, env: dict[str, str], log: Path
) -> tuple[subprocess.Popen, int]:
    port = _spare_port()
    with open(log, "w") as out:
        process = subprocess.Popen(  # noqa: S603
            [
                str(VENV_BIN / "gunicorn"),
                "-c",
                "config/gunicorn.py",
                "--bind",
                f"127.0.0.1:{port}",
                "--access-logfile",
                str(log.with_name("access.log")),
                "--access-logformat",
                ACCESS_FORMAT,
                "config.wsgi",
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SetupError(f"gunicorn exited ({process.returncode}); see {log}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                if r.status == 200:
                    return process, port
        except OSError:
            time.sleep(0.3)
    stop(process)
    raise SetupError(f"gunicorn did not answer /healthz within 60 s; see {log}")


def worker_model(env: dict[str, str]) -> dict[str, Any]:
    """The worker model gunicorn runs with `env` (config/gunicorn.py's own reading of it)."""
    config = runpy.run_path(str(ROOT / "config" / "gunicorn.py"))
    return config["worker_model"](env)


def describe(model: dict[str, Any]) -> str:
    """The model in words: '3 sync workers', '2 gthread workers × 4 threads, keep-alive 0 s'."""
    text = f"{model['workers']} {model['worker_class']} workers"
    if model["worker_class"] == "gthread":
        text += f" × {model['threads']} threads, keep-alive {model['keepalive']} s"
    return text


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)  # by its PID: gunicorn's master stops its workers
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def run_locust(options: Options, port: int, workdir: Path) -> subprocess.CompletedProcess:
    measure = max(1, min(options.run_time, MEASURE_CAP))
    # the cap of the whole run: sign-ins first (slow password hashing), then `measure`
    run_time = min(measure + SIGN_IN_ALLOWANCE, MAX_RUN_TIME)
    env = {
        **os.environ,
        "LOAD_CONFIG": str(workdir / "config.json"),
        "LOAD_WRITES_FILE": str(workdir / "writes.jsonl"),
        "LOAD_USERS": str(options.users),
        "LOAD_MEASURE_SECONDS": str(measure),
    }
    result = subprocess.run(  # noqa: S603
        [
            str(VENV_BIN / "locust"),
            "-f",
            str(Path(__file__).with_name("locustfile.py")),
            "--headless",
            "--host",
            f"http://127.0.0.1:{port}",
            "-u",
            str(options.users),
            "-r",
            str(options.spawn_rate),
            "--run-time",
            f"{run_time}s",
            "--stop-timeout",
            "10",
            "--csv",
            str(workdir / "locust"),
            "--only-summary",
            "--loglevel",
            "WARNING",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=run_time + 120,
        check=False,
    )
    if not (workdir / "locust_stats.csv").exists():
        raise SetupError(f"locust did not run:\n{result.stderr[-3000:]}")
    return result


# --- report -------------------------------------------------------------------------------


def _number(value: str) -> float:
    try:
        return float(value)
    except ValueError:
        return 0.0


def read_stats(workdir: Path) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    kinds, total = [], {}
    with open(workdir / "locust_stats.csv") as f:
        for row in csv.DictReader(f):
            entry = {
                "kind": row["Name"],
                "count": int(row["Request Count"]),
                "req_per_s": round(_number(row["Requests/s"]), 2),
                "p50_ms": _number(row["50%"]),
                "p95_ms": _number(row["95%"]),
                "p99_ms": _number(row["99%"]),
                "median_ms": _number(row["Median Response Time"]),
                "mean_ms": round(_number(row["Average Response Time"]), 1),
                "errors": int(row["Failure Count"]),
            }
            if row["Name"] == "Aggregated":
                total = entry
            elif entry["count"] or entry["errors"]:  # (sign-ins: reset before measuring)
                kinds.append(entry)
    failures = []
    path = workdir / "locust_failures.csv"
    if path.exists():
        with open(path) as f:
            failures = [
                {"kind": r["Name"], "error": r["Error"][:300], "count": int(r["Occurrences"])}
                for r in csv.DictReader(f)
            ]
    total["failures"] = failures
    return kinds, total


def read_worker_times(workdir: Path) -> dict[str, list[float]]:
    """Milliseconds each measured request spent in a gunicorn worker, by request kind."""
    times: dict[str, list[float]] = {}
    path = workdir / "access.log"
    for line in path.read_text().splitlines() if path.exists() else []:
        parts = line.split(" ", 3)
        if len(parts) == 4 and parts[2] == "1" and parts[0].isdigit():
            times.setdefault(parts[3], []).append(int(parts[0]) / 1000)
    return times


def add_costs(kinds: list[dict[str, Any]], total: dict[str, Any], times: dict[str, list[float]]):
    """Each kind's time in a worker (its cost: the client's latency also holds the wait
    for a free worker) and that cost as a multiple of the cheapest request's."""
    cheapest = times.get(CHEAPEST) or []
    base_median = statistics.median(cheapest) if cheapest else 0
    base_mean = statistics.fmean(cheapest) if cheapest else 0
    for k in kinds:
        mine = times.get(k["kind"]) or []
        k["worker_ms_median"] = round(statistics.median(mine), 1) if mine else None
        k["worker_ms_mean"] = round(statistics.fmean(mine), 1) if mine else None
        k["median_x_cheapest"] = (
            round(k["worker_ms_median"] / base_median, 1) if mine and base_median else None
        )
    every = [t for kind, ts in times.items() if kind != "sign-in" for t in ts]
    total["worker_ms_median"] = round(statistics.median(every), 1) if every else None
    total["worker_ms_mean"] = round(statistics.fmean(every), 1) if every else None
    total["worker_seconds"] = round(sum(every) / 1000, 1)
    # the mixed workload's cost per request (mean worker time: what the CPU pays for the
    # mix) as a multiple of the cheapest request's mean, and the medians' multiple too
    total["mean_x_cheapest"] = (
        round(total["worker_ms_mean"] / base_mean, 1) if every and base_mean else None
    )
    total["median_x_cheapest"] = (
        round(total["worker_ms_median"] / base_median, 1) if every and base_median else None
    )


def reconcile(workdir: Path, run_id: str) -> dict[str, Any]:
    """Every write a client saw acknowledged is in the database exactly once."""
    from branches.models import ServiceRecord

    acknowledged: dict[str, dict[str, Any]] = {}
    started = ended = None
    path = workdir / "writes.jsonl"
    for line in path.read_text().splitlines() if path.exists() else []:
        entry = json.loads(line)
        if entry["via"] == "start":
            started = entry["at"]
        elif entry["via"] == "end":
            ended = entry["at"]
        else:
            acknowledged.setdefault(entry["marker"], entry)
    in_db = Counter(
        ServiceRecord.objects.filter(note__startswith=f"load {run_id} ").values_list(
            "note", flat=True
        )
    )
    missing = sorted(m for m in acknowledged if in_db[m] == 0)
    duplicated = sorted(m for m, n in in_db.items() if n > 1)
    unacknowledged = sorted(m for m in in_db if m not in acknowledged)
    return {
        "acknowledged": len(acknowledged),
        "acknowledged_api": sum(1 for e in acknowledged.values() if e["via"] == "api"),
        "acknowledged_portal": sum(1 for e in acknowledged.values() if e["via"] == "portal"),
        "in_database": sum(in_db.values()),
        "missing": missing[:20],
        "duplicated": duplicated[:20],
        # in flight when locust stopped: written, the answer not seen (not a loss)
        "in_database_unacknowledged": len(unacknowledged),
        "passed": not missing and not duplicated,
        "measurement_started_at": started,
        "measurement_ended_at": ended,
    }


def _category_shares(kinds: list[dict[str, Any]]) -> dict[str, float]:
    total = sum(k["count"] for k in kinds) or 1
    shares: dict[str, float] = {}
    for k in kinds:
        label = next((lbl for p, lbl in CATEGORIES if k["kind"].startswith(p)), "writes")
        shares[label] = shares.get(label, 0) + k["count"]
    return {label: round(100 * n / total, 1) for label, n in shares.items()}


def print_report(report: dict[str, Any]) -> None:
    print(
        f"\n== load: {report['lawyers']:,} lawyers, {report['firms']:,} firms; "
        f"{report['users']} clients, {report['measured_s']:.0f} s measured "
        f"(asked {report['run_time_s']} s), gunicorn {describe(report['worker_model'])}"
    )
    header = (
        f"{'request kind':<42} {'count':>6} {'req/s':>6} {'p50':>6} {'p95':>6} "
        f"{'p99':>6} {'err':>4} {'worker':>7} {'×cheapest':>9}"
    )
    print(header)
    print("-" * len(header))

    def line(label: str, k: dict[str, Any]) -> None:
        x, w = k.get("median_x_cheapest"), k.get("worker_ms_median")
        print(
            f"{label:<42} {k['count']:>6} {k['req_per_s']:>6.1f} {k['p50_ms']:>6.0f} "
            f"{k['p95_ms']:>6.0f} {k['p99_ms']:>6.0f} {k['errors']:>4} "
            f"{(f'{w:.1f}' if w is not None else '—'):>7} "
            f"{(f'{x:.1f}×' if x is not None else '—'):>9}"
        )

    for k in report["kinds"]:
        line(k["kind"], k)
    t = report["total"]
    print("-" * len(header))
    line("all (sustained)", t)
    print(
        "p50/p95/p99: the client's latency (ms; with more clients than workers most of it is "
        "the wait for a free worker); worker: median ms in a gunicorn worker (its cost); "
        "×cheapest: that median / the cheapest request's"
    )
    print(
        f"mixed workload: {t.get('worker_ms_mean')} ms of worker time per request on average "
        f"= {t.get('mean_x_cheapest')}× the cheapest request's mean (medians: "
        f"{t.get('median_x_cheapest')}×)"
    )
    print("mix (share of requests): " + ", ".join(f"{k} {v}%" for k, v in report["mix"].items()))
    for failure in t["failures"][:10]:
        print(f"  error ×{failure['count']} {failure['kind']}: {failure['error']}")
    r = report["reconciliation"]
    print(
        f"reconciliation: {r['acknowledged']} writes acknowledged ({r['acknowledged_api']} API, "
        f"{r['acknowledged_portal']} portal), {len(r['missing'])} missing, "
        f"{len(r['duplicated'])} duplicated, {r['in_database_unacknowledged']} in the database "
        f"without an acknowledgement (in flight at the stop) — "
        f"{'PASSED' if r['passed'] else 'FAILED'}"
    )


def run(options: Options) -> dict[str, Any]:
    """The whole harness; Django must be set up on the load database already."""
    run_id = f"{dt.datetime.now(dt.UTC):%Y%m%d%H%M%S}-{secrets.token_hex(3)}"
    config = prepare(options, run_id)
    workdir = Path(tempfile.mkdtemp(prefix="load-"))
    (workdir / "config.json").write_text(json.dumps(config))
    env = server_env(options)
    model = worker_model(env)
    collect_static(env)
    load_before = os.getloadavg()
    process, port = start_gunicorn(options, env, workdir / "gunicorn.log")
    try:
        print(f"gunicorn pid {process.pid} on 127.0.0.1:{port}; locust for {options.run_time} s")
        started = time.time()
        result = run_locust(options, port, workdir)
        ended = time.time()
    finally:
        stop(process)
    kinds, total = read_stats(workdir)
    add_costs(kinds, total, read_worker_times(workdir))
    reconciliation = reconcile(workdir, run_id)
    measured_from = reconciliation["measurement_started_at"] or started
    ended = reconciliation["measurement_ended_at"] or ended
    report = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "lawyers": config["lawyers"],
        "firms": config["firms"],
        "users": options.users,
        "spawn_rate": options.spawn_rate,
        "run_time_s": min(options.run_time, MEASURE_CAP),
        "measured_s": round(ended - measured_from, 1),
        "all_signed_in": reconciliation["measurement_started_at"] is not None,
        "worker_model": model,
        "workers": model["workers"],
        "kinds": kinds,
        "total": total,
        "mix": _category_shares(kinds),
        "reconciliation": reconciliation,
        "locust_stderr_tail": result.stderr[-1500:],
    }
    print_report(report)
    options.results.parent.mkdir(parents=True, exist_ok=True)
    options.results.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n")
    print(f"written: {options.results}")
    shutil.rmtree(workdir, ignore_errors=True)  # kept only when the harness failed
    return report


def main() -> int:
    options = Options.from_env()
    os.environ["DATABASE_URL"] = options.database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "true")
    os.chdir(ROOT)
    try:
        import django

        django.setup()
        run(options)
    except SetupError as exc:
        print(f"load test could not run: {exc}", file=sys.stderr)
        return 2
    return 0
