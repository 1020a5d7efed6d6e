"""The branches resources: /api/v1/branch-offices/, postings (ended through an action that
checks the branch's staffing), service-records, support-contracts and care-visits.

The 湖南 (43) department's key reaches a branch of a 湖南 firm in a 西藏 county ("ours");
a branch of a 北京 firm in a 西藏 county ("theirs") involves no 湖南 row at all."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from branches.models import (
    BranchOffice,
    BranchStatus,
    CareVisit,
    ContractKind,
    Posting,
    PostingKind,
    ServiceKind,
    ServiceRecord,
    SupportContract,
)
from regions.models import County
from tests.factories import (
    BranchOfficeFactory,
    LawFirmFactory,
    LawyerFactory,
    PostingFactory,
    credit_code,
)

pytestmark = pytest.mark.django_db

API = "/api/v1/"
HUNAN, XIZANG = "43", "54"
TODAY = dt.date(2026, 11, 27)


def noon(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(12), tzinfo=timezone.get_current_timezone())


@pytest.fixture(autouse=True)
def frozen_today():
    with time_machine.travel(noon(TODAY), tick=False):
        yield


def county(code: str, index: int = 0) -> County:
    return County.objects.filter(province__code=code).order_by("code")[index]


@pytest.fixture
def hunan_firm(regions):
    return LawFirmFactory(province=regions[HUNAN])


@pytest.fixture
def ours(hunan_firm):
    """A 湖南 firm's branch in a 西藏 county: both provinces reach it."""
    return BranchOfficeFactory(parent_firm=hunan_firm, name="湘藏分所")


@pytest.fixture
def theirs(regions):
    """A 北京 firm's branch in a 西藏 county: nothing of 湖南."""
    return BranchOfficeFactory(name="京藏分所")


@pytest.fixture
def hunan_lawyer(hunan_firm):
    return LawyerFactory(firm=hunan_firm)


# --- one row of each resource at a branch -------------------------------------------------


def make_posting(branch: BranchOffice, **kwargs: Any) -> Posting:
    lawyer = LawyerFactory(firm=branch.parent_firm)
    return PostingFactory(branch=branch, lawyer=lawyer, **kwargs)


def make_service_record(branch: BranchOffice, **kwargs: Any) -> ServiceRecord:
    return ServiceRecord.objects.create(
        branch=branch,
        kind=kwargs.pop("kind", ServiceKind.LEGAL_AID),
        served_on=kwargs.pop("served_on", dt.date(2026, 3, 1)),
        **kwargs,
    )


def make_contract(branch: BranchOffice, **kwargs: Any) -> SupportContract:
    return SupportContract.objects.create(
        branch=branch,
        kind=kwargs.pop("kind", ContractKind.PROCURED_SERVICE),
        counterparty=kwargs.pop("counterparty", "某县司法局"),
        amount=kwargs.pop("amount", Decimal("120000.00")),
        start_date=kwargs.pop("start_date", dt.date(2026, 1, 1)),
        end_date=kwargs.pop("end_date", dt.date(2026, 12, 31)),
        **kwargs,
    )


def make_visit(branch: BranchOffice, **kwargs: Any) -> CareVisit:
    return CareVisit.objects.create(
        branch=branch,
        visited_on=kwargs.pop("visited_on", dt.date(2026, 2, 1)),
        visitor_organisation=kwargs.pop("visitor_organisation", "湖南省律师协会"),
        **kwargs,
    )


@dataclass
class Resource:
    path: str
    model: type
    make: Callable[[BranchOffice], Any]

    @property
    def url(self) -> str:
        return f"{API}{self.path}/"

    def detail(self, pk: int) -> str:
        return f"{API}{self.path}/{pk}/"


RESOURCES = {
    "branch-offices": Resource("branch-offices", BranchOffice, lambda b: b),
    "postings": Resource("postings", Posting, make_posting),
    "service-records": Resource("service-records", ServiceRecord, make_service_record),
    "support-contracts": Resource("support-contracts", SupportContract, make_contract),
    "care-visits": Resource("care-visits", CareVisit, make_visit),
}
NAMES = list(RESOURCES)


def ids_of(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


# --- reads: scoped ------------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_a_hunan_key_sees_its_rows_and_not_another_provinces(client_for, ours, theirs, name):
    resource = RESOURCES[name]
    mine, other = resource.make(ours), resource.make(theirs)
    api = client_for("hunan_dept:r")

    listed = ids_of(api.get(resource.url))
    own_detail = api.get(resource.detail(mine.pk))
    other_detail = api.get(resource.detail(other.pk))

    assert mine.pk in listed
    assert other.pk not in listed
    assert own_detail.status_code == 200
    assert own_detail.json()["id"] == mine.pk
    assert own_detail.headers["ETag"]
    assert other_detail.status_code == 404
    assert other_detail.json()["code"] == "not_found"


@pytest.mark.parametrize("name", NAMES)
def test_the_recipient_province_and_the_ministry_see_both(client_for, ours, theirs, name):
    resource = RESOURCES[name]
    rows = {resource.make(ours).pk, resource.make(theirs).pk}

    assert rows <= ids_of(client_for("xizang_dept:r").get(resource.url))
    assert rows <= ids_of(client_for("ministry:r").get(resource.url))


@pytest.mark.parametrize("name", NAMES)
def test_list_query_count_does_not_grow_with_the_page(client_for, hunan_firm, name):
    resource = RESOURCES[name]
    many_rows(resource, hunan_firm, 100)
    api = client_for("hunan_dept:r")

    # the key's first use of the minute records itself, the next puts the key in the
    # cache: not counted
    api.get(resource.url)
    api.get(resource.url)

    def queries(page_size: int) -> int:
        with CaptureQueriesContext(connection) as ctx:
            response = api.get(resource.url, {"page_size": page_size})
        assert len(response.json()["results"]) == page_size
        return len(ctx.captured_queries)

    # COUNT, the page (the key with its user and organisation comes from the cache)
    assert (queries(10), queries(100)) == (2, 2)


@pytest.mark.parametrize("name", NAMES)
def test_sync_pages_query_count_does_not_grow_with_the_page(client_for, hunan_firm, name):
    resource = RESOURCES[name]
    many_rows(resource, hunan_firm, 100)
    resource.model.objects.update(updated_at=timezone.now() - dt.timedelta(hours=1))
    api = client_for("hunan_dept:r")
    since = (timezone.now() - dt.timedelta(days=1)).isoformat()

    # the key's first use of the minute records itself, the next puts the key in the
    # cache: not counted
    api.get(resource.url)
    api.get(resource.url)

    def queries(page_size: int) -> int:
        with CaptureQueriesContext(connection) as ctx:
            response = api.get(resource.url, {"page_size": page_size, "updated_since": since})
        assert len(response.json()["results"]) == page_size
        return len(ctx.captured_queries)

    # the keyset page (no COUNT; the key comes from the cache)
    assert (queries(10), queries(100)) == (1, 1)


def many_rows(resource: Resource, firm, n: int) -> None:
    """`n` rows of the resource involving 湖南, in as few statements as the model allows."""
    if resource.model is BranchOffice:
        BranchOfficeFactory.create_batch(n, parent_firm=firm)
        return
    branch = BranchOfficeFactory(parent_firm=firm)
    if resource.model is Posting:
        # one lawyer, one posting after another
        lawyer = LawyerFactory(firm=firm)
        start = dt.date(2000, 1, 1)
        Posting.objects.bulk_create(
            Posting(
                lawyer=lawyer,
                branch=branch,
                kind=PostingKind.ROTATION,
                start_date=start + dt.timedelta(days=10 * i),
                end_date=start + dt.timedelta(days=10 * i + 9),
            )
            for i in range(n)
        )
        return
    template = resource.make(branch)
    rows = []
    for _i in range(n - 1):
        row = resource.model.objects.get(pk=template.pk)
        row.pk = None
        rows.append(row)
    resource.model.objects.bulk_create(rows)


# --- writes ---------------------------------------------------------------------------------


def create_body(name: str, branch: BranchOffice, lawyer) -> dict[str, Any]:
    """A valid body for POST, naming related rows by natural key."""
    hunan_county = county(HUNAN)
    return {
        "branch-offices": {
            "name": "新分所",
            "parent_firm": branch.parent_firm.credit_code,
            "county": hunan_county.code,
            "credit_code": credit_code(hunan_county.code, 9001),
            "established_on": "2026-05-01",
            "minimum_staff": 2,
        },
        "postings": {
            "lawyer": lawyer.current_licence_no,
            "branch": branch.credit_code,
            "kind": "rotation",
            "start_date": "2026-06-01",
            "agreement_signed": True,
        },
        "service-records": {
            "branch": branch.credit_code,
            "lawyer": lawyer.current_licence_no,
            "kind": "village_adviser",
            "served_on": "2026-06-02",
            "quantity": 3,
        },
        "support-contracts": {
            "branch": branch.credit_code,
            "kind": "adviser",
            "counterparty": "某县人民政府",
            "amount": "50000.00",
            "start_date": "2026-01-01",
            "end_date": "2026-12-31",
        },
        "care-visits": {
            "branch": branch.credit_code,
            "visited_on": "2026-09-10",
            "visitor_organisation": "湖南省司法厅",
            "visitors": "王处长",
        },
    }[name]


@pytest.mark.parametrize("name", NAMES)
def test_a_read_write_key_creates_through_the_service(client_for, ours, hunan_lawyer, name):
    resource = RESOURCES[name]
    body = create_body(name, ours, hunan_lawyer)

    response = client_for("hunan_dept:rw").post(resource.url, body)

    assert response.status_code == 201, response.content
    data = response.json()
    created = resource.model.objects.get(pk=data["id"])
    for field, value in body.items():
        assert data[field] == value, field
    assert response.headers["ETag"]
    # the service's audit context recorded the write with the key's user
    events = created.events.order_by("pgh_id")
    assert events.exists()


def test_a_branch_is_created_with_its_staffing_summary(client_for, ours, hunan_lawyer):
    response = client_for("hunan_dept:rw").post(
        RESOURCES["branch-offices"].url, create_body("branch-offices", ours, hunan_lawyer)
    )

    assert response.status_code == 201
    data = response.json()
    assert (data["staff_today"], data["understaffed_today"], data["province"]) == (0, True, HUNAN)


def test_related_rows_are_accepted_by_id_too(client_for, ours, hunan_lawyer):
    body = {**create_body("postings", ours, hunan_lawyer)}
    body["lawyer"], body["branch"] = hunan_lawyer.pk, ours.pk

    response = client_for("hunan_dept:rw").post(RESOURCES["postings"].url, body)

    assert response.status_code == 201, response.content
    assert response.json()["lawyer"] == hunan_lawyer.current_licence_no
    assert response.json()["branch"] == ours.credit_code


UPDATES = {
    "branch-offices": {"minimum_staff": 3},
    # the branch's only lawyer: confirmed, since unticking opens a staffing gap
    "postings": {"medical_passed": False, "confirm_gap": True},
    "service-records": {"quantity": 7},
    "support-contracts": {"counterparty": "另一县司法局"},
    "care-visits": {"notes": "慰问品已送达"},
}


@pytest.mark.parametrize("name", NAMES)
def test_a_read_write_key_updates_through_the_service(client_for, ours, name):
    resource = RESOURCES[name]
    row = resource.make(ours)
    (field, value) = next(iter(UPDATES[name].items()))

    response = client_for("hunan_dept:rw").patch(resource.detail(row.pk), UPDATES[name])

    assert response.status_code == 200, response.content
    assert response.json()[field] == value
    row.refresh_from_db()
    assert getattr(row, field) == value


@pytest.mark.parametrize("name", NAMES)
def test_a_stale_if_match_is_a_412(client_for, ours, name):
    resource = RESOURCES[name]
    row = resource.make(ours)

    response = client_for("hunan_dept:rw").patch(
        resource.detail(row.pk), UPDATES[name], HTTP_IF_MATCH='"stale"'
    )

    assert response.status_code == 412


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("key", ["hunan_dept:r", "hunan_partner:rw"])
def test_keys_that_may_not_write_get_a_403(client_for, ours, hunan_lawyer, name, key):
    resource = RESOURCES[name]
    row = resource.make(ours)
    before = resource.model.objects.count()
    api = client_for(key)

    created = api.post(resource.url, create_body(name, ours, hunan_lawyer))
    changed = api.patch(resource.detail(row.pk), UPDATES[name])

    assert created.status_code == 403
    assert changed.status_code == 403
    assert resource.model.objects.count() == before


@pytest.mark.parametrize("name", NAMES)
def test_another_provinces_row_cannot_be_changed(client_for, theirs, name):
    resource = RESOURCES[name]
    row = resource.make(theirs)

    response = client_for("hunan_dept:rw").patch(resource.detail(row.pk), UPDATES[name])

    assert response.status_code == 404


BAD_INPUT = {
    "branch-offices": ("minimum_staff", 0),
    "postings": ("start_date", "not a date"),
    "service-records": ("quantity", 0),
    "support-contracts": ("kind", "gift"),
    "care-visits": ("visited_on", None),
}


@pytest.mark.parametrize("name", NAMES)
def test_bad_input_is_a_400_naming_the_field(client_for, ours, hunan_lawyer, name):
    resource = RESOURCES[name]
    field, value = BAD_INPUT[name]
    body = {**create_body(name, ours, hunan_lawyer), field: value}
    before = resource.model.objects.count()

    response = client_for("hunan_dept:rw").post(resource.url, body)

    assert response.status_code == 400, response.content
    assert response.json()["code"] == "invalid"
    assert field in response.json()["detail"]
    assert resource.model.objects.count() == before


def test_a_contract_ending_before_it_starts_is_a_400_naming_the_end_date(
    client_for, ours, hunan_lawyer
):
    body = {
        **create_body("support-contracts", ours, hunan_lawyer),
        "start_date": "2026-12-31",
        "end_date": "2026-01-01",
    }

    response = client_for("hunan_dept:rw").post(RESOURCES["support-contracts"].url, body)

    assert response.status_code == 400
    assert "end_date" in response.json()["detail"]
    assert not SupportContract.objects.exists()


def test_a_lawyer_posted_twice_at_once_is_refused(client_for, ours, hunan_lawyer):
    PostingFactory(lawyer=hunan_lawyer, branch=ours, start_date=dt.date(2026, 1, 1))
    body = create_body("postings", ours, hunan_lawyer)

    response = client_for("hunan_dept:rw").post(RESOURCES["postings"].url, body)

    assert response.status_code == 400
    assert "start_date" in response.json()["detail"]
    assert Posting.objects.filter(lawyer=hunan_lawyer).count() == 1


@pytest.mark.parametrize(
    "name", ["postings", "service-records", "support-contracts", "care-visits"]
)
@pytest.mark.parametrize("by", ["natural_key", "id"])
def test_another_provinces_branch_is_refused_by_key_or_id(
    client_for, ours, theirs, hunan_lawyer, name, by
):
    resource = RESOURCES[name]
    body = create_body(name, ours, hunan_lawyer)
    body["branch"] = theirs.credit_code if by == "natural_key" else theirs.pk
    before = resource.model.objects.count()

    response = client_for("hunan_dept:rw").post(resource.url, body)

    assert response.status_code == 400
    assert "branch" in response.json()["detail"]
    assert resource.model.objects.count() == before


@pytest.mark.parametrize("by", ["natural_key", "id"])
def test_another_provinces_lawyer_is_refused_by_key_or_id(client_for, ours, hunan_lawyer, by):
    stranger = LawyerFactory()  # 北京
    body = create_body("postings", ours, hunan_lawyer)
    body["lawyer"] = stranger.current_licence_no if by == "natural_key" else stranger.pk

    response = client_for("hunan_dept:rw").post(RESOURCES["postings"].url, body)

    assert response.status_code == 400
    assert "lawyer" in response.json()["detail"]
    assert not Posting.objects.filter(lawyer=stranger).exists()


@pytest.mark.parametrize(
    ("field", "value"),
    [("county", "natural_key"), ("county", "id"), ("parent_firm", "natural_key")],
)
def test_a_branch_cannot_be_attached_to_another_provinces_firm_or_county(
    client_for, ours, hunan_lawyer, field, value
):
    body = create_body("branch-offices", ours, hunan_lawyer)
    if field == "county":
        tibet = county(XIZANG)
        body["county"] = tibet.code if value == "natural_key" else tibet.pk
    else:
        body["parent_firm"] = LawFirmFactory().credit_code  # 北京

    response = client_for("hunan_dept:rw").post(RESOURCES["branch-offices"].url, body)

    assert response.status_code == 400
    assert field in response.json()["detail"]
    assert not BranchOffice.objects.filter(name="新分所").exists()


def test_a_blank_licence_number_names_no_lawyer(client_for, ours, hunan_lawyer):
    # lawyers without a current licence have a blank number: a blank must not pick them
    LawyerFactory.create_batch(2, firm=ours.parent_firm, current_licence_no="", licence=False)
    body = {**create_body("service-records", ours, hunan_lawyer), "lawyer": "  "}

    response = client_for("hunan_dept:rw").post(RESOURCES["service-records"].url, body)

    assert response.status_code == 400
    assert "lawyer" in response.json()["detail"]


def test_a_branch_credit_code_cannot_change(client_for, ours):
    response = client_for("hunan_dept:rw").patch(
        RESOURCES["branch-offices"].detail(ours.pk),
        {"credit_code": credit_code(ours.county.code, 9999)},
    )

    assert response.status_code == 400
    assert "credit_code" in response.json()["detail"]


def test_a_posting_is_not_ended_by_an_update(client_for, ours):
    posting = make_posting(ours)

    response = client_for("hunan_dept:rw").patch(
        RESOURCES["postings"].detail(posting.pk), {"end_date": "2026-12-31"}
    )

    assert response.status_code == 400
    assert "end_date" in response.json()["detail"]
    posting.refresh_from_db()
    assert posting.end_date is None


def test_a_posting_does_not_move_to_another_branch(client_for, ours, hunan_firm):
    posting = make_posting(ours)
    other = BranchOfficeFactory(parent_firm=hunan_firm)

    response = client_for("hunan_dept:rw").patch(
        RESOURCES["postings"].detail(posting.pk), {"branch": other.credit_code}
    )

    assert response.status_code == 400
    assert "branch" in response.json()["detail"]


# --- ending a posting ---------------------------------------------------------------------


def end_url(posting: Posting) -> str:
    return f"{RESOURCES['postings'].detail(posting.pk)}end/"


def test_a_change_that_opens_a_gap_is_a_400_until_confirmed(client_for, ours):
    posting = make_posting(ours)  # the branch's only lawyer, minimum staff 1
    api = client_for("hunan_dept:rw")
    url = RESOURCES["postings"].detail(posting.pk)

    refused = api.patch(url, {"licence_transferred": False})

    assert refused.status_code == 400
    detail = refused.json()["detail"]
    assert set(detail) == {"confirm_gap"}
    assert "2026-11-27" in detail["confirm_gap"][0]  # short of staff from today
    posting.refresh_from_db()
    assert posting.licence_transferred is True

    confirmed = api.patch(url, {"licence_transferred": False, "confirm_gap": True})

    assert confirmed.status_code == 200, confirmed.content
    assert confirmed.json()["gap_confirmed"] is True
    assert confirmed.json()["checklist_complete"] is False
    assert "confirm_gap" not in confirmed.json()  # write-only


def test_confirm_gap_on_a_new_posting_is_ignored(client_for, ours, hunan_lawyer):
    body = {**create_body("postings", ours, hunan_lawyer), "confirm_gap": True}

    response = client_for("hunan_dept:rw").post(RESOURCES["postings"].url, body)

    assert response.status_code == 201, response.content
    assert response.json()["gap_confirmed"] is False


def test_ending_a_posting_that_leaves_enough_staff(client_for, ours):
    posting, _other = make_posting(ours), make_posting(ours)

    response = client_for("hunan_dept:rw").post(
        end_url(posting), {"end_date": "2026-12-31", "reason": "轮换期满"}
    )

    assert response.status_code == 200, response.content
    assert response.json()["end_date"] == "2026-12-31"
    assert response.json()["end_reason"] == "轮换期满"
    assert response.json()["gap_confirmed"] is False
    posting.refresh_from_db()
    assert (posting.end_date, posting.end_reason) == (dt.date(2026, 12, 31), "轮换期满")


def test_ending_the_last_posting_is_a_400_naming_the_gap(client_for, ours):
    posting = make_posting(ours)  # the branch's only lawyer, minimum staff 1

    response = client_for("hunan_dept:rw").post(
        end_url(posting), {"end_date": "2026-12-31", "reason": "轮换期满"}
    )

    assert response.status_code == 400
    detail = response.json()["detail"]
    assert set(detail) == {"end_date", "confirm_gap"}
    assert "2027-01-01" in detail["end_date"][0]  # the first day short of staff
    posting.refresh_from_db()
    assert posting.end_date is None


def test_ending_the_last_posting_with_confirmation_is_recorded(client_for, ours):
    posting = make_posting(ours)

    response = client_for("hunan_dept:rw").post(
        end_url(posting), {"end_date": "2026-12-31", "reason": "病休", "confirm_gap": True}
    )

    assert response.status_code == 200, response.content
    assert response.json()["gap_confirmed"] is True
    assert "confirm_gap" not in response.json()  # write-only
    posting.refresh_from_db()
    assert (posting.end_date, posting.gap_confirmed) == (dt.date(2026, 12, 31), True)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"end_date": "2025-12-31", "reason": "早于开始"}, "end_date"),  # before the start
        ({"end_date": "2026-12-31", "reason": ""}, "reason"),
        ({"end_date": "2026-12-31"}, "reason"),
        ({"reason": "轮换期满"}, "end_date"),
        ({"end_date": "soon", "reason": "轮换期满"}, "end_date"),
    ],
)
def test_ending_with_a_bad_body_is_a_400(client_for, ours, body, field):
    posting, _other = make_posting(ours), make_posting(ours)

    response = client_for("hunan_dept:rw").post(end_url(posting), body)

    assert response.status_code == 400
    assert field in response.json()["detail"]
    posting.refresh_from_db()
    assert posting.end_date is None


def test_ending_needs_write_scope_and_a_row_in_scope(client_for, ours, theirs):
    mine, other = make_posting(ours), make_posting(theirs)
    body = {"end_date": "2026-12-31", "reason": "轮换期满", "confirm_gap": True}

    read_only = client_for("hunan_dept:r").post(end_url(mine), body)
    partner = client_for("hunan_partner:rw").post(end_url(mine), body)
    out_of_scope = client_for("hunan_dept:rw").post(end_url(other), body)

    assert (read_only.status_code, partner.status_code, out_of_scope.status_code) == (
        403,
        403,
        404,
    )
    assert Posting.objects.filter(end_date__isnull=False).count() == 0


def test_ending_is_idempotent_with_a_key(client_for, ours):
    posting, _other = make_posting(ours), make_posting(ours)
    api = client_for("hunan_dept:rw")
    body = {"end_date": "2026-12-31", "reason": "轮换期满"}

    first = api.post(end_url(posting), body, HTTP_IDEMPOTENCY_KEY="end-1")
    second = api.post(end_url(posting), body, HTTP_IDEMPOTENCY_KEY="end-1")

    assert first.status_code == second.status_code == 200
    assert first.json() == second.json()
    assert posting.events.filter(pgh_label="update").count() == 1


# --- staffing summary and filters -------------------------------------------------------------


def test_branch_list_shows_todays_staff(client_for, ours, hunan_firm):
    ours.minimum_staff = 2
    ours.save(update_fields=["minimum_staff"])
    make_posting(ours)  # today, checklist complete
    make_posting(ours, agreement_signed=False)  # does not count yet
    make_posting(ours, start_date=dt.date(2027, 1, 1))  # not yet
    make_posting(ours, start_date=dt.date(2025, 1, 1), end_date=dt.date(2025, 12, 31))  # over
    staffed = BranchOfficeFactory(parent_firm=hunan_firm)
    make_posting(staffed)

    rows = {
        r["id"]: r
        for r in client_for("hunan_dept:r").get(RESOURCES["branch-offices"].url).json()["results"]
    }

    assert (rows[ours.pk]["staff_today"], rows[ours.pk]["understaffed_today"]) == (1, True)
    assert (rows[staffed.pk]["staff_today"], rows[staffed.pk]["understaffed_today"]) == (1, False)


def test_brief_and_fields_trim_the_branch_list(client_for, ours):
    api = client_for("hunan_dept:r")

    brief = api.get(RESOURCES["branch-offices"].url, {"brief": "true"}).json()["results"][0]
    chosen = api.get(RESOURCES["branch-offices"].url, {"fields": "id,province,staff_today"})

    assert set(brief) == {"id", "credit_code", "name", "county", "status"}
    assert chosen.json()["results"] == [{"id": ours.pk, "province": XIZANG, "staff_today": 0}]


def test_branch_filters(client_for, ours, hunan_firm, regions):
    closed = BranchOfficeFactory(
        parent_firm=hunan_firm,
        county=county(XIZANG, 3),
        status=BranchStatus.CLOSED,
        established_on=dt.date(2024, 6, 1),
    )
    api = client_for("hunan_dept:r")
    url = RESOURCES["branch-offices"].url

    def found(**params: Any) -> set[int]:
        return ids_of(api.get(url, params))

    assert found(province=XIZANG) == {ours.pk, closed.pk}
    assert found(province=HUNAN) == set()
    assert found(parent_province=HUNAN) == {ours.pk, closed.pk}
    assert found(region=regions[XIZANG].region) == {ours.pk, closed.pk}
    assert found(county=closed.county.code) == {closed.pk}
    assert found(county__in=f"{closed.county.code},{ours.county.code}") == {ours.pk, closed.pk}
    assert found(status="closed") == {closed.pk}
    assert found(status__in="active,suspended") == {ours.pk}
    assert found(year=2024) == {closed.pk}
    assert found(established_on__gte="2024-01-01", established_on__lte="2024-12-31") == {closed.pk}
    assert found(parent_firm=hunan_firm.credit_code) == {ours.pk, closed.pk}


def test_posting_filters(client_for, ours, hunan_firm):
    now = make_posting(ours)
    past = make_posting(ours, start_date=dt.date(2025, 1, 1), end_date=dt.date(2025, 12, 31))
    other_branch = BranchOfficeFactory(parent_firm=hunan_firm)
    elsewhere = make_posting(other_branch, agreement_signed=False, kind=PostingKind.RESIDENT)
    api = client_for("hunan_dept:r")
    url = RESOURCES["postings"].url

    def found(**params: Any) -> set[int]:
        return ids_of(api.get(url, params))

    assert found(branch=ours.credit_code) == {now.pk, past.pk}
    assert found(open="true") == {now.pk, elsewhere.pk}
    assert found(active_on="2025-06-01") == {past.pk}
    assert found(year=2025) == {past.pk}
    assert found(checklist_complete="false") == {elsewhere.pk}
    assert found(kind__in="resident,reassignment") == {elsewhere.pk}
    assert found(lawyer=now.lawyer.current_licence_no) == {now.pk}
    assert found(start_date__gte="2026-01-01") == {now.pk, elsewhere.pk}
    assert found(lawyer_province=HUNAN) == {now.pk, past.pk, elsewhere.pk}


def test_record_filters(client_for, ours, hunan_firm):
    early = make_service_record(ours, served_on=dt.date(2025, 5, 1), kind=ServiceKind.PAID_SERVICE)
    late = make_service_record(ours, served_on=dt.date(2026, 5, 1))
    elsewhere = make_service_record(
        BranchOfficeFactory(parent_firm=hunan_firm, county=county(XIZANG, 5))
    )
    api = client_for("hunan_dept:r")
    url = RESOURCES["service-records"].url

    def found(**params: Any) -> set[int]:
        return ids_of(api.get(url, params))

    assert found(year=2025) == {early.pk}
    assert found(served_on__gte="2026-01-01") == {late.pk, elsewhere.pk}
    assert found(kind__in="paid_service,platform_duty") == {early.pk}
    assert found(branch=ours.credit_code) == {early.pk, late.pk}
    assert found(county=ours.county.code) == {early.pk, late.pk}
    assert found(province__in=f"{HUNAN},{XIZANG}") == {early.pk, late.pk, elsewhere.pk}


def test_contract_and_visit_filters(client_for, ours):
    current = make_contract(ours)
    old = make_contract(ours, start_date=dt.date(2024, 1, 1), end_date=dt.date(2024, 12, 31))
    visit = make_visit(ours)
    api = client_for("hunan_dept:r")

    assert ids_of(api.get(RESOURCES["support-contracts"].url, {"active_on": "2026-06-01"})) == {
        current.pk
    }
    assert ids_of(api.get(RESOURCES["support-contracts"].url, {"year": 2024})) == {old.pk}
    assert ids_of(api.get(RESOURCES["care-visits"].url, {"visited_on__lte": "2026-02-01"})) == {
        visit.pk
    }
    assert ids_of(api.get(RESOURCES["care-visits"].url, {"year": 2025})) == set()


@pytest.mark.parametrize(
    ("name", "params"),
    [
        ("branch-offices", {"region": "atlantis"}),
        ("postings", {"active_on": "someday"}),
        ("service-records", {"year": "last"}),
        ("service-records", {"year": "0"}),  # no such year: not a database error
        ("postings", {"year": "10000"}),
        ("branch-offices", {"year": "2024.5"}),
        ("support-contracts", {"kind": "gift"}),
        ("care-visits", {"visited_on__gte": "2026-13-01"}),
    ],
)
def test_a_bad_filter_value_is_a_400(client_for, name, params):
    response = client_for("hunan_dept:r").get(RESOURCES[name].url, params)

    assert response.status_code == 400
    assert set(params) <= set(response.json()["detail"])
