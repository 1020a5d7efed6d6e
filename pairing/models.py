"""The programme: province agreements, quotas, secondments (跟班学习), 1对1 firm pairings,
goals, progress reports, targets and official statistics."""

from __future__ import annotations

import datetime as dt

import pghistory
from dateutil.relativedelta import relativedelta
from django.contrib.postgres.fields import DateRangeField, RangeBoundary, RangeOperators
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Func, Q
from django.utils.translation import gettext_lazy as _

from accounts.policy import (
    MINISTRY_AND_DEPARTMENTS,
    PROVINCE_RECORDS,
    REFERENCE_DATA,
    ScopedQuerySet,
    Scoping,
)
from core.constraints import PostgresExclusionConstraint, register_database_rule
from core.fields import (
    DatabaseCheckConstraint,
    NarrativeField,
    PlausibleDateField,
    TextLineField,
)
from core.models import TimeStampedModel
from core.validators import FIRM_EARLIEST, PROGRAMME_EARLIEST, TODAY


class DateRange(Func):
    """daterange(start, end, '[]') — inclusive on both ends, for exclusion constraints."""

    function = "daterange"
    output_field = DateRangeField()


class AgreementLevel(models.TextChoices):
    JUSTICE_DEPARTMENT = "justice_department", _("Justice departments")
    BAR_ASSOCIATION = "bar_association", _("Bar associations")


@pghistory.track()
class PairingAgreement(TimeStampedModel):
    """A helper province ⇄ recipient province agreement (对口帮扶协议). A province may help
    in one agreement and be helped in another (四川 helps 西藏 and is western itself)."""

    helper_province = models.ForeignKey(
        "regions.Province",
        verbose_name=_("helper province"),
        on_delete=models.PROTECT,
        related_name="agreements_as_helper",
    )
    recipient_province = models.ForeignKey(
        "regions.Province",
        verbose_name=_("recipient province"),
        on_delete=models.PROTECT,
        related_name="agreements_as_recipient",
    )
    level = models.CharField(_("level"), max_length=32, choices=AgreementLevel.choices)
    designated = models.BooleanField(
        _("designated pairing (对口)"),
        default=True,
        help_text=_("Unticked for voluntary help to a non-designated western province (非对口)."),
    )
    signed_on = PlausibleDateField(
        _("signed on"), null=True, blank=True, earliest=PROGRAMME_EARLIEST
    )
    term_start = PlausibleDateField(
        _("term start"), null=True, blank=True, earliest=PROGRAMME_EARLIEST
    )
    term_end = PlausibleDateField(_("term end"), null=True, blank=True, earliest=PROGRAMME_EARLIEST)
    document = models.FileField(_("document"), upload_to="agreements/%Y/", blank=True)
    source_note = TextLineField(
        _("source note"),
        max_length=256,
        blank=True,
        help_text=_("Where this fact comes from; say 'assumed' when it is not from the record."),
    )
    is_assumed = models.BooleanField(_("assumed (not from the public record)"), default=False)

    objects = models.Manager.from_queryset(ScopedQuerySet)()
    scoping = Scoping(
        province_paths=("helper_province", "recipient_province"), grants=MINISTRY_AND_DEPARTMENTS
    )

    class Meta:
        verbose_name = _("pairing agreement")
        verbose_name_plural = _("pairing agreements")
        ordering = ["recipient_province__code", "helper_province__code", "level"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(helper_province=F("recipient_province")),
                name="agreement_not_with_itself",
                violation_error_message=_("Recipient province: a province cannot help itself."),
            ),
            models.UniqueConstraint(
                fields=["helper_province", "recipient_province", "level"],
                name="agreement_unique_per_level",
                violation_error_message=_("This agreement already exists at this level."),
            ),
            models.CheckConstraint(
                condition=Q(term_end__isnull=True)
                | Q(term_start__isnull=True)
                | Q(term_end__gte=F("term_start")),
                name="agreement_term_range",
                violation_error_message=_("Term end: must not be before term start."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.helper_province.short_name} → {self.recipient_province.short_name}（{self.get_level_display()}）"


@pghistory.track()
class Quota(TimeStampedModel):
    """Seats for secondments in a year: host provinces receive lawyers of source provinces.
    One model for 4→1 (京沪粤川→藏), 1→2 (湘←渝滇) and 1→3 (豫←蒙新兵团) intakes."""

    year = models.PositiveSmallIntegerField(
        _("year"), validators=[MinValueValidator(2023), MaxValueValidator(2100)]
    )
    name = TextLineField(_("name"), max_length=128)
    host_provinces = models.ManyToManyField(
        "regions.Province", verbose_name=_("host provinces"), related_name="quotas_hosted"
    )
    source_provinces = models.ManyToManyField(
        "regions.Province", verbose_name=_("source provinces"), related_name="quotas_sent"
    )
    seats = models.PositiveIntegerField(_("seats"), validators=[MinValueValidator(1)])
    note = TextLineField(_("note"), max_length=256, blank=True)

    objects = models.Manager.from_queryset(ScopedQuerySet)()
    scoping = Scoping(
        province_paths=("host_provinces", "source_provinces"), grants=MINISTRY_AND_DEPARTMENTS
    )

    class Meta:
        verbose_name = _("quota")
        verbose_name_plural = _("quotas")
        ordering = ["-year", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(seats__gte=1),
                name="quota_seats_positive",
                violation_error_message=_("Seats: must be at least 1."),
            ),
            models.UniqueConstraint(fields=["year", "name"], name="quota_unique_name_per_year"),
            models.CheckConstraint(
                condition=Q(year__gte=2023) & Q(year__lte=2100),
                name="quota_year_range",
                violation_error_message=_("Year: must lie between 2023 and 2100."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.name}（{self.seats}）"

    def seats_taken(self) -> int:
        """Seats held by secondments that are not cancelled."""
        return self.secondments.exclude(status=SecondmentStatus.CANCELLED).count()


class SecondmentStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    ACTIVE = "active", _("Active")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")


class EvaluationGrade(models.TextChoices):
    EXCELLENT = "excellent", _("Excellent")
    GOOD = "good", _("Good")
    PASS = "pass", _("Pass")
    FAIL = "fail", _("Fail")


# 1–2 months, inclusive end date: at least one month less a day (27 days across February),
# at most two months less a day (61 days). The precise calendar rule is in clean().
SECONDMENT_MIN_DAYS, SECONDMENT_MAX_DAYS = 27, 61
_MIN_SPAN, _MAX_SPAN = (
    dt.timedelta(days=SECONDMENT_MIN_DAYS),
    dt.timedelta(days=SECONDMENT_MAX_DAYS),
)


@pghistory.track()
class Secondment(TimeStampedModel):
    """跟班学习: a trainee spends 1–2 months at a host firm of a helper province with a mentor."""

    trainee = models.ForeignKey(
        "lawyers.Trainee",
        verbose_name=_("trainee"),
        on_delete=models.PROTECT,
        related_name="secondments",
    )
    host_firm = models.ForeignKey(
        "firms.LawFirm",
        verbose_name=_("host firm"),
        on_delete=models.PROTECT,
        related_name="hosted_secondments",
    )
    mentor = models.ForeignKey(
        "lawyers.Lawyer",
        verbose_name=_("mentor"),
        on_delete=models.PROTECT,
        related_name="mentored_secondments",
    )
    quota = models.ForeignKey(
        Quota, verbose_name=_("quota"), on_delete=models.PROTECT, related_name="secondments"
    )
    start_date = PlausibleDateField(_("start date"), earliest=PROGRAMME_EARLIEST)
    end_date = PlausibleDateField(
        _("end date"), help_text=_("Last day, inclusive."), earliest=PROGRAMME_EARLIEST
    )
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=SecondmentStatus.choices,
        default=SecondmentStatus.PLANNED,
        db_index=True,
    )
    cancel_reason = TextLineField(_("cancellation reason"), max_length=256, blank=True)
    evaluation_grade = models.CharField(
        _("mentor's evaluation"), max_length=16, choices=EvaluationGrade.choices, blank=True
    )
    evaluation_comment = NarrativeField(_("evaluation comment"), blank=True)
    evaluated_on = PlausibleDateField(
        _("evaluated on"), null=True, blank=True, earliest=PROGRAMME_EARLIEST
    )
    bar_signed_off_on = PlausibleDateField(
        _("bar association sign-off"), null=True, blank=True, earliest=PROGRAMME_EARLIEST
    )

    objects = models.Manager.from_queryset(ScopedQuerySet)()
    scoping = Scoping(
        province_paths=("trainee__home_province", "host_firm__province"), grants=PROVINCE_RECORDS
    )

    class Meta:
        verbose_name = _("secondment")
        verbose_name_plural = _("secondments")
        ordering = ["-start_date", "id"]
        indexes = [
            models.Index(fields=["status", "start_date"], name="secondment_status_start_idx"),
            models.Index(fields=["end_date"], name="secondment_end_idx"),
            models.Index(fields=["updated_at", "id"], name="secondment_sync_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__gte=F("start_date") + _MIN_SPAN)
                & Q(end_date__lte=F("start_date") + _MAX_SPAN),
                name="secondment_one_to_two_months",
                violation_error_message=_("End date: a secondment lasts one to two months."),
            ),
            models.CheckConstraint(
                condition=~Q(status=SecondmentStatus.CANCELLED) | ~Q(cancel_reason=""),
                name="secondment_cancel_needs_reason",
                violation_error_message=_("Cancellation reason: required to cancel."),
            ),
            PostgresExclusionConstraint(
                name="secondment_no_overlap_per_trainee",
                expressions=[
                    ("trainee", RangeOperators.EQUAL),
                    (DateRange("start_date", "end_date", RangeBoundary()), RangeOperators.OVERLAPS),
                ],
                condition=~Q(status=SecondmentStatus.CANCELLED),
                violation_error_message=_("Dates: this trainee already has a secondment then."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.trainee} @ {self.host_firm}（{self.start_date}–{self.end_date}）"

    def clean(self) -> None:
        """The programme's rules that need other rows; the constraints above repeat the
        ones the database can hold."""
        super().clean()
        errors = self.programme_errors()
        if errors:
            raise ValidationError(errors)

    def programme_errors(self) -> dict[str, str]:
        errors: dict[str, str] = {}
        s = self
        if s.start_date and s.end_date:
            shortest = s.start_date + relativedelta(months=1) - dt.timedelta(days=1)
            longest = s.start_date + relativedelta(months=2) - dt.timedelta(days=1)
            if not shortest <= s.end_date <= longest:
                errors["end_date"] = _(
                    "End date: a secondment lasts one to two months (%(a)s to %(b)s for this start)."
                ) % {"a": shortest, "b": longest}
        if s.mentor_id and s.host_firm_id and s.mentor.firm_id != s.host_firm_id:
            errors["mentor"] = _("Mentor: must work at the host firm.")
        if s.trainee_id and s.host_firm_id:
            home_id = s.trainee.home_province_id
            host_id = s.host_firm.province_id
            if not PairingAgreement.objects.filter(
                helper_province_id=host_id, recipient_province_id=home_id
            ).exists():
                errors["host_firm"] = _(
                    "Host firm: its province has no pairing agreement helping the trainee's province."
                )
            if s.quota_id:
                quota = s.quota
                if not quota.host_provinces.filter(pk=host_id).exists():
                    errors["quota"] = _(
                        "Quota: the host firm's province is not a host of this quota."
                    )
                elif not quota.source_provinces.filter(pk=home_id).exists():
                    errors["quota"] = _(
                        "Quota: the trainee's province is not a source of this quota."
                    )
                elif s.start_date and quota.year != s.start_date.year:
                    errors["quota"] = _(
                        "Quota: it is for %(year)d, the secondment starts in another year."
                    ) % {"year": quota.year}
        if s.trainee_id and s.start_date and s.end_date:
            overlapping = Secondment.objects.filter(
                trainee_id=s.trainee_id, start_date__lte=s.end_date, end_date__gte=s.start_date
            ).exclude(status=SecondmentStatus.CANCELLED)
            if s.pk:
                overlapping = overlapping.exclude(pk=s.pk)
            if overlapping.exists():
                errors["start_date"] = _("Dates: this trainee already has a secondment then.")
        if s.quota_id and s.status != SecondmentStatus.CANCELLED and "quota" not in errors:
            taken = s.quota.secondments.exclude(status=SecondmentStatus.CANCELLED)
            if s.pk:
                taken = taken.exclude(pk=s.pk)
            if taken.count() >= s.quota.seats:
                errors["quota"] = _("Quota: all %(seats)d seats are taken.") % {
                    "seats": s.quota.seats
                }
        return errors


class ActivityKind(models.TextChoices):
    FIELD_STUDY = "field_study", _("Field study")
    LECTURE = "lecture", _("Lecture")
    MOOT_COURT = "moot_court", _("Moot court")
    TEAM_ASSIGNMENT = "team_assignment", _("Team assignment")
    CASE_SEMINAR = "case_seminar", _("Case seminar")


@pghistory.track()
class TrainingActivity(TimeStampedModel):
    """One training activity of a secondment (实地研修/集中讲座/模拟法庭/团队作业/案例研讨)."""

    secondment = models.ForeignKey(
        Secondment,
        verbose_name=_("secondment"),
        on_delete=models.CASCADE,
        related_name="activities",
    )
    kind = models.CharField(_("kind"), max_length=32, choices=ActivityKind.choices)
    held_on = PlausibleDateField(_("date"), earliest=PROGRAMME_EARLIEST)
    hours = models.DecimalField(_("hours"), max_digits=5, decimal_places=1)
    title = TextLineField(_("title"), max_length=128, blank=True)

    objects = models.Manager.from_queryset(ScopedQuerySet)()
    scoping = Scoping(
        province_paths=("secondment__trainee__home_province", "secondment__host_firm__province"),
        grants=PROVINCE_RECORDS,
    )

    class Meta:
        verbose_name = _("training activity")
        verbose_name_plural = _("training activities")
        ordering = ["secondment_id", "held_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(hours__gt=0) & Q(hours__lte=24),
                name="activity_hours_range",
                violation_error_message=_("Hours: more than 0 and at most 24."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.held_on}"


class PairingMode(models.TextChoices):
    STRONG_LIFTS_WEAK = "strong_weak", _("Strong lifts weak (以强带弱)")
    STRONG_WITH_STRONG = "strong_strong", _("Strong with strong (强强联合)")


class FocusArea(models.TextChoices):
    PARTY_BUILDING = "party_building", _("Party building")
    TALENT = "talent", _("Talent development")
    MANAGEMENT = "management", _("Firm building and management")
    COLLABORATION = "collaboration", _("Collaborative development")
    SERVICE = "service", _("Service improvement")


class PairingStatus(models.TextChoices):
    PROPOSED = "proposed", _("Proposed")
    ACTIVE = "active", _("Active")
    ENDED = "ended", _("Ended")
    DISSOLVED = "dissolved", _("Dissolved")


@pghistory.track()
class FirmPairing(TimeStampedModel):
    """律师事务所“1对1”结对: a helper firm and a recipient firm."""

    helper_firm = models.ForeignKey(
        "firms.LawFirm",
        verbose_name=_("helper firm"),
        on_delete=models.PROTECT,
        related_name="pairings_as_helper",
    )
    recipient_firm = models.ForeignKey(
        "firms.LawFirm",
        verbose_name=_("recipient firm"),
        on_delete=models.PROTECT,
        related_name="pairings_as_recipient",
    )
    agreement = models.ForeignKey(
        PairingAgreement,
        verbose_name=_("agreement"),
        on_delete=models.PROTECT,
        related_name="firm_pairings",
    )
    mode = models.CharField(_("mode"), max_length=16, choices=PairingMode.choices)
    focus_areas = models.JSONField(_("focus areas"), default=list, blank=True)
    term_start = PlausibleDateField(_("term start"), earliest=PROGRAMME_EARLIEST)
    term_end = PlausibleDateField(_("term end"), null=True, blank=True, earliest=PROGRAMME_EARLIEST)
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=PairingStatus.choices,
        default=PairingStatus.PROPOSED,
        db_index=True,
    )
    ended_on = PlausibleDateField(_("ended on"), null=True, blank=True, earliest=PROGRAMME_EARLIEST)
    dissolve_reason = TextLineField(_("reason for dissolving"), max_length=256, blank=True)

    objects = models.Manager.from_queryset(ScopedQuerySet)()
    scoping = Scoping(
        province_paths=("helper_firm__province", "recipient_firm__province"),
        grants=PROVINCE_RECORDS,
    )

    class Meta:
        verbose_name = _("firm pairing")
        verbose_name_plural = _("firm pairings")
        ordering = ["-term_start", "id"]
        indexes = [
            models.Index(fields=["updated_at", "id"], name="firmpairing_sync_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(helper_firm=F("recipient_firm")),
                name="pairing_not_with_itself",
                violation_error_message=_("Recipient firm: a firm cannot be paired with itself."),
            ),
            # 1对1 means one: at most one active pairing per firm and side
            models.UniqueConstraint(
                fields=["helper_firm"],
                condition=Q(status=PairingStatus.ACTIVE),
                name="pairing_one_active_as_helper",
                violation_error_message=_("Helper firm: already in an active pairing as helper."),
            ),
            models.UniqueConstraint(
                fields=["recipient_firm"],
                condition=Q(status=PairingStatus.ACTIVE),
                name="pairing_one_active_as_recipient",
                violation_error_message=_(
                    "Recipient firm: already in an active pairing as recipient."
                ),
            ),
            models.CheckConstraint(
                condition=~Q(status=PairingStatus.DISSOLVED) | ~Q(dissolve_reason=""),
                name="pairing_dissolve_needs_reason",
                violation_error_message=_("Reason for dissolving: required."),
            ),
            models.CheckConstraint(
                condition=Q(term_end__isnull=True) | Q(term_end__gte=F("term_start")),
                name="pairing_term_range",
                violation_error_message=_("Term end: must not be before term start."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.helper_firm} ⇄ {self.recipient_firm}"

    def clean(self) -> None:
        super().clean()
        errors: dict[str, str] = {}
        p = self
        if p.helper_firm_id and p.helper_firm_id == p.recipient_firm_id:
            raise ValidationError(
                {"recipient_firm": _("Recipient firm: a firm cannot be paired with itself.")}
            )
        if (
            p.agreement_id
            and p.helper_firm_id
            and p.helper_firm.province_id != p.agreement.helper_province_id
        ):
            errors["helper_firm"] = _("Helper firm: must lie in the agreement's helper province.")
        if (
            p.agreement_id
            and p.recipient_firm_id
            and (p.recipient_firm.province_id != p.agreement.recipient_province_id)
        ):
            errors["recipient_firm"] = _(
                "Recipient firm: must lie in the agreement's recipient province."
            )
        if errors:
            raise ValidationError(errors)


@pghistory.track()
class PairingGoal(TimeStampedModel):
    """A goal of a pairing with its due date."""

    pairing = models.ForeignKey(
        FirmPairing, verbose_name=_("pairing"), on_delete=models.CASCADE, related_name="goals"
    )
    title = TextLineField(_("goal"), max_length=256)
    focus_area = models.CharField(
        _("focus area"), max_length=32, choices=FocusArea.choices, blank=True
    )
    due_date = PlausibleDateField(_("due date"), db_index=True, earliest=PROGRAMME_EARLIEST)
    achieved_on = PlausibleDateField(
        _("achieved on"), null=True, blank=True, earliest=PROGRAMME_EARLIEST
    )

    objects = models.Manager.from_queryset(ScopedQuerySet)()
    scoping = Scoping(
        province_paths=("pairing__helper_firm__province", "pairing__recipient_firm__province"),
        grants=PROVINCE_RECORDS,
    )

    class Meta:
        verbose_name = _("pairing goal")
        verbose_name_plural = _("pairing goals")
        ordering = ["pairing_id", "due_date", "id"]

    def __str__(self) -> str:
        return self.title


class ReportStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    ACCEPTED = "accepted", _("Accepted")
    RETURNED = "returned", _("Returned")


@pghistory.track()
class ProgressReport(TimeStampedModel):
    """A periodic progress report of a pairing (draft → submitted → accepted | returned)."""

    pairing = models.ForeignKey(
        FirmPairing, verbose_name=_("pairing"), on_delete=models.PROTECT, related_name="reports"
    )
    period_start = PlausibleDateField(_("period start"), earliest=PROGRAMME_EARLIEST)
    period_end = PlausibleDateField(_("period end"), earliest=PROGRAMME_EARLIEST)
    # a report is due once its period has ended, never before
    due_date = PlausibleDateField(_("due date"), db_index=True, earliest=PROGRAMME_EARLIEST)
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=ReportStatus.choices,
        default=ReportStatus.DRAFT,
        db_index=True,
    )
    narrative = NarrativeField(_("narrative"), blank=True)
    trainings_held = models.PositiveIntegerField(_("trainings held"), default=0)
    lawyers_trained = models.PositiveIntegerField(_("lawyers trained"), default=0)
    joint_cases = models.PositiveIntegerField(_("joint cases"), default=0)
    rules_adopted = models.PositiveIntegerField(_("rules adopted"), default=0)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    submitted_by = models.ForeignKey(
        "accounts.User",
        verbose_name=_("submitted by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        "accounts.User",
        verbose_name=_("reviewed by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    return_reason = NarrativeField(_("reason for returning"), blank=True)

    objects = models.Manager.from_queryset(ScopedQuerySet)()
    scoping = Scoping(
        province_paths=("pairing__helper_firm__province", "pairing__recipient_firm__province"),
        grants=PROVINCE_RECORDS,
    )

    class Meta:
        verbose_name = _("progress report")
        verbose_name_plural = _("progress reports")
        ordering = ["-period_start", "id"]
        indexes = [
            models.Index(fields=["status", "due_date"], name="report_status_due_idx"),
            models.Index(fields=["updated_at", "id"], name="report_sync_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["pairing", "period_start"],
                name="report_one_per_period",
                violation_error_message=_(
                    "Period start: this pairing already has a report for the period."
                ),
            ),
            models.CheckConstraint(
                condition=Q(period_end__gte=F("period_start")),
                name="report_period_range",
                violation_error_message=_("Period end: must not be before period start."),
            ),
            # clean() states the rule with the field named
            DatabaseCheckConstraint(
                condition=Q(due_date__gte=F("period_end")),
                name="report_due_after_period",
                violation_error_message=_("Due date: must not be before the period ends."),
            ),
            models.CheckConstraint(
                condition=~Q(status=ReportStatus.RETURNED) | ~Q(return_reason=""),
                name="report_return_needs_reason",
                violation_error_message=_("Reason for returning: required to return a report."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.pairing} {self.period_start:%Y-%m}"

    def clean(self) -> None:
        """The due date's rule with the field named (report_due_after_period holds it in
        PostgreSQL)."""
        super().clean()
        if self.due_date and self.period_end and self.due_date < self.period_end:
            raise ValidationError(
                {
                    "due_date": _("Due date: must not be before the period ends (%(end)s).")
                    % {"end": self.period_end}
                }
            )

    @staticmethod
    def overdue_q(today: dt.date, prefix: str = "") -> Q:
        """Reports past their due date and not yet submitted (draft or returned) — the one
        definition the admin filter, the dashboard and reminders share. `prefix` reaches
        them through a relation, e.g. "reports__" from a pairing."""
        return Q(**{f"{prefix}status__in": OPEN_REPORT_STATUSES, f"{prefix}due_date__lt": today})


# a report the pairing still has to (re)submit; only these can be edited
OPEN_REPORT_STATUSES = (ReportStatus.DRAFT, ReportStatus.RETURNED)


class TargetMetric(models.TextChoices):
    TRAINEES = "trainees", _("Young lawyers trained")
    SECONDMENTS = "secondments", _("Secondments")
    FIRM_PAIRINGS = "firm_pairings", _("Firm pairings")
    BRANCHES = "branches", _("Branch offices in no-lawyer counties")


@pghistory.track()
class ProgramTarget(TimeStampedModel):
    """A target (1,000 trainees, 750 secondments, 600 pairs, 46 branches), national when
    `province` is empty, for the whole programme when `year` is empty."""

    metric = models.CharField(_("metric"), max_length=32, choices=TargetMetric.choices)
    province = models.ForeignKey(
        "regions.Province",
        verbose_name=_("province"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="targets",
    )
    year = models.PositiveSmallIntegerField(
        _("year"),
        null=True,
        blank=True,
        validators=[MinValueValidator(2023), MaxValueValidator(2100)],
    )
    value = models.PositiveIntegerField(_("target"))
    source_note = TextLineField(_("source note"), max_length=256, blank=True)

    objects = models.Manager.from_queryset(ScopedQuerySet)()
    scoping = Scoping(province_paths=("province",), grants=REFERENCE_DATA)

    class Meta:
        verbose_name = _("programme target")
        verbose_name_plural = _("programme targets")
        ordering = ["metric", "province__code", "year"]
        constraints = [
            models.UniqueConstraint(
                fields=["metric", "province", "year"],
                nulls_distinct=False,
                name="target_unique_per_scope",
                violation_error_message=_("This target already exists."),
            ),
            models.CheckConstraint(
                condition=Q(year__isnull=True) | (Q(year__gte=2023) & Q(year__lte=2100)),
                name="target_year_range",
                violation_error_message=_("Year: must lie between 2023 and 2100."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_metric_display()}: {self.value}"


@pghistory.track()
class StatSnapshot(TimeStampedModel):
    """An official statistic as published, with its source and date (shown beside live counts)."""

    key = models.SlugField(_("key"), max_length=64)
    label = TextLineField(_("statistic"), max_length=128)
    value = models.DecimalField(_("value"), max_digits=14, decimal_places=2)
    unit = TextLineField(_("unit"), max_length=16, blank=True, require_letter=False)  # "%"
    province = models.ForeignKey(
        "regions.Province",
        verbose_name=_("province"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="statistics",
    )
    region_note = TextLineField(_("scope"), max_length=64, blank=True)
    as_of = PlausibleDateField(_("as of"), earliest=FIRM_EARLIEST, latest=TODAY)
    source = TextLineField(_("source"), max_length=256)

    objects = models.Manager.from_queryset(ScopedQuerySet)()
    scoping = Scoping(province_paths=("province",), grants=REFERENCE_DATA)

    class Meta:
        verbose_name = _("official statistic")
        verbose_name_plural = _("official statistics")
        ordering = ["key", "-as_of"]
        constraints = [
            models.UniqueConstraint(fields=["key", "as_of"], name="stat_unique_key_date"),
        ]

    def __str__(self) -> str:
        return f"{self.label}（{self.as_of}）"


# Rules PostgreSQL holds with constraint triggers (migration 0004: a quota's seats are
# never exceeded, even under concurrent bookings), and the constraints a concurrent write
# can still hit after validation: every path reports their refusal with these messages.
register_database_rule(
    "secondment_quota_seats", field="quota", message=_("Quota: all its seats are taken.")
)
register_database_rule(
    "quota_seats_held",
    field="seats",
    message=_("Seats: fewer than the secondments already booked on this quota."),
)
register_database_rule(
    "secondment_no_overlap_per_trainee",
    field="start_date",
    message=_("Dates: this trainee already has a secondment then."),
)
