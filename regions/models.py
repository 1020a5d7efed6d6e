"""Provinces and county-level divisions (GB/T 2260 reference data)."""

from __future__ import annotations

import pghistory
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.policy import ALL, OWN, REFERENCE_DATA, Action, Role, ScopedQuerySet, Scoping
from core.fields import TextLineField
from core.models import TimeStampedModel

province_code_validator = RegexValidator(
    r"^[0-9]{2}\Z", _("A province code is two ASCII digits (GB/T 2260), e.g. 54.")
)
county_code_validator = RegexValidator(
    r"^[0-9]{6}\Z", _("A division code is six ASCII digits (GB/T 2260), e.g. 540102.")
)


class Region(models.TextChoices):
    """NBS (2011) four-way classification, stored explicitly per province."""

    EAST = "east", _("East")
    CENTRAL = "central", _("Central")
    WEST = "west", _("West")
    NORTHEAST = "northeast", _("Northeast")


class Province(TimeStampedModel):
    """A provincial-level unit: 31 provinces plus the Xinjiang Production and Construction
    Corps (兵团, code 66 by convention, not in GB/T 2260)."""

    code = models.CharField(
        _("code"), max_length=2, unique=True, validators=[province_code_validator]
    )
    name = TextLineField(_("name"), max_length=32, unique=True)
    short_name = TextLineField(_("short name"), max_length=8)
    name_en = TextLineField(_("English name"), max_length=64)
    region = models.CharField(_("region"), max_length=16, choices=Region.choices, db_index=True)
    is_recipient = models.BooleanField(
        _("western recipient"),
        default=False,
        help_text=_("One of the 12 western provinces or the Corps helped by the programme."),
    )
    is_corps = models.BooleanField(_("Xinjiang Production and Construction Corps"), default=False)
    in_gb2260 = models.BooleanField(_("has a GB/T 2260 code"), default=True)

    objects = models.Manager.from_queryset(ScopedQuerySet)()
    scoping = Scoping(province_paths=("",), grants=REFERENCE_DATA)

    class Meta:
        verbose_name = _("province")
        verbose_name_plural = _("provinces")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class LawyerStatus(models.TextChoices):
    """Whether a county has lawyers. A county served only by volunteer lawyers is still,
    legally, a no-lawyer county (REFERENCE.md), so volunteer coverage is kept apart."""

    NO_LAWYER = "no_lawyer", _("No lawyer")
    BRANCH = "branch", _("Served by a branch office")
    LOCAL = "local", _("Has local lawyers")


@pghistory.track()
class County(TimeStampedModel):
    """A county-level division. Codes get reused and retired: a retired code is
    deactivated (`valid_to`), never deleted, since firms and branches reference it."""

    code = models.CharField(
        _("division code"), max_length=6, unique=True, validators=[county_code_validator]
    )
    name = TextLineField(_("name"), max_length=64, db_index=True)
    kind = TextLineField(_("type"), max_length=16, blank=True)
    prefecture_code = models.CharField(_("prefecture code"), max_length=6, blank=True)
    prefecture_name = TextLineField(_("prefecture"), max_length=64, blank=True)
    province = models.ForeignKey(
        Province, verbose_name=_("province"), on_delete=models.PROTECT, related_name="counties"
    )
    is_corps = models.BooleanField(
        _("Corps unit"),
        default=False,
        help_text=_("A county-level city of the Xinjiang Production and Construction Corps."),
    )
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_to = models.DateField(
        _("valid to"), null=True, blank=True, help_text=_("Empty while the code is in use.")
    )
    lawyer_status = models.CharField(
        _("lawyer status"),
        max_length=16,
        choices=LawyerStatus.choices,
        default=LawyerStatus.LOCAL,
        db_index=True,
    )
    lawyer_status_since = models.DateField(_("status since"), null=True, blank=True)
    was_no_lawyer = models.BooleanField(
        _("was a no-lawyer county"),
        default=False,
        db_index=True,
        help_text=_("Set once a county has been recorded without a lawyer; never cleared."),
    )
    volunteer_coverage = models.BooleanField(_("served by volunteer lawyers"), default=False)

    objects = models.Manager.from_queryset(ScopedQuerySet)()
    scoping = Scoping(
        province_paths=("province",),
        grants={
            **REFERENCE_DATA,
            # the provincial department keeps its counties' lawyer status up to date
            Role.JUSTICE_DEPARTMENT: {Action.VIEW: ALL, Action.CHANGE: OWN},
        },
    )

    class Meta:
        verbose_name = _("county")
        verbose_name_plural = _("counties")
        ordering = ["code"]
        indexes = [
            models.Index(fields=["province", "code"], name="county_province_code_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True)
                | Q(valid_from__isnull=True)
                | Q(valid_to__gte=models.F("valid_from")),
                name="county_valid_range",
                violation_error_message=_("Valid to: must not be before valid from."),
            ),
            models.CheckConstraint(
                condition=~Q(lawyer_status=LawyerStatus.NO_LAWYER) | Q(was_no_lawyer=True),
                name="county_no_lawyer_is_remembered",
                violation_error_message=_(
                    "Was a no-lawyer county: must be set while the county has no lawyer."
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"

    @property
    def is_active(self) -> bool:
        return self.valid_to is None

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        super().clean()
        if self.lawyer_status == LawyerStatus.NO_LAWYER:
            self.was_no_lawyer = True
        if self.province_id and self.code:
            province = Province.objects.filter(pk=self.province_id).only("code").first()
            if province and not self.code.startswith(province.code):
                raise ValidationError(
                    {
                        "code": _("Division code: must start with the province code %(code)s.")
                        % {"code": province.code}
                    }
                )


class DayKind(models.TextChoices):
    HOLIDAY = "holiday", _("Public holiday (no work)")
    WORKDAY = "workday", _("Adjusted working day (调休上班)")


@pghistory.track()
class CalendarDay(TimeStampedModel):
    """An exception to the Monday–Friday week: a public holiday (法定节假日) or a weekend day
    worked in lieu (调休). Seeded from `chinese-calendar` for 2004–2026; the State Council
    publishes each next year in November, and ministry staff add it here."""

    date = models.DateField(_("date"), unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=DayKind.choices)
    name = TextLineField(_("holiday"), max_length=64)
    source = TextLineField(_("source"), max_length=128, blank=True)

    objects = models.Manager.from_queryset(ScopedQuerySet)()
    # national reference data: every role reads it, the ministry edits it
    scoping = Scoping(province_paths=(), grants=REFERENCE_DATA)

    class Meta:
        verbose_name = _("calendar day")
        verbose_name_plural = _("holiday calendar")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {self.name}（{self.get_kind_display()}）"
