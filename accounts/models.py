"""Users and the organisations they act for."""

from __future__ import annotations

from typing import Any

import pghistory
import pgtrigger
from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from pghistory.models import Events

from core.fields import PhoneField, TextLineField
from core.models import TimeStampedModel

from .policy import ALL, OWN, Action, Role, ScopedQuerySet, Scoping


@pghistory.track()
class Organisation(TimeStampedModel):
    """The ministry, a provincial justice department, a bar association or a partner system.

    Every organisation but the ministry acts for exactly one province (or the Corps).
    """

    Kind = Role

    name = TextLineField(_("name"), max_length=128, unique=True)
    kind = models.CharField(_("kind"), max_length=32, choices=Role.choices, db_index=True)
    province = models.ForeignKey(
        "regions.Province",
        verbose_name=_("province"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="organisations",
        help_text=_("Required for every organisation except the ministry."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    contact_email = models.EmailField(_("contact e-mail"), blank=True)

    objects = models.Manager.from_queryset(ScopedQuerySet)()

    scoping = Scoping(
        province_paths=("province",),
        grants={
            Role.MINISTRY: dict.fromkeys(Action, ALL),
            Role.JUSTICE_DEPARTMENT: {
                Action.VIEW: OWN,
                Action.ADD: OWN,
                Action.CHANGE: OWN,
            },
            Role.BAR_ASSOCIATION: {Action.VIEW: OWN},
            Role.PARTNER: {Action.VIEW: OWN},
        },
    )

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["province__code", "kind", "name"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(kind=Role.MINISTRY) & Q(province__isnull=True))
                | (~Q(kind=Role.MINISTRY) & Q(province__isnull=False)),
                name="organisation_province_iff_not_ministry",
                violation_error_message=_(
                    "Province: the ministry has no province; every other organisation needs one."
                ),
            ),
            # one justice department and one bar association per province
            models.UniqueConstraint(
                fields=["kind", "province"],
                condition=Q(kind__in=[Role.JUSTICE_DEPARTMENT, Role.BAR_ASSOCIATION]),
                name="organisation_one_department_or_bar_per_province",
                violation_error_message=_(
                    "Province: this province already has an organisation of this kind."
                ),
            ),
        ]

    def __str__(self) -> str:
        return self.name


class ScopedUserManager(UserManager.from_queryset(ScopedQuerySet)):  # type: ignore[misc]
    """UserManager (create_user …) with `for_user`."""

    def get_queryset(self) -> ScopedQuerySet:
        return super().get_queryset().select_related("organisation")


class User(AbstractUser):
    """A person who signs in. Belongs to one organisation (superusers may have none)."""

    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="users",
    )
    phone = PhoneField(_("phone"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True, db_index=True)

    objects = ScopedUserManager()

    scoping = Scoping(
        province_paths=("organisation__province",),
        grants={
            Role.MINISTRY: dict.fromkeys(Action, ALL),
            Role.JUSTICE_DEPARTMENT: {
                Action.VIEW: OWN,
                Action.ADD: OWN,
                Action.CHANGE: OWN,
            },
        },
    )

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["username"]
        constraints = [
            models.CheckConstraint(
                condition=Q(is_superuser=True) | Q(organisation__isnull=False),
                name="user_has_organisation_unless_superuser",
                violation_error_message=_("Organisation: every user belongs to an organisation."),
            ),
        ]

    def __str__(self) -> str:
        full = self.get_full_name()
        return f"{full} ({self.username})" if full else self.username

    @property
    def role(self) -> Role | None:
        from .policy import role_of

        return role_of(self)


class PersonalDataAccessKind(models.TextChoices):
    VIEW = "view", _("Viewed")
    EXPORT = "export", _("Exported")


class PersonalDataAccess(TimeStampedModel):
    """One viewing or export of personal data (PIPL 个人信息保护法: log who viewed or
    exported personal data). Append-only: a database trigger refuses updates and deletes,
    and the admin offers neither. Kept indefinitely (Cybersecurity Law Art. 21: ≥ 6 months).
    """

    user = models.ForeignKey(
        User,
        verbose_name=_("user"),
        on_delete=models.PROTECT,  # the log outlives nothing it names
        related_name="personal_data_accesses",
    )
    kind = models.CharField(_("kind"), max_length=16, choices=PersonalDataAccessKind.choices)
    model_label = models.CharField(_("data"), max_length=100, db_index=True)
    object_ids = models.JSONField(_("object ids"), default=list, blank=True)
    description = models.TextField(_("description"), blank=True)
    count = models.PositiveIntegerField(_("number of records"))
    request_id = models.CharField(_("request id"), max_length=64, blank=True)

    objects = models.Manager.from_queryset(ScopedQuerySet)()

    # a provincial justice department reads the entries of its own province's users
    scoping = Scoping(
        province_paths=("user__organisation__province",),
        grants={
            Role.MINISTRY: {Action.VIEW: ALL},
            Role.JUSTICE_DEPARTMENT: {Action.VIEW: OWN},
        },
    )

    class Meta:
        verbose_name = _("personal data access")
        verbose_name_plural = _("personal data accesses")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["-created_at", "-id"], name="pda_newest_first"),
            models.Index(fields=["user", "-created_at"], name="pda_user_newest_first"),
        ]
        triggers = [
            pgtrigger.Protect(
                name="personal_data_access_append_only",
                operation=pgtrigger.Update | pgtrigger.Delete,
            )
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.kind} {self.model_label} ({self.count})"


class AuditEvent(Events):
    """The change log: every audited change across the tracked models (a proxy of
    pghistory's aggregate, so the admin can list it; no table of its own)."""

    class Meta:
        proxy = True
        verbose_name = _("change log entry")
        verbose_name_plural = _("change log")


class ApiKeyQuerySet(ScopedQuerySet):
    def usable(self, now: Any) -> ApiKeyQuerySet:
        return self.filter(revoked_at__isnull=True).filter(
            Q(expires_at__isnull=True) | Q(expires_at__gt=now)
        )


@pghistory.track(exclude=["last_used_at", "last_used_ip"])
class ApiKey(TimeStampedModel):
    """A partner system's credential for /api/v1/. It acts as its organisation: every
    request is limited by that organisation's row scope (the policy layer), through a
    service user of its own that cannot sign in.

    Only a SHA-256 digest of the key is stored; the key itself is shown once, when it is
    created. (A slow password hash is for guessable secrets; the key has 256 random bits.)
    """

    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        related_name="api_keys",
    )
    service_user = models.OneToOneField(
        User,
        verbose_name=_("service user"),
        on_delete=models.PROTECT,
        related_name="api_key",
        editable=False,
    )
    name = TextLineField(_("name"), max_length=100, help_text=_("Which system uses it."))
    prefix = models.CharField(_("key prefix"), max_length=16, unique=True, editable=False)
    key_digest = models.CharField(_("key digest"), max_length=64, unique=True, editable=False)
    scope_read = models.BooleanField(_("scope: read"), default=True)
    scope_write = models.BooleanField(_("scope: write"), default=False)
    scope_personal_data = models.BooleanField(
        _("scope: personal data"),
        default=False,
        help_text=_("Without it, personal fields are masked and political status is omitted."),
    )
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    allowed_ips = models.TextField(
        _("allowed IP addresses"),
        blank=True,
        help_text=_("One IP address or network (CIDR) per line; empty: any address."),
    )
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True, editable=False)
    last_used_ip = models.GenericIPAddressField(
        _("last used from"), null=True, blank=True, editable=False
    )
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        User,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )

    objects = models.Manager.from_queryset(ApiKeyQuerySet)()

    # the ministry manages every key; a justice department those of its province's
    # organisations
    scoping = Scoping(
        province_paths=("organisation__province",),
        grants={
            Role.MINISTRY: dict.fromkeys(Action, ALL),
            Role.JUSTICE_DEPARTMENT: {Action.VIEW: OWN, Action.ADD: OWN, Action.CHANGE: OWN},
        },
    )

    class Meta:
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")
        ordering = ["organisation__name", "name", "id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        from .api_keys import parse_networks

        try:
            parse_networks(self.allowed_ips)
        except ValueError as exc:
            raise ValidationError({"allowed_ips": str(exc)}) from exc
        if not (self.scope_read or self.scope_write):
            raise ValidationError(
                {"scope_read": _("Scopes: a key needs at least the read or the write scope.")}
            )
