"""Importing law firms: encodings, all-or-nothing, re-import, scope, headers, modes."""

from __future__ import annotations

import pghistory.models
import pytest

from accounts.imports import run_import
from core.models import ImportMode
from core.spreadsheets import read_table
from firms.models import LawFirm, OrganisationForm
from firms.resources import LawFirmResource
from tests.factories import LawFirmFactory, credit_code

from .files import csv_bytes, table, xlsx

HEADERS = ["统一社会信用代码", "名称", "省份", "区县代码", "组织形式", "律师人数", "规模所"]


def firm_rows(n: int, *, province: str = "湖南省", division: str = "430000", start: int = 1):
    return [
        [
            credit_code(division, start + i),
            f"湖南测试律师事务所{start + i}",
            province,
            "430102",
            "普通合伙律师事务所",
            12,
            "否",
        ]
        for i in range(n)
    ]


def do_import(user, data: bytes, *, dry_run: bool = False, mode=ImportMode.CREATE_OR_UPDATE):
    return run_import(
        user=user,
        resource_class=LawFirmResource,
        table=read_table(data),
        mode=mode,
        dry_run=dry_run,
    )


@pytest.mark.parametrize("encoding", ["utf-8-sig", "gbk", "gb18030", "utf-8"])
def test_a_good_csv_file_imports_every_row_whatever_the_encoding(users, encoding):
    data = csv_bytes(HEADERS, firm_rows(30), encoding)

    outcome = do_import(users["hunan_dept"], data)

    assert outcome.errors == []
    assert outcome.created == 30
    firms = LawFirm.objects.filter(credit_code__startswith="31430000")
    assert firms.count() == 30
    firm = firms.get(credit_code=credit_code("430000", 1))
    assert firm.name == "湖南测试律师事务所1"
    assert firm.province.code == "43"
    assert firm.county.code == "430102"
    assert firm.organisation_form == OrganisationForm.PARTNERSHIP
    assert firm.declared_lawyers == 12
    assert firm.name_initials  # derived column set on the bulk path


def test_a_good_xlsx_file_imports_every_row_and_accepts_province_code_or_short_name(users):
    rows = firm_rows(3)
    rows[1][2] = "43"
    rows[2][2] = "湖南"

    outcome = do_import(users["ministry"], xlsx(HEADERS, rows))

    assert outcome.errors == []
    assert outcome.created == 3
    assert set(
        LawFirm.objects.filter(credit_code__in=[r[0] for r in rows]).values_list(
            "province__code", flat=True
        )
    ) == {"43"}


def test_one_bad_row_in_a_thousand_imports_nothing_and_names_row_column_and_reason(users):
    rows = firm_rows(1000)
    bad = rows[736]
    bad[0] = bad[0][:-1] + ("0" if bad[0][-1] != "0" else "1")  # wrong check character

    outcome = do_import(users["hunan_dept"], xlsx(HEADERS, rows))

    assert LawFirm.objects.filter(credit_code__startswith="31430000").count() == 0
    assert outcome.created == 999  # what would have been created …
    assert len(outcome.errors) == 1  # … but one row is bad, so nothing was
    error = outcome.errors[0]
    assert error["row"] == 738  # header is row 1, rows[0] is row 2
    assert error["column"] == "统一社会信用代码"
    assert error["message"].startswith("统一社会信用代码：校验码错误（应为 ")


def test_every_bad_row_is_reported_with_a_chinese_reason(users):
    rows = firm_rows(5)
    rows[0][4] = "股份公司"  # not an organisation form
    rows[2][5] = "十二"  # not a number
    rows[4][3] = "999999"  # no such county

    outcome = do_import(users["ministry"], xlsx(HEADERS, rows))

    by_row = {(e["row"], e["column"]): e["message"] for e in outcome.errors}
    assert set(by_row) == {(2, "组织形式"), (4, "律师人数"), (6, "区县代码")}
    assert "普通合伙律师事务所" in by_row[(2, "组织形式")]  # lists the allowed values
    assert "整数" in by_row[(4, "律师人数")]
    assert "999999" in by_row[(6, "区县代码")]
    assert "未找到" in by_row[(6, "区县代码")]
    assert LawFirm.objects.filter(credit_code__startswith="31430000").count() == 0


def test_reimporting_the_same_file_changes_nothing(users):
    data = xlsx(HEADERS, firm_rows(20))
    do_import(users["hunan_dept"], data)
    before = dict(
        LawFirm.objects.filter(credit_code__startswith="31430000").values_list(
            "credit_code", "updated_at"
        )
    )
    events = pghistory.models.Events.objects.filter(pgh_obj_model="firms.LawFirm").count()

    again = do_import(users["hunan_dept"], data)

    assert again.errors == []
    assert (again.created, again.updated, again.unchanged) == (0, 0, 20)
    after = dict(
        LawFirm.objects.filter(credit_code__startswith="31430000").values_list(
            "credit_code", "updated_at"
        )
    )
    assert after == before
    assert pghistory.models.Events.objects.filter(pgh_obj_model="firms.LawFirm").count() == events


def test_a_changed_row_updates_the_record_and_its_derived_columns(users):
    do_import(users["hunan_dept"], xlsx(HEADERS, firm_rows(2)))
    rows = firm_rows(2)
    rows[1][1] = "长沙新名律师事务所"
    rows[1][5] = 30

    outcome = do_import(users["hunan_dept"], xlsx(HEADERS, rows))

    assert (outcome.created, outcome.updated, outcome.unchanged) == (0, 1, 1)
    firm = LawFirm.objects.get(credit_code=rows[1][0])
    assert firm.name == "长沙新名律师事务所"
    assert firm.declared_lawyers == 30
    assert firm.name_initials.lower().startswith("cs")


def test_a_row_touching_another_provinces_firm_is_refused(users, regions):
    beijing_firm = LawFirmFactory(province=regions["11"], name="北京某律师事务所")
    rows = firm_rows(3)
    rows.append([beijing_firm.credit_code, "改名", "湖南省", "", "普通合伙律师事务所", 5, "否"])

    outcome = do_import(users["hunan_dept"], xlsx(HEADERS, rows))

    assert [(e["row"], e["column"]) for e in outcome.errors] == [(5, "统一社会信用代码")]
    assert "本省" in outcome.errors[0]["message"]
    beijing_firm.refresh_from_db()
    assert beijing_firm.name == "北京某律师事务所"
    assert LawFirm.objects.filter(credit_code__startswith="31430000").count() == 0


def test_a_new_firm_in_another_province_is_refused(users):
    rows = firm_rows(2)
    rows[1][2] = "北京市"

    outcome = do_import(users["hunan_dept"], xlsx(HEADERS, rows))

    assert [(e["row"], e["column"]) for e in outcome.errors] == [(3, "省份")]
    assert LawFirm.objects.filter(credit_code__startswith="31430000").count() == 0


def test_moving_an_own_firm_into_another_province_is_refused(users, regions):
    firm = LawFirmFactory(province=regions["43"])
    rows = [[firm.credit_code, firm.name, "11", "", "普通合伙律师事务所", 3, "否"]]

    outcome = do_import(users["hunan_dept"], xlsx(HEADERS, rows))

    assert len(outcome.errors) == 1
    firm.refresh_from_db()
    assert firm.province.code == "43"


def test_unknown_headers_refuse_the_whole_file(users):
    outcome = do_import(
        users["ministry"], xlsx([*HEADERS, "备注栏"], [[*r, "x"] for r in firm_rows(2)])
    )

    assert outcome.created == 0
    assert len(outcome.errors) == 1
    assert outcome.errors[0]["column"] == "备注栏"
    assert "未知" in outcome.errors[0]["message"]
    assert LawFirm.objects.filter(credit_code__startswith="31430000").count() == 0


def test_a_file_without_the_key_column_is_refused(users):
    outcome = do_import(users["ministry"], xlsx(HEADERS[1:], [r[1:] for r in firm_rows(2)]))

    assert [e["column"] for e in outcome.errors] == ["统一社会信用代码"]


def test_the_same_key_twice_in_a_file_is_reported_on_the_second_row(users):
    rows = firm_rows(3)
    rows.append(list(rows[0]))

    outcome = do_import(users["ministry"], xlsx(HEADERS, rows))

    assert [(e["row"], e["column"]) for e in outcome.errors] == [(5, "统一社会信用代码")]
    assert "第 2 行" in outcome.errors[0]["message"] or "第2行" in outcome.errors[0]["message"]


def test_create_mode_refuses_existing_and_update_mode_refuses_new_records(users, regions):
    existing = LawFirmFactory(province=regions["43"])
    rows = [
        [existing.credit_code, existing.name, "43", "", "普通合伙律师事务所", 1, "否"],
        # far from the factory's sequence, which the existing firm's code comes from (run
        # alone, this test's factory firm took sequence 1, the same code as firm_rows(1))
        *firm_rows(1, start=990001),
    ]

    created = do_import(users["hunan_dept"], xlsx(HEADERS, rows), mode=ImportMode.CREATE)
    updated = do_import(users["hunan_dept"], xlsx(HEADERS, rows), mode=ImportMode.UPDATE)

    assert [e["row"] for e in created.errors] == [2], created.errors
    assert [e["row"] for e in updated.errors] == [3], updated.errors
    assert LawFirm.objects.filter(credit_code=rows[1][0]).count() == 0


def test_a_dry_run_previews_without_saving(users):
    outcome = do_import(users["hunan_dept"], xlsx(HEADERS, firm_rows(5)), dry_run=True)

    assert outcome.errors == []
    assert outcome.created == 5
    assert [p["row"] for p in outcome.preview] == [2, 3, 4, 5, 6]
    assert LawFirm.objects.filter(credit_code__startswith="31430000").count() == 0


def test_a_blank_line_keeps_the_row_numbers_of_the_rows_below(users):
    rows = firm_rows(3)
    rows[2][0] = "31430000E0000000"  # too short
    data = xlsx(HEADERS, [rows[0], ["", "", "", "", "", "", ""], rows[1], rows[2]])

    outcome = do_import(users["ministry"], data)

    assert [e["row"] for e in outcome.errors] == [5]


def test_a_partner_cannot_import_firms(users):
    outcome = do_import(users["hunan_partner"], xlsx(HEADERS, firm_rows(1)))

    assert len(outcome.errors) == 1
    assert LawFirm.objects.filter(credit_code__startswith="31430000").count() == 0


def test_table_helper_reads_what_it_wrote(db):
    assert table(HEADERS, firm_rows(1)).headers == HEADERS


def test_imported_rows_are_audited_with_the_importer_and_written_by_copy(users):
    """Imports write new rows with COPY (core.bulk): each row still gets its audit event,
    carrying the importer and the import marker."""
    from django.apps import apps

    importer = users["hunan_dept"]
    outcome = do_import(importer, xlsx(HEADERS, firm_rows(1001, start=500)))  # two batches

    assert outcome.created == 1001
    firms = LawFirm.objects.filter(credit_code__startswith="31430000")
    assert firms.count() == 1001
    events = apps.get_model("firms", "LawFirmEvent").objects.filter(
        pgh_label="insert", pgh_obj_id__in=firms.values("pk")
    )
    assert events.count() == 1001
    contexts = {e.pgh_context.metadata["user"] for e in events.select_related("pgh_context")}
    assert contexts == {importer.pk}
    assert events.first().pgh_context.metadata.get("import_file") is True
    sample = firms.get(credit_code=credit_code("430000", 1500))
    assert sample.name == "湖南测试律师事务所1500"
    assert sample.name_pinyin.startswith("hunanceshi")
    assert sample.created_at is not None
    assert sample.updated_at == sample.created_at


def test_a_required_column_missing_from_the_file_is_reported_on_every_row(users):
    """Validation leaves out only fields that hold their model default; a required field
    without a default (the province) is still checked when its column is absent."""
    headers = ["统一社会信用代码", "名称"]
    rows = [[credit_code("430000", 800 + i), f"缺省份律师事务所{i}"] for i in range(3)]

    outcome = do_import(users["ministry"], xlsx(headers, rows))

    assert outcome.created == 0
    assert [(e["row"], e["column"]) for e in outcome.errors] == [
        (2, "省份"),
        (3, "省份"),
        (4, "省份"),
    ]
    assert not LawFirm.objects.filter(name__startswith="缺省份").exists()


def test_new_instances_get_fresh_callable_defaults(db):
    from lawyers.resources import LawyerResource

    resource = LawyerResource()
    first, second = resource.init_instance(), resource.init_instance()
    assert first.practice_areas == []
    assert second.practice_areas == []
    first.practice_areas.append("刑事")
    assert second.practice_areas == []  # not one shared list
    assert first._state.adding
    assert first.pk is None


def test_new_instances_are_built_like_model_init(db):
    """The positional construction gives what Model() gives, generated columns unset."""
    from branches.models import Posting
    from branches.resources import PostingResource

    built, reference = PostingResource().init_instance(), Posting()
    assert built.get_deferred_fields() == reference.get_deferred_fields() == {"checklist_complete"}
    fields = Posting._meta.concrete_fields
    assert [getattr(built, f.attname, None) for f in fields if not f.generated] == [
        getattr(reference, f.attname, None) for f in fields if not f.generated
    ]


def _resource_classes():
    from accounts.imports import SpreadsheetResource
    from branches.resources import BranchOfficeResource, PostingResource, ServiceRecordResource
    from lawyers.resources import LawyerResource, TraineeResource
    from pairing.resources import FirmPairingResource, SecondmentResource

    classes = [
        LawFirmResource,
        LawyerResource,
        TraineeResource,
        FirmPairingResource,
        SecondmentResource,
        BranchOfficeResource,
        PostingResource,
        ServiceRecordResource,
    ]
    assert all(issubclass(c, SpreadsheetResource) for c in classes)
    return classes


@pytest.mark.parametrize("resource_class", _resource_classes(), ids=lambda c: c.__name__)
def test_every_resource_builds_what_model_init_builds(db, resource_class):
    """init_instance writes the attributes directly: the instance must hold exactly what
    Model() gives it (the same attributes and values, a new unsaved state)."""
    model = resource_class._meta.model
    built, reference = resource_class().init_instance(), model()
    assert type(built) is model
    assert set(built.__dict__) == set(reference.__dict__)
    for name, value in reference.__dict__.items():
        if name != "_state":
            assert built.__dict__[name] == value, name
    assert (built._state.adding, built._state.db) == (True, None)
    assert built._state is not resource_class().init_instance()._state


def test_a_post_init_receiver_still_sees_every_new_instance(db):
    from django.db.models.signals import post_init

    seen = []

    def receiver(sender, instance, **kwargs):
        seen.append(instance)

    post_init.connect(receiver, sender=LawFirm)
    try:
        built = LawFirmResource().init_instance()
    finally:
        post_init.disconnect(receiver, sender=LawFirm)
    assert seen == [built]
    assert LawFirmResource().init_instance() not in seen  # the direct path again


def test_a_batch_the_database_refuses_saves_nothing_and_is_reported(users):
    """A write the database refuses in the middle of the file (here a trigger of the test's
    own, as a concurrent import taking the same credit code would): the other batches go
    on being written and checked, the file reports the batch's error in Chinese, and in
    the end nothing of the file is saved."""
    from django.db import connection

    with connection.cursor() as cursor:  # DDL is transactional: gone with the test
        cursor.execute(
            "CREATE FUNCTION refuse_one_firm() RETURNS trigger AS $$ BEGIN"
            " IF NEW.name = '湖南测试律师事务所1500' THEN"
            " RAISE EXCEPTION 'refused by the test trigger'; END IF; RETURN NEW; END $$"
            " LANGUAGE plpgsql;"
            " CREATE TRIGGER refuse_one_firm BEFORE INSERT ON firms_lawfirm"
            " FOR EACH ROW EXECUTE FUNCTION refuse_one_firm()"
        )
    before = LawFirm.objects.count()
    rows = firm_rows(2500)  # three batches; the refused row is in the second
    rows[2100][5] = "很多"  # and a bad cell in the third, reported with its row

    outcome = do_import(users["ministry"], xlsx(HEADERS, rows))

    assert outcome.created == 2499  # what the rows would have done
    batch_errors = [e for e in outcome.errors if e["row"] == 0]
    assert len(batch_errors) == 1
    assert batch_errors[0]["message"].startswith("该批数据无法保存：")
    assert "refused by the test trigger" in batch_errors[0]["message"]
    assert [(e["row"], e["column"]) for e in outcome.errors if e["row"]] == [(2102, "律师人数")]
    assert LawFirm.objects.count() == before
    assert not LawFirm.objects.filter(name="湖南测试律师事务所1").exists()
