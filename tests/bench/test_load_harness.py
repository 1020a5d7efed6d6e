"""The load test's harness (`make load`) on tiny data for a few seconds: real gunicorn with
production settings, real locust clients signing in with passwords and TOTP codes, real
writes through the API and the portal. The figures are not asserted (benchmarks are not
timed tests); the report's structure, zero errors and the reconciliation are."""

from __future__ import annotations

import json

import pytest
from django.conf import settings

from bench.load.runner import CHEAPEST, Options, run
from branches.models import ServiceRecord
from lawyers.models import Lawyer


def _database_url() -> str:
    db = settings.DATABASES["default"]
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or 5432
    return f"postgres://{db['USER']}@{host}:{port}/{db['NAME']}"


@pytest.mark.django_db(transaction=True)
def test_the_load_harness_reports_every_kind_and_reconciles_its_writes(tmp_path, monkeypatch):
    # given tiny national data and clients that write often enough to write in seconds
    monkeypatch.setenv("LOAD_WRITE_WEIGHT", "5")
    results = tmp_path / "load.json"
    options = Options(
        database_url=_database_url(),
        redis_url=settings.CACHES["default"]["LOCATION"],
        scale=0.001,  # the national dataset at a thousandth: ~800 lawyers, 40 firms
        users=2,
        spawn_rate=2,
        run_time=6,
        results=results,
        worker_class="gthread",  # the default model, with fewer workers and threads
        workers=1,
        threads=2,
    )
    monkeypatch.delenv("GUNICORN_KEEPALIVE", raising=False)

    # when the harness runs
    report = run(options)

    # then the report it wrote has every part, the cheapest request is the unit of cost,
    # nothing failed, and every acknowledged write is in the database exactly once
    assert json.loads(results.read_text()) == json.loads(json.dumps(report))
    assert report["all_signed_in"] is True
    assert report["lawyers"] == Lawyer.objects.count() > 500
    # the worker model the run asked for, as gunicorn reads it from the environment
    assert report["worker_model"] == {
        "worker_class": "gthread",
        "workers": 1,
        "threads": 2,
        "keepalive": 0,
    }
    kinds = {k["kind"]: k for k in report["kinds"]}
    assert kinds[CHEAPEST]["count"] > 0
    assert kinds[CHEAPEST]["median_x_cheapest"] == 1.0  # its time in a gunicorn worker
    assert kinds[CHEAPEST]["worker_ms_median"] > 0
    for kind in kinds.values():
        assert set(kind) >= {"count", "req_per_s", "p50_ms", "p95_ms", "p99_ms", "errors"}
        assert "median_x_cheapest" in kind
    assert {"partner API", "portal", "back office", "writes"} <= set(report["mix"])
    total = report["total"]
    assert total["count"] == sum(k["count"] for k in kinds.values())
    assert total["req_per_s"] > 0
    assert total["mean_x_cheapest"] > 0  # the mix's cost per request, in cheapest requests
    assert total["errors"] == 0, total["failures"]
    reconciliation = report["reconciliation"]
    assert reconciliation["passed"] is True, reconciliation
    assert reconciliation["acknowledged_api"] > 0
    assert reconciliation["acknowledged_portal"] > 0
    assert reconciliation["missing"] == reconciliation["duplicated"] == []
    written = ServiceRecord.objects.filter(note__startswith="load ").count()
    assert written == reconciliation["in_database"] >= reconciliation["acknowledged"]
