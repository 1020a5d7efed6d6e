"""Domain-free building blocks shared by every app."""

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils.translation import gettext_lazy as _


class TimeStampedModel(models.Model):
    """Adds `created_at` / `updated_at`; `updated_at` is indexed for incremental sync."""

    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True, db_index=True)

    class Meta:
        abstract = True


class ImportMode(models.TextChoices):
    CREATE = "create", _("Create new records only")
    UPDATE = "update", _("Update existing records only")
    CREATE_OR_UPDATE = "create_or_update", _("Create or update")


class ImportStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    PREVIEWED = "previewed", _("Previewed")
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")


class ImportRecord(TimeStampedModel):
    """One spreadsheet import: who uploaded which file for which model, and what came of
    it. Kept for the record (an import is all-or-nothing; `errors` lists every bad row)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.PROTECT,
        related_name="import_records",
    )
    model_label = models.CharField(_("model"), max_length=64, db_index=True)
    resource = models.CharField(
        _("resource"), max_length=128, help_text=_("Dotted path of the resource class.")
    )
    file_name = models.CharField(_("file name"), max_length=255)
    file = models.FileField(_("file"), upload_to="imports/%Y/%m/", max_length=255)
    mode = models.CharField(
        _("mode"), max_length=16, choices=ImportMode.choices, default=ImportMode.CREATE_OR_UPDATE
    )
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=ImportStatus.choices,
        default=ImportStatus.PENDING,
        db_index=True,
    )
    rows_total = models.PositiveIntegerField(_("rows"), default=0)
    rows_created = models.PositiveIntegerField(_("rows created"), default=0)
    rows_updated = models.PositiveIntegerField(_("rows updated"), default=0)
    rows_unchanged = models.PositiveIntegerField(_("rows unchanged"), default=0)
    errors = models.JSONField(
        _("errors"), default=list, blank=True, help_text=_("[{row, column, message}, …]")
    )
    preview = models.JSONField(_("preview"), default=list, blank=True)
    confirmations = models.JSONField(
        _("rows needing confirmation"),
        default=list,
        blank=True,
        help_text=_(
            "[{row, column, message}, …]: rows a rule lets through only with an explicit "
            "confirmation (a staffing gap), as the preview listed them."
        ),
    )
    confirmed_at = models.DateTimeField(
        _("rows confirmed at"),
        null=True,
        blank=True,
        help_text=_("When the uploader confirmed the rows needing confirmation."),
    )
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("spreadsheet import")
        verbose_name_plural = _("spreadsheet imports")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "created_at"], name="import_user_created_idx")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(progress__lte=100),
                name="import_progress_percent",
                violation_error_message=_("Progress: at most 100%."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.file_name}（{self.get_status_display()}）"


class IdempotencyRecord(models.Model):
    """The first response to a POST sent with an `Idempotency-Key`: a retry with the same
    key (same caller, same request) gets this response again instead of a second write.
    Written in the transaction of the write itself, so either both exist or neither does.
    Kept for IDEMPOTENCY_TTL_HOURS, then purged by a periodic task."""

    principal = models.CharField(_("caller"), max_length=64)
    key = models.CharField(_("idempotency key"), max_length=255)
    fingerprint = models.CharField(_("request fingerprint"), max_length=64)
    method = models.CharField(_("method"), max_length=8)
    path = models.CharField(_("path"), max_length=512)
    response_status = models.PositiveSmallIntegerField(_("response status"))
    response_body = models.JSONField(_("response body"), encoder=DjangoJSONEncoder)
    response_headers = models.JSONField(_("response headers"), default=dict)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("idempotency record")
        verbose_name_plural = _("idempotency records")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["principal", "key"], name="idempotency_once_per_key")
        ]

    def __str__(self) -> str:
        return f"{self.principal} {self.key}"
