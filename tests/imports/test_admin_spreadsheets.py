"""The admin's import (upload → preview → confirm), export and template pages."""

from __future__ import annotations

import csv
import io

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from accounts.models import PersonalDataAccess
from core.models import ImportRecord, ImportStatus
from firms.models import LawFirm
from firms.resources import LawFirmResource
from tests.factories import LawFirmFactory, LawyerFactory, credit_code

from .files import csv_bytes, xlsx

HEADERS = ["统一社会信用代码", "名称", "省份", "组织形式"]


def rows(n: int):
    return [
        [credit_code("430000", i + 1), f"湖南导入所{i}", "湖南", "普通合伙律师事务所"]
        for i in range(n)
    ]


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def upload(client, data: bytes, name: str = "律所.xlsx", mode: str = "create_or_update"):
    return client.post(
        reverse("admin:firms_lawfirm_import"),
        {"file": SimpleUploadedFile(name, data), "mode": mode},
    )


def test_upload_preview_confirm_imports_the_file_and_keeps_a_record(client, users):
    client.force_login(users["hunan_dept"])

    response = upload(client, xlsx(HEADERS, rows(3)))

    record = ImportRecord.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("admin:firms_lawfirm_import_status", args=[record.pk])
    assert record.status == ImportStatus.PREVIEWED
    assert (record.user, record.file_name, record.rows_total, record.rows_created) == (
        users["hunan_dept"],
        "律所.xlsx",
        3,
        3,
    )
    assert record.file.name.startswith("imports/")
    assert not LawFirm.objects.filter(credit_code__startswith="31430000").exists()
    page = client.get(response.url).content.decode()
    assert "确认导入" in page
    assert "湖南导入所0" in page

    client.post(response.url)

    record.refresh_from_db()
    assert record.status == ImportStatus.SUCCEEDED
    assert record.progress == 100
    assert record.finished_at is not None
    assert LawFirm.objects.filter(credit_code__startswith="31430000").count() == 3


def test_a_bad_file_lists_row_column_and_reason_and_cannot_be_confirmed(client, users):
    client.force_login(users["hunan_dept"])
    bad = rows(5)
    bad[3][3] = "有限公司"

    response = upload(client, csv_bytes(HEADERS, bad, "gb18030"), name="律所.csv")

    record = ImportRecord.objects.get()
    assert record.status == ImportStatus.FAILED
    assert record.errors == [
        {"row": 5, "column": "组织形式", "message": record.errors[0]["message"]}
    ]
    page = client.get(response.url).content.decode()
    assert "组织形式" in page
    assert "必须是以下之一" in page
    assert "确认导入" not in page
    client.post(response.url)  # a confirm is ignored
    assert not LawFirm.objects.filter(credit_code__startswith="31430000").exists()


def test_a_too_large_upload_is_refused_on_the_form(client, users, settings):
    settings.IMPORT_MAX_BYTES = 100
    client.force_login(users["hunan_dept"])

    response = upload(client, xlsx(HEADERS, rows(20)))

    assert response.status_code == 200
    assert "MB" in response.content.decode()
    assert not ImportRecord.objects.exists()


def test_too_many_rows_are_refused_with_the_limit(client, users, settings):
    settings.IMPORT_MAX_ROWS = 10
    client.force_login(users["hunan_dept"])

    response = upload(client, xlsx(HEADERS, rows(11)))

    assert response.status_code == 200
    assert "10" in response.content.decode()
    assert "拆分" in response.content.decode()
    assert not ImportRecord.objects.exists()


def test_someone_elses_import_record_is_not_shown(client, users):
    client.force_login(users["hunan_dept"])
    upload(client, xlsx(HEADERS, rows(1)))
    record = ImportRecord.objects.get()
    client.force_login(users["xizang_dept"])

    response = client.get(reverse("admin:firms_lawfirm_import_status", args=[record.pk]))

    assert response.status_code == 404


def test_changelist_offers_import_and_export(client, users):
    client.force_login(users["hunan_dept"])

    page = client.get(reverse("admin:firms_lawfirm_changelist")).content.decode()

    assert reverse("admin:firms_lawfirm_import") in page
    assert reverse("admin:firms_lawfirm_export") + "?format=xlsx" in page


def test_blank_template_has_the_chinese_headers(client, users):
    client.force_login(users["hunan_dept"])

    response = client.get(reverse("admin:firms_lawfirm_import_template") + "?format=xlsx")

    sheet = load_workbook(io.BytesIO(response.content)).active
    assert [c.value for c in next(sheet.iter_rows())] == LawFirmResource.column_names()
    assert "attachment" in response["Content-Disposition"]
    csv_response = client.get(reverse("admin:firms_lawfirm_import_template") + "?format=csv")
    assert (
        csv_response.content.decode("utf-8-sig").splitlines()[0].split(",")[0] == "统一社会信用代码"
    )


def test_export_is_scoped_filtered_and_neutralises_formulas(client, users, regions):
    LawFirmFactory(province=regions["43"], name='=HYPERLINK("http://x")')
    LawFirmFactory(province=regions["43"], name="湖南普通所")
    LawFirmFactory(province=regions["11"], name="北京所")
    client.force_login(users["hunan_dept"])

    response = client.get(reverse("admin:firms_lawfirm_export") + "?format=csv")

    table = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    names = sorted(r[1] for r in table[1:])
    assert table[0] == LawFirmResource.column_names()
    assert names == sorted(['\'=HYPERLINK("http://x")', "湖南普通所"])
    filtered = client.get(reverse("admin:firms_lawfirm_export") + "?format=xlsx&q=湖南普通所")
    sheet = load_workbook(io.BytesIO(filtered.content)).active
    assert [r[1] for r in sheet.iter_rows(min_row=2, values_only=True)] == ["湖南普通所"]


def test_lawyer_export_masks_personal_data_and_is_logged(client, users, regions):
    LawyerFactory(province=regions["43"], phone="13812345678", email="lisi@example.com")
    client.force_login(users["hunan_dept"])

    response = client.get(reverse("admin:lawyers_lawyer_export") + "?format=xlsx")

    sheet = load_workbook(io.BytesIO(response.content)).active
    header = [c.value for c in next(sheet.iter_rows())]
    row = next(sheet.iter_rows(min_row=2, values_only=True))
    assert row[header.index("手机号码")] == "138****5678"
    assert row[header.index("电子邮箱")] == "l***@example.com"
    log = PersonalDataAccess.objects.get(user=users["hunan_dept"])
    assert (log.kind, log.model_label, log.count) == ("export", "lawyers.Lawyer", 1)


@pytest.mark.parametrize("who", ["superuser", "ministry_with_permission"])
def test_lawyer_export_is_unmasked_for_holders_of_the_permission(client, users, regions, who):
    LawyerFactory(province=regions["43"], phone="13812345678")
    user = users["superuser"] if who == "superuser" else users["ministry"]
    if who != "superuser":
        user.user_permissions.add(Permission.objects.get(codename="view_personal_data"))
    client.force_login(user)

    response = client.get(reverse("admin:lawyers_lawyer_export") + "?format=csv")

    text = response.content.decode("utf-8-sig")
    assert "13812345678" in text
    assert PersonalDataAccess.objects.filter(user=user, kind="export").count() == 1


def test_too_many_rows_to_export_asks_for_a_filter(client, users, regions, settings):
    settings.IMPORT_MAX_ROWS = 1
    LawFirmFactory(province=regions["43"])
    LawFirmFactory(province=regions["43"])
    client.force_login(users["hunan_dept"])

    response = client.get(reverse("admin:firms_lawfirm_export") + "?format=xlsx")

    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:firms_lawfirm_changelist"))


def test_the_import_records_are_listed_read_only_to_their_owner(client, users):
    client.force_login(users["hunan_dept"])
    upload(client, xlsx(HEADERS, rows(1)), name="湖南记录.xlsx")
    client.force_login(users["xizang_dept"])
    upload(client, xlsx(HEADERS, rows(1)), name="西藏记录.xlsx")

    page = client.get(reverse("admin:core_importrecord_changelist")).content.decode()
    record = ImportRecord.objects.get(file_name="西藏记录.xlsx")
    change = client.post(reverse("admin:core_importrecord_change", args=[record.pk]), {})

    assert "西藏记录.xlsx" in page
    assert "湖南记录.xlsx" not in page
    assert change.status_code == 403
    assert ImportRecord.objects.filter(file_name="西藏记录.xlsx").exists()
