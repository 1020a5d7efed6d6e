"""Law firms and bar associations."""

from __future__ import annotations

import pghistory
from django.contrib.postgres.indexes import OpClass
from django.db import models
from django.db.models import Q
from django.db.models.functions import Upper
from django.utils.translation import gettext_lazy as _

from accounts.policy import ALL, OWN, PROVINCE_RECORDS, Action, Role, ScopedQuerySet, Scoping
from core.audit import newest_events_first
from core.fields import PhoneField, PlausibleDateField, TextLineField
from core.models import TimeStampedModel
from core.search import (
    NameContains,
    PostgresOnlyGinIndex,
    PostgresOnlyIndex,
    grams_index_expression,
)
from core.validators import FIRM_EARLIEST, TODAY

from .identifiers import validate_law_firm_credit_code


class OrganisationForm(models.TextChoices):
    PARTNERSHIP = "partnership", _("General partnership")
    SPECIAL_PARTNERSHIP = "special_partnership", _("Special general partnership")
    SOLE = "sole", _("Sole-practitioner firm")
    STATE = "state", _("State-funded firm")


class PartyOrganisation(models.TextChoices):
    NONE = "none", _("None")
    BRANCH = "branch", _("Party branch")
    JOINT_BRANCH = "joint_branch", _("Joint party branch")
    GENERAL_BRANCH = "general_branch", _("General party branch")
    COMMITTEE = "committee", _("Party committee")


@pghistory.track(meta=newest_events_first("lawfirmevent_newest_idx"))
class LawFirm(TimeStampedModel):
    """A law firm (律师事务所), identified by its unified social credit code."""

    name = TextLineField(_("name"), max_length=128)
    # searched by prefix only (startswith): one varchar_pattern_ops index each (Meta), not
    # db_index's pair of a plain and a pattern index — every index costs each import
    name_pinyin = models.CharField(_("name (pinyin)"), max_length=512, editable=False)
    name_initials = models.CharField(_("name (initials)"), max_length=128, editable=False)
    credit_code = models.CharField(
        _("unified social credit code"),
        max_length=18,
        unique=True,
        validators=[validate_law_firm_credit_code],
        help_text=_("18 characters, GB 32100-2015; a law firm's code starts with 31."),
    )
    legacy_licence_no = TextLineField(
        _("legacy practice licence number"), max_length=32, blank=True, require_letter=False
    )
    province = models.ForeignKey(
        "regions.Province",
        verbose_name=_("province"),
        on_delete=models.PROTECT,
        related_name="firms",
        db_index=False,  # lawfirm_province_name_idx (province, name) leads with it
    )
    county = models.ForeignKey(
        "regions.County",
        verbose_name=_("county"),
        on_delete=models.PROTECT,
        related_name="firms",
        null=True,
        blank=True,
    )
    organisation_form = models.CharField(
        _("organisation form"),
        max_length=32,
        choices=OrganisationForm.choices,
        default=OrganisationForm.PARTNERSHIP,
    )
    founded_on = PlausibleDateField(
        _("founded"), null=True, blank=True, earliest=FIRM_EARLIEST, latest=TODAY
    )
    declared_lawyers = models.PositiveIntegerField(_("declared lawyers"), default=0)
    declared_as_of = PlausibleDateField(
        _("headcount as of"), null=True, blank=True, earliest=FIRM_EARLIEST, latest=TODAY
    )
    is_large_scale = models.BooleanField(_("large-scale firm (规模所)"), default=False)
    is_boutique = models.BooleanField(_("boutique firm (精品所)"), default=False)
    is_model = models.BooleanField(_("model firm (示范所)"), default=False)
    is_leading = models.BooleanField(_("leading firm (龙头所)"), default=False)
    party_organisation = models.CharField(
        _("party organisation"),
        max_length=32,
        choices=PartyOrganisation.choices,
        default=PartyOrganisation.NONE,
    )
    address = TextLineField(_("address"), max_length=256, blank=True)
    phone = PhoneField(_("phone"), blank=True)
    email = models.EmailField(_("e-mail"), blank=True)

    objects = models.Manager.from_queryset(ScopedQuerySet)()
    scoping = Scoping(province_paths=("province",), grants=PROVINCE_RECORDS)

    class Meta:
        verbose_name = _("law firm")
        verbose_name_plural = _("law firms")
        ordering = ["province__code", "name", "id"]
        indexes = [
            models.Index(fields=["province", "name"], name="lawfirm_province_name_idx"),
            models.Index(fields=["updated_at", "id"], name="lawfirm_sync_idx"),
            models.Index(
                fields=["name_pinyin"], name="lawfirm_pinyin_idx", opclasses=["varchar_pattern_ops"]
            ),
            models.Index(
                fields=["name_initials"],
                name="lawfirm_initials_idx",
                opclasses=["varchar_pattern_ops"],
            ),
            # the admin's and portal's search expressions (see lawyers.Lawyer.Meta)
            PostgresOnlyGinIndex(
                OpClass(Upper("name"), name="gin_trgm_ops"), name="lawfirm_name_trgm_idx"
            ),
            PostgresOnlyIndex(
                OpClass(Upper("name_pinyin"), name="text_pattern_ops"),
                name="lawfirm_pinyin_upper_idx",
            ),
            PostgresOnlyIndex(
                OpClass(Upper("name_initials"), name="text_pattern_ops"),
                name="lawfirm_initials_upper_idx",
            ),
            PostgresOnlyIndex(Upper("credit_code"), name="lawfirm_credit_code_upper_idx"),
            PostgresOnlyGinIndex(grams_index_expression("name"), name="lawfirm_name_grams_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(credit_code__regex=r"^31[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}$"),
                name="lawfirm_credit_code_format",
                violation_error_message=_("Unified social credit code: wrong format."),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def designations(self) -> list[str]:
        labels = []
        for field in ("is_large_scale", "is_boutique", "is_model", "is_leading"):
            if getattr(self, field):
                labels.append(str(self._meta.get_field(field).verbose_name))
        return labels


@pghistory.track()
class BarAssociation(TimeStampedModel):
    """A provincial bar association (律师协会); the Corps has its own."""

    name = TextLineField(_("name"), max_length=128, unique=True)
    province = models.OneToOneField(
        "regions.Province",
        verbose_name=_("province"),
        on_delete=models.PROTECT,
        related_name="bar_association",
    )
    organisation = models.OneToOneField(
        "accounts.Organisation",
        verbose_name=_("platform organisation"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="bar_association",
        help_text=_("The organisation whose users act for this association on the platform."),
    )
    address = TextLineField(_("address"), max_length=256, blank=True)
    phone = PhoneField(_("phone"), blank=True)
    email = models.EmailField(_("e-mail"), blank=True)

    objects = models.Manager.from_queryset(ScopedQuerySet)()
    scoping = Scoping(
        province_paths=("province",),
        grants={
            Role.MINISTRY: dict.fromkeys(Action, ALL),
            Role.JUSTICE_DEPARTMENT: {Action.VIEW: ALL, Action.CHANGE: OWN},
            Role.BAR_ASSOCIATION: {Action.VIEW: ALL, Action.CHANGE: OWN},
            Role.PARTNER: {Action.VIEW: ALL},
        },
    )

    class Meta:
        verbose_name = _("bar association")
        verbose_name_plural = _("bar associations")
        ordering = ["province__code"]

    def __str__(self) -> str:
        return self.name


# name__icontains (admin, portal and API search) answered by lawfirm_name_grams_idx
LawFirm._meta.get_field("name").register_lookup(NameContains)
