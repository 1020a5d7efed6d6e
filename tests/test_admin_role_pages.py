"""Role × page: every admin page of the programme's apps, as the ministry, the 湖南 justice
department and the 湖南 bar association, against one object per model that involves only
西藏 (54) and one that involves only 湖南 (43), each carrying a sentinel string.

Nothing of the 西藏 objects may reach the 湖南 department: not a changelist (also searched),
a form, an autocomplete answer, an export, a template or an import's refusal. The ministry
sees both; a bar-association user (not staff) is sent to the login page everywhere.

Reference data (provinces, counties, targets, official statistics, the holiday calendar)
is read nationally by design: its 西藏 objects carry the public tag instead of the
sentinel, and are only kept out of the choices a form offers (autocomplete)."""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.contrib import admin
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import NoReverseMatch, reverse
from openpyxl import load_workbook

from accounts.import_admin import SpreadsheetAdminMixin
from accounts.models import ApiKey, AuditEvent, Organisation, PersonalDataAccess, User
from accounts.policy import ALL, Action, Role
from branches.models import BranchOffice, CareVisit, Posting, ServiceRecord, SupportContract
from core.models import ImportRecord, ImportStatus
from firms.models import BarAssociation, LawFirm
from lawyers.models import Lawyer, Trainee
from pairing.models import (
    FirmPairing,
    PairingAgreement,
    ProgramTarget,
    ProgressReport,
    Quota,
    Secondment,
    StatSnapshot,
    TargetMetric,
)
from regions.models import CalendarDay, County, Province
from reminders.models import Notification, ReminderRule, SweepRun
from tests.factories import (
    BranchOfficeFactory,
    FirmPairingFactory,
    LawFirmFactory,
    LawyerFactory,
    PairingAgreementFactory,
    PostingFactory,
    QuotaFactory,
    SecondmentFactory,
    TraineeFactory,
)
from tests.imports.files import csv_bytes, xlsx

pytestmark = pytest.mark.django_db

APPS = {"accounts", "regions", "firms", "lawyers", "pairing", "branches", "core", "reminders"}
XZ, HN = "哨兵藏", "哨兵湘"  # both match ?q=哨兵
PUBLIC_XZ, PUBLIC_HN = "公开藏", "公开湘"  # reference data: readable nationally
SEARCH = "哨兵"


def registered_admins() -> list[type]:
    return sorted(
        (
            m
            for m in admin.site._registry
            if m._meta.app_label in APPS and not m.__module__.startswith("pghistory")
        ),
        key=lambda m: m._meta.label,
    )


def is_public(model) -> bool:
    """Readable by every provincial department (reference data)."""
    scoping = getattr(model, "scoping", None)
    if scoping is None:
        return False
    return scoping.grants.get(Role.JUSTICE_DEPARTMENT, {}).get(Action.VIEW) == ALL


def url(model, suffix: str, *args) -> str:
    opts = model._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_{suffix}", args=args)


# --- the two worlds --------------------------------------------------------------------


@dataclass
class World:
    objects: dict[type, Any] = field(default_factory=dict)
    forbidden: set[str] = field(default_factory=set)  # must never reach another province


def _county(province: Province) -> County:
    return County.objects.filter(province=province, valid_to__isnull=True).order_by("code").first()


def build_world(users, regions, code: str, other: str) -> World:
    """One object per registered model involving province `code` (and, where a model
    needs two provinces, `other`, which is never 湖南 for the 西藏 world and never 西藏
    for the 湖南 one)."""
    tag = XZ if code == "54" else HN
    public = PUBLIC_XZ if code == "54" else PUBLIC_HN
    latin = "xz" if code == "54" else "hn"
    province, partner = regions[code], regions[other]
    w = World()
    o = w.objects

    o[Province] = province
    o[County] = County.objects.create(
        code=f"{code}9901", name=f"{public}县", province=province, kind="县"
    )
    o[CalendarDay] = CalendarDay.objects.order_by("date").first()
    o[Organisation] = Organisation.objects.create(
        kind=Role.PARTNER, province=province, name=f"{tag}机构"
    )
    o[User] = User.objects.create_user(
        username=f"shaobing_{latin}",
        password="Test-pass-2026!",
        last_name=f"{tag}用户",
        organisation=o[Organisation],
        is_staff=True,
    )
    o[PersonalDataAccess] = PersonalDataAccess.objects.create(
        user=o[User],
        kind="view",
        model_label="lawyers.Lawyer",
        count=1,
        description=f"{tag}访问",
        request_id=f"req-{latin}-sentinel",
    )
    dept = users["xizang_dept" if code == "54" else "hunan_dept"]
    o[ImportRecord] = ImportRecord.objects.create(
        user=dept,
        model_label="firms.LawFirm",
        resource="firms.resources.LawFirmResource",
        file_name=f"{tag}导入.xlsx",
        file=f"imports/{latin}.xlsx",
        status=ImportStatus.FAILED,
    )
    o[LawFirm] = LawFirmFactory(
        name=f"{tag}律师事务所", province=province, address=f"{tag}地址", county=_county(province)
    )
    partner_firm = LawFirmFactory(province=partner)
    # the directory of bar associations is national
    o[BarAssociation] = BarAssociation.objects.create(
        name=f"{public if is_public(BarAssociation) else tag}律师协会", province=province
    )
    o[Lawyer] = LawyerFactory(name=f"{tag}律师", firm=o[LawFirm])
    o[Trainee] = TraineeFactory(
        home_province=province,
        lawyer=LawyerFactory(name=f"{tag}学员", firm=o[LawFirm]),
        plan_goals=f"{tag}计划",
    )
    agreement = PairingAgreementFactory(helper_province=partner, recipient_province=province)
    agreement.source_note = f"{tag}协议"
    agreement.save()
    o[PairingAgreement] = agreement
    o[Quota] = QuotaFactory(name=f"{tag}名额", hosts=[partner], sources=[province], seats=10)
    o[Secondment] = SecondmentFactory(
        trainee=o[Trainee],
        host_firm=partner_firm,
        mentor=LawyerFactory(
            firm=partner_firm, birth_date=dt.date(1970, 1, 1), first_licence_year=1998
        ),
        quota=o[Quota],
        evaluation_comment=f"{tag}评语",
    )
    o[FirmPairing] = FirmPairingFactory(
        agreement=agreement,
        helper_firm=partner_firm,
        recipient_firm=o[LawFirm],
        dissolve_reason=f"{tag}原因",
    )
    o[ProgressReport] = ProgressReport.objects.create(
        pairing=o[FirmPairing],
        period_start=dt.date(2026, 1, 1),
        period_end=dt.date(2026, 6, 30),
        due_date=dt.date(2026, 7, 15),
        narrative=f"{tag}报告",
    )
    o[ProgramTarget] = ProgramTarget.objects.create(
        metric=TargetMetric.values[0],
        province=province,
        year=2099,  # a year no real target uses (targets run 2023-2100)
        value=7,
        source_note=f"{public}目标",
    )
    o[StatSnapshot] = StatSnapshot.objects.create(
        key=f"stat-{latin}",
        label=f"{public}统计",
        value=1,
        as_of=dt.date(2026, 1, 1),
        source=f"{public}来源",
        province=province,
    )
    o[BranchOffice] = BranchOfficeFactory(
        name=f"{tag}分所", parent_firm=o[LawFirm], county=_county(province)
    )
    o[Posting] = PostingFactory(branch=o[BranchOffice], lawyer=o[Lawyer])
    o[ServiceRecord] = ServiceRecord.objects.create(
        branch=o[BranchOffice],
        lawyer=o[Lawyer],
        kind="legal_aid",
        served_on=dt.date(2026, 3, 3),
        quantity=1,
        note=f"{tag}记录",
    )
    o[SupportContract] = SupportContract.objects.create(
        branch=o[BranchOffice],
        kind="procured_service",
        counterparty=f"{tag}县司法局",
        amount=10000,
        start_date=dt.date(2026, 1, 1),
        end_date=dt.date(2026, 12, 31),
    )
    o[CareVisit] = CareVisit.objects.create(
        branch=o[BranchOffice],
        visited_on=dt.date(2026, 5, 5),
        visitor_organisation=f"{tag}慰问团",
        notes=f"{tag}慰问",
    )

    service_user = User.objects.create_user(username=f"api-{latin}", organisation=o[Organisation])
    o[ApiKey] = ApiKey.objects.create(
        organisation=o[Organisation],
        service_user=service_user,
        name=f"{tag}密钥",
        prefix=f"{latin}0000",
        key_digest=(latin * 32)[:64],
    )
    o[Notification] = Notification.objects.create(
        recipient=dept, rule_kind="report_due", subject=f"{tag}提醒", object_id=latin
    )
    # reminder rules and their runs are national and the ministry's alone
    o[ReminderRule] = ReminderRule.objects.create(
        name=f"{public}规则", kind="report_due", recipients=["pairing_bars"]
    )
    o[SweepRun] = SweepRun.objects.create(rule=o[ReminderRule], run_on=dt.date(2026, 11, 2))

    # identifiers and derived text of the world's people and organisations
    lawyers = [o[Lawyer], o[Trainee].lawyer]
    w.forbidden = {
        tag,
        o[User].username,
        dept.username,
        o[PersonalDataAccess].request_id,
        o[LawFirm].credit_code,
        o[LawFirm].name_pinyin,
        o[BranchOffice].credit_code,
        *(lawyer.current_licence_no for lawyer in lawyers),
        *(lawyer.name_pinyin for lawyer in lawyers),
    }
    if code == "54":
        w.forbidden.add(users["xizang_bar"].username)
    return w


@pytest.fixture
def worlds(users, regions) -> dict[str, World]:
    return {
        "54": build_world(users, regions, "54", "11"),
        "43": build_world(users, regions, "43", "50"),
    }


def test_every_registered_admin_has_objects_in_both_worlds(worlds):
    missing = [
        m._meta.label
        for m in registered_admins()
        if m is not AuditEvent and not all(m in w.objects for w in worlds.values())
    ]
    assert missing == []
    assert len(registered_admins()) >= 24


# --- reading responses ------------------------------------------------------------------


def body_text(response) -> str:
    """A response as text: HTML/JSON/CSV decoded, XLSX cells joined."""
    content = b"".join(response.streaming_content) if response.streaming else response.content
    if response.get("Content-Type", "").startswith("application/vnd.openxmlformats"):
        workbook = load_workbook(io.BytesIO(content), read_only=True)
        return "\n".join(
            str(value)
            for sheet in workbook.worksheets
            for row in sheet.iter_rows(values_only=True)
            for value in row
            if value is not None
        )
    text = content.decode("utf-8-sig")
    if response.get("Content-Type", "").startswith("application/json"):
        text += json.dumps(json.loads(text), ensure_ascii=False)  # \\u escapes decoded
    return text


def leaks(text: str, forbidden: set[str]) -> list[str]:
    return sorted(s for s in forbidden if s and s in text)


@dataclass
class Page:
    url: str
    kind: str
    model: Any = None


def autocomplete_pages(model_admin, terms=(SEARCH,)) -> list[Page]:
    sources = [(model_admin.model, model_admin.autocomplete_fields)]
    sources += [(inline.model, inline.autocomplete_fields) for inline in model_admin.inlines]
    pages = []
    for source, fields in sources:
        for name in fields:
            for term in terms:
                query = (
                    f"app_label={source._meta.app_label}&model_name={source._meta.model_name}"
                    f"&field_name={name}&term={term}"
                )
                pages.append(
                    Page(
                        f"{reverse('admin:autocomplete')}?{query}",
                        "autocomplete",
                        model_admin.model,
                    )
                )
    return pages


def spreadsheet_pages(model) -> list[Page]:
    if not isinstance(admin.site._registry[model], SpreadsheetAdminMixin):
        return []
    return [
        *(Page(f"{url(model, 'export')}?format={f}", "export", model) for f in ("xlsx", "csv")),
        *(
            Page(f"{url(model, 'export')}?format={f}&q={SEARCH}", "export", model)
            for f in ("xlsx", "csv")
        ),
        *(
            Page(f"{url(model, 'import_template')}?format={f}", "template", model)
            for f in ("xlsx", "csv")
        ),
        Page(url(model, "import"), "import", model),
    ]


def object_pages(model, obj, kind: str) -> list[Page]:
    pages = []
    for suffix in ("change", "history", "delete"):
        with contextlib.suppress(NoReverseMatch):  # the change log has no object pages
            pages.append(Page(url(model, suffix, obj.pk), f"{kind}_{suffix}", model))
    return pages


def list_pages(model) -> list[Page]:
    pages = [
        Page(url(model, "changelist"), "changelist", model),
        Page(f"{url(model, 'changelist')}?q={SEARCH}", "search", model),
    ]
    with contextlib.suppress(NoReverseMatch):
        pages.append(Page(url(model, "add"), "add", model))
    return pages


def all_pages(worlds, *, own: str, foreign: str) -> list[Page]:
    pages = [
        Page(reverse("admin:index"), "index"),
        Page(reverse("admin:dashboard_provinces_xlsx"), "dashboard_xlsx"),
    ]
    for model in registered_admins():
        model_admin = admin.site._registry[model]
        pages += list_pages(model)
        pages += autocomplete_pages(model_admin, terms=(SEARCH, "公开", "西藏", "湖南"))
        pages += spreadsheet_pages(model)
        if model in worlds[own].objects:
            pages += object_pages(model, worlds[own].objects[model], "own")
            pages += object_pages(model, worlds[foreign].objects[model], "foreign")
    return pages


# --- the 湖南 justice department ---------------------------------------------------------


def ministry_only(model) -> bool:
    scoping = getattr(model, "scoping", None)
    return scoping is not None and set(scoping.grants) == {Role.MINISTRY}


def expected_status(page: Page) -> set[int]:
    """For the 湖南 department."""
    if page.model is not None and ministry_only(page.model):
        return {403, 404} if page.kind != "autocomplete" else {200, 403}
    if page.kind.startswith("foreign_"):
        if is_public(page.model):
            return {200} if page.kind != "foreign_delete" else {403}
        return {404}
    if page.kind in ("own_delete", "add", "import", "template"):
        return {200, 403}  # read-only models
    if page.kind == "autocomplete":
        return {200, 403}  # 403: the department may not read the target model
    return {200}


def test_hunan_department_sees_nothing_of_xizang(client, users, worlds, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(users["hunan_dept"])
    forbidden = worlds["54"].forbidden
    problems, seen_own_sentinel, statuses = [], set(), {}
    for page in all_pages(worlds, own="43", foreign="54"):
        response = client.get(page.url)
        statuses[page.url] = response.status_code
        if response.status_code not in expected_status(page):
            problems.append((page.url, response.status_code, "status"))
        text = body_text(response)
        if found := leaks(text, forbidden):
            problems.append((page.url, response.status_code, found))
        if page.kind == "autocomplete" and response.status_code == 200:
            results = [r["text"] for r in json.loads(response.content)["results"]]
            bad = [r for r in results if PUBLIC_XZ in r or "西藏" in r]
            if bad:  # reference data is read nationally, but offered only for 湖南
                problems.append((page.url, 200, bad))
            if any(HN in r or PUBLIC_HN in r or "湖南" in r for r in results):
                seen_own_sentinel.add(("autocomplete", page.url))
        if page.kind in ("changelist", "search", "export") and HN in text:
            seen_own_sentinel.add((page.kind, page.model))
    assert problems == [], "\n".join(map(str, problems))

    # the check can fail: the department's own sentinel shows where the 西藏 one may not
    shown = {m for kind, m in seen_own_sentinel if kind == "changelist"}
    not_shown = {m._meta.label for m in registered_admins() if m not in shown}
    # not on their changelists: public reference data (tagged differently), the change log
    # and the agreements (listed by province names)
    assert not_shown == {
        "accounts.AuditEvent",
        "firms.BarAssociation",
        "pairing.PairingAgreement",
        "pairing.ProgramTarget",
        "pairing.StatSnapshot",
        "regions.CalendarDay",
        "regions.County",
        "regions.Province",
        "reminders.ReminderRule",
        "reminders.SweepRun",
    }
    searched = {m for kind, m in seen_own_sentinel if kind == "search"}
    assert searched >= {LawFirm, Lawyer, BranchOffice, Organisation, User, Quota, ImportRecord}
    exported = {m for kind, m in seen_own_sentinel if kind == "export"}
    assert exported >= {LawFirm, Lawyer, BranchOffice, ServiceRecord}
    assert sum(kind == "autocomplete" for kind, _ in seen_own_sentinel) >= 10
    # the 湖南 object's change form and history open
    for model in registered_admins():
        if model in worlds["43"].objects and not ministry_only(model):
            assert statuses[url(model, "change", worlds["43"].objects[model].pk)] == 200
            assert statuses[url(model, "history", worlds["43"].objects[model].pk)] == 200


def test_the_hunan_change_forms_show_the_hunan_sentinel(client, users, worlds):
    client.force_login(users["hunan_dept"])
    missing = []
    for model, obj in worlds["43"].objects.items():
        if is_public(model) or model is CalendarDay or ministry_only(model):
            continue
        text = body_text(client.get(url(model, "change", obj.pk)))
        if HN not in text:
            missing.append(model._meta.label)
    assert missing == []


# --- imports that reach into 西藏 --------------------------------------------------------


def upload(client, model, data: bytes, name: str):
    response = client.post(
        url(model, "import"), {"file": SimpleUploadedFile(name, data), "mode": "create_or_update"}
    )
    return response


@pytest.mark.parametrize("file_format", ["xlsx", "csv"])
def test_an_import_naming_xizang_objects_is_refused_without_echoing_them(
    client, users, worlds, settings, tmp_path, file_format
):
    settings.MEDIA_ROOT = tmp_path
    xz = worlds["54"].objects
    client.force_login(users["hunan_dept"])
    files = {
        # update the 西藏 firm, keyed by its code
        LawFirm: (
            ["统一社会信用代码", "名称", "省份", "组织形式"],
            [[xz[LawFirm].credit_code, "湘改名所", "湖南", "普通合伙律师事务所"]],
        ),
        # a 湖南 lawyer of the 西藏 firm
        Lawyer: (
            [
                "执业证号",
                "姓名",
                "性别",
                "出生日期",
                "首次执业年份",
                "执业省份",
                "律师事务所统一社会信用代码",
                "执业证发证日期",
            ],
            [
                [
                    "14301202010000999",
                    "湘新律师",
                    "男",
                    "1990-01-01",
                    2020,
                    "湖南",
                    xz[LawFirm].credit_code,
                    "2020-07-01",
                ]
            ],
        ),
        # a service of the 西藏 lawyer at the 西藏 branch
        ServiceRecord: (
            ["分所统一社会信用代码", "日期", "服务类型", "律师执业证号", "数量"],
            [
                [
                    xz[BranchOffice].credit_code,
                    "2026-04-01",
                    "法律援助案件",
                    xz[Lawyer].current_licence_no,
                    1,
                ]
            ],
        ),
    }
    # the only columns refused: those naming 西藏 objects
    refused_columns = {
        LawFirm: {"统一社会信用代码"},
        Lawyer: {"律师事务所统一社会信用代码"},
        ServiceRecord: {"分所统一社会信用代码", "律师执业证号"},
    }
    before = {model: model.objects.count() for model in files}
    for model, (headers, rows) in files.items():
        data = xlsx(headers, rows) if file_format == "xlsx" else csv_bytes(headers, rows, "utf-8")
        response = upload(client, model, data, f"跨省.{file_format}")
        assert response.status_code == 302  # previewed: the record lists the refusal
        record = ImportRecord.objects.filter(user=users["hunan_dept"]).latest("pk")
        assert {e["column"] for e in record.errors} == refused_columns[model], record.errors
        page = client.get(response.url)
        assert page.status_code == 200
        assert page.context["may_confirm"] is False
        text = body_text(page) + json.dumps(record.errors, ensure_ascii=False)
        assert record.status == ImportStatus.FAILED
        client.post(response.url)  # confirming a refused preview does nothing
        record.refresh_from_db()
        assert record.status == ImportStatus.FAILED
        # what was uploaded may be shown back; nothing else of 西藏
        uploaded = {str(v) for row in rows for v in row}
        echoed = leaks(text, worlds["54"].forbidden - uploaded)
        assert echoed == [], model
    assert {model: model.objects.count() for model in files} == before
    xz[LawFirm].refresh_from_db()
    assert xz[LawFirm].name == f"{XZ}律师事务所"


# --- the ministry -----------------------------------------------------------------------


def test_the_ministry_opens_every_page_and_sees_xizang(client, users, worlds, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(users["ministry"])
    problems, shown = [], set()
    for page in all_pages(worlds, own="43", foreign="54"):
        response = client.get(page.url)
        ok = {200}
        if page.kind in ("add", "import", "template") or page.kind.endswith("_delete"):
            ok = {200, 403}  # models nobody adds to or deletes from in the admin
        if page.model is ImportRecord and page.kind.endswith(("_change", "_history", "_delete")):
            ok = {404}  # the ministry sees only its own imports (superusers see all)
        if response.status_code not in ok:
            problems.append((page.url, response.status_code))
        text = body_text(response) if page.kind == "changelist" else ""
        # national tables of the ministry carry the public tag
        if XZ in text or (
            page.model is not None and ministry_only(page.model) and PUBLIC_XZ in text
        ):
            shown.add(page.model._meta.label)
    assert problems == [], "\n".join(map(str, problems))
    assert shown >= {
        m._meta.label
        for m in registered_admins()
        if not is_public(m) and m not in (AuditEvent, PairingAgreement, ImportRecord)
    }


def test_a_superuser_sees_every_import_record(client, users, worlds):
    client.force_login(users["superuser"])
    response = client.get(url(ImportRecord, "changelist"))
    assert response.status_code == 200
    assert XZ in body_text(response)
    assert HN in body_text(response)


# --- the bar association (not staff) ------------------------------------------------------


def test_a_bar_association_user_is_sent_to_the_login_page_everywhere(client, users, worlds):
    client.force_login(users["hunan_bar"])
    everything = worlds["54"].forbidden | worlds["43"].forbidden
    problems = []
    pages = all_pages(worlds, own="43", foreign="54")
    for page in pages:
        response = client.get(page.url)
        if response.status_code != 302 or not response.url.startswith(reverse("admin:login")):
            problems.append((page.url, response.status_code, response.get("Location")))
        if found := leaks(body_text(response), everything):
            problems.append((page.url, found))
    assert problems == [], "\n".join(map(str, problems))
    assert len(pages) > 200


# --- the dashboard -----------------------------------------------------------------------


def test_the_dashboard_of_hunan_shows_no_xizang_sentinel(client, users, worlds):
    client.force_login(users["hunan_dept"])
    index = client.get(reverse("admin:index"))
    sheet = client.get(reverse("admin:dashboard_provinces_xlsx"))
    assert (index.status_code, sheet.status_code) == (200, 200)
    assert "dashboard" in index.context
    for response in (index, sheet):
        assert leaks(body_text(response), worlds["54"].forbidden) == []
    assert "湖南" in body_text(sheet)
