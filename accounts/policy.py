"""The ONE place that decides who sees and changes what (row-level scoping).

Every model that users reach declares a `Scoping`: the ORM paths from the model to a
`regions.Province` and, per role and action, whether the role reaches ALL rows, only rows
that involve its OWN province, or none. Admin, portal and API all go through
`Model.objects.for_user(user, action)` for reads and `ensure_can(user, action, obj)` for
writes; nothing else filters rows by province.

A row "involves" a province when ANY of its province paths leads there, so a pairing is
visible to both sides. Writes are checked twice: the stored row must be in the user's
scope, and the row as it is about to be saved must still involve the user's province, so a
write cannot move a record into a province the user does not administer.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import reduce
from operator import or_
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.db import models
from django.db.models import BooleanField, Expression, F, Q, Subquery
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from accounts.models import User


class Role(models.TextChoices):
    """A user's role follows from the kind of organisation they belong to."""

    MINISTRY = "ministry", _("Ministry of Justice")
    JUSTICE_DEPARTMENT = "justice_department", _("Provincial justice department")
    BAR_ASSOCIATION = "bar_association", _("Bar association")
    PARTNER = "partner", _("Partner system")


class Action(StrEnum):
    """What a user wants to do with rows. PICK = offer as a choice in a form or filter."""

    VIEW = "view"
    PICK = "pick"
    ADD = "add"
    CHANGE = "change"
    DELETE = "delete"


class Reach(StrEnum):
    ALL = "all"
    OWN = "own"


ALL = Reach.ALL
OWN = Reach.OWN
WRITE_ACTIONS = (Action.ADD, Action.CHANGE, Action.DELETE)


def role_of(user: User | AnonymousUser | None) -> Role | None:
    """The role of an active, signed-in user; superusers act as ministry staff."""
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    if user.is_superuser:
        return Role.MINISTRY
    organisation = getattr(user, "organisation", None)
    if organisation is None or not organisation.is_active:
        return None
    return Role(organisation.kind)


def province_id_of(user: User | AnonymousUser | None) -> int | None:
    """The province a (non-ministry) user acts for."""
    organisation = getattr(user, "organisation", None)
    return organisation.province_id if organisation is not None else None


@dataclass(frozen=True)
class Scoping:
    """Row-level scoping rules of one model.

    `province_paths`: ORM lookups from the model to a Province ("" for Province itself;
    none for national data such as the holiday calendar).
    `grants`: role -> action -> Reach. A missing PICK falls back to VIEW's reach, but is
    never wider than OWN for provincial roles (a form offers only the user's province's
    rows even where every row may be read, e.g. reference data).
    """

    province_paths: tuple[str, ...]
    grants: Mapping[Role, Mapping[Action, Reach]] = field(default_factory=dict)

    # --- model level --------------------------------------------------------------------
    def reach(self, user: Any, action: Action) -> Reach | None:
        role = role_of(user)
        if role is None:
            return None
        role_grants = self.grants.get(role, {})
        if action == Action.PICK and Action.PICK not in role_grants:
            view = role_grants.get(Action.VIEW)
            if view is None:
                return None
            return ALL if role == Role.MINISTRY else OWN
        return role_grants.get(action)

    def allows(self, user: Any, action: Action) -> bool:
        """Whether the user may do `action` on at least some rows of this model."""
        reach = self.reach(user, action)
        if reach is None:
            return False
        return reach == ALL or province_id_of(user) is not None

    # --- rows ---------------------------------------------------------------------------
    def q_for_province(self, model: type[models.Model], province_id: int) -> Q:
        """The rows of `model` that involve the province: one condition per path, each on
        a column of the model itself, OR-ed (see `_path_condition`).

        Where a path needs a subquery, the OR is written twice, AND-ed: once with
        `column = ANY(ARRAY(subquery))` (index conditions: a BitmapOr for counts and
        large reads) and once with `column IN (subquery)`, which PostgreSQL checks with a
        hash table row by row. A page sorted by name walks the name index and filters each
        row; `= ANY($array)` as a filter compares with every element of the array in turn
        (1,457 firms of 湖南 per lawyer), the hashed IN in constant time.
        """
        if not self.province_paths:  # national data involves no single province
            return Q(pk__in=[])
        indexed = reduce(or_, (_path_condition(model, p, province_id) for p in self.province_paths))
        if all(_is_local(model, p) for p in self.province_paths):
            return indexed
        hashed = reduce(
            or_,
            (_path_condition(model, p, province_id, hashed=True) for p in self.province_paths),
        )
        return indexed & hashed

    def filter(self, queryset: models.QuerySet, user: Any, action: Action) -> models.QuerySet:
        reach = self.reach(user, action)
        if reach == ALL:
            return queryset
        province_id = province_id_of(user)
        if reach is None or province_id is None:
            return queryset.none()
        return queryset.filter(self.q_for_province(queryset.model, province_id))

    def provinces_of(self, obj: models.Model) -> set[int]:
        """Province ids the object involves, read from its current (unsaved) values."""
        found: set[int] = set()
        for path in self.province_paths:
            found |= _follow(obj, path.split("__") if path else [])
        return found

    def check(
        self, user: Any, action: Action, obj: models.Model, *, stored_in_scope: bool = False
    ) -> None:
        """Raise PermissionDenied (with a user-facing message) unless the write is allowed.

        `stored_in_scope=True` is for callers that have already checked, in one query for a
        whole batch (spreadsheet imports), that the stored rows are in the user's scope.
        """
        reach = self.reach(user, action)
        if reach is None or (reach == OWN and province_id_of(user) is None):
            raise PermissionDenied(_("You do not have permission to do this."))
        if reach == ALL:
            return
        province_id = province_id_of(user)
        manager = type(obj)._default_manager
        if (
            not stored_in_scope
            and action in (Action.CHANGE, Action.DELETE)
            and obj.pk is not None
            and not self.filter(manager.filter(pk=obj.pk), user, action).exists()
        ):
            raise PermissionDenied(_("This record does not involve your province."))
        if action in (Action.ADD, Action.CHANGE) and province_id not in self.provinces_of(obj):
            raise PermissionDenied(_("You may only save records that involve your own province."))


class AnyOf(Expression):
    """`column = ANY(ARRAY(subquery))` on PostgreSQL, `column IN (subquery)` elsewhere.

    PostgreSQL runs the ARRAY(...) once (an InitPlan) and then treats its result as a
    constant list, so the condition is an index condition on `column` and several of them
    OR-ed together become a BitmapOr of index scans. `column IN (subquery)` inside an OR
    cannot become a join: it is checked row by row, over the whole table.
    """

    output_field = BooleanField()
    conditional = True

    def __init__(self, column: str, queryset: models.QuerySet, *, hashed: bool = False) -> None:
        super().__init__()
        self.column = F(column)
        self.subquery = Subquery(queryset)
        self.hashed = hashed  # `column IN (subquery)`: a filter checked by hash, no index

    def get_source_expressions(self) -> list[Any]:
        return [self.column, self.subquery]

    def set_source_expressions(self, exprs: list[Any]) -> None:
        self.column, self.subquery = exprs

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, tuple]:
        column, column_params = compiler.compile(self.column)
        subquery, subquery_params = compiler.compile(self.subquery)
        return f"{column} IN {subquery}", (*column_params, *subquery_params)

    def as_postgresql(self, compiler: Any, connection: Any) -> tuple[str, tuple]:
        if self.hashed:
            return self.as_sql(compiler, connection)
        column, column_params = compiler.compile(self.column)
        subquery, subquery_params = compiler.compile(self.subquery)
        return f"{column} = ANY(ARRAY{subquery})", (*column_params, *subquery_params)


def _is_local(model: type[models.Model], path: str) -> bool:
    """Whether the path is the row itself or a province foreign key of the row."""
    if not path:
        return True
    name, _, rest = path.partition("__")
    f = model._meta.get_field(name)
    return not rest and (f.many_to_one or (f.one_to_one and f.concrete))


def _path_condition(
    model: type[models.Model], path: str, province_id: int, *, hashed: bool = False
) -> Q:
    """The rows of `model` whose `path` leads to the province, as a condition on a column
    of `model` itself (no join in the outer query), so that every path uses an index
    whatever the number of paths.

    The naive `path1 = X OR path2 = X` puts an OR across a join, which PostgreSQL can
    only answer by reading every row (751,520 lawyers for one province's page), and
    needs DISTINCT where a to-many path repeats rows. Instead:
    - "" (the Province itself) and "province": `pk = X`, `province_id = X`;
    - a foreign key first (`firm__province`): `firm_id = ANY(ARRAY(SELECT id FROM firm
      WHERE <the rest of the path, by the same rule>))`;
    - a to-many relation first (`host_provinces`, `secondments__host_firm__province`):
      `id = ANY(ARRAY(SELECT id FROM model JOIN ... WHERE ...))` — no row repeated.
    """
    if not path:
        return Q(pk=province_id)
    name, _, rest = path.partition("__")
    f = model._meta.get_field(name)
    if f.many_to_one or (f.one_to_one and f.concrete):
        if not rest:
            return Q(**{f.attname: province_id})
        related = f.related_model._base_manager.filter(
            _path_condition(f.related_model, rest, province_id)
        )
        return Q(AnyOf(f.attname, related.order_by().values("pk"), hashed=hashed))
    rows = model._base_manager.filter(**{f"{path}__pk": province_id})
    return Q(AnyOf("pk", rows.order_by().values("pk"), hashed=hashed))


def _follow(obj: models.Model | None, parts: list[str]) -> set[int]:
    if obj is None:
        return set()
    if not parts:
        return {obj.pk} if obj.pk is not None else set()
    name, rest = parts[0], parts[1:]
    f = obj._meta.get_field(name)
    if f.many_to_many or f.one_to_many:
        if obj.pk is None:
            return set()
        related: Iterable[models.Model] = getattr(
            obj, f.get_accessor_name() if f.one_to_many else name
        ).all()
        out: set[int] = set()
        for r in related:
            out |= _follow(r, rest)
        return out
    if not rest:  # the last hop is the province FK itself: read the id, no query
        value = getattr(obj, f.attname)
        return {value} if value is not None else set()
    if getattr(obj, f.attname, None) is None:  # not set (yet, or a form rejected it)
        return set()
    try:
        return _follow(getattr(obj, name), rest)
    except ObjectDoesNotExist:  # an id that names no row
        return set()


class ScopedQuerySet(models.QuerySet):
    """QuerySet with `for_user`, the entry point of every user-facing read."""

    def for_user(self, user: Any, action: Action = Action.VIEW) -> ScopedQuerySet:
        return self.model.scoping.filter(self, user, Action(action))


ScopedManager = models.Manager.from_queryset(ScopedQuerySet)


def ensure_can(user: Any, action: Action | str, obj: models.Model) -> None:
    """The write check used by admin, portal, API and imports."""
    type(obj).scoping.check(user, Action(action), obj)


def allows(user: Any, model: type[models.Model], action: Action | str) -> bool:
    """Model-level permission (is there any row the user may do this to?)."""
    return model.scoping.allows(user, Action(action))


# Common grant tables ------------------------------------------------------------------
REFERENCE_DATA = {
    # everyone reads reference data; only the ministry edits it
    Role.MINISTRY: dict.fromkeys(Action, ALL),
    Role.JUSTICE_DEPARTMENT: {Action.VIEW: ALL},
    Role.BAR_ASSOCIATION: {Action.VIEW: ALL},
    Role.PARTNER: {Action.VIEW: ALL},
}

PROVINCE_RECORDS = {
    # programme records of a province: departments and bar associations keep them,
    # partner systems read them
    Role.MINISTRY: dict.fromkeys(Action, ALL),
    Role.JUSTICE_DEPARTMENT: {Action.VIEW: OWN, Action.ADD: OWN, Action.CHANGE: OWN},
    Role.BAR_ASSOCIATION: {Action.VIEW: OWN, Action.ADD: OWN, Action.CHANGE: OWN},
    Role.PARTNER: {Action.VIEW: OWN},
}

MINISTRY_AND_DEPARTMENTS = {
    # agreements and quotas: set by the justice departments, read by the bar associations
    Role.MINISTRY: dict.fromkeys(Action, ALL),
    Role.JUSTICE_DEPARTMENT: {Action.VIEW: OWN, Action.ADD: OWN, Action.CHANGE: OWN},
    Role.BAR_ASSOCIATION: {Action.VIEW: OWN},
    Role.PARTNER: {Action.VIEW: OWN},
}
