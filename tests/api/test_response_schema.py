"""Every list and detail GET of the live schema answers what the schema publishes, over
data that holds the values partner systems meet: the demo data set (every model has
rows), a secondment not yet evaluated (`evaluation_grade` blank), a national target and a
national statistic (`province` null).

Deterministic and exhaustive where schemathesis' fuzzing (test_schemathesis.py) samples:
each list in both page modes (page numbers and keyset sync), and the detail of rows of
every list, validated with schemathesis' own response checks, by a ministry key (all
fields) and a partner key (personal data masked, political status left out). Each key
is new, its rate-limit history cleared: a 429 is a failure here, not noise.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import schemathesis
from django.conf import settings
from django.core.cache import cache
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.utils.module_loading import import_string
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from accounts.api_keys import issue_api_key
from pairing.models import ProgramTarget, Secondment, StatSnapshot, TargetMetric
from tests.conftest import TODAY

pytestmark = pytest.mark.django_db

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
DETAILS_PER_LIST = 3


@pytest.fixture
def data(users):
    for loader in settings.DEMO_LOADERS:
        import_string(loader)(today=TODAY)
    # the values the schema once left out (the demo data has them; made sure of here)
    if not ProgramTarget.objects.filter(province=None).exists():
        ProgramTarget.objects.create(metric=TargetMetric.choices[0][0], value=1000)
    if not StatSnapshot.objects.filter(province=None).exists():
        StatSnapshot.objects.create(
            key="lawyers-west",
            label="西部律师人数",
            value=Decimal("153000"),
            unit="人",
            as_of=dt.date(2023, 6, 30),
            source="司法部 2023-08-16",
        )
    assert Secondment.objects.filter(evaluation_grade="").exists()


@pytest.fixture
def wsgi_app():
    """The project's WSGI handler, keeping the test's database connection (and so the
    test's transaction, which holds the data) across requests, as Django's test client."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield WSGIHandler()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def fresh_key(users, who: str, **scopes) -> str:
    issued = issue_api_key(
        actor=users["superuser"],
        organisation=users[who].organisation,
        name=f"response schema {who}",
        **scopes,
    )
    cache.clear()  # (key ids restart per test database: no earlier run's request counts)
    return issued.secret


@pytest.mark.parametrize(
    ("who", "scopes"),
    [
        ("ministry", {"scope_personal_data": True}),
        ("hunan_partner", {}),  # personal fields masked, political status left out
    ],
)
def test_every_list_and_detail_answers_what_the_schema_publishes(
    users, data, wsgi_app, who, scopes
):
    secret = fresh_key(users, who, **scopes)
    headers = {"Authorization": f"Api-Key {secret}"}
    schema = schemathesis.openapi.from_wsgi(
        "/api/v1/schema/?format=json", wsgi_app, headers=headers
    )
    operations = [
        result.ok() for result in schema.get_all_operations() if result.ok().method == "get"
    ]
    lists = {
        op.path: op for op in operations if "{" not in op.path and op.path != "/api/v1/schema/"
    }
    details = {op.path: op for op in operations if op.path.endswith("/{id}/")}
    assert len(lists) >= 20
    assert len(details) >= 20

    checked, empty, failures = 0, [], []

    def check(operation, **kwargs):
        nonlocal checked
        case = operation.Case(headers=headers, **kwargs)
        response = case.call(headers=headers)
        assert response.status_code != 429, "the run was throttled"
        try:
            case.validate_response(response, checks=CHECKS)
        except Exception as exc:  # (collect all, report together)
            failures.append(f"{case.method} {case.formatted_path} {kwargs}: {exc}"[:2000])
        checked += 1
        return response

    for path, operation in sorted(lists.items()):
        page = check(operation, query={"page_size": 100})
        rows = page.json()["results"] if isinstance(page.json(), dict) else page.json()
        if "page" in {p.name for p in operation.query}:
            check(operation, query={"updated_since": "2000-01-01", "page_size": 100})
        if not rows:
            empty.append(path)
        detail = details.get(f"{path}{{id}}/")
        for row in rows[:DETAILS_PER_LIST]:
            if detail is not None:
                check(detail, path_parameters={"id": row["id"]})
        # the rows whose values the schema once left out, wherever they are on the list
        for model, lookup in SPECIAL_ROWS.get(path, []):
            for pk in model.objects.filter(**lookup).values_list("pk", flat=True)[:1]:
                check(detail, path_parameters={"id": pk})

    assert not failures, "\n\n".join(failures)
    # every list had rows to check (the ministry's; a partner's scope may be empty, and a
    # key's own notifications are none)
    if who == "ministry":
        assert set(empty) <= {"/api/v1/notifications/"}, empty
    assert checked >= 60


SPECIAL_ROWS = {
    "/api/v1/secondments/": [(Secondment, {"evaluation_grade": ""})],
    "/api/v1/targets/": [(ProgramTarget, {"province": None})],
    "/api/v1/statistics/": [(StatSnapshot, {"province": None})],
}
