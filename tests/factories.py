"""factory_boy factories for the domain models, with valid identifiers.

Provinces and counties come from the reference data (the `regions` fixture must be
active); defaults: helper province 北京 (11), recipient province 西藏 (54).
"""

from __future__ import annotations

import datetime as dt

import factory
from factory.django import DjangoModelFactory

from branches.models import BranchOffice, Posting, PostingKind
from core.pinyin import name_initials, name_pinyin
from firms.identifiers import credit_code_check_character
from firms.models import LawFirm
from lawyers.models import ExperienceGroup, Gender, Lawyer, LawyerLicence, PracticeArea, Trainee
from pairing.models import (
    AgreementLevel,
    FirmPairing,
    PairingAgreement,
    PairingMode,
    Quota,
    Secondment,
)
from regions.models import County, Province

HELPER, RECIPIENT = "11", "54"


def province(code: str) -> Province:
    return Province.objects.get(code=code)


def credit_code(division: str, seq: int) -> str:
    """A valid law-firm code: 31 + six-digit division code + 9-char organisation code."""
    first17 = f"31{division}E{seq:08d}"
    return first17 + credit_code_check_character(first17)


def licence_number(province_code: str, seq: int, *, year: int = 2020, gender: str = "M") -> str:
    return f"1{province_code}01{year}1{'1' if gender == 'F' else '0'}{seq:06d}"


class LawFirmFactory(DjangoModelFactory):
    class Meta:
        model = LawFirm

    name = factory.Sequence(lambda n: f"测试律师事务所{n}")
    province = factory.LazyFunction(lambda: province(HELPER))
    credit_code = factory.LazyAttributeSequence(
        lambda o, n: credit_code(f"{o.province.code}0000", n + 1)
    )
    name_pinyin = factory.LazyAttribute(lambda o: name_pinyin(o.name))
    name_initials = factory.LazyAttribute(lambda o: name_initials(o.name))


class LawyerFactory(DjangoModelFactory):
    """A lawyer with a current licence issued by the lawyer's province."""

    class Meta:
        model = Lawyer
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"张{n}")
    gender = Gender.MALE
    birth_date = dt.date(1995, 1, 1)
    first_licence_year = 2020
    province = factory.LazyAttribute(lambda o: o.firm.province if o.firm else province(HELPER))
    firm = None
    current_licence_no = factory.LazyAttributeSequence(
        lambda o, n: licence_number(
            o.province.code, n + 1, year=o.first_licence_year, gender=o.gender
        )
    )

    @factory.post_generation
    def licence(obj, create, extracted, **kwargs):
        if not create or extracted is False:
            return
        LawyerLicence.objects.create(
            lawyer=obj,
            number=obj.current_licence_no,
            issuing_province=obj.province,
            valid_from=dt.date(obj.first_licence_year, 7, 1),
            is_current=True,
        )


class TraineeFactory(DjangoModelFactory):
    class Meta:
        model = Trainee

    home_province = factory.LazyFunction(lambda: province(RECIPIENT))
    lawyer = factory.SubFactory(
        LawyerFactory,
        province=factory.SelfAttribute("..home_province"),
        firm=factory.SubFactory(LawFirmFactory, province=factory.SelfAttribute("...home_province")),
    )
    cohort_year = 2026
    selection_date = dt.date(2026, 3, 1)
    experience_group = ExperienceGroup.UNDER_3
    practice_track = PracticeArea.CIVIL


class PairingAgreementFactory(DjangoModelFactory):
    class Meta:
        model = PairingAgreement
        django_get_or_create = ("helper_province", "recipient_province", "level")

    helper_province = factory.LazyFunction(lambda: province(HELPER))
    recipient_province = factory.LazyFunction(lambda: province(RECIPIENT))
    level = AgreementLevel.JUSTICE_DEPARTMENT


class QuotaFactory(DjangoModelFactory):
    """Pass host/source provinces as lists: QuotaFactory(hosts=[...], sources=[...])."""

    class Meta:
        model = Quota
        skip_postgeneration_save = True

    year = 2026
    name = factory.Sequence(lambda n: f"跟班学习名额{n}")
    seats = 5

    @factory.post_generation
    def hosts(obj, create, extracted, **kwargs):
        if create:
            obj.host_provinces.set(extracted or [province(HELPER)])

    @factory.post_generation
    def sources(obj, create, extracted, **kwargs):
        if create:
            obj.source_provinces.set(extracted or [province(RECIPIENT)])


class SecondmentFactory(DjangoModelFactory):
    """A valid two-month-less-a-day secondment (build() it to go through the service)."""

    class Meta:
        model = Secondment

    trainee = factory.SubFactory(TraineeFactory)
    host_firm = factory.SubFactory(LawFirmFactory)
    mentor = factory.SubFactory(
        LawyerFactory,
        firm=factory.SelfAttribute("..host_firm"),
        birth_date=dt.date(1975, 5, 5),
        first_licence_year=2000,
    )
    quota = factory.SubFactory(QuotaFactory)
    start_date = dt.date(2026, 4, 1)
    end_date = factory.LazyAttribute(lambda o: o.start_date + dt.timedelta(days=45))


class FirmPairingFactory(DjangoModelFactory):
    class Meta:
        model = FirmPairing

    agreement = factory.SubFactory(PairingAgreementFactory)
    helper_firm = factory.SubFactory(
        LawFirmFactory, province=factory.SelfAttribute("..agreement.helper_province")
    )
    recipient_firm = factory.SubFactory(
        LawFirmFactory, province=factory.SelfAttribute("..agreement.recipient_province")
    )
    mode = PairingMode.STRONG_LIFTS_WEAK
    term_start = dt.date(2026, 1, 1)


def _county_in(code: str) -> County:
    return County.objects.filter(province__code=code).order_by("code").first()


class BranchOfficeFactory(DjangoModelFactory):
    """A branch in a 西藏 county of a 北京 parent firm, with its own 3154… code."""

    class Meta:
        model = BranchOffice

    name = factory.Sequence(lambda n: f"分所{n}")
    parent_firm = factory.SubFactory(LawFirmFactory)
    county = factory.LazyFunction(lambda: _county_in(RECIPIENT))
    credit_code = factory.LazyAttributeSequence(lambda o, n: credit_code(o.county.code, 5000 + n))
    established_on = dt.date(2023, 1, 1)
    minimum_staff = 1


class PostingFactory(DjangoModelFactory):
    """An open-ended posting with its dispatch checklist complete."""

    class Meta:
        model = Posting

    lawyer = factory.SubFactory(LawyerFactory)
    branch = factory.SubFactory(BranchOfficeFactory)
    kind = PostingKind.ROTATION
    start_date = dt.date(2026, 1, 1)
    end_date = None
    agreement_signed = True
    medical_passed = True
    licence_transferred = True
