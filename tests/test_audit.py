"""Every change is kept in an audit history (django-pghistory triggers), whatever the path."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.db import DatabaseError, transaction
from pghistory.models import Events

from firms.models import LawFirm
from firms.services import save_firm
from tests.factories import LawFirmFactory, credit_code

LawFirmEvent = apps.get_model("firms", "LawFirmEvent")


def events_of(firm: LawFirm, label: str):
    return LawFirmEvent.objects.filter(pgh_obj_id=firm.pk, pgh_label=label)


def test_save_is_audited(regions):
    firm = LawFirmFactory(name="甲律师事务所")
    assert events_of(firm, "insert").count() == 1
    firm.name = "乙律师事务所"
    firm.save()
    update = events_of(firm, "update").get()
    assert update.name == "乙律师事务所"
    assert Events.objects.tracks(firm).count() == 2


def test_bulk_create_is_audited(regions):
    firms = LawFirm.objects.bulk_create(
        [
            LawFirmFactory.build(credit_code=credit_code("110000", 900001)),
            LawFirmFactory.build(credit_code=credit_code("110000", 900002)),
        ]
    )
    for firm in firms:
        assert events_of(firm, "insert").count() == 1


def test_a_bulk_insert_records_each_row_with_its_values_and_the_actor(users):
    # inserts are recorded by one statement-level trigger per INSERT (core/audit_trackers.py)
    from core.audit import audit_context

    ministry = users["ministry"]
    with audit_context(actor=ministry):
        firms = LawFirm.objects.bulk_create(
            [
                LawFirmFactory.build(credit_code=credit_code("110000", 900000 + i), name=f"所{i}")
                for i in range(5)
            ]
        )
    events = {e.pgh_obj_id: e for e in LawFirmEvent.objects.filter(pgh_label="insert")}
    for firm in firms:
        assert events[firm.pk].name == firm.name
        assert events[firm.pk].credit_code == firm.credit_code
        assert events[firm.pk].pgh_context.metadata["user"] == ministry.pk
    assert len({events[f.pk].pgh_context_id for f in firms}) == 1


def test_queryset_update_is_audited(regions):
    firm = LawFirmFactory()
    LawFirm.objects.filter(pk=firm.pk).update(phone="010-12345678")
    assert events_of(firm, "update").get().phone == "010-12345678"


def test_delete_is_audited(regions):
    firm = LawFirmFactory()
    pk = firm.pk
    firm.delete()
    assert LawFirmEvent.objects.filter(pgh_obj_id=pk, pgh_label="delete").count() == 1


def test_a_service_write_carries_the_actor(users):
    ministry = users["ministry"]
    firm = save_firm(actor=ministry, firm=LawFirmFactory.build())
    event = events_of(firm, "insert").get()
    assert event.pgh_context is not None
    assert event.pgh_context.metadata["user"] == ministry.pk
    assert "request_id" in event.pgh_context.metadata


def test_a_raw_write_has_no_actor(regions):
    firm = LawFirmFactory()
    assert events_of(firm, "insert").get().pgh_context is None


def test_event_rows_cannot_be_updated(regions):
    firm = LawFirmFactory(name="甲律师事务所")
    event = events_of(firm, "insert").get()
    with pytest.raises(DatabaseError, match="Cannot update or delete"), transaction.atomic():
        LawFirmEvent.objects.filter(pk=event.pk).update(name="篡改")
    event.refresh_from_db()
    assert event.name == "甲律师事务所"


def test_event_rows_cannot_be_deleted(regions):
    firm = LawFirmFactory()
    with pytest.raises(DatabaseError, match="Cannot update or delete"), transaction.atomic():
        events_of(firm, "insert").delete()
    assert events_of(firm, "insert").count() == 1
