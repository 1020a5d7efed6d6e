"""The API's protocol: ETag / If-Match, Idempotency-Key, ?fields=, keyset sync, errors."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection, connections, transaction
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from firms.models import LawFirm
from firms.services import save_firm
from regions.models import Province
from tests.factories import LawFirmFactory, credit_code

from .conftest import KeyClient

FIRMS = "/api/v1/firms/"


def new_firm_payload(seq: int) -> dict:
    return {
        "credit_code": credit_code("430000", 5000 + seq),
        "name": f"幂等所{seq}",
        "province": "43",
    }


# --- ETag / If-Match -------------------------------------------------------------------------
def test_detail_has_an_etag_that_changes_when_the_record_changes(keys, regions):
    firm = LawFirmFactory(province=regions["43"])
    client = KeyClient(keys["hunan_dept:rw"])
    first = client.get(f"{FIRMS}{firm.pk}/")["ETag"]
    assert client.get(f"{FIRMS}{firm.pk}/")["ETag"] == first
    client.patch(f"{FIRMS}{firm.pk}/", {"phone": "0731-1234567"}, format="json")
    assert client.get(f"{FIRMS}{firm.pk}/")["ETag"] != first


def test_if_none_match_gives_304(keys, regions):
    firm = LawFirmFactory(province=regions["43"])
    client = KeyClient(keys["hunan_dept:r"])
    etag = client.get(f"{FIRMS}{firm.pk}/")["ETag"]
    assert client.get(f"{FIRMS}{firm.pk}/", HTTP_IF_NONE_MATCH=etag).status_code == 304


def test_a_stale_if_match_is_412_and_changes_nothing(keys, regions):
    firm = LawFirmFactory(province=regions["43"], phone="13800000001")
    alice, bob = KeyClient(keys["hunan_dept:rw"]), KeyClient(keys["hunan_dept:rwp"])
    etag = alice.get(f"{FIRMS}{firm.pk}/")["ETag"]
    assert (
        bob.patch(f"{FIRMS}{firm.pk}/", {"phone": "13800000002"}, format="json", HTTP_IF_MATCH=etag)
    ).status_code == 200
    stale = alice.patch(
        f"{FIRMS}{firm.pk}/", {"phone": "13800000003"}, format="json", HTTP_IF_MATCH=etag
    )
    assert stale.status_code == 412
    assert stale.json()["code"] == "precondition_failed"
    firm.refresh_from_db()
    assert firm.phone == "13800000002"


def test_a_current_if_match_lets_the_write_through(keys, regions):
    firm = LawFirmFactory(province=regions["43"])
    client = KeyClient(keys["hunan_dept:rw"])
    etag = client.get(f"{FIRMS}{firm.pk}/")["ETag"]
    response = client.patch(
        f"{FIRMS}{firm.pk}/", {"address": "长沙市"}, format="json", HTTP_IF_MATCH=etag
    )
    assert response.status_code == 200
    assert response["ETag"] != etag


# --- Idempotency-Key --------------------------------------------------------------------------
def test_a_retried_create_returns_the_first_result(keys):
    client = KeyClient(keys["hunan_dept:rw"])
    first = client.post(FIRMS, new_firm_payload(1), format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    again = client.post(FIRMS, new_firm_payload(1), format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert LawFirm.objects.filter(name="幂等所1").count() == 1


def test_the_same_key_with_another_body_is_a_409(keys):
    client = KeyClient(keys["hunan_dept:rw"])
    client.post(FIRMS, new_firm_payload(2), format="json", HTTP_IDEMPOTENCY_KEY="k-2")
    other = client.post(FIRMS, new_firm_payload(3), format="json", HTTP_IDEMPOTENCY_KEY="k-2")
    assert other.status_code == 409
    assert other.json()["code"] == "idempotency_key_reused"
    assert not LawFirm.objects.filter(name="幂等所3").exists()


def test_keys_are_per_caller(keys):
    payload = new_firm_payload(4)
    KeyClient(keys["hunan_dept:rw"]).post(FIRMS, payload, format="json", HTTP_IDEMPOTENCY_KEY="k")
    # another caller's "k" is another key: it runs (and fails on the now-taken credit code)
    other = KeyClient(keys["ministry:rw"]).post(
        FIRMS, payload, format="json", HTTP_IDEMPOTENCY_KEY="k"
    )
    assert other.status_code == 400
    assert "credit_code" in other.json()["detail"]


def test_a_failed_request_is_not_remembered(keys):
    client = KeyClient(keys["hunan_dept:rw"])
    bad = client.post(
        FIRMS, new_firm_payload(5) | {"name": ""}, format="json", HTTP_IDEMPOTENCY_KEY="k-5"
    )
    assert bad.status_code == 400
    good = client.post(
        FIRMS, new_firm_payload(5) | {"name": ""}, format="json", HTTP_IDEMPOTENCY_KEY="k-5"
    )
    assert good.status_code == 400  # ran again (not a replay of a stored error)
    assert "Idempotent-Replayed" not in good


def test_an_overlong_idempotency_key_is_a_400(keys):
    response = KeyClient(keys["hunan_dept:rw"]).post(
        FIRMS, new_firm_payload(6), format="json", HTTP_IDEMPOTENCY_KEY="x" * 300
    )
    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()["detail"]


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_retries_create_one_record(users):
    from accounts.api_keys import issue_api_key

    secret = issue_api_key(
        actor=users["superuser"],
        organisation=users["hunan_dept"].organisation,
        name="concurrent",
        scope_write=True,
    ).secret
    results: list[int] = []
    barrier = threading.Barrier(2)

    def post() -> None:
        try:
            barrier.wait()
            response = KeyClient(secret).post(
                FIRMS, new_firm_payload(7), format="json", HTTP_IDEMPOTENCY_KEY="same"
            )
            results.append(response.status_code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=post) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert results == [201, 201]
    assert LawFirm.objects.filter(name="幂等所7").count() == 1


# --- ?fields= -----------------------------------------------------------------------------------
def test_fields_trims_the_output_and_the_query(keys, regions):
    LawFirmFactory.create_batch(3, province=regions["43"])
    client = KeyClient(keys["hunan_dept:r"])
    with CaptureQueriesContext(connection) as full:
        client.get(FIRMS)
    with CaptureQueriesContext(connection) as trimmed:
        response = client.get(FIRMS, {"fields": "id,name"})
    assert set(response.json()["results"][0]) == {"id", "name"}
    select_full = next(
        q["sql"] for q in full if 'FROM "firms_lawfirm"' in q["sql"] and "LIMIT" in q["sql"]
    )
    select_trim = next(
        q["sql"] for q in trimmed if 'FROM "firms_lawfirm"' in q["sql"] and "LIMIT" in q["sql"]
    )
    assert '"firms_lawfirm"."address"' in select_full
    assert '"firms_lawfirm"."address"' not in select_trim
    assert "regions_county" not in select_trim  # the county join is gone too


def test_brief_mode(keys, regions):
    LawFirmFactory(province=regions["43"])
    response = KeyClient(keys["hunan_dept:r"]).get(FIRMS, {"brief": "true"})
    assert set(response.json()["results"][0]) == {"id", "credit_code", "name", "province"}


def test_an_unknown_field_is_a_400_naming_it(keys):
    response = KeyClient(keys["hunan_dept:r"]).get(FIRMS, {"fields": "name,secret_sauce"})
    assert response.status_code == 400
    assert "secret_sauce" in str(response.json()["detail"]["fields"])


# --- keyset sync -----------------------------------------------------------------------------------
def sync_all(client: KeyClient, since: str = "2000-01-01T00:00:00+08:00", size: int = 7):
    seen, pages = [], 0
    response = client.get(FIRMS, {"updated_since": since, "page_size": size})
    while True:
        body = response.json()
        assert response.status_code == 200, body
        seen += [row["id"] for row in body["results"]]
        pages += 1
        if not body["has_more"]:
            return seen, body["next_cursor"], pages
        response = client.get(FIRMS, {"cursor": body["next_cursor"], "page_size": size})


def test_sync_pages_every_row_once_in_change_order(keys, regions):
    firms = LawFirmFactory.create_batch(30, province=regions["43"])
    seen, cursor, pages = sync_all(KeyClient(keys["hunan_dept:r"]))
    assert seen == [f.pk for f in sorted(firms, key=lambda f: (f.updated_at, f.pk))]
    assert pages == 5
    assert cursor  # to resume from later


def test_sync_resumes_from_the_cursor_with_only_the_changes(keys, regions):
    firms = LawFirmFactory.create_batch(5, province=regions["43"])
    client = KeyClient(keys["hunan_dept:r"])
    _seen, cursor, _ = sync_all(client)
    changed = firms[2]
    changed.phone = "0731-0000000"
    changed.save()
    response = client.get(FIRMS, {"cursor": cursor})
    assert [row["id"] for row in response.json()["results"]] == [changed.pk]


def test_sync_has_no_count_query(keys, regions):
    LawFirmFactory.create_batch(3, province=regions["43"])
    client = KeyClient(keys["hunan_dept:r"])
    with CaptureQueriesContext(connection) as queries:
        client.get(FIRMS, {"updated_since": "2000-01-01"})
    assert not [q for q in queries if "COUNT(" in q["sql"].upper()]


@pytest.mark.parametrize("cursor", ["garbage", "eyJhIjoxfQ", "WyJ4IiwgMV0"])
def test_a_bad_cursor_is_a_400(keys, cursor):
    response = KeyClient(keys["hunan_dept:r"]).get(FIRMS, {"cursor": cursor})
    assert response.status_code == 400
    assert "cursor" in response.json()["detail"]


def test_a_bad_updated_since_is_a_400(keys):
    response = KeyClient(keys["hunan_dept:r"]).get(FIRMS, {"updated_since": "yesterday"})
    assert response.status_code == 400
    assert "updated_since" in response.json()["detail"]


@pytest.mark.django_db(transaction=True)
def test_a_client_syncing_while_another_writes_sees_every_record(users, settings):
    """Writers commit slowly (each transaction stays open 0.3 s after stamping updated_at);
    the settle window (1 s) keeps the reader from paging past rows not yet committed."""
    from accounts.api_keys import issue_api_key

    settings.API_SYNC_SETTLE_SECONDS = 1
    secret = issue_api_key(
        actor=users["superuser"], organisation=users["hunan_dept"].organisation, name="sync"
    ).secret
    writer_user = User.objects.get(pk=users["hunan_dept"].pk)
    written: list[int] = []
    done = threading.Event()

    def write() -> None:
        try:
            for i in range(24):
                with transaction.atomic():
                    firm = save_firm(
                        actor=writer_user,
                        firm=LawFirm(
                            credit_code=credit_code("430000", 9000 + i),
                            name=f"并发所{i}",
                            province=users["hunan_dept"].organisation.province,
                        ),
                    )
                    time.sleep(0.3 if i % 3 == 0 else 0.02)  # slow commits, out of order
                written.append(firm.pk)
        finally:
            done.set()
            connections.close_all()

    writers = [threading.Thread(target=write)]
    for t in writers:
        t.start()
    client = KeyClient(secret)
    seen: set[int] = set()
    response = client.get(FIRMS, {"updated_since": "2000-01-01", "page_size": 3})
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        body = response.json()
        seen |= {row["id"] for row in body["results"]}
        if done.is_set() and not body["has_more"] and set(written) <= seen:
            break
        if not body["has_more"]:
            time.sleep(0.2)  # caught up: poll again from the cursor
        response = client.get(FIRMS, {"cursor": body["next_cursor"], "page_size": 3})
    for t in writers:
        t.join(30)
    assert len(written) == 24
    assert set(written) <= seen


# --- tracing ----------------------------------------------------------------------------------------
def test_every_response_has_a_request_id_and_the_audit_trail_records_it_with_the_key(keys):
    from django.apps import apps

    from accounts.models import ApiKey

    secret = keys["hunan_dept:rw"]
    client = KeyClient(secret)
    assert client.get(FIRMS)["X-Request-ID"]
    response = client.post(FIRMS, new_firm_payload(8), format="json")
    request_id = response["X-Request-ID"]
    event = apps.get_model("firms", "LawFirmEvent").objects.get(
        pgh_obj_id=response.json()["id"], pgh_label="insert"
    )
    metadata = event.pgh_context.metadata
    assert metadata["request_id"] == request_id
    api_key = ApiKey.objects.get(prefix=secret.split("_")[1])
    assert metadata["api_key"] == api_key.pk
    assert metadata["user"] == api_key.service_user_id


def test_a_signed_in_user_reads_the_api_with_the_session(client, users, regions):
    LawFirmFactory(province=regions["43"])
    client.force_login(users["hunan_bar"])
    response = client.get(FIRMS)
    assert response.status_code == 200
    assert response.json()["count"] == 1


# --- regressions: bad input that used to be a 500 ---------------------------------------------------
@pytest.mark.parametrize(
    ("url", "param"),
    [
        (FIRMS, "updated_since"),
        (FIRMS, "updated_at__gte"),
        ("/api/v1/counties/", "updated_since"),
        ("/api/v1/notifications/", "created_at__gte"),
    ],
)
def test_a_utc_offset_postgresql_cannot_hold_is_a_400_not_a_500(keys, url, param):
    # Python accepts offsets to ±23:59, PostgreSQL to ±15:59
    response = KeyClient(keys["hunan_dept:r"]).get(url, {param: "2026-01-01T00:00:00-18:51"})
    assert response.status_code == 200  # converted to UTC: a valid moment
    response = KeyClient(keys["hunan_dept:r"]).get(url, {param: "0001-01-01T00:00:00+15:00"})
    assert response.status_code == 400
    assert response.json()["status"] == 400


def test_errors_of_the_whole_record_come_under_non_field_errors():
    from django.core.exceptions import ValidationError

    from core.api.errors import exception_handler

    response = exception_handler(
        ValidationError({"__all__": ["整条记录的错误"], "name": ["名称错误"]}), {}
    )
    assert response.data["detail"] == {
        "non_field_errors": ["整条记录的错误"],
        "name": ["名称错误"],
    }


def test_an_empty_sync_from_the_first_day_of_the_calendar_gives_a_cursor(keys):
    # the resume position used to be one microsecond before `since`: year 1 overflowed (500)
    client = KeyClient(keys["hunan_dept:r"])
    response = client.get(FIRMS, {"updated_since": "0001-01-01T00:00:00Z"})
    assert response.status_code == 200
    assert response.json()["results"] == []
    LawFirmFactory(province=Province.objects.get(code="43"))
    later = client.get(FIRMS, {"cursor": response.json()["next_cursor"]})
    assert len(later.json()["results"]) == 1


# --- PIPL ---------------------------------------------------------------------------------------------
def test_unmasked_personal_data_read_through_the_api_is_logged(keys, regions):
    from accounts.models import PersonalDataAccess
    from tests.factories import LawyerFactory

    lawyer = LawyerFactory(firm=LawFirmFactory(province=regions["43"]), phone="13812345678")
    masked = KeyClient(keys["hunan_dept:r"]).get(f"/api/v1/lawyers/{lawyer.pk}/")
    assert masked.json()["phone"] != "13812345678"
    assert not PersonalDataAccess.objects.exists()  # nothing personal was shown

    plain = KeyClient(keys["hunan_dept:rwp"]).get("/api/v1/lawyers/")
    assert plain.json()["results"][0]["phone"] == "13812345678"
    entry = PersonalDataAccess.objects.get()
    assert entry.model_label == "lawyers.Lawyer"
    assert entry.object_ids == [str(lawyer.pk)]
    assert entry.request_id == plain["X-Request-ID"]
