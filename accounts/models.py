"""Users and the organisations they act for."""

from __future__ import annotations

import pghistory
from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.models import TimeStampedModel

from .policy import ALL, OWN, Action, Role, ScopedQuerySet, Scoping


@pghistory.track()
class Organisation(TimeStampedModel):
    """The ministry, a provincial justice department, a bar association or a partner system.

    Every organisation but the ministry acts for exactly one province (or the Corps).
    """

    Kind = Role

    name = models.CharField(_("name"), max_length=128, unique=True)
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
    phone = models.CharField(_("phone"), max_length=32, blank=True)
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
