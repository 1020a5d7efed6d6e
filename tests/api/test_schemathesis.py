"""Schemathesis over every operation of the live schema, once per role.

The schema is the one /api/v1/schema/ serves (loaded through the WSGI application, no
network); every request goes through the same WSGI application with the role's own API key
(read + write + personal data). For every generated request: no 5xx, the status code, content
type, headers and body conform to the schema, and — for the 湖南 roles — no value of the
西藏 records (the sentinels) appears in any response body.

Fast and deterministic: a few examples per operation, derandomized; one pytest test per
role, one subtest per operation.
"""

from __future__ import annotations

import datetime as dt

import pytest
import schemathesis
from django.core.cache import cache
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from accounts.api_keys import issue_api_key
from branches.models import ServiceKind, ServiceRecord
from firms.models import LawFirm
from reminders.models import Notification, RuleKind
from tests.factories import (
    BranchOfficeFactory,
    LawFirmFactory,
    LawyerFactory,
    PostingFactory,
    TraineeFactory,
    province,
)

from .conftest import KeyClient

SENTINEL = "SENTINEL西藏哨兵"
ROLES = ("ministry", "hunan_dept", "hunan_bar", "hunan_partner")
MAX_EXAMPLES = 5
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
CONFIG = schemathesis.Config.from_dict(
    {
        "seed": 20261127,
        "generation": {
            "max-examples": MAX_EXAMPLES,
            "deterministic": True,
            "mode": "all",
            "no-shrink": True,
        },
        # the coverage phase enumerates every boundary of every parameter: hundreds of
        # requests per list endpoint; the fuzzing phase (positive and negative data) and the
        # schema's own examples are what fits in the time budget
        "phases": {"coverage": {"enabled": False}, "stateful": {"enabled": False}},
    }
)


@pytest.fixture(autouse=True)
def _node_id_for_schemathesis(request) -> None:
    # schemathesis 4's lazy loader renames the test node per operation through the private
    # `_nodeid`, which pytest 9.2 no longer has (it keeps `_id`): give it one to rename
    if not hasattr(request.node, "_nodeid"):
        request.node._nodeid = request.node.nodeid


@pytest.fixture(params=ROLES)
def role(request) -> str:
    return request.param


@pytest.fixture
def sentinels(regions, users) -> list[str]:
    """西藏 records whose values no 湖南 caller may ever see, and a few 湖南 records so the
    lists these callers read are not empty. Returns the values to look for."""
    xizang = province("54")
    firm = LawFirmFactory(province=xizang, name=f"{SENTINEL}律师事务所")
    lawyer = LawyerFactory(firm=firm, name=f"{SENTINEL}律师")
    trainee = TraineeFactory(lawyer__name=f"{SENTINEL}学员", lawyer__firm=firm)
    branch = BranchOfficeFactory(parent_firm=firm, name=f"{SENTINEL}分所")
    PostingFactory(lawyer=lawyer, branch=branch)
    ServiceRecord.objects.create(
        branch=branch,
        lawyer=lawyer,
        kind=ServiceKind.choices[0][0],
        served_on=dt.date(2026, 11, 2),
        note=f"{SENTINEL}服务",
    )
    Notification.objects.create(
        recipient=users["xizang_dept"],
        rule_kind=RuleKind.choices[0][0],
        subject=f"{SENTINEL}提醒",
    )
    hunan = province("43")
    hunan_firm = LawFirmFactory(province=hunan, name="湖南测试律师事务所")
    LawyerFactory(firm=hunan_firm, name="湖南律师")
    return [
        SENTINEL,
        firm.credit_code,
        lawyer.current_licence_no,
        trainee.lawyer.current_licence_no,
        branch.credit_code,
    ]


@pytest.fixture
def role_key(role, users, sentinels) -> str:
    issued = issue_api_key(
        actor=users["superuser"],
        organisation=users[role].organisation,
        name=f"schemathesis {role}",
        scope_write=True,
        scope_personal_data=True,
    )
    # key ids restart with every test database: forget an earlier run's request count
    cache.delete(f"throttle_api_key_{issued.api_key.pk}")
    return issued.secret


@pytest.fixture
def wsgi_app():
    """The project's WSGI handler, keeping the test's database connection open across
    requests (as Django's test client does): the test's transaction holds the data."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield WSGIHandler()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def api_schema(wsgi_app, role_key):
    """The live schema, served by the application itself to the role's key."""
    return schemathesis.openapi.from_wsgi(
        "/api/v1/schema/?format=json",
        wsgi_app,
        config=CONFIG,
        headers={"Authorization": f"Api-Key {role_key}"},
    )


schema = schemathesis.pytest.from_fixture("api_schema")


def call(case, role_key: str):
    """One request, undone afterwards (a savepoint): every request sees the same data, and
    a request that failed in the database — a 500 the checks then report — cannot abort
    the test's transaction for the requests after it."""
    savepoint = transaction.savepoint()
    try:
        return case.call(headers={"Authorization": f"Api-Key {role_key}"})
    finally:
        transaction.savepoint_rollback(savepoint)


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_conforms_and_stays_in_scope(case, role, role_key, sentinels):
    response = call(case, role_key)

    case.validate_response(response, checks=CHECKS)
    if role != "ministry":
        leaked = [value for value in sentinels if value in response.text]
        assert not leaked, (
            f"{role} saw another province's data {leaked} in "
            f"{case.method} {case.formatted_path} → {response.status_code}"
        )


def test_the_sentinels_are_reachable_so_the_leak_check_can_fail(keys, sentinels):
    # the ministry reads the 西藏 records through the same API the sweep above calls…
    ministry = KeyClient(keys["ministry:rwp"])
    for path in ("/api/v1/firms/?province=54", "/api/v1/branch-offices/"):
        assert SENTINEL in ministry.get(path).content.decode()
    # …and a 湖南 key asking for one of them by id gets the 404 of a record it cannot see
    firm = LawFirm.objects.get(name__startswith=SENTINEL)
    hunan = KeyClient(keys["hunan_dept:rwp"])
    response = hunan.get(f"/api/v1/firms/{firm.pk}/")
    assert response.status_code == 404
    assert SENTINEL not in response.content.decode()
