"""History: the scoped change log, restoring a version from the audit trail, and the PIPL
log of who viewed or exported personal data."""

from __future__ import annotations

import datetime as dt

import pghistory
import pytest
from django.apps import apps
from django.db import DatabaseError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import PersonalDataAccess
from accounts.services import record_personal_data_access
from branches.models import BranchStatus
from firms.models import LawFirm
from firms.services import save_firm
from lawyers.models import Lawyer
from tests.factories import (
    BranchOfficeFactory,
    LawFirmFactory,
    LawyerFactory,
    credit_code,
    province,
)

pytestmark = pytest.mark.django_db

CHANGE_LOG = "admin:accounts_auditevent_changelist"
LawFirmEvent = apps.get_model("firms", "LawFirmEvent")
BranchOfficeEvent = apps.get_model("branches", "BranchOfficeEvent")


def history_url(obj) -> str:
    opts = obj._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_history", args=[obj.pk])


def restore_url(obj, event) -> str:
    return f"{history_url(obj)}?restore={event.pk}"


def firm_in(code: str, actor, **kwargs) -> LawFirm:
    firm = LawFirmFactory.build(province=province(code), **kwargs)
    return save_firm(actor=actor, firm=firm)


def change(obj, actor, **values):
    """Save new values the way a service does, attributed to `actor`; returns the event."""
    for name, value in values.items():
        setattr(obj, name, value)
    if isinstance(obj, LawFirm):
        save_firm(actor=actor, firm=obj)
    else:
        with pghistory.context(user=actor.pk):
            obj.save()
    event_model = type(obj).pgh_event_models["update"]
    return event_model.objects.filter(pgh_obj_id=obj.pk, pgh_label="update").latest("pgh_id")


@pytest.fixture
def login(client, users):
    def as_(role: str):
        client.force_login(users[role])
        return client

    return as_


# --- change log --------------------------------------------------------------------------
def test_change_log_shows_a_provincial_user_only_events_of_objects_in_scope(login, users):
    hunan_firm = firm_in("43", users["ministry"])
    xizang_firm = firm_in("54", users["ministry"])

    page = login("hunan_dept").get(reverse(CHANGE_LOG), {"model": "firms.LawFirm"})

    assert page.status_code == 200
    html = page.content.decode()
    assert history_url(hunan_firm) in html
    assert history_url(xizang_firm) not in html


def test_ministry_change_log_shows_both_provinces(login, users):
    hunan_firm = firm_in("43", users["ministry"])
    xizang_firm = firm_in("54", users["ministry"])

    html = login("ministry").get(reverse(CHANGE_LOG), {"model": "firms.LawFirm"}).content.decode()

    assert history_url(hunan_firm) in html
    assert history_url(xizang_firm) in html


def test_change_log_search_by_object_id_cannot_reach_an_out_of_scope_object(login, users):
    xizang_firm = firm_in("54", users["ministry"])

    page = login("hunan_dept").get(reverse(CHANGE_LOG), {"q": str(xizang_firm.pk)})

    assert history_url(xizang_firm) not in page.content.decode()


def rows(client, **params) -> list[dict]:
    response = client.get(reverse(CHANGE_LOG), params)
    assert response.status_code == 200
    return response.context["rows"]


def test_change_log_filters_by_model_action_actor_date_and_search(login, users):
    ministry, hunan = users["ministry"], users["hunan_dept"]
    firm = firm_in("43", ministry, name="筛选律师事务所")
    change(firm, hunan, address="长沙市")
    lawyer = LawyerFactory(province=province("43"))
    with pghistory.context(user=ministry.pk, request_id="req-filter-test"):
        firm.phone = "0731-1234567"
        firm.save()
    client = login("ministry")
    today = timezone.localdate()

    by_model = rows(client, model="lawyers.Lawyer")
    assert {r["model_label"] for r in by_model} == {"lawyers.Lawyer"}
    assert str(lawyer.pk) in {r["obj_id"] for r in by_model}

    updates = rows(client, model="firms.LawFirm", action="update", q=str(firm.pk))
    assert [r["pgh_label"] for r in updates] == ["update", "update"]

    by_actor = rows(client, actor="hunan_dept", q=str(firm.pk))
    assert [(r["pgh_label"], r["actor_name"]) for r in by_actor] == [("update", str(hunan))]

    by_request = rows(client, q="req-filter-test")
    assert [(r["model_label"], r["obj_id"]) for r in by_request] == [
        ("firms.LawFirm", str(firm.pk))
    ]

    assert len(rows(client, q=str(firm.pk), model="firms.LawFirm", date_from=today)) == 3
    tomorrow = today + dt.timedelta(days=1)
    assert rows(client, q=str(firm.pk), model="firms.LawFirm", date_from=tomorrow) == []
    yesterday = today - dt.timedelta(days=1)
    assert rows(client, q=str(firm.pk), model="firms.LawFirm", date_to=yesterday) == []
    assert rows(client, actor="nobody-of-that-name") == []


def test_change_log_pages_without_counting(login, users, settings):
    with pghistory.context(user=users["ministry"].pk):
        LawFirm.objects.bulk_create(
            [LawFirmFactory.build(credit_code=credit_code("110000", 700000 + i)) for i in range(60)]
        )
    client = login("ministry")

    first = client.get(reverse(CHANGE_LOG), {"model": "firms.LawFirm"})
    second = client.get(reverse(CHANGE_LOG), {"model": "firms.LawFirm", "p": 2})

    assert len(first.context["rows"]) == 50
    assert first.context["has_next"] is True
    assert 10 <= len(second.context["rows"]) <= 50
    first_ids = {r["pgh_id"] for r in first.context["rows"]}
    assert first_ids.isdisjoint(r["pgh_id"] for r in second.context["rows"])
    newest_first = [r["pgh_created_at"] for r in first.context["rows"]]
    assert newest_first == sorted(newest_first, reverse=True)


@pytest.mark.parametrize("role", ["ministry", "hunan_dept"])
def test_change_log_query_count_does_not_grow_with_events(login, users, role):
    client = login(role)

    def queries_with(n: int, seq: int) -> int:
        with pghistory.context(user=users["ministry"].pk):
            LawFirm.objects.bulk_create(
                [
                    LawFirmFactory.build(
                        province=province("43"), credit_code=credit_code("430000", seq + i)
                    )
                    for i in range(n)
                ]
            )
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(reverse(CHANGE_LOG))
        assert response.status_code == 200
        assert response.context["rows"]
        return len(ctx.captured_queries)

    assert queries_with(10, 800000) == queries_with(190, 810000)


def test_change_log_is_linked_from_every_admin_page(login):
    page = login("hunan_dept").get(reverse("admin:index"))
    assert reverse(CHANGE_LOG) in page.content.decode()


# --- restore -----------------------------------------------------------------------------
def test_restore_confirms_then_copies_the_version_back_and_is_audited(login, users):
    ministry = users["ministry"]
    firm = firm_in("11", ministry, name="甲律师事务所")
    version = change(firm, ministry, name="乙律师事务所", address="旧地址")
    change(firm, ministry, name="丙律师事务所", address="新地址")
    client = login("ministry")

    history = client.get(history_url(firm)).content.decode()
    assert f"?restore={version.pk}" in history
    confirm = client.get(restore_url(firm, version))
    assert confirm.status_code == 200
    html = confirm.content.decode()
    assert "丙律师事务所" in html
    assert "乙律师事务所" in html
    assert "csrfmiddlewaretoken" in html
    firm.refresh_from_db()
    assert firm.name == "丙律师事务所"  # GET changes nothing

    response = client.post(restore_url(firm, version))

    assert response.status_code == 302
    firm.refresh_from_db()
    assert (firm.name, firm.address) == ("乙律师事务所", "旧地址")
    assert firm.name_pinyin.startswith("yi")  # derived column recomputed by the save path
    restored = LawFirmEvent.objects.filter(pgh_obj_id=firm.pk).latest("pgh_id")
    assert restored.pgh_label == "update"
    assert restored.pgh_context.metadata["restored_from"] == version.pk
    assert restored.pgh_context.metadata["user"] == ministry.pk


def test_restore_leaves_status_fields_alone(login, users):
    ministry = users["ministry"]
    branch = BranchOfficeFactory(name="分所甲", status=BranchStatus.ACTIVE)
    version = change(branch, ministry, name="分所乙")
    change(branch, ministry, name="分所丙", status=BranchStatus.SUSPENDED)

    response = login("ministry").post(restore_url(branch, version))

    assert response.status_code == 302
    branch.refresh_from_db()
    assert branch.name == "分所乙"
    assert branch.status == BranchStatus.SUSPENDED
    last = BranchOfficeEvent.objects.filter(pgh_obj_id=branch.pk).latest("pgh_id")
    assert last.pgh_context.metadata["restored_from"] == version.pk


def test_restore_cannot_move_a_record_out_of_the_users_province(login, users):
    ministry = users["ministry"]
    firm = firm_in("43", ministry, name="湖南某律师事务所")
    moved_away = change(firm, ministry, province=province("54"))
    change(firm, ministry, province=province("43"))
    events_before = LawFirmEvent.objects.filter(pgh_obj_id=firm.pk).count()

    response = login("hunan_dept").post(restore_url(firm, moved_away))

    assert response.status_code == 400
    assert response.context["errors"] == ["只能保存与本省有关的记录。"]
    firm.refresh_from_db()
    assert firm.province.code == "43"
    assert LawFirmEvent.objects.filter(pgh_obj_id=firm.pk).count() == events_before


def test_restore_that_would_be_invalid_is_refused_with_a_message(login, users):
    ministry = users["ministry"]
    firm = firm_in("11", ministry)
    old_code, new_code = credit_code("110000", 600001), credit_code("110000", 600002)
    version = change(firm, ministry, credit_code=old_code)
    change(firm, ministry, credit_code=new_code)
    firm_in("11", ministry, credit_code=old_code)  # another firm now holds the old code

    response = login("ministry").post(restore_url(firm, version))

    assert response.status_code == 400
    assert "已存在" in "".join(response.context["errors"])
    firm.refresh_from_db()
    assert firm.credit_code == new_code


def test_restore_is_404_for_an_out_of_scope_object(login, users):
    ministry = users["ministry"]
    firm = firm_in("54", ministry)
    version = change(firm, ministry, address="拉萨")

    client = login("hunan_dept")
    assert client.get(restore_url(firm, version)).status_code == 404
    assert client.post(restore_url(firm, version)).status_code == 404
    firm.refresh_from_db()
    assert firm.address == "拉萨"


def test_restore_is_not_offered_where_the_admin_does_not_allow_it(login, users):
    organisation = users["hunan_dept"].organisation
    version = change(organisation, users["ministry"], contact_email="a@example.cn")
    change(organisation, users["ministry"], contact_email="b@example.cn")
    client = login("ministry")

    assert "?restore=" not in client.get(history_url(organisation)).content.decode()
    assert client.post(restore_url(organisation, version)).status_code == 403
    organisation.refresh_from_db()
    assert organisation.contact_email == "b@example.cn"


def test_restore_refuses_an_event_of_another_object(login, users):
    ministry = users["ministry"]
    firm, other = firm_in("11", ministry), firm_in("11", ministry)
    foreign = change(other, ministry, address="别处")

    assert login("ministry").post(restore_url(firm, foreign)).status_code == 404
    firm.refresh_from_db()
    assert firm.address != "别处"


# --- PIPL access log ---------------------------------------------------------------------
def test_viewing_a_lawyers_change_page_is_logged(login, users):
    lawyer = LawyerFactory(province=province("43"), phone="13800000000")
    url = reverse("admin:lawyers_lawyer_change", args=[lawyer.pk])

    response = login("hunan_dept").get(url)

    assert response.status_code == 200
    entry = PersonalDataAccess.objects.get()
    assert entry.user == users["hunan_dept"]
    assert entry.kind == "view"
    assert entry.model_label == "lawyers.Lawyer"
    assert entry.object_ids == [str(lawyer.pk)]
    assert entry.count == 1
    assert entry.request_id


def test_an_out_of_scope_lawyer_page_logs_nothing(login):
    lawyer = LawyerFactory(province=province("54"))

    response = login("hunan_dept").get(reverse("admin:lawyers_lawyer_change", args=[lawyer.pk]))

    assert response.status_code == 404
    assert not PersonalDataAccess.objects.exists()


def test_record_personal_data_access_for_an_export(users):
    entry = record_personal_data_access(
        user=users["ministry"],
        kind="export",
        model=Lawyer,
        description="province=43",
        count=1234,
    )
    assert (entry.kind, entry.model_label, entry.object_ids, entry.count) == (
        "export",
        "lawyers.Lawyer",
        [],
        1234,
    )


def test_access_log_admin_is_read_only_and_scoped(login, users):
    hunan_entry = record_personal_data_access(
        user=users["hunan_dept"], kind="view", model=Lawyer, object_ids=[1], count=1
    )
    xizang_entry = record_personal_data_access(
        user=users["xizang_dept"], kind="view", model=Lawyer, object_ids=[2], count=1
    )
    changelist = reverse("admin:accounts_personaldataaccess_changelist")

    ministry = login("ministry")
    assert list(ministry.get(changelist).context["cl"].result_list) == [xizang_entry, hunan_entry]
    assert ministry.get(reverse("admin:accounts_personaldataaccess_add")).status_code == 403
    change_url = reverse("admin:accounts_personaldataaccess_change", args=[hunan_entry.pk])
    ministry.post(change_url, {"count": 0, "description": "edited"})
    delete_url = reverse("admin:accounts_personaldataaccess_delete", args=[hunan_entry.pk])
    assert ministry.post(delete_url, {"post": "yes"}).status_code == 403
    hunan_entry.refresh_from_db()
    assert (hunan_entry.count, hunan_entry.description) == (1, "")

    hunan = login("hunan_dept")
    assert list(hunan.get(changelist).context["cl"].result_list) == [hunan_entry]


def test_access_log_rows_cannot_be_changed_or_deleted_in_the_database(users):
    entry = record_personal_data_access(user=users["ministry"], kind="view", model=Lawyer, count=1)
    with pytest.raises(DatabaseError, match="Cannot update or delete"), transaction.atomic():
        PersonalDataAccess.objects.filter(pk=entry.pk).update(count=0)
    with pytest.raises(DatabaseError, match="Cannot update or delete"), transaction.atomic():
        PersonalDataAccess.objects.filter(pk=entry.pk).delete()
    entry.refresh_from_db()
    assert entry.count == 1


def test_bar_association_staff_cannot_see_the_change_log(client, users):
    user = users["hunan_bar"]  # not staff: the admin refuses them altogether
    client.force_login(user)
    response = client.get(reverse(CHANGE_LOG))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))
