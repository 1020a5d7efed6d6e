"""The benchmark suite's harness (`make bench`, bench/suite) on tiny data, one round: every
case runs at both "scales" (here the same tiny database twice), its statements are
captured and re-run raw, and the report has every part. The figures are not asserted
(benchmarks are not timed tests); that every case ran, with queries, and that the API
lists run the same queries at page sizes 10 and 100, are."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command, get_commands
from django.db import connection
from django.utils.module_loading import import_string

from bench.suite import Scale, run
from bench.suite.cases import all_cases

IMPORT_SIZES = (40, 120)


def _tiny_dataset() -> None:
    if "generate_national_dataset" in get_commands():
        call_command("generate_national_dataset", "--scale", "0.01", "--seed", "1")
        return
    # (before the national generator existed: the demo data)
    import datetime as dt

    from django.conf import settings

    from accounts.demo import create_demo_accounts

    today = dt.date(2026, 11, 27)
    create_demo_accounts(today=today)
    for dotted in settings.DEMO_LOADERS:
        import_string(dotted)(today=today)


@pytest.mark.django_db(transaction=True)
def test_the_suite_runs_every_case_at_both_scales_and_reports_it(tmp_path):
    # given tiny national data, measured as two scales in one run
    _tiny_dataset()
    name = connection.settings_dict["NAME"]
    results = tmp_path / "latest.json"

    # when the suite runs one round
    report = run(
        [Scale("tenth", name, 0.01), Scale("full", name, 0.01)],
        rounds=1,
        warmups=0,
        import_sizes=IMPORT_SIZES,
        import_rounds=1,
        results=results,
    )

    # then the file is the report, with the machine, the commit and both scales
    assert json.loads(results.read_text()) == json.loads(json.dumps(report))
    assert {"date", "commit", "machine", "settings", "scales", "cases"} <= set(report)
    assert {"cpu", "cores", "postgresql"} <= set(report["machine"])
    assert [s["label"] for s in report["scales"]] == ["tenth", "full"]
    assert report["scales"][0]["rows"]["lawyers"] > 0
    # every case of the suite ran at both scales, with queries and a raw SQL time
    names = [c.name for c in all_cases(IMPORT_SIZES)]
    assert [c["name"] for c in report["cases"]] == names
    groups = {c["group"] for c in report["cases"]}
    assert groups == {"api", "admin", "portal", "import", "sweep"}
    for case in report["cases"]:
        for label in ("tenth", "full"):
            figures = case["scales"][label]
            assert "error" not in figures, (case["name"], label, figures)
            assert figures["queries"] > 0, case["name"]
            assert figures["app_ms"]["n"] == 1
            assert figures["raw_ms"]["median"] > 0, case["name"]
            assert figures["ratio"] > 0
            # an API list runs the same queries for a page of 10 as for a page of 100
            if "queries_page10" in figures:
                assert figures["queries_page10"] == figures["queries"], case["name"]
        assert set(case["growth"]) == {"app", "raw", "ratio"}
    api_lists = [c for c in report["cases"] if "queries_page10" in c["scales"]["full"]]
    assert len(api_lists) >= 15
    imports = [c for c in report["cases"] if c["group"] == "import"]
    assert [c["scales"]["full"]["rows"] for c in imports] == list(IMPORT_SIZES)
    assert set(report["import_per_row_cost_big_over_small"]) == {"tenth", "full"}
