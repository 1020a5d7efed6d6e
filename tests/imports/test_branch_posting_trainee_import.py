"""Importing branch offices, postings and trainee nominations."""

from __future__ import annotations

import datetime as dt

import pytest

from accounts.imports import run_import
from branches.models import BranchOffice, Posting
from branches.resources import BranchOfficeResource, PostingResource
from core.spreadsheets import read_table
from lawyers.models import ExperienceGroup, Trainee
from lawyers.resources import TraineeResource
from tests.factories import (
    BranchOfficeFactory,
    LawFirmFactory,
    LawyerFactory,
    PostingFactory,
    credit_code,
)

from .files import xlsx


def do_import(user, resource_class, headers, rows):
    return run_import(
        user=user,
        resource_class=resource_class,
        table=read_table(xlsx(headers, rows)),
        dry_run=False,
    )


BRANCH_HEADERS = [
    "统一社会信用代码",
    "名称",
    "总所统一社会信用代码",
    "区县代码",
    "设立日期",
    "最低派驻人数",
]


def test_branch_offices_import_and_reimport_changes_nothing(users, regions):
    parent = LawFirmFactory(province=regions["11"])
    rows = [
        [
            credit_code("540121", 900 + i),
            f"拉萨分所{i}",
            parent.credit_code,
            "540121",
            "2023-05-01",
            2,
        ]
        for i in range(3)
    ]

    # a department picks parent firms of its own province only, as in the admin form
    refused = do_import(users["xizang_dept"], BranchOfficeResource, BRANCH_HEADERS, rows)
    first = do_import(users["ministry"], BranchOfficeResource, BRANCH_HEADERS, rows)
    second = do_import(users["ministry"], BranchOfficeResource, BRANCH_HEADERS, rows)

    assert {e["column"] for e in refused.errors} == {"总所统一社会信用代码"}
    assert first.errors == []
    assert first.created == 3
    assert second.unchanged == 3
    branch = BranchOffice.objects.get(credit_code=rows[0][0])
    assert (branch.county.code, branch.parent_firm, branch.minimum_staff) == ("540121", parent, 2)


def test_a_branch_with_a_bad_code_or_zero_staff_is_reported(users, regions):
    parent = LawFirmFactory(province=regions["11"])
    rows = [
        [credit_code("540121", 901), "分所甲", parent.credit_code, "540121", "2023-05-01", 0],
        ["31540121E0000090XX", "分所乙", parent.credit_code, "540121", "2023-05-01", 1],
    ]

    outcome = do_import(users["ministry"], BranchOfficeResource, BRANCH_HEADERS, rows)

    assert [(e["row"], e["column"]) for e in outcome.errors] == [
        (2, "最低派驻人数"),
        (3, "统一社会信用代码"),
    ]
    assert not BranchOffice.objects.filter(name__startswith="分所").exists()


POSTING_HEADERS = [
    "律师执业证号",
    "分所统一社会信用代码",
    "开始日期",
    "派驻方式",
    "结束日期",
    "已签派驻协议",
]


def test_postings_import_and_refuse_overlaps_in_the_file_and_in_the_database(users, regions):
    branch = BranchOfficeFactory()
    a, b, c = (LawyerFactory(province=regions["54"]) for _ in range(3))
    PostingFactory(lawyer=c, branch=branch, start_date=dt.date(2026, 1, 1))
    rows = [
        [a.current_licence_no, branch.credit_code, "2026-02-01", "轮流派驻", "2026-03-31", "是"],
        [b.current_licence_no, branch.credit_code, "2026-02-01", "常驻", "", "否"],
        [
            b.current_licence_no,
            branch.credit_code,
            "2026-03-01",
            "常驻",
            "",
            "否",
        ],  # overlaps row 3
        [c.current_licence_no, branch.credit_code, "2026-06-01", "常驻", "", "否"],  # overlaps DB
    ]

    outcome = do_import(users["xizang_dept"], PostingResource, POSTING_HEADERS, rows)

    assert [(e["row"], e["column"]) for e in outcome.errors] == [(4, "开始日期"), (5, "开始日期")]
    assert Posting.objects.filter(branch=branch).count() == 1

    good = do_import(users["xizang_dept"], PostingResource, POSTING_HEADERS, rows[:2])

    assert good.errors == []
    assert good.created == 2
    assert Posting.objects.get(lawyer=a).checklist_complete is False


def test_an_existing_posting_cannot_be_ended_by_import(users, regions):
    posting = PostingFactory(start_date=dt.date(2026, 1, 1))
    rows = [
        [
            posting.lawyer.current_licence_no,
            posting.branch.credit_code,
            "2026-01-01",
            "轮流派驻",
            "2026-02-01",
            "是",
        ]
    ]

    outcome = do_import(users["ministry"], PostingResource, POSTING_HEADERS, rows)

    assert [(e["row"], e["column"]) for e in outcome.errors] == [(2, "结束日期")]
    posting.refresh_from_db()
    assert posting.end_date is None


TRAINEE_HEADERS = ["执业证号", "期别（年度）", "派出省份", "遴选日期", "培养方向"]


def test_trainees_are_nominated_with_the_programme_rules(users, regions):
    young = LawyerFactory(
        province=regions["54"], birth_date=dt.date(1995, 1, 1), first_licence_year=2019
    )
    old = LawyerFactory(province=regions["54"], birth_date=dt.date(1980, 1, 1))
    rows = [
        [young.current_licence_no, 2026, "西藏", "2026-03-01", "民商事"],
        [old.current_licence_no, 2026, "西藏", "2026-03-01", "民商事"],
    ]

    refused = do_import(users["xizang_dept"], TraineeResource, TRAINEE_HEADERS, rows)
    accepted = do_import(users["xizang_dept"], TraineeResource, TRAINEE_HEADERS, rows[:1])

    assert [(e["row"], e["column"]) for e in refused.errors] == [(3, "执业证号")]
    assert "40" in refused.errors[0]["message"]
    assert accepted.errors == []
    trainee = Trainee.objects.get(lawyer=young)
    assert trainee.experience_group == ExperienceGroup.FROM_5_TO_10
    assert trainee.home_province.code == "54"


def test_a_trainee_from_an_eastern_province_is_refused(users, regions):
    lawyer = LawyerFactory(province=regions["43"])
    rows = [[lawyer.current_licence_no, 2026, "湖南", "2026-03-01", "刑事"]]

    outcome = do_import(users["hunan_dept"], TraineeResource, TRAINEE_HEADERS, rows)

    assert [(e["row"], e["column"]) for e in outcome.errors] == [(2, "派出省份")]
    assert not Trainee.objects.exists()


@pytest.mark.parametrize(
    "url",
    [
        "admin:branches_branchoffice_import_template",
        "admin:branches_posting_import_template",
        "admin:branches_servicerecord_import_template",
        "admin:lawyers_trainee_import_template",
        "admin:lawyers_lawyer_import_template",
        "admin:pairing_firmpairing_import_template",
        "admin:pairing_secondment_import_template",
    ],
)
def test_every_covered_admin_offers_a_template(client, users, url):
    from django.urls import reverse

    client.force_login(users["ministry"])

    response = client.get(reverse(url) + "?format=csv")

    assert response.status_code == 200
    assert response.content.startswith(b"\xef\xbb\xbf")
    export = client.get(reverse(url.replace("_import_template", "_export")) + "?format=xlsx")
    assert export.status_code == 200
    assert export.content.startswith(b"PK")


PAIRING_HEADERS = [
    "帮扶方律所统一社会信用代码",
    "受援方律所统一社会信用代码",
    "结对开始日期",
    "协议层级",
    "帮扶模式",
    "帮扶重点",
]


def test_firm_pairings_are_proposed_and_reimport_changes_nothing(users, regions):
    from django.utils import translation

    from pairing.models import AgreementLevel, FirmPairing, PairingStatus
    from pairing.resources import FirmPairingResource
    from tests.factories import PairingAgreementFactory

    PairingAgreementFactory()  # 北京 ⇄ 西藏, justice departments
    helper = LawFirmFactory(province=regions["11"])
    recipient = LawFirmFactory(province=regions["54"])
    other = LawFirmFactory(province=regions["43"])
    rows = [
        [
            helper.credit_code,
            recipient.credit_code,
            "2026-01-01",
            "司法厅（局）",
            "以强带弱",
            "人才培养",
        ],
    ]
    with translation.override("zh-hans"):
        level_label = str(AgreementLevel.JUSTICE_DEPARTMENT.label)  # as the admin shows it
    rows[0][3] = level_label
    bad = [[other.credit_code, recipient.credit_code, "2026-01-01", level_label, "以强带弱", ""]]

    refused = do_import(users["ministry"], FirmPairingResource, PAIRING_HEADERS, bad)
    # a department picks firms of its own province only (as in the admin form)
    out_of_scope = do_import(users["xizang_dept"], FirmPairingResource, PAIRING_HEADERS, rows)
    first = do_import(users["ministry"], FirmPairingResource, PAIRING_HEADERS, rows)
    again = do_import(users["ministry"], FirmPairingResource, PAIRING_HEADERS, rows)

    assert [(e["row"], e["column"]) for e in refused.errors] == [(2, "协议层级")]
    assert [e["column"] for e in out_of_scope.errors] == ["帮扶方律所统一社会信用代码"]
    assert first.errors == []
    assert first.created == 1
    assert again.unchanged == 1
    pairing = FirmPairing.objects.get(helper_firm=helper)
    assert pairing.status == PairingStatus.PROPOSED
    assert pairing.focus_areas == ["talent"]


SECONDMENT_HEADERS = [
    "学员执业证号",
    "开始日期",
    "结束日期",
    "接收律所统一社会信用代码",
    "导师执业证号",
    "名额名称",
]


def test_secondments_are_booked_with_the_programme_rules_and_quota_seats(users, regions):
    from pairing.models import Secondment, SecondmentStatus
    from pairing.resources import SecondmentResource
    from tests.factories import PairingAgreementFactory, QuotaFactory, TraineeFactory

    PairingAgreementFactory()  # 北京 helps 西藏
    quota = QuotaFactory(seats=2, name="京藏跟班2026")
    host = LawFirmFactory(province=regions["11"])
    mentor = LawyerFactory(firm=host, birth_date=dt.date(1975, 1, 1))
    stranger = LawyerFactory(province=regions["11"])  # works at no host firm
    trainees = [TraineeFactory() for _ in range(4)]
    no = [t.lawyer.current_licence_no for t in trainees]

    def row(licence, start="2026-04-01", end="2026-05-15", who=mentor):
        return [licence, start, end, host.credit_code, who.current_licence_no, quota.name]

    bad = [
        row(no[0]),
        row(no[0], "2026-05-01", "2026-06-15"),  # overlaps the row above
        row(no[1], end="2026-04-10"),  # shorter than a month
        row(no[2], who=stranger),  # mentor not at the host firm
        row(no[3]),
    ]

    refused = do_import(users["ministry"], SecondmentResource, SECONDMENT_HEADERS, bad)
    booked = do_import(
        users["ministry"], SecondmentResource, SECONDMENT_HEADERS, [row(no[0]), row(no[1])]
    )
    over_quota = do_import(users["ministry"], SecondmentResource, SECONDMENT_HEADERS, [row(no[2])])
    again = do_import(
        users["ministry"], SecondmentResource, SECONDMENT_HEADERS, [row(no[0]), row(no[1])]
    )

    assert [(e["row"], e["column"]) for e in refused.errors] == [
        (3, "开始日期"),
        (4, "结束日期"),
        (5, "导师执业证号"),
    ]
    assert booked.errors == []
    assert set(Secondment.objects.values_list("status", flat=True)) == {SecondmentStatus.PLANNED}
    assert [(e["row"], e["column"]) for e in over_quota.errors] == [(2, "名额名称")]
    assert again.unchanged == 2
    assert Secondment.objects.count() == 2


def test_exports_of_every_covered_model_reimport_unchanged(client, users, regions):
    """An exported file is a valid import file: the round trip changes nothing."""
    from accounts.imports import export_rows
    from branches.models import ServiceRecord
    from branches.resources import ServiceRecordResource
    from core.spreadsheets import write_xlsx
    from firms.models import LawFirm
    from firms.resources import LawFirmResource
    from lawyers.models import Lawyer
    from lawyers.resources import LawyerResource
    from pairing.models import FirmPairing, Secondment
    from pairing.resources import FirmPairingResource, SecondmentResource
    from tests.factories import FirmPairingFactory, SecondmentFactory

    posting = PostingFactory()
    ServiceRecord.objects.create(
        branch=posting.branch,
        lawyer=posting.lawyer,
        kind="legal_aid",
        served_on=dt.date(2026, 2, 1),
    )
    FirmPairingFactory()
    SecondmentFactory()
    user = users["superuser"]
    for resource_class, queryset in [
        (LawFirmResource, LawFirm.objects.all()),
        (LawyerResource, Lawyer.objects.all()),
        (TraineeResource, Trainee.objects.all()),
        (BranchOfficeResource, BranchOffice.objects.all()),
        (PostingResource, Posting.objects.all()),
        (ServiceRecordResource, ServiceRecord.objects.all()),
        (FirmPairingResource, FirmPairing.objects.all()),
        (SecondmentResource, Secondment.objects.all()),
    ]:
        headers, rows, _masked = export_rows(
            user=user, resource_class=resource_class, queryset=queryset
        )
        table = read_table(write_xlsx(headers, rows))

        outcome = run_import(user=user, resource_class=resource_class, table=table, dry_run=False)

        assert outcome.errors == [], (resource_class.__name__, outcome.errors[:3])
        assert outcome.total >= 1, resource_class.__name__
        assert (outcome.created, outcome.updated) == (0, 0), resource_class.__name__
