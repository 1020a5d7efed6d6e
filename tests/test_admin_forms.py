"""Every programme invariant broken through an admin add form: the page comes back (200)
with the Chinese message on the right field, and nothing is saved. One valid add per model
proves the forms work and that the services set the state."""

from __future__ import annotations

import datetime as dt

import pytest

from branches.models import Posting
from firms.models import LawFirm
from lawyers.models import ExperienceGroup, Lawyer, LawyerLicence, Trainee, TraineeStatus
from pairing.models import (
    FirmPairing,
    PairingAgreement,
    PairingStatus,
    Secondment,
    SecondmentStatus,
)
from regions.models import County
from tests.adminutil import add_url, field_errors, form_data, visible_text
from tests.factories import (
    BranchOfficeFactory,
    LawFirmFactory,
    LawyerFactory,
    PairingAgreementFactory,
    PostingFactory,
    QuotaFactory,
    SecondmentFactory,
    TraineeFactory,
    credit_code,
    licence_number,
)

pytestmark = pytest.mark.django_db

FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


@pytest.fixture
def admin_client(client, users):
    client.force_login(users["ministry"])
    return client


def assert_refused(response, field: str, fragment: str) -> None:
    """The form is shown again with `fragment` (Chinese) among `field`'s errors."""
    assert response.status_code == 200
    errors = field_errors(response, field)
    assert any(fragment in e for e in errors), (field, errors, field_errors(response, None))
    assert fragment in visible_text(response)


# --- secondments ---------------------------------------------------------------------------


@pytest.fixture
def programme(regions):
    """北京 (11) helps 西藏 (54): an agreement, a quota, a trainee, a host firm and a mentor."""
    PairingAgreementFactory()
    host = LawFirmFactory(province=regions["11"])
    return {
        "quota": QuotaFactory(seats=5),
        "trainee": TraineeFactory(),
        "host": host,
        "mentor": LawyerFactory(firm=host, birth_date=dt.date(1975, 5, 5), first_licence_year=2000),
    }


def secondment_post(admin_client, p, **changes):
    data = {
        "trainee": p["trainee"].pk,
        "host_firm": p["host"].pk,
        "mentor": p["mentor"].pk,
        "quota": p["quota"].pk,
        "start_date": "2026-04-01",
        "end_date": "2026-05-15",
    }
    data.update(changes)
    url = add_url(Secondment)
    return admin_client.post(url, form_data(admin_client, url, **data))


def test_the_secondment_form_carries_the_activity_inline(admin_client):
    data = form_data(admin_client, add_url(Secondment))
    assert data["activities-TOTAL_FORMS"] == "0"
    assert "activities-INITIAL_FORMS" in data


def test_valid_secondment_is_booked_as_planned(admin_client, programme):
    response = secondment_post(admin_client, programme)
    assert response.status_code == 302, field_errors(response, "quota")
    s = Secondment.objects.get(trainee=programme["trainee"])
    assert s.status == SecondmentStatus.PLANNED
    assert (s.host_firm, s.mentor, s.end_date) == (
        programme["host"],
        programme["mentor"],
        dt.date(2026, 5, 15),
    )


@pytest.mark.parametrize("end", ["2026-04-29", "2026-06-01"])
def test_secondment_shorter_than_a_month_or_longer_than_two_is_refused(
    admin_client, programme, end
):
    response = secondment_post(admin_client, programme, end_date=end)
    assert_refused(response, "end_date", "跟班学习期限为 1 至 2 个月")
    assert not Secondment.objects.exists()


def test_secondment_of_exactly_one_and_two_months_is_accepted(admin_client, programme):
    """The boundaries of the rule, so the refusals above are not refusing everything."""
    assert secondment_post(admin_client, programme, end_date="2026-04-30").status_code == 302
    Secondment.objects.all().delete()
    assert secondment_post(admin_client, programme, end_date="2026-05-31").status_code == 302


def test_mentor_not_at_the_host_firm_is_refused(admin_client, programme, regions):
    elsewhere = LawyerFactory(firm=LawFirmFactory(province=regions["11"]))
    response = secondment_post(admin_client, programme, mentor=elsewhere.pk)
    assert_refused(response, "mentor", "指导律师：必须在接收律所执业")
    assert not Secondment.objects.exists()


def test_host_province_without_agreement_is_refused(admin_client, programme, regions):
    hunan_firm = LawFirmFactory(province=regions["43"])
    mentor = LawyerFactory(firm=hunan_firm, birth_date=dt.date(1975, 1, 1))
    quota = QuotaFactory(hosts=[regions["43"]], sources=[regions["54"]])
    assert not PairingAgreement.objects.filter(
        helper_province=regions["43"], recipient_province=regions["54"]
    ).exists()
    response = secondment_post(
        admin_client, programme, host_firm=hunan_firm.pk, mentor=mentor.pk, quota=quota.pk
    )
    assert_refused(response, "host_firm", "没有对口帮扶协议")
    assert not Secondment.objects.exists()


def test_quota_with_all_seats_taken_is_refused(admin_client, programme):
    quota = QuotaFactory(seats=1)
    SecondmentFactory(quota=quota, host_firm=programme["host"], mentor=programme["mentor"])
    response = secondment_post(admin_client, programme, quota=quota.pk)
    assert_refused(response, "quota", "名额：1 个名额已全部占满")
    assert Secondment.objects.count() == 1


def test_overlapping_secondments_of_one_trainee_are_refused(admin_client, programme):
    SecondmentFactory(
        trainee=programme["trainee"],
        host_firm=programme["host"],
        mentor=programme["mentor"],
        quota=programme["quota"],
        start_date=dt.date(2026, 4, 1),
        end_date=dt.date(2026, 5, 15),
    )
    response = secondment_post(
        admin_client, programme, start_date="2026-05-01", end_date="2026-06-10"
    )
    assert_refused(response, "start_date", "该青年律师在此期间已有跟班学习安排")
    assert Secondment.objects.count() == 1


# --- firm pairings -------------------------------------------------------------------------


@pytest.fixture
def pairing_parts(regions):
    return {
        "agreement": PairingAgreementFactory(),
        "helper": LawFirmFactory(province=regions["11"]),
        "recipient": LawFirmFactory(province=regions["54"]),
    }


def pairing_post(admin_client, parts, **changes):
    data = {
        "helper_firm": parts["helper"].pk,
        "recipient_firm": parts["recipient"].pk,
        "agreement": parts["agreement"].pk,
        "mode": "strong_weak",
        "focus_areas": '["talent"]',
        "term_start": "2026-01-01",
    }
    data.update(changes)
    url = add_url(FirmPairing)
    return admin_client.post(url, form_data(admin_client, url, **data))


def test_valid_pairing_is_proposed(admin_client, pairing_parts):
    response = pairing_post(admin_client, pairing_parts)
    assert response.status_code == 302
    pairing = FirmPairing.objects.get()
    assert pairing.status == PairingStatus.PROPOSED
    assert pairing.helper_firm == pairing_parts["helper"]
    assert pairing.focus_areas == ["talent"]


def test_firm_paired_with_itself_is_refused(admin_client, pairing_parts):
    same = pairing_parts["helper"]
    response = pairing_post(admin_client, pairing_parts, recipient_firm=same.pk)
    assert_refused(response, "recipient_firm", "律所不能与自身结对")
    assert not FirmPairing.objects.exists()


def test_helper_firm_outside_the_agreements_helper_province_is_refused(
    admin_client, pairing_parts, regions
):
    hunan_firm = LawFirmFactory(province=regions["43"])
    response = pairing_post(admin_client, pairing_parts, helper_firm=hunan_firm.pk)
    assert_refused(response, "helper_firm", "帮扶律所：必须位于协议的帮扶省份")
    assert not FirmPairing.objects.exists()


# --- trainees ------------------------------------------------------------------------------


def trainee_post(admin_client, lawyer, home_province, **changes):
    data = {
        "lawyer": lawyer.pk,
        "cohort_year": "2026",
        "home_province": home_province.pk,
        "selection_date": "2026-03-01",
        "practice_track": "civil",
    }
    data.update(changes)
    url = add_url(Trainee)
    return admin_client.post(url, form_data(admin_client, url, **data))


def western_lawyer(regions, **kwargs):
    return LawyerFactory(firm=LawFirmFactory(province=regions["54"]), **kwargs)


def test_valid_trainee_is_nominated_with_an_experience_group(admin_client, regions):
    lawyer = western_lawyer(regions, first_licence_year=2020)
    response = trainee_post(admin_client, lawyer, regions["54"])
    assert response.status_code == 302
    trainee = Trainee.objects.get(lawyer=lawyer)
    assert trainee.status == TraineeStatus.NOMINATED
    assert trainee.experience_group == ExperienceGroup.for_years(
        lawyer.years_of_practice(dt.date(2026, 3, 1))
    )
    assert trainee.experience_group != ""


def test_trainee_aged_40_on_the_selection_date_is_refused(admin_client, regions):
    lawyer = western_lawyer(regions, birth_date=dt.date(1986, 3, 1))  # 40 on 2026-03-01
    response = trainee_post(admin_client, lawyer, regions["54"])
    assert_refused(response, "lawyer", "选拔之日须未满 40 周岁")
    assert not Trainee.objects.exists()


def test_trainee_a_day_short_of_40_is_accepted(admin_client, regions):
    lawyer = western_lawyer(regions, birth_date=dt.date(1986, 3, 2))  # 39 on 2026-03-01
    assert trainee_post(admin_client, lawyer, regions["54"]).status_code == 302
    assert Trainee.objects.filter(lawyer=lawyer).exists()


def test_trainee_from_a_non_western_province_is_refused(admin_client, regions):
    lawyer = LawyerFactory(firm=LawFirmFactory(province=regions["43"]))
    assert not regions["43"].is_recipient
    response = trainee_post(admin_client, lawyer, regions["43"])
    assert_refused(response, "home_province", "所在省份：必须是受帮扶的西部省份")
    assert not Trainee.objects.exists()


# --- postings ------------------------------------------------------------------------------


def posting_post(admin_client, lawyer, branch, **changes):
    data = {
        "lawyer": lawyer.pk,
        "branch": branch.pk,
        "kind": "rotation",
        "start_date": "2026-06-01",
        "agreement_signed": "on",
        "medical_passed": "on",
        "licence_transferred": "on",
    }
    data.update(changes)
    url = add_url(Posting)
    return admin_client.post(url, form_data(admin_client, url, **data))


def test_valid_posting_is_added(admin_client, regions):
    lawyer, branch = LawyerFactory(), BranchOfficeFactory()
    response = posting_post(admin_client, lawyer, branch)
    assert response.status_code == 302
    posting = Posting.objects.get(lawyer=lawyer)
    assert (posting.branch, posting.start_date, posting.end_date) == (
        branch,
        dt.date(2026, 6, 1),
        None,
    )
    assert posting.checklist_complete is True


def test_posting_overlapping_another_posting_of_the_lawyer_is_refused(admin_client, regions):
    first = PostingFactory(start_date=dt.date(2026, 1, 1), end_date=None)
    other_branch = BranchOfficeFactory()
    response = posting_post(admin_client, first.lawyer, other_branch, start_date="2026-06-01")
    assert_refused(response, "start_date", "该律师在此期间已派驻其他分所")
    assert Posting.objects.filter(lawyer=first.lawyer).count() == 1


def test_unticking_the_only_lawyers_checklist_needs_the_gap_box(admin_client, regions):
    from django.urls import reverse

    posting = PostingFactory(start_date=dt.date(2026, 1, 1), end_date=None)  # the only one
    url = reverse("admin:branches_posting_change", args=[posting.pk])

    refused = admin_client.post(url, form_data(admin_client, url, medical_passed=None))

    assert refused.status_code == 200
    (message,) = field_errors(refused, "confirm_gap")
    assert "人员不足" in message
    posting.refresh_from_db()
    assert (posting.medical_passed, posting.gap_confirmed) == (True, False)

    saved = admin_client.post(
        url, form_data(admin_client, url, medical_passed=None, confirm_gap="on")
    )

    assert saved.status_code == 302
    posting.refresh_from_db()
    assert (posting.medical_passed, posting.checklist_complete) == (False, False)
    assert posting.gap_confirmed is True


# --- law firms and lawyers -----------------------------------------------------------------


def firm_post(admin_client, regions, code, **changes):
    county = County.objects.filter(province=regions["43"]).order_by("code").first()
    data = {
        "name": "湖南表单测试律师事务所",
        "credit_code": code,
        "province": regions["43"].pk,
        "county": county.pk,
        "declared_lawyers": "12",
    }
    data.update(changes)
    url = add_url(LawFirm)
    return admin_client.post(url, form_data(admin_client, url, **data))


def test_valid_law_firm_is_added(admin_client, regions):
    code = credit_code("430000", 4242)
    response = firm_post(admin_client, regions, code)
    assert response.status_code == 302
    firm = LawFirm.objects.get(credit_code=code)
    assert firm.name == "湖南表单测试律师事务所"
    assert firm.name_initials  # save_firm fills the search columns


def test_law_firm_with_a_wrong_check_character_is_refused(admin_client, regions):
    good = credit_code("430000", 4242)
    wrong = good[:-1] + ("1" if good[-1] != "1" else "2")
    response = firm_post(admin_client, regions, wrong)
    assert_refused(response, "credit_code", f"统一社会信用代码：校验码错误（应为 {good[-1]}）")
    assert not LawFirm.objects.filter(credit_code__in=[good, wrong]).exists()


def lawyer_post(admin_client, regions, number, **changes):
    firm = LawFirmFactory(province=regions["43"])
    data = {
        "name": "李表单",
        "gender": "F",
        "birth_date": "1992-06-01",
        "first_licence_year": "2019",
        "province": regions["43"].pk,
        "firm": firm.pk,
        "practice_areas": '["civil"]',
        "licence_number": number,
        "licence_valid_from": "2019-07-01",
    }
    data.update(changes)
    url = add_url(Lawyer)
    return admin_client.post(url, form_data(admin_client, url, **data))


def test_lawyer_add_form_has_the_licence_fields_and_a_read_only_licence_inline(admin_client):
    data = form_data(admin_client, add_url(Lawyer))
    assert "licence_number" in data
    assert "licence_valid_from" in data
    assert data["licences-TOTAL_FORMS"] == "0"
    assert data["licences-MAX_NUM_FORMS"] in ("0", "1000")  # no add row offered
    html = visible_text(admin_client.get(add_url(Lawyer)))
    assert 'name="licences-0-number"' not in html


def test_valid_lawyer_is_registered_with_a_current_licence(admin_client, regions):
    number = licence_number("43", 777, year=2019, gender="F")
    response = lawyer_post(admin_client, regions, number)
    assert response.status_code == 302
    lawyer = Lawyer.objects.get(current_licence_no=number)
    licence = LawyerLicence.objects.get(lawyer=lawyer)
    assert (licence.number, licence.is_current, licence.valid_from) == (
        number,
        True,
        dt.date(2019, 7, 1),
    )
    assert licence.issuing_province_id == regions["43"].pk


def test_lawyer_with_a_full_width_licence_number_is_refused(admin_client, regions):
    number = licence_number("43", 778, year=2019, gender="F").translate(FULL_WIDTH)
    assert len(number) == 17
    response = lawyer_post(admin_client, regions, number)
    assert_refused(response, "licence_number", "只能包含半角数字 0-9")
    assert not Lawyer.objects.filter(name="李表单").exists()
    assert not LawyerLicence.objects.filter(number=number).exists()
