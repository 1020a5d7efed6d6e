"""A key without the read scope (scope_read=false) writes but does not read: its GETs are
403, and its writes — create, update, state changes — answer only what identifies the write
(id, updated_at and the ETag), never the record's values. A PATCH that names no field
changes nothing, for every key: no save, the same updated_at and ETag, no audit entry."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import time_machine
from django.utils import timezone

from firms.models import LawFirm
from tests.factories import (
    BranchOfficeFactory,
    LawFirmFactory,
    LawyerFactory,
    PostingFactory,
    credit_code,
)

from .conftest import KeyClient

pytestmark = pytest.mark.django_db

API = "/api/v1/"
RECEIPT = {"id", "updated_at"}


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(dt.datetime(2026, 11, 27, 4, 0, tzinfo=dt.UTC)) as traveller:
        yield traveller


@pytest.fixture
def firm(regions):
    return LawFirmFactory(province=regions["43"], name="湘江律师事务所", address="长沙市岳麓区")


@pytest.fixture
def write_only(keys) -> KeyClient:
    return KeyClient(keys["hunan_dept:w"])


def test_a_write_only_key_cannot_read(write_only, firm):
    assert write_only.get(f"{API}firms/").status_code == 403
    assert write_only.get(f"{API}firms/{firm.pk}/").status_code == 403


def test_an_empty_patch_from_a_write_only_key_reveals_nothing_and_changes_nothing(
    write_only, firm, frozen_clock
):
    before = LawFirm.objects.get(pk=firm.pk)
    frozen_clock.shift(dt.timedelta(minutes=5))

    response = write_only.patch(f"{API}firms/{firm.pk}/", {}, format="json")

    assert response.status_code == 200
    assert set(response.json()) == RECEIPT
    assert response.json()["id"] == firm.pk
    assert "湘江" not in response.content.decode()
    assert "长沙" not in response.content.decode()
    after = LawFirm.objects.get(pk=firm.pk)
    assert after.updated_at == before.updated_at
    assert after.events.count() == before.events.count()
    assert response["ETag"]


def test_an_empty_patch_changes_nothing_for_a_reader_either(keys, firm, frozen_clock):
    client = KeyClient(keys["hunan_dept:rw"])
    etag = client.get(f"{API}firms/{firm.pk}/")["ETag"]
    stamp = LawFirm.objects.get(pk=firm.pk).updated_at
    frozen_clock.shift(dt.timedelta(minutes=5))

    response = client.patch(f"{API}firms/{firm.pk}/", {"no_such_field": 1}, format="json")

    assert response.status_code == 200
    assert response.json()["name"] == "湘江律师事务所"  # a reader gets the record
    assert response["ETag"] == etag
    assert LawFirm.objects.get(pk=firm.pk).updated_at == stamp


def test_a_write_only_update_answers_the_receipt_of_the_change(write_only, keys, firm):
    response = write_only.patch(
        f"{API}firms/{firm.pk}/", {"address": "长沙市天心区"}, format="json"
    )

    assert response.status_code == 200
    assert set(response.json()) == RECEIPT
    assert "长沙" not in response.content.decode()
    firm.refresh_from_db()
    assert firm.address == "长沙市天心区"
    # the receipt names the version a reader sees
    reader = KeyClient(keys["hunan_dept:r"]).get(f"{API}firms/{firm.pk}/")
    assert response.json()["updated_at"] == reader.json()["updated_at"]
    assert response["ETag"] == reader["ETag"]


def test_a_write_only_create_answers_the_receipt(write_only):
    body = {"credit_code": credit_code("430000", 7001), "name": "新设律师事务所", "province": "43"}

    response = write_only.post(f"{API}firms/", body, format="json")

    assert response.status_code == 201, response.content
    assert set(response.json()) == RECEIPT
    assert LawFirm.objects.get(pk=response.json()["id"]).name == "新设律师事务所"
    assert "新设" not in response.content.decode()


def test_a_write_only_state_change_answers_the_receipt(write_only, firm):
    branch = BranchOfficeFactory(parent_firm=firm)
    posting = PostingFactory(branch=branch, lawyer=LawyerFactory(firm=firm, name="李四"))
    PostingFactory(branch=branch)  # the branch stays staffed

    response = write_only.post(
        f"{API}postings/{posting.pk}/end/",
        {"end_date": "2026-12-31", "reason": "轮换期满"},
        format="json",
    )

    assert response.status_code == 200, response.content
    assert set(response.json()) == RECEIPT
    assert "轮换期满" not in response.content.decode()
    posting.refresh_from_db()
    assert posting.end_date == dt.date(2026, 12, 31)
    assert response.json()["updated_at"] == (
        posting.updated_at.astimezone(timezone.get_current_timezone()).isoformat()
    )


def test_the_schema_and_its_changelog_tell_partners(client):
    schema = json.loads(client.get("/api/v1/schema/?format=json").content)
    description = schema["info"]["description"]
    changelog = " ".join(description[description.index("Changelog") :].split())
    assert "write-only key" in changelog
    assert "PATCH that names no field" in changelog
    writes = [
        (path, method, operation)
        for path, item in schema["paths"].items()
        for method, operation in item.items()
        if method in ("post", "put", "patch") and path.startswith("/api/v1/firms/")
    ]
    assert len(writes) == 3
    for path, method, operation in writes:
        answer = next(r for code, r in operation["responses"].items() if code.startswith("2"))
        assert "write-only key" in answer["description"], (method, path)
        assert "仅写入" in answer["description"]
    patch = schema["paths"]["/api/v1/firms/{id}/"]["patch"]
    assert "names no field of the record changes nothing" in patch["description"]
