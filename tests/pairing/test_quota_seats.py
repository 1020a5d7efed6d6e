"""A quota's seats are never exceeded, whatever path writes (issue 22 §1): a spreadsheet
import that moves secondments onto a quota counts their seats, and PostgreSQL refuses an
overbooked quota itself (a constraint trigger), also under concurrent writes."""

from __future__ import annotations

import datetime as dt
import io
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from django.utils import translation

from accounts.import_records import create_import_record, process_import_record
from core.constraints import violated_rule
from core.models import ImportMode, ImportStatus
from pairing.models import Quota, Secondment, SecondmentStatus
from pairing.resources import SecondmentResource
from pairing.services import cancel_secondment, change_secondment, save_quota
from tests.factories import (
    LawFirmFactory,
    LawyerFactory,
    PairingAgreementFactory,
    QuotaFactory,
    SecondmentFactory,
    TraineeFactory,
    province,
)
from tests.imports.files import csv_bytes

HEADERS = [
    "学员执业证号",
    "开始日期",
    "结束日期",
    "接收律所统一社会信用代码",
    "导师执业证号",
    "名额名称",
]


def hunan_intake(*, seats_a: int, taken_a: int, on_b: int) -> dict:
    """The issue's case: quota A (2027, host 湖南, sources 重庆/云南) with `seats_a` seats of
    which `taken_a` are taken, and `on_b` planned secondments booked on quota B."""
    hunan, chongqing, yunnan = province("43"), province("50"), province("53")
    for home in (chongqing, yunnan):
        PairingAgreementFactory(helper_province=hunan, recipient_province=home)
    host = LawFirmFactory(province=hunan)
    mentor = LawyerFactory(firm=host, birth_date=dt.date(1975, 1, 1), first_licence_year=2000)

    def quota(name: str, seats: int) -> Quota:
        return QuotaFactory(
            year=2027, name=name, seats=seats, hosts=[hunan], sources=[chongqing, yunnan]
        )

    a, b = quota("湘渝滇A", seats_a), quota("湘渝滇B", max(10, on_b))

    def secondment(on: Quota, i: int) -> Secondment:
        start = dt.date(2027, 3, 1) + dt.timedelta(days=60 * (i % 3))
        return SecondmentFactory(
            trainee=TraineeFactory(home_province=(chongqing, yunnan)[i % 2]),
            host_firm=host,
            mentor=mentor,
            quota=on,
            start_date=start,
            end_date=start + dt.timedelta(days=40),
        )

    on_a = [secondment(a, i) for i in range(taken_a)]
    moving = [secondment(b, i) for i in range(on_b)]
    return {"a": a, "b": b, "host": host, "mentor": mentor, "on_a": on_a, "moving": moving}


def row_moving(s: Secondment, quota: Quota) -> list[str]:
    return [
        s.trainee.lawyer.current_licence_no,
        s.start_date.isoformat(),
        s.end_date.isoformat(),
        s.host_firm.credit_code,
        s.mentor.current_licence_no,
        quota.name,
    ]


def import_csv(user, rows, *, mode=ImportMode.UPDATE):
    """The clerk's path: upload (CSV), preview, confirm."""
    record = create_import_record(
        user=user,
        resource_class=SecondmentResource,
        upload=io.BytesIO(csv_bytes(HEADERS, rows, "utf-8-sig")),
        file_name="moves.csv",
        mode=mode,
    )
    record = process_import_record(record_id=record.pk, apply=False)
    if record.status == ImportStatus.PREVIEWED:
        record = process_import_record(record_id=record.pk, apply=True)
    return record


def test_an_import_moving_two_secondments_onto_the_last_seat_is_refused(users, regions):
    case = hunan_intake(seats_a=3, taken_a=2, on_b=2)
    first, second = case["moving"]

    record = import_csv(users["ministry"], [row_moving(s, case["a"]) for s in (first, second)])

    assert record.status == ImportStatus.FAILED
    # the first row takes the free seat, the second is refused, by row number and column
    assert [(e["row"], e["column"]) for e in record.errors] == [(3, "名额名称")] * 2
    assert [e["message"] for e in record.errors] == [
        "名额：3 个名额已全部占满。",
        "本文件第 2 行占用了其余空余名额。",
    ]
    # nothing is written: both still on quota B, quota A as before
    assert set(
        Secondment.objects.filter(pk__in=[first.pk, second.pk]).values_list("quota", flat=True)
    ) == {case["b"].pk}
    assert case["a"].seats_taken() == 2


def test_an_import_moving_one_secondment_onto_the_last_seat_is_applied(users, regions):
    case = hunan_intake(seats_a=3, taken_a=2, on_b=1)
    (moving,) = case["moving"]

    record = import_csv(users["ministry"], [row_moving(moving, case["a"])])

    assert (record.status, record.errors, record.rows_updated) == (ImportStatus.SUCCEEDED, [], 1)
    moving.refresh_from_db()
    assert moving.quota == case["a"]
    assert case["a"].seats_taken() == 3


def test_a_seat_given_up_by_a_row_is_not_lent_to_the_rows_below(users, regions):
    """Moving one secondment off a full quota and another onto it in the same file is
    refused, as the API refuses the second move before the first is stored."""
    case = hunan_intake(seats_a=2, taken_a=2, on_b=1)
    leaving, (arriving,) = case["on_a"][0], case["moving"]

    record = import_csv(
        users["ministry"],
        [row_moving(leaving, case["b"]), row_moving(arriving, case["a"])],
    )

    assert [(e["row"], e["column"], e["message"]) for e in record.errors] == [
        (3, "名额名称", "名额：2 个名额已全部占满。")  # the seat row 2 gives up is not lent
    ]
    assert case["a"].seats_taken() == 2


# --- PostgreSQL holds the rule whatever path writes ----------------------------------------


@pytest.fixture
def english():
    with translation.override("en"):
        yield


def test_a_raw_update_moving_secondments_onto_a_full_quota_is_refused(regions):
    case = hunan_intake(seats_a=3, taken_a=2, on_b=2)

    with pytest.raises(IntegrityError) as info, transaction.atomic():
        Secondment.objects.filter(pk__in=[s.pk for s in case["moving"]]).update(quota=case["a"])

    assert violated_rule(info.value) == "secondment_quota_seats"
    assert case["a"].seats_taken() == 2


def test_a_raw_insert_and_uncancelling_on_a_full_quota_are_refused(regions):
    case = hunan_intake(seats_a=2, taken_a=2, on_b=0)
    extra = SecondmentFactory.build(
        trainee=TraineeFactory(home_province=province("50")),
        host_firm=case["host"],
        mentor=case["mentor"],
        quota=case["a"],
        start_date=dt.date(2027, 9, 1),
        end_date=dt.date(2027, 10, 10),
    )
    with pytest.raises(IntegrityError) as inserted, transaction.atomic():
        Secondment.objects.bulk_create([extra])

    held = case["on_a"][0]
    Secondment.objects.filter(pk=held.pk).update(
        status=SecondmentStatus.CANCELLED, cancel_reason="x"
    )
    extra.pk = None
    Secondment.objects.bulk_create([extra])  # the freed seat
    with pytest.raises(IntegrityError) as uncancelled, transaction.atomic():
        Secondment.objects.filter(pk=held.pk).update(status=SecondmentStatus.PLANNED)

    assert (
        violated_rule(inserted.value)
        == violated_rule(uncancelled.value)
        == "secondment_quota_seats"
    )
    assert case["a"].seats_taken() == 2


def test_a_quota_cannot_shrink_below_its_booked_seats_even_by_a_raw_update(regions):
    case = hunan_intake(seats_a=3, taken_a=2, on_b=0)

    with pytest.raises(IntegrityError) as info, transaction.atomic():
        Quota.objects.filter(pk=case["a"].pk).update(seats=1)
    Quota.objects.filter(pk=case["a"].pk).update(seats=2)  # down to what is booked: fine

    assert violated_rule(info.value) == "quota_seats_held"
    assert Quota.objects.get(pk=case["a"].pk).seats == 2


def test_the_services_report_the_triggers_refusal_as_the_rules_message(users, regions, english):
    """A write that only the trigger catches (its validation ran before a concurrent
    booking took the seat) gets the seat rule's message on the quota field, not a 500 and
    not the overlap message the services used to give for every IntegrityError."""
    case = hunan_intake(seats_a=2, taken_a=1, on_b=1)
    (moving,) = case["moving"]
    moving.quota = case["a"]
    # another path books the last seat after this change was validated: emulated by
    # validating first, then writing the competing row, then saving
    moving.full_clean()
    SecondmentFactory(
        trainee=TraineeFactory(home_province=province("53")),
        host_firm=case["host"],
        mentor=case["mentor"],
        quota=case["a"],
        start_date=dt.date(2027, 9, 1),
        end_date=dt.date(2027, 10, 10),
    )
    from core.constraints import database_rules

    with pytest.raises(ValidationError) as info, database_rules():
        moving.save(update_fields=["quota"])

    assert info.value.message_dict == {"quota": ["Quota: all its seats are taken."]}
    # and the service itself, which counts under the quota's lock, says the same rule
    with pytest.raises(ValidationError) as by_service:
        change_secondment(actor=users["ministry"], secondment=moving)
    assert "quota" in by_service.value.message_dict


def test_cancelling_frees_the_seat_for_the_trigger_too(users, regions):
    case = hunan_intake(seats_a=1, taken_a=1, on_b=1)
    cancel_secondment(actor=users["ministry"], secondment=case["on_a"][0], reason="因病")
    (moving,) = case["moving"]
    moving.quota = case["a"]

    change_secondment(actor=users["ministry"], secondment=moving)

    assert case["a"].seats_taken() == 1


def test_save_quota_below_taken_is_a_field_error(users, regions, english):
    case = hunan_intake(seats_a=3, taken_a=2, on_b=0)
    quota = case["a"]
    quota.seats = 1
    with pytest.raises(ValidationError) as info:
        save_quota(actor=users["ministry"], quota=quota)
    assert list(info.value.message_dict) == ["seats"]


@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_raw_moves_onto_the_last_seat_have_one_winner(users, regions):
    """No service lock, no validation: 20 connections each move a secondment onto the one
    free seat with a bare UPDATE at the same moment; the trigger lets exactly one in."""
    case = hunan_intake(seats_a=3, taken_a=2, on_b=20)
    barrier = threading.Barrier(20)
    outcomes: list[object] = []
    lock = threading.Lock()

    def move(pk: int) -> None:
        try:
            barrier.wait(timeout=20)
            with transaction.atomic():
                Secondment.objects.filter(pk=pk).update(quota=case["a"])
            result: object = "moved"
        except Exception as exc:
            result = exc
        finally:
            connection.close()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=move, args=(s.pk,)) for s in case["moving"]]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)

    assert outcomes.count("moved") == 1, outcomes
    refused = [o for o in outcomes if isinstance(o, IntegrityError)]
    assert len(refused) == 19, outcomes
    assert {violated_rule(e) for e in refused} == {"secondment_quota_seats"}
    assert case["a"].seats_taken() == 3


# --- every path reports the rule, never a 500 ------------------------------------------------


def test_the_admin_refuses_seats_below_the_booked_ones_as_a_form_error(client, users, regions):
    case = hunan_intake(seats_a=3, taken_a=2, on_b=0)
    quota = case["a"]
    client.force_login(users["ministry"])

    response = client.post(
        reverse("admin:pairing_quota_change", args=[quota.pk]),
        {
            "year": quota.year,
            "name": quota.name,
            "host_provinces": [p.pk for p in quota.host_provinces.all()],
            "source_provinces": [p.pk for p in quota.source_provinces.all()],
            "seats": 1,
            "note": "",
        },
    )

    assert response.status_code == 200  # the form again, with the error; not a 500
    assert response.context["adminform"].form.errors == {"seats": ["名额数：已有 2 个名额被预订。"]}
    assert Quota.objects.get(pk=quota.pk).seats == 3


def test_the_api_answers_a_refusal_by_the_seat_trigger_with_the_rules_message(regions):
    """A write no service validated (a path added later) that the trigger refuses: the
    API's problem body names the field and the rule, as a 400."""
    from core.api.errors import exception_handler

    case = hunan_intake(seats_a=1, taken_a=1, on_b=1)
    with pytest.raises(IntegrityError) as refused, transaction.atomic():
        Secondment.objects.filter(pk=case["moving"][0].pk).update(quota=case["a"])

    with translation.override("zh-hans"):
        response = exception_handler(refused.value, {})

    assert response.status_code == 400
    assert response.data["code"] == "invalid"
    assert response.data["detail"] == {"quota": ["名额：该名额已全部占满。"]}


@pytest.mark.django_db(transaction=True)
def test_two_clerks_booking_the_last_seat_in_the_admin_at_once_get_one_form_error(users, regions):
    """The admin form validates under the quota's lock: the second clerk's booking comes
    back as the form with the seat rule's message, not as a 500."""
    from django.test import Client

    case = hunan_intake(seats_a=3, taken_a=2, on_b=0)
    url = reverse("admin:pairing_secondment_add")
    clients, payloads = [], []
    for i in range(2):
        client = Client()
        client.force_login(users["ministry"])
        formset = client.get(url).context["inline_admin_formsets"][0].formset
        trainee = TraineeFactory(home_province=province(("50", "53")[i]))
        payloads.append(
            {
                "trainee": trainee.pk,
                "host_firm": case["host"].pk,
                "mentor": case["mentor"].pk,
                "quota": case["a"].pk,
                "start_date": "2027-09-01",
                "end_date": "2027-10-10",
                f"{formset.prefix}-TOTAL_FORMS": "0",
                f"{formset.prefix}-INITIAL_FORMS": "0",
            }
        )
        clients.append(client)
    barrier = threading.Barrier(2)
    outcomes: list[object] = []

    def book(client, payload) -> None:
        try:
            barrier.wait(timeout=20)
            response = client.post(url, payload)
            outcomes.append(
                response.status_code
                if response.status_code != 200
                else response.context["adminform"].form.errors
            )
        except Exception as exc:
            outcomes.append(exc)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=book, args=pair) for pair in zip(clients, payloads, strict=True)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)

    assert sorted(outcomes, key=str) == [302, {"quota": ["名额：3 个名额已全部占满。"]}], outcomes
    assert case["a"].seats_taken() == 3
