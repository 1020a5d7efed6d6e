"""Branch offices (分所) in counties that had no lawyer, the lawyers posted there, what they
do, the contracts that keep them alive and the care visits to posted lawyers."""

from __future__ import annotations

import pghistory
from django.contrib.postgres.fields import RangeOperators
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from accounts.policy import PROVINCE_RECORDS, ScopedQuerySet, Scoping
from core.audit import newest_events_first
from core.constraints import PostgresExclusionConstraint
from core.fields import NarrativeField, PlausibleDateField, TextLineField
from core.models import TimeStampedModel
from core.validators import BRANCH_WORK_EARLIEST, FIRM_EARLIEST
from firms.identifiers import CreditCodeValidator
from pairing.models import DateRange

BRANCH_PATHS = ("county__province", "parent_firm__province")


class BranchStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    SUSPENDED = "suspended", _("Suspended")
    CLOSED = "closed", _("Closed")


@pghistory.track()
class BranchOffice(TimeStampedModel):
    """A branch (分所) of a parent firm (总所) in a county."""

    name = TextLineField(_("name"), max_length=128)
    parent_firm = models.ForeignKey(
        "firms.LawFirm",
        verbose_name=_("parent firm"),
        on_delete=models.PROTECT,
        related_name="branches",
    )
    county = models.ForeignKey(
        "regions.County",
        verbose_name=_("county"),
        on_delete=models.PROTECT,
        related_name="branches",
    )
    credit_code = models.CharField(
        _("unified social credit code"),
        max_length=18,
        unique=True,
        validators=[CreditCodeValidator(law_firm=True)],
        help_text=_("A branch has its own code, registered where it stands (e.g. 3154… in Tibet)."),
    )
    licence_no = TextLineField(
        _("practice licence number"), max_length=32, blank=True, require_letter=False
    )
    established_on = PlausibleDateField(_("established"), earliest=FIRM_EARLIEST)
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=BranchStatus.choices,
        default=BranchStatus.ACTIVE,
        db_index=True,
    )
    minimum_staff = models.PositiveSmallIntegerField(
        _("minimum staff"),
        default=1,
        validators=[MinValueValidator(1)],
        help_text=_(
            "Posted lawyers the branch needs every day. The general rule (律师事务所管理办法 "
            "Art. 31) is 3; the 2022 no-lawyer-county branches ran with about 1.6."
        ),
    )

    objects = models.Manager.from_queryset(ScopedQuerySet)()
    scoping = Scoping(province_paths=BRANCH_PATHS, grants=PROVINCE_RECORDS)

    class Meta:
        verbose_name = _("branch office")
        verbose_name_plural = _("branch offices")
        ordering = ["county__code", "id"]
        indexes = [models.Index(fields=["updated_at", "id"], name="branch_sync_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(minimum_staff__gte=1),
                name="branch_minimum_staff_positive",
                violation_error_message=_("Minimum staff: at least 1."),
            ),
        ]

    def __str__(self) -> str:
        return self.name


class PostingKind(models.TextChoices):
    ROTATION = "rotation", _("Rotation (轮流派驻)")
    REASSIGNMENT = "reassignment", _("Reassignment (调剂)")
    RESIDENT = "resident", _("Resident (常驻)")


@pghistory.track()
class Posting(TimeStampedModel):
    """A lawyer posted to a branch. It counts toward staffing only once its dispatch
    checklist is complete (agreement signed, medical check passed, licence transferred)."""

    lawyer = models.ForeignKey(
        "lawyers.Lawyer",
        verbose_name=_("lawyer"),
        on_delete=models.PROTECT,
        related_name="postings",
    )
    branch = models.ForeignKey(
        BranchOffice,
        verbose_name=_("branch office"),
        on_delete=models.PROTECT,
        related_name="postings",
    )
    kind = models.CharField(_("kind"), max_length=16, choices=PostingKind.choices)
    start_date = PlausibleDateField(_("start date"), earliest=BRANCH_WORK_EARLIEST)
    end_date = PlausibleDateField(
        _("end date"),
        null=True,
        blank=True,
        help_text=_("Last day, inclusive."),
        earliest=BRANCH_WORK_EARLIEST,
    )
    agreement_signed = models.BooleanField(_("posting agreement signed (派驻协议)"), default=False)
    medical_passed = models.BooleanField(_("medical check passed"), default=False)
    licence_transferred = models.BooleanField(
        _("licence transferred to the host region"), default=False
    )
    checklist_complete = models.GeneratedField(
        expression=Q(agreement_signed=True) & Q(medical_passed=True) & Q(licence_transferred=True),
        output_field=models.BooleanField(),
        db_persist=True,
        verbose_name=_("dispatch checklist complete"),
    )
    end_reason = TextLineField(_("reason for ending"), max_length=256, blank=True)
    gap_confirmed = models.BooleanField(
        _("ending confirmed despite a staffing gap"), default=False, editable=False
    )

    objects = models.Manager.from_queryset(ScopedQuerySet)()
    scoping = Scoping(
        province_paths=(*(f"branch__{p}" for p in BRANCH_PATHS), "lawyer__province"),
        grants=PROVINCE_RECORDS,
    )

    class Meta:
        verbose_name = _("posting")
        verbose_name_plural = _("postings")
        ordering = ["branch_id", "-start_date", "id"]
        indexes = [
            models.Index(
                fields=["branch", "start_date", "end_date"], name="posting_branch_dates_idx"
            ),
            models.Index(fields=["end_date"], name="posting_end_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=F("start_date")),
                name="posting_date_range",
                violation_error_message=_("End date: must not be before the start date."),
            ),
            # a lawyer is never posted to two branches at once
            PostgresExclusionConstraint(
                name="posting_no_overlap_per_lawyer",
                expressions=[
                    ("lawyer", RangeOperators.EQUAL),
                    (
                        # a NULL end is an unbounded range ([start,)); COALESCE(NULL,
                        # 'infinity') would be text when Django validates the constraint
                        DateRange("start_date", "end_date", models.Value("[]")),
                        RangeOperators.OVERLAPS,
                    ),
                ],
                violation_error_message=_("Dates: this lawyer is already posted elsewhere then."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.lawyer} → {self.branch}"

    def clean(self) -> None:
        """A lawyer is never posted to two branches at once (the exclusion constraint holds
        it in PostgreSQL; this gives the friendly message, and the rule on SQLite)."""
        super().clean()
        if not self.lawyer_id or not self.start_date:
            return
        if self.end_date and self.end_date < self.start_date:
            return  # the check constraint reports it
        overlapping = Posting.objects.filter(lawyer_id=self.lawyer_id).filter(
            Q(end_date__isnull=True) | Q(end_date__gte=self.start_date)
        )
        if self.end_date:
            overlapping = overlapping.filter(start_date__lte=self.end_date)
        if self.pk:
            overlapping = overlapping.exclude(pk=self.pk)
        if overlapping.exists():
            raise ValidationError(
                {"start_date": _("Dates: this lawyer is already posted elsewhere then.")}
            )


class ServiceKind(models.TextChoices):
    LEGAL_AID = "legal_aid", _("Legal-aid case")
    VILLAGE_ADVISER = "village_adviser", _("Village (community) legal adviser duty")
    PLATFORM_DUTY = "platform_duty", _("Public legal service platform duty")
    GOVERNMENT_ADVISER = "government_adviser", _("Government legal adviser work")
    PAID_SERVICE = "paid_service", _("Paid legal service")


@pghistory.track(meta=newest_events_first("servicerecordevent_newest"))
class ServiceRecord(TimeStampedModel):
    """Work a branch did on a day (millions over the years: indexed by branch and date)."""

    branch = models.ForeignKey(
        BranchOffice,
        verbose_name=_("branch office"),
        on_delete=models.PROTECT,
        related_name="service_records",
    )
    lawyer = models.ForeignKey(
        "lawyers.Lawyer",
        verbose_name=_("lawyer"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="service_records",
    )
    kind = models.CharField(_("kind"), max_length=32, choices=ServiceKind.choices)
    served_on = PlausibleDateField(_("date"), earliest=BRANCH_WORK_EARLIEST)
    quantity = models.PositiveIntegerField(
        _("quantity"), default=1, validators=[MinValueValidator(1)]
    )
    note = TextLineField(_("note"), max_length=256, blank=True)

    objects = models.Manager.from_queryset(ScopedQuerySet)()
    scoping = Scoping(
        province_paths=tuple(f"branch__{p}" for p in BRANCH_PATHS), grants=PROVINCE_RECORDS
    )

    class Meta:
        verbose_name = _("service record")
        verbose_name_plural = _("service records")
        ordering = ["-served_on", "id"]
        indexes = [
            models.Index(fields=["branch", "served_on"], name="service_branch_date_idx"),
            models.Index(fields=["updated_at", "id"], name="service_sync_idx"),
            # the lists' order: a page of the newest walks it (2M rows: 2.4 s sorted, 0.09 s)
            models.Index(fields=["-served_on", "id"], name="service_newest_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity__gte=1),
                name="service_quantity_positive",
                violation_error_message=_("Quantity: at least 1."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.served_on}"


class ContractKind(models.TextChoices):
    PROCURED_SERVICE = "procured_service", _("Government-procured legal service")
    ADVISER = "adviser", _("Legal adviser contract")


@pghistory.track()
class SupportContract(TimeStampedModel):
    """A contract that funds a branch (政府购买法律服务 / 法律顾问合同)."""

    branch = models.ForeignKey(
        BranchOffice,
        verbose_name=_("branch office"),
        on_delete=models.PROTECT,
        related_name="contracts",
    )
    kind = models.CharField(_("kind"), max_length=32, choices=ContractKind.choices)
    counterparty = TextLineField(_("counterparty"), max_length=128)
    amount = models.DecimalField(_("amount (yuan)"), max_digits=14, decimal_places=2)
    start_date = PlausibleDateField(_("start date"), earliest=BRANCH_WORK_EARLIEST)
    end_date = PlausibleDateField(_("end date"), earliest=BRANCH_WORK_EARLIEST)
    funding_source = TextLineField(_("funding source"), max_length=128, blank=True)

    objects = models.Manager.from_queryset(ScopedQuerySet)()
    scoping = Scoping(
        province_paths=tuple(f"branch__{p}" for p in BRANCH_PATHS), grants=PROVINCE_RECORDS
    )

    class Meta:
        verbose_name = _("support contract")
        verbose_name_plural = _("support contracts")
        ordering = ["-start_date", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gte=0),
                name="contract_amount_not_negative",
                violation_error_message=_("Amount: must not be negative."),
            ),
            models.CheckConstraint(
                condition=Q(end_date__gte=F("start_date")),
                name="contract_date_range",
                violation_error_message=_("End date: must not be before the start date."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.counterparty}（{self.amount} 元）"


@pghistory.track()
class CareVisit(TimeStampedModel):
    """走访慰问: a visit to the lawyers posted at a branch."""

    branch = models.ForeignKey(
        BranchOffice,
        verbose_name=_("branch office"),
        on_delete=models.PROTECT,
        related_name="care_visits",
    )
    visited_on = PlausibleDateField(_("date"), earliest=BRANCH_WORK_EARLIEST)
    visitor_organisation = TextLineField(_("visiting organisation"), max_length=128)
    visitors = TextLineField(_("visitors"), max_length=256, blank=True)
    notes = NarrativeField(_("notes"), blank=True)

    objects = models.Manager.from_queryset(ScopedQuerySet)()
    scoping = Scoping(
        province_paths=tuple(f"branch__{p}" for p in BRANCH_PATHS), grants=PROVINCE_RECORDS
    )

    class Meta:
        verbose_name = _("care visit")
        verbose_name_plural = _("care visits")
        ordering = ["-visited_on", "id"]

    def __str__(self) -> str:
        return f"{self.visitor_organisation} {self.visited_on}"
