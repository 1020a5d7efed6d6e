"""Importing lawyers (with their current licence) and branch service records."""

from __future__ import annotations

import datetime as dt

import pytest

from accounts.imports import run_import
from branches.models import ServiceKind, ServiceRecord
from branches.resources import ServiceRecordResource
from core.spreadsheets import read_table
from lawyers.models import Lawyer, LawyerLicence, PracticeArea
from lawyers.resources import LawyerResource
from tests.factories import BranchOfficeFactory, LawFirmFactory, LawyerFactory, licence_number

from .files import csv_bytes, xlsx

LAWYER_HEADERS = [
    "执业证号",
    "姓名",
    "性别",
    "出生日期",
    "政治面貌",
    "首次执业年份",
    "执业证发证日期",
    "执业省份",
    "律师事务所统一社会信用代码",
    "执业领域",
    "手机号码",
]


def lawyer_rows(firm, n: int, *, start: int = 1):
    return [
        [
            licence_number("43", start + i, year=2018),
            f"李{start + i}",
            "男",
            dt.date(1992, 5, 1),
            "中共党员",
            2018,
            "2018-07-01",
            "湖南省",
            firm.credit_code,
            "刑事、民商事",
            "13812345678",
        ]
        for i in range(n)
    ]


def import_lawyers(user, data: bytes, **kwargs):
    return run_import(
        user=user, resource_class=LawyerResource, table=read_table(data), dry_run=False, **kwargs
    )


@pytest.fixture
def hunan_firm(regions):
    return LawFirmFactory(province=regions["43"], name="湖南测试所")


def test_new_lawyers_are_registered_with_their_current_licence(users, hunan_firm):
    outcome = import_lawyers(users["hunan_dept"], xlsx(LAWYER_HEADERS, lawyer_rows(hunan_firm, 5)))

    assert outcome.errors == []
    assert outcome.created == 5
    lawyer = Lawyer.objects.get(current_licence_no=licence_number("43", 1, year=2018))
    assert lawyer.firm == hunan_firm
    assert lawyer.political_status == "party_member"
    assert lawyer.practice_areas == [PracticeArea.CRIMINAL, PracticeArea.CIVIL]
    assert lawyer.name_pinyin == "li1"
    licence = LawyerLicence.objects.get(lawyer=lawyer)
    assert licence.is_current
    assert licence.number == lawyer.current_licence_no
    assert licence.issuing_province.code == "43"
    assert licence.valid_from == dt.date(2018, 7, 1)
    assert licence.licensed_year == 2018


def test_every_batch_of_new_lawyers_gets_its_licences(users, hunan_firm):
    """Three COPY batches: each batch's licences are written once its lawyers are stored
    (the last one's when the import ends), one current licence per lawyer."""
    outcome = import_lawyers(
        users["hunan_dept"], xlsx(LAWYER_HEADERS, lawyer_rows(hunan_firm, 2100, start=20001))
    )

    assert outcome.errors == []
    assert outcome.created == 2100
    lawyers = Lawyer.objects.filter(firm=hunan_firm)
    assert lawyers.count() == 2100
    licences = LawyerLicence.objects.filter(lawyer__firm=hunan_firm)
    assert licences.count() == 2100
    assert licences.filter(is_current=True).values("lawyer").distinct().count() == 2100
    last = lawyers.get(current_licence_no=licence_number("43", 22100, year=2018))
    assert last.licences.get().number == last.current_licence_no


def test_a_bad_licence_number_in_a_gbk_csv_imports_nothing_and_names_the_row(users, hunan_firm):
    rows = lawyer_rows(hunan_firm, 50)
    rows[20][0] = "1990120181000001"  # 16 digits

    outcome = import_lawyers(users["hunan_dept"], csv_bytes(LAWYER_HEADERS, rows, "gbk"))

    assert [(e["row"], e["column"]) for e in outcome.errors] == [(22, "执业证号")]
    assert "执业证号" in outcome.errors[0]["message"]
    assert "17" in outcome.errors[0]["message"]
    assert not Lawyer.objects.filter(firm=hunan_firm).exists()
    assert not LawyerLicence.objects.filter(number__startswith="14301").exists()


def test_a_licence_number_of_an_earlier_licence_is_refused(users, hunan_firm, regions):
    lawyer = LawyerFactory(province=regions["43"], firm=hunan_firm)
    old_number = lawyer.current_licence_no
    LawyerLicence.objects.filter(lawyer=lawyer).update(is_current=False)
    Lawyer.objects.filter(pk=lawyer.pk).update(current_licence_no="")
    rows = lawyer_rows(hunan_firm, 1)
    rows[0][0] = old_number

    outcome = import_lawyers(users["hunan_dept"], xlsx(LAWYER_HEADERS, rows))

    assert [(e["row"], e["column"]) for e in outcome.errors] == [(2, "执业证号")]


def test_reimporting_lawyers_changes_nothing_and_a_change_updates(users, hunan_firm):
    rows = lawyer_rows(hunan_firm, 3)
    import_lawyers(users["hunan_dept"], xlsx(LAWYER_HEADERS, rows))
    stamps = set(Lawyer.objects.filter(firm=hunan_firm).values_list("updated_at", flat=True))

    again = import_lawyers(users["hunan_dept"], xlsx(LAWYER_HEADERS, rows))
    rows[2][1] = "王五"
    changed = import_lawyers(users["hunan_dept"], xlsx(LAWYER_HEADERS, rows))

    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    assert (changed.created, changed.updated, changed.unchanged) == (0, 1, 2)
    assert Lawyer.objects.filter(firm=hunan_firm).count() == 3
    assert LawyerLicence.objects.filter(lawyer__firm=hunan_firm).count() == 3
    renamed = Lawyer.objects.get(current_licence_no=rows[2][0])
    assert (renamed.name, renamed.name_initials) == ("王五", "ww")
    assert len(stamps) >= 1
    assert renamed.updated_at not in stamps


def test_the_province_of_registration_is_not_changed_by_import(users, hunan_firm):
    rows = lawyer_rows(hunan_firm, 1)
    import_lawyers(users["ministry"], xlsx(LAWYER_HEADERS, rows))
    rows[0][7] = "西藏自治区"

    outcome = import_lawyers(users["ministry"], xlsx(LAWYER_HEADERS, rows))

    assert [(e["row"], e["column"]) for e in outcome.errors] == [(2, "执业省份")]
    assert Lawyer.objects.get(current_licence_no=rows[0][0]).province.code == "43"


def test_a_lawyer_of_another_province_and_firm_is_refused_for_a_hunan_user(users, regions):
    beijing_firm = LawFirmFactory(province=regions["11"])
    rows = lawyer_rows(beijing_firm, 1)
    rows[0][7] = "北京市"

    outcome = import_lawyers(users["hunan_dept"], xlsx(LAWYER_HEADERS, rows))

    columns = {e["column"]: e["message"] for e in outcome.errors}
    assert set(columns) == {"执业省份", "律师事务所统一社会信用代码"}
    assert "超出本省范围" in columns["律师事务所统一社会信用代码"]
    assert not Lawyer.objects.filter(firm=beijing_firm).exists()


# --- service records --------------------------------------------------------------------
SERVICE_HEADERS = ["分所统一社会信用代码", "日期", "服务类型", "律师执业证号", "数量", "备注"]


@pytest.fixture
def branch(regions):
    return BranchOfficeFactory()  # in a 西藏 county, parent firm in 北京


def service_rows(branch, lawyer, n: int):
    return [
        [
            branch.credit_code,
            dt.date(2026, 3, 1) + dt.timedelta(days=i),
            "法律援助案件",
            lawyer.current_licence_no,
            2,
            "x",
        ]
        for i in range(n)
    ]


def import_services(user, data: bytes):
    return run_import(
        user=user, resource_class=ServiceRecordResource, table=read_table(data), dry_run=False
    )


def test_service_records_import_and_reimport_changes_nothing(users, branch, regions):
    lawyer = LawyerFactory(province=regions["54"])
    data = csv_bytes(SERVICE_HEADERS, service_rows(branch, lawyer, 10), "utf-8-sig")

    first = import_services(users["xizang_dept"], data)
    second = import_services(users["xizang_dept"], data)

    assert first.errors == []
    assert first.created == 10
    assert (second.created, second.updated, second.unchanged) == (0, 0, 10)
    records = ServiceRecord.objects.filter(branch=branch)
    assert records.count() == 10
    assert set(records.values_list("kind", flat=True)) == {ServiceKind.LEGAL_AID}
    assert set(records.values_list("quantity", flat=True)) == {2}


def test_a_service_record_with_quantity_zero_is_refused(users, branch, regions):
    lawyer = LawyerFactory(province=regions["54"])
    rows = service_rows(branch, lawyer, 3)
    rows[1][4] = 0

    outcome = import_services(users["xizang_dept"], xlsx(SERVICE_HEADERS, rows))

    assert [(e["row"], e["column"]) for e in outcome.errors] == [(3, "数量")]
    assert not ServiceRecord.objects.filter(branch=branch).exists()


def test_service_records_of_another_provinces_branch_are_refused(users, branch, regions):
    lawyer = LawyerFactory(province=regions["54"])

    outcome = import_services(
        users["hunan_dept"], xlsx(SERVICE_HEADERS, service_rows(branch, lawyer, 2))
    )

    assert {e["column"] for e in outcome.errors} >= {"分所统一社会信用代码"}
    assert all(e["row"] in (2, 3) for e in outcome.errors)
    assert not ServiceRecord.objects.filter(branch=branch).exists()
