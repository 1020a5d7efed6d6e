"""The registry of people: lawyers, their licence history, and trainees of the
千名青年律师 programme."""

from __future__ import annotations

import datetime as dt

import pghistory
from django.contrib.postgres.indexes import OpClass
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Upper
from django.utils.translation import gettext_lazy as _

from accounts.policy import PROVINCE_RECORDS, ScopedQuerySet, Scoping
from core.audit import newest_events_first
from core.fields import NarrativeField, PhoneField, PlausibleDateField, TextLineField
from core.models import TimeStampedModel
from core.search import (
    NameContains,
    PostgresOnlyGinIndex,
    PostgresOnlyIndex,
    grams_index_expression,
)
from core.validators import BIRTH_EARLIEST, FIRM_EARLIEST, PROGRAMME_EARLIEST, TODAY

from .identifiers import FIRST_YEAR, validate_licence_number


class Gender(models.TextChoices):
    MALE = "M", _("Male")
    FEMALE = "F", _("Female")


class PoliticalStatus(models.TextChoices):
    PARTY_MEMBER = "party_member", _("CPC member")
    PROBATIONARY = "probationary", _("Probationary CPC member")
    LEAGUE = "league", _("Communist Youth League member")
    DEMOCRATIC_PARTY = "democratic_party", _("Member of a democratic party")
    MASSES = "masses", _("No party affiliation")


class PracticeArea(models.TextChoices):
    CIVIL = "civil", _("Civil and commercial")
    CRIMINAL = "criminal", _("Criminal")
    ADMINISTRATIVE = "administrative", _("Administrative")
    FOREIGN = "foreign", _("Foreign-related")
    IP = "ip", _("Intellectual property")
    FINANCE = "finance", _("Finance and securities")
    LABOUR = "labour", _("Labour")
    GOVERNMENT = "government", _("Government legal adviser")


@pghistory.track(meta=newest_events_first("lawyerevent_newest_idx"))
class Lawyer(TimeStampedModel):
    """A practising lawyer, keyed by an internal id: the licence number changes when a
    lawyer is posted to another province (REFERENCE.md), so it lives in LawyerLicence."""

    name = TextLineField(_("name"), max_length=64)
    name_pinyin = models.CharField(
        _("name (pinyin)"), max_length=256, editable=False, db_index=True
    )
    name_initials = models.CharField(
        _("name (initials)"), max_length=32, editable=False, db_index=True
    )
    gender = models.CharField(_("gender"), max_length=1, choices=Gender.choices)
    birth_date = PlausibleDateField(_("birth date"), earliest=BIRTH_EARLIEST, latest=TODAY)
    political_status = models.CharField(
        _("political status"),
        max_length=32,
        choices=PoliticalStatus.choices,
        default=PoliticalStatus.MASSES,
    )
    first_licence_year = models.PositiveSmallIntegerField(
        _("year first licensed"), validators=[MinValueValidator(FIRST_YEAR)]
    )
    province = models.ForeignKey(
        "regions.Province",
        verbose_name=_("province of registration"),
        on_delete=models.PROTECT,
        related_name="lawyers",
        help_text=_("The province that issued the current licence."),
    )
    firm = models.ForeignKey(
        "firms.LawFirm",
        verbose_name=_("firm"),
        on_delete=models.PROTECT,
        related_name="lawyers",
        null=True,
        blank=True,
    )
    practice_areas = models.JSONField(_("practice areas"), default=list, blank=True)
    # protected personal data (PIPL): masked in lists and exports by default
    phone = PhoneField(_("phone"), blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    current_licence_no = models.CharField(
        _("current licence number"),
        max_length=17,
        blank=True,
        db_index=True,
        editable=False,
        help_text=_("Copy of the current licence's number, kept by the licence services."),
    )

    objects = models.Manager.from_queryset(ScopedQuerySet)()
    scoping = Scoping(province_paths=("province", "firm__province"), grants=PROVINCE_RECORDS)

    class Meta:
        verbose_name = _("lawyer")
        verbose_name_plural = _("lawyers")
        ordering = ["name_pinyin", "id"]
        permissions = [
            # PIPL: phone and e-mail are masked in lists and exports without it
            ("view_personal_data", _("Can see lawyers' personal data unmasked")),
        ]
        indexes = [
            models.Index(fields=["province", "name_initials"], name="lawyer_province_initials_idx"),
            models.Index(fields=["updated_at", "id"], name="lawyer_sync_idx"),
            # name search as the admin and the portal write it: icontains is
            # UPPER(name) LIKE '%…%', istartswith UPPER(…) LIKE '…%', iexact UPPER(…) = …;
            # each OR-ed arm needs an index on that very expression
            PostgresOnlyGinIndex(
                OpClass(Upper("name"), name="gin_trgm_ops"), name="lawyer_name_trgm_idx"
            ),
            PostgresOnlyIndex(
                OpClass(Upper("name_pinyin"), name="text_pattern_ops"),
                name="lawyer_pinyin_upper_idx",
            ),
            PostgresOnlyIndex(
                OpClass(Upper("name_initials"), name="text_pattern_ops"),
                name="lawyer_initials_upper_idx",
            ),
            PostgresOnlyIndex(Upper("current_licence_no"), name="lawyer_licence_no_upper_idx"),
            # one- and two-character terms (张, 张伟) have no trigram: characters and pairs (core.search)
            PostgresOnlyGinIndex(grams_index_expression("name"), name="lawyer_name_grams_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(first_licence_year__gte=FIRST_YEAR),
                name="lawyer_first_licence_year_range",
                violation_error_message=_(
                    "Year first licensed: must be 1979 or later."
                ),  # = FIRST_YEAR
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def age_on(self, day: dt.date) -> int:
        years = day.year - self.birth_date.year
        return years - ((day.month, day.day) < (self.birth_date.month, self.birth_date.day))

    def years_of_practice(self, today: dt.date) -> int:
        return max(0, today.year - self.first_licence_year)


@pghistory.track(meta=newest_events_first("lawyerlicenceevent_newest"))
class LawyerLicence(TimeStampedModel):
    """One licence (执业证) a lawyer held; exactly one is current."""

    lawyer = models.ForeignKey(
        Lawyer, verbose_name=_("lawyer"), on_delete=models.CASCADE, related_name="licences"
    )
    number = models.CharField(
        _("licence number"), max_length=17, unique=True, validators=[validate_licence_number]
    )
    issuing_province = models.ForeignKey(
        "regions.Province",
        verbose_name=_("issuing province"),
        on_delete=models.PROTECT,
        related_name="licences",
    )
    city_code = models.CharField(_("city code"), max_length=2, blank=True, editable=False)
    licensed_year = models.PositiveSmallIntegerField(
        _("year first licensed"), null=True, editable=False
    )
    category = models.CharField(_("category digit"), max_length=1, blank=True, editable=False)
    valid_from = PlausibleDateField(_("valid from"), earliest=FIRM_EARLIEST)
    valid_to = PlausibleDateField(_("valid to"), null=True, blank=True, earliest=FIRM_EARLIEST)
    is_current = models.BooleanField(_("current"), default=True)

    objects = models.Manager.from_queryset(ScopedQuerySet)()
    scoping = Scoping(
        province_paths=("issuing_province", "lawyer__province", "lawyer__firm__province"),
        grants=PROVINCE_RECORDS,
    )

    class Meta:
        verbose_name = _("licence")
        verbose_name_plural = _("licences")
        ordering = ["lawyer_id", "-valid_from", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["lawyer"],
                condition=Q(is_current=True),
                name="licence_one_current_per_lawyer",
                violation_error_message=_("Current: a lawyer has exactly one current licence."),
            ),
            models.CheckConstraint(
                condition=Q(number__regex=r"^([0-9]{12}|1[0-9]{16})$"),
                name="licence_number_format",
                violation_error_message=_("Licence number: must be 17 digits (or 12, legacy)."),
            ),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=models.F("valid_from")),
                name="licence_valid_range",
                violation_error_message=_("Valid to: must not be before valid from."),
            ),
        ]

    def __str__(self) -> str:
        return self.number


class TraineeStatus(models.TextChoices):
    NOMINATED = "nominated", _("Nominated")
    SELECTED = "selected", _("Selected")
    IN_TRAINING = "in_training", _("In training")
    COMPLETED = "completed", _("Completed")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class ExperienceGroup(models.TextChoices):
    """Groups by years of practice (浙江: 分执业年限组建小组)."""

    UNDER_3 = "lt3", _("Under 3 years")
    FROM_3_TO_5 = "3to5", _("3-5 years")
    FROM_5_TO_10 = "5to10", _("5-10 years")
    OVER_10 = "gt10", _("Over 10 years")

    @classmethod
    def for_years(cls, years: int) -> ExperienceGroup:
        if years < 3:
            return cls.UNDER_3
        if years < 5:
            return cls.FROM_3_TO_5
        if years < 10:
            return cls.FROM_5_TO_10
        return cls.OVER_10


TRAINEE_MAX_AGE = 40  # 千名青年律师: under 40 on the selection date


@pghistory.track()
class Trainee(TimeStampedModel):
    """A young lawyer enrolled in the 1,000-lawyer programme (千名青年律师对口培养工程)."""

    lawyer = models.OneToOneField(
        Lawyer,
        verbose_name=_("lawyer"),
        on_delete=models.PROTECT,
        related_name="trainee",
        help_text=_("A lawyer is enrolled at most once."),
    )
    cohort_year = models.PositiveSmallIntegerField(
        _("cohort year"), validators=[MinValueValidator(2023), MaxValueValidator(2100)]
    )
    home_province = models.ForeignKey(
        "regions.Province",
        verbose_name=_("home province"),
        on_delete=models.PROTECT,
        related_name="trainees",
    )
    selection_date = PlausibleDateField(_("selection date"), earliest=PROGRAMME_EARLIEST)
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=TraineeStatus.choices,
        default=TraineeStatus.NOMINATED,
        db_index=True,
    )
    experience_group = models.CharField(
        _("group by years of practice"), max_length=8, choices=ExperienceGroup.choices
    )
    practice_track = models.CharField(
        _("practice track"), max_length=32, choices=PracticeArea.choices
    )
    plan_goals = NarrativeField(_("training plan: goals"), blank=True)
    plan_activities = NarrativeField(_("training plan: planned activities"), blank=True)

    objects = models.Manager.from_queryset(ScopedQuerySet)()
    scoping = Scoping(
        province_paths=("home_province", "secondments__host_firm__province"),
        grants=PROVINCE_RECORDS,
    )

    class Meta:
        verbose_name = _("trainee")
        verbose_name_plural = _("trainees")
        ordering = ["-cohort_year", "id"]
        indexes = [
            models.Index(fields=["home_province", "cohort_year"], name="trainee_province_year_idx"),
            models.Index(fields=["updated_at", "id"], name="trainee_sync_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.lawyer}（{self.cohort_year}）"

    def eligibility_errors(self) -> dict[str, str]:
        """Why this nomination breaks the programme's rules (field → message)."""
        from django.utils.translation import gettext as _

        errors: dict[str, str] = {}
        if not self.lawyer_id or not self.selection_date:
            return errors
        lawyer = self.lawyer
        age = lawyer.age_on(self.selection_date)
        if age >= TRAINEE_MAX_AGE:
            errors["lawyer"] = _(
                "Lawyer: must be under %(max)d on the selection date (is %(age)d)."
            ) % {"max": TRAINEE_MAX_AGE, "age": age}
        elif not lawyer.current_licence_no:
            errors["lawyer"] = _("Lawyer: has no valid licence.")
        if self.home_province_id and not self.home_province.is_recipient:
            errors["home_province"] = _(
                "Home province: must be a western province or the Corps helped by the programme."
            )
        return errors

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        super().clean()
        errors = self.eligibility_errors()
        if errors:
            raise ValidationError(errors)


# name__icontains (admin, portal and API search) answered by lawyer_name_grams_idx
Lawyer._meta.get_field("name").register_lookup(NameContains)
