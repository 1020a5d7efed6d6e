"""Implausible values are refused on every path that writes (issue 22 §2): the validators
of `core.fields` reach model validation, the API, the portal forms and the spreadsheet
imports alike, and each refusal names the field in Chinese. Good values are kept —
normalised (NFC text, ASCII phone digits)."""

from __future__ import annotations

import datetime as dt
import unicodedata
from typing import Any

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from hypothesis import given, settings
from hypothesis import strategies as st

from accounts.imports import run_import
from branches.models import ServiceRecord
from branches.resources import ServiceRecordResource
from core.fields import NARRATIVE_MAX_LENGTH, NarrativeField, PhoneField, TextLineField
from core.spreadsheets import read_table
from core.validators import (
    DateRangeValidator,
    PhoneNumberValidator,
    PrintableTextValidator,
    phone_is_valid,
)
from firms.models import LawFirm
from firms.resources import LawFirmResource
from lawyers.models import Gender, Lawyer
from lawyers.resources import LawyerResource
from pairing.models import ProgressReport
from portal.forms.branches import CareVisitForm, ServiceRecordForm
from portal.forms.pairings import ProgressReportForm
from tests.adminutil import field_errors
from tests.api.conftest import KeyClient, issue
from tests.factories import (
    BranchOfficeFactory,
    FirmPairingFactory,
    LawFirmFactory,
    LawyerFactory,
    credit_code,
    licence_number,
    province,
)
from tests.imports.files import csv_bytes
from tests.test_admin_forms import firm_post, lawyer_post

pytestmark = pytest.mark.django_db

TODAY = dt.datetime(2026, 12, 8, 4, 0, tzinfo=dt.UTC)

# --- the bad values of the issue, each with the field it is given to -----------------------
RLO = "张三\u202e"  # RIGHT-TO-LEFT OVERRIDE: displays other than it is stored
ZERO_WIDTH = "\u200b\u200b\u200b"
ESC = "张\x1b[31m三"
BOM = "\ufeff张三"
LONG = "律" * 100_000

#: (model label, field, bad value, a word the Chinese message holds)
BAD: list[tuple[str, str, Any, str]] = [
    ("lawyer", "name", RLO, "不可见"),
    ("lawyer", "name", ZERO_WIDTH, "不可见"),
    ("firm", "name", ESC, "不可见"),
    ("firm", "name", BOM, "不可见"),
    ("firm", "name", "   ", ""),  # blank after stripping: required
    ("firm", "name", "123", "字母"),
    ("lawyer", "phone", "NaN", "手机号码"),
    ("lawyer", "phone", "律所😀", "手机号码"),
    ("firm", "phone", '=HYPERLINK("http://evil.example","点我")', "手机号码"),
    ("lawyer", "birth_date", dt.date(1, 1, 1), "1930-01-01"),
    ("lawyer", "birth_date", dt.date(2027, 1, 1), "今天"),  # born tomorrow (and later)
    ("report", "period_start", dt.date(9999, 1, 1), "2100-12-31"),
    ("report", "due_date", dt.date(1, 1, 1), "2023-01-01"),
    ("report", "narrative", LONG, "10000"),
    ("service", "served_on", dt.date(9999, 12, 31), "2100-12-31"),
    ("service", "note", RLO, "不可见"),
]

LABEL = {  # what the Chinese message starts with
    ("lawyer", "name"): "名称",
    ("firm", "name"): "名称",
    ("lawyer", "phone"): "电话",
    ("firm", "phone"): "电话",
    ("lawyer", "birth_date"): "出生日期",
    ("report", "period_start"): "报告期起始日",
    ("report", "due_date"): "截止日期",
    ("report", "narrative"): "情况说明",
    ("service", "served_on"): "日期",
    ("service", "note"): "备注",
}


def case_id(case: tuple[str, str, Any, str]) -> str:
    model, field, value, _word = case
    text = value.isoformat() if isinstance(value, dt.date) else repr(value)[:20]
    return f"{model}.{field}={text}"


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(TODAY, tick=False):
        yield


@pytest.fixture
def hunan_firm(regions) -> LawFirm:
    return LawFirmFactory(province=province("43"), name="湖南测试律师事务所")


def valid_instance(model: str, firm: LawFirm) -> Any:
    if model == "lawyer":
        return LawyerFactory.build(
            firm=firm, province=firm.province, current_licence_no=licence_number("43", 999)
        )
    if model == "firm":
        return LawFirmFactory.build(province=firm.province, credit_code=credit_code("430000", 77))
    if model == "report":
        return ProgressReport(
            pairing=FirmPairingFactory(),
            period_start=dt.date(2026, 1, 1),
            period_end=dt.date(2026, 6, 30),
            due_date=dt.date(2026, 7, 15),
            narrative="上半年开展培训两次。",
        )
    return ServiceRecord(
        branch=BranchOfficeFactory(), kind="legal_aid", served_on=dt.date(2026, 3, 1), note="x"
    )


def assert_names_field(
    messages: list[str], model: str, field: str, word: str, *, labelled: bool = True
) -> None:
    """The rule's word is in the messages, and one of them starts with the field's name."""
    text = " ".join(messages)
    assert text, messages
    if word:
        assert word in text, text
        if labelled:
            assert any(m.startswith(LABEL[(model, field)]) for m in messages), messages


# --- 1. model validation (services, admin, every ModelForm) ---------------------------------
@pytest.mark.parametrize("case", BAD, ids=case_id)
def test_model_validation_refuses_the_value_naming_the_field(hunan_firm, case):
    model, field, value, word = case
    instance = valid_instance(model, hunan_firm)
    instance.full_clean()  # the valid instance passes …
    setattr(instance, field, value)

    with pytest.raises(ValidationError) as excinfo:  # … the bad value does not
        instance.full_clean()

    errors = excinfo.value.message_dict
    assert field in errors, errors
    assert_names_field(errors[field], model, field, word)


def test_a_report_due_before_its_period_ends_is_refused_on_the_due_date(hunan_firm):
    report = valid_instance("report", hunan_firm)
    report.due_date = dt.date(2026, 6, 1)

    with pytest.raises(ValidationError) as excinfo:
        report.full_clean()

    assert list(excinfo.value.message_dict) == ["due_date"]
    assert "截止日期" in excinfo.value.message_dict["due_date"][0]


# --- 2. PostgreSQL holds what a path without validation could store -------------------------
def _service(firm: LawFirm) -> ServiceRecord:
    return ServiceRecord.objects.create(
        branch=BranchOfficeFactory(), kind="legal_aid", served_on=dt.date(2026, 3, 1)
    )


def _report(firm: LawFirm) -> ProgressReport:
    report = valid_instance("report", firm)
    report.save()
    return report


def _lawyer(firm: LawFirm) -> Lawyer:
    return LawyerFactory(firm=firm)


@pytest.mark.parametrize(
    ("make", "change", "constraint"),
    [
        (_service, {"served_on": dt.date(9999, 1, 1)}, "branches_servicerecord_served_on_range"),
        (_report, {"narrative": LONG}, "pairing_progressreport_narrative_length"),
        (_report, {"due_date": dt.date(2023, 1, 1)}, "report_due_after_period"),
        (_report, {"period_start": dt.date(1, 1, 1)}, "pairing_progressreport_period_start_range"),
        (_lawyer, {"birth_date": dt.date(1, 1, 1)}, "lawyers_lawyer_birth_date_range"),
    ],
    ids=["service_date", "narrative", "due_date", "period", "birth_date"],
)
def test_the_database_refuses_what_validation_would(hunan_firm, make, change, constraint):
    row = make(hunan_firm)

    with pytest.raises(IntegrityError) as excinfo, transaction.atomic():
        type(row).objects.filter(pk=row.pk).update(**change)  # no validation on this path

    assert constraint in str(excinfo.value)


# --- 3. the API: 400 naming the field, in Chinese ------------------------------------------
@pytest.fixture
def api(users) -> KeyClient:
    """The 湖南 department's read-write key; errors in Chinese (the default language)."""
    return KeyClient(issue(users["superuser"], users["hunan_dept"].organisation, scope_write=True))


def lawyer_body(firm: LawFirm, **overrides: Any) -> dict[str, Any]:
    return {
        "name": "李四",
        "gender": Gender.FEMALE,
        "birth_date": "1996-05-04",
        "first_licence_year": 2021,
        "province": "43",
        "firm": firm.credit_code,
        "phone": "13700002222",
        "licence_number": licence_number("43", 777, year=2021, gender="F"),
        "licence_valid_from": "2021-07-01",
        **overrides,
    }


API_CASES = [c for c in BAD if c[0] in ("lawyer", "firm", "report", "service")]


def api_write(client: KeyClient, model: str, field: str, value: Any, firm: LawFirm) -> Any:
    wire = value.isoformat() if isinstance(value, dt.date) else value
    if model == "lawyer":
        return client.post("/api/v1/lawyers/", lawyer_body(firm, **{field: wire}), format="json")
    if model == "firm":
        return client.patch(f"/api/v1/firms/{firm.pk}/", {field: wire}, format="json")
    if model == "report":
        pairing = FirmPairingFactory(
            agreement__helper_province=province("43"), agreement__recipient_province=province("53")
        )
        body = {
            "pairing": pairing.pk,
            "period_start": "2026-01-01",
            "period_end": "2026-06-30",
            "due_date": "2026-07-15",
            field: wire,
        }
        return client.post("/api/v1/progress-reports/", body, format="json")
    branch = BranchOfficeFactory(parent_firm=firm)
    body = {"branch": branch.credit_code, "kind": "legal_aid", "served_on": "2026-03-01"}
    return client.post("/api/v1/service-records/", {**body, field: wire}, format="json")


@pytest.mark.parametrize("case", API_CASES, ids=case_id)
def test_the_api_answers_400_naming_the_field_in_chinese(api, hunan_firm, case):
    model, field, value, word = case
    before = {m.__name__: m.objects.count() for m in (Lawyer, ProgressReport, ServiceRecord)}

    response = api_write(api, model, field, value, hunan_firm)

    assert response.status_code == 400, response.content
    detail = response.json()["detail"]
    assert field in detail, detail
    # DRF states max_length itself ("no more than 10000 characters"), under the field's key
    assert_names_field([str(m) for m in detail[field]], model, field, word, labelled=value != LONG)
    assert {m.__name__: m.objects.count() for m in (Lawyer, ProgressReport, ServiceRecord)} == (
        before
    )
    hunan_firm.refresh_from_db()
    assert hunan_firm.name == "湖南测试律师事务所"
    assert hunan_firm.phone == ""


def test_the_api_stores_text_nfc_normalised_and_phones_with_ascii_digits(api, hunan_firm):
    decomposed = "Cafe\u0301律师事务所"  # e + COMBINING ACUTE ACCENT
    response = api.patch(
        f"/api/v1/firms/{hunan_firm.pk}/",
        {"name": decomposed, "phone": "＋８６　１３８１２３４５６７８"},
        format="json",
    )

    assert response.status_code == 200, response.content
    hunan_firm.refresh_from_db()
    assert hunan_firm.name == "Caf\u00e9律师事务所"
    assert hunan_firm.phone == "+86 13812345678"


# --- 4. the portal forms --------------------------------------------------------------------
PORTAL_CASES = [
    ("report", "period_start", "9999-01-01", "2100-12-31"),
    ("report", "due_date", "0001-01-01", ""),  # not even a date the form reads
    ("report", "narrative", LONG, "10000"),
    ("report", "narrative", RLO, "不可见"),
    ("service", "served_on", "9999-12-31", "2100-12-31"),
    ("service", "note", BOM, "不可见"),
    ("visit", "visitor_organisation", ZERO_WIDTH, "不可见"),
    ("visit", "visitor_organisation", ESC, "不可见"),
]


def portal_form(model: str, data: dict[str, Any], users: Any) -> Any:
    if model == "report":
        base = {
            "period_start": "2026-01-01",
            "period_end": "2026-06-30",
            "due_date": "2026-07-15",
            "narrative": "上半年开展培训两次。",
            "trainings_held": 0,
            "lawyers_trained": 0,
            "joint_cases": 0,
            "rules_adopted": 0,
        }
        return ProgressReportForm(
            data={**base, **data}, instance=ProgressReport(pairing=FirmPairingFactory())
        )
    branch = BranchOfficeFactory()
    if model == "service":
        base = {"kind": "legal_aid", "served_on": "2026-03-01", "quantity": 1, "note": ""}
        return ServiceRecordForm(data={**base, **data}, user=users["xizang_bar"], branch=branch)
    base = {"visited_on": "2026-03-01", "visitor_organisation": "西藏律协"}
    return CareVisitForm(data={**base, **data}, user=users["xizang_bar"], branch=branch)


@pytest.mark.parametrize("case", PORTAL_CASES, ids=case_id)
def test_a_portal_form_shows_the_error_on_the_field(users, case):
    model, field, value, word = case
    assert portal_form(model, {}, users).is_valid()  # the form's defaults pass …

    form = portal_form(model, {field: value}, users)

    assert not form.is_valid()  # … the bad value does not
    assert field in form.errors, form.errors
    if word:
        assert word in " ".join(form.errors[field]), form.errors


def test_a_portal_form_keeps_the_text_nfc_normalised(users):
    form = portal_form("visit", {"visitor_organisation": "Cafe\u0301律协"}, users)

    assert form.is_valid(), form.errors
    visit = form.save()
    visit.refresh_from_db()
    assert visit.visitor_organisation == "Caf\u00e9律协"


# --- 4b. the admin's forms -----------------------------------------------------------------
ADMIN_CASES = [
    ("firm", "name", RLO, "不可见"),
    ("firm", "name", BOM, "不可见"),
    ("firm", "phone", '=HYPERLINK("x")', "手机号码"),  # a longer one: max_length first
    ("firm", "founded_on", "9999-01-01", "今天"),
    ("lawyer", "name", ZERO_WIDTH, "不可见"),
    ("lawyer", "phone", "律所😀", "手机号码"),
    ("lawyer", "birth_date", "0001-01-01", "1930-01-01"),
]


@pytest.mark.parametrize("case", ADMIN_CASES, ids=case_id)
def test_an_admin_add_form_shows_the_error_on_the_field(client, users, regions, case):
    model, field, value, word = case
    client.force_login(users["ministry"])
    counts = (LawFirm.objects.count(), Lawyer.objects.count())

    if model == "firm":
        response = firm_post(client, regions, credit_code("430000", 4343), **{field: value})
    else:
        number = licence_number("43", 778, year=2019, gender="F")
        response = lawyer_post(client, regions, number, **{field: value})

    assert response.status_code == 200
    errors = field_errors(response, field)
    assert any(word in e for e in errors), (errors, field_errors(response, None))
    # lawyer_post makes the firm the lawyer works at: one firm more, no lawyer
    assert (LawFirm.objects.count() - (model == "lawyer"), Lawyer.objects.count()) == counts


# --- 5. spreadsheet imports: a row error naming the column ----------------------------------
FIRM_HEADERS = ["统一社会信用代码", "名称", "省份", "电话"]
LAWYER_HEADERS = [
    "执业证号",
    "姓名",
    "性别",
    "出生日期",
    "首次执业年份",
    "执业证发证日期",
    "执业省份",
    "律师事务所统一社会信用代码",
    "手机号码",
]
SERVICE_HEADERS = ["分所统一社会信用代码", "日期", "服务类型", "律师执业证号", "数量", "备注"]

IMPORT_CASES = [
    ("firm", "名称", RLO, "不可见"),
    ("firm", "名称", ZERO_WIDTH, "不可见"),
    ("firm", "名称", ESC, "不可见"),
    ("firm", "名称", BOM, "不可见"),
    ("firm", "电话", "NaN", "手机号码"),
    ("firm", "电话", "律所😀", "手机号码"),
    ("firm", "电话", '=HYPERLINK("http://evil.example","点我")', "手机号码"),
    ("lawyer", "出生日期", "0001-01-01", "1930-01-01"),
    ("lawyer", "姓名", RLO, "不可见"),
    ("lawyer", "手机号码", "NaN", "手机号码"),
    ("service", "日期", "9999-12-31", "2100-12-31"),
    ("service", "备注", ESC, "不可见"),
]


def import_rows(model: str, column: str, value: Any, users: Any, firm: LawFirm) -> Any:
    if model == "firm":
        headers, resource = FIRM_HEADERS, LawFirmResource
        rows = [
            [credit_code("430000", 900 + i), f"湖南导入律师事务所{i}", "湖南省", "0731-84561234"]
            for i in range(3)
        ]
    elif model == "lawyer":
        headers, resource = LAWYER_HEADERS, LawyerResource
        rows = [
            [
                licence_number("43", 900 + i, year=2018),
                f"李{i}",
                "男",
                "1992-05-01",
                2018,
                "2018-07-01",
                "湖南省",
                firm.credit_code,
                "13912345678",
            ]
            for i in range(3)
        ]
    else:
        headers, resource = SERVICE_HEADERS, ServiceRecordResource
        branch = BranchOfficeFactory(parent_firm=firm)
        rows = [
            [branch.credit_code, f"2026-03-0{i + 1}", "法律援助案件", "", 1, "x"] for i in range(3)
        ]
    rows[1][headers.index(column)] = value
    user = users["ministry"]
    return run_import(
        user=user,
        resource_class=resource,
        table=read_table(csv_bytes(headers, rows, "utf-8-sig")),
        dry_run=False,
    )


@pytest.mark.parametrize("case", IMPORT_CASES, ids=case_id)
def test_an_import_reports_the_row_and_column_and_writes_nothing(users, hunan_firm, case):
    model, column, value, word = case
    counts = (LawFirm.objects.count(), Lawyer.objects.count(), ServiceRecord.objects.count())

    outcome = import_rows(model, column, value, users, hunan_firm)

    assert {(e["row"], e["column"]) for e in outcome.errors} == {(3, column)}, outcome.errors
    assert any(word in e["message"] for e in outcome.errors), outcome.errors
    assert (LawFirm.objects.count(), Lawyer.objects.count(), ServiceRecord.objects.count()) == (
        counts
    )


def test_an_import_stores_text_nfc_normalised(users, hunan_firm):
    outcome = import_rows("firm", "名称", "Cafe\u0301律师事务所", users, hunan_firm)

    assert outcome.errors == []
    assert LawFirm.objects.filter(name="Caf\u00e9律师事务所").count() == 1
    assert not LawFirm.objects.filter(name__contains="\u0301").exists()


# --- 6. good values -------------------------------------------------------------------------
@pytest.mark.parametrize(
    "phone",
    [
        "13812345678",
        "+86 13812345678",
        "+8613812345678",
        "１３８１２３４５６７８",  # full-width digits, stored as ASCII
        "010-62345678",
        "0891-6331234",
        "073184561234",
        "0731-84561234-123",
        "0731-84561234转8",
        "+86 10 62345678",
        "400-810-1234",
    ],
)
def test_mainland_phone_formats_are_accepted(hunan_firm, phone):
    hunan_firm.phone = phone
    hunan_firm.full_clean()

    hunan_firm.save()

    hunan_firm.refresh_from_db()
    assert hunan_firm.phone == unicodedata.normalize("NFKC", phone)
    assert hunan_firm.phone.isascii() or "转" in hunan_firm.phone


@pytest.mark.parametrize(
    "phone",
    ["12345678901", "1381234567", "138123456789", "020-0123456", "6234567", "+1 4155550100"],
)
def test_numbers_that_are_not_mainland_formats_are_refused(phone):
    assert not phone_is_valid(phone)


@pytest.mark.parametrize(
    "name",
    ["买买提·艾力", "Ngawang Tsering", "扎西\u200d顿珠", "次仁 卓玛", "律所2号", "Ⅱ律师事务所"],
)
def test_real_names_are_accepted(hunan_firm, name):
    hunan_firm.name = name
    hunan_firm.full_clean()


def test_a_decomposed_name_is_stored_composed_whatever_the_path(hunan_firm):
    decomposed = "Cafe\u0301"
    hunan_firm.name = decomposed
    hunan_firm.save()  # save() without full_clean (e.g. a service of tomorrow)
    LawFirm.objects.filter(pk=hunan_firm.pk).update(address=decomposed)  # update()

    hunan_firm.refresh_from_db()
    assert hunan_firm.name == "Caf\u00e9"
    assert hunan_firm.address == "Caf\u00e9"
    assert LawFirm.objects.filter(name=decomposed).exists()  # lookups normalise too


def test_a_narrative_keeps_its_line_breaks_and_may_reach_the_cap(hunan_firm):
    report = valid_instance("report", hunan_firm)
    start = "第一段。\n\t第二段。\r\n"
    report.narrative = start + "律" * (NARRATIVE_MAX_LENGTH - len(start))
    assert len(report.narrative) == NARRATIVE_MAX_LENGTH

    report.full_clean()
    report.save()


def test_today_is_evaluated_when_validating_not_at_import(hunan_firm):
    lawyer = LawyerFactory.build(firm=hunan_firm, province=hunan_firm.province)
    lawyer.current_licence_no = licence_number("43", 555)
    lawyer.birth_date = dt.date(2027, 6, 1)
    with pytest.raises(ValidationError):
        lawyer.full_clean()

    with time_machine.travel(dt.datetime(2027, 6, 2, 4, 0, tzinfo=dt.UTC), tick=False):
        lawyer.full_clean()  # a day later the same birth date is plausible


# --- 7. the validators, for any input -------------------------------------------------------
BIDI = [chr(c) for c in [0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)]]
CONTROL = [chr(c) for c in [*range(0x00, 0x20), *range(0x7F, 0xA0)]]
INVISIBLE = ["\u200b", "\u2060", "\ufeff"]


@settings(max_examples=300)
@given(
    before=st.text(max_size=20),
    bad=st.sampled_from(BIDI + CONTROL + INVISIBLE),
    after=st.text(max_size=20),
)
def test_any_text_with_a_bidi_control_or_invisible_character_is_refused(before, bad, after):
    value = before + bad + after
    with pytest.raises(ValidationError):
        PrintableTextValidator(label="名称")(value)
    # the model field drops outer whitespace (some controls are whitespace) and refuses
    # whatever bad character is left
    field = LawFirm._meta.get_field("name")
    try:
        kept = field.clean(value, None)
    except ValidationError:
        return
    assert bad not in kept
    assert kept == kept.strip()


@settings(max_examples=200)
@given(
    st.text(
        alphabet=st.characters(categories=["L", "M", "N", "P", "S", "Zs"]),
        min_size=1,
        max_size=40,
    ).filter(lambda s: any(unicodedata.category(c).startswith("L") for c in s))
)
def test_any_printable_text_with_a_letter_is_accepted(value):
    PrintableTextValidator(label="名称")(value)
    PrintableTextValidator(label="备注", multiline=True)(value + "\n" + value)


@settings(max_examples=200)
@given(st.from_regex(r"\A1[3-9][0-9]{9}\Z"), st.sampled_from(["", "+86", "+86 ", "+86-"]))
def test_any_mainland_mobile_number_is_accepted(number, prefix):
    PhoneNumberValidator(label="电话")(prefix + number)


@settings(max_examples=200)
@given(st.dates(min_value=dt.date(1, 1, 1), max_value=dt.date(9999, 12, 31)))
def test_a_date_is_accepted_exactly_within_its_bounds(day):
    validator = DateRangeValidator(
        earliest=dt.date(2023, 1, 1), latest=dt.date(2100, 12, 31), label="日期"
    )
    if dt.date(2023, 1, 1) <= day <= dt.date(2100, 12, 31):
        validator(day)
    else:
        with pytest.raises(ValidationError):
            validator(day)


def test_field_classes_keep_their_validators_out_of_migrations():
    """Migrations record the field's class and bounds, not validator instances."""
    for field in (TextLineField(max_length=8), NarrativeField(), PhoneField()):
        _name, _path, _args, kwargs = field.deconstruct()
        assert "validators" not in kwargs
