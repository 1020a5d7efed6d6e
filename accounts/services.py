"""Writes of the accounts app: the personal-data access log and restoring a version from
the audit history."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.db import models, transaction

from core.audit import audit_context
from core.middleware import current_request_id

from .models import PersonalDataAccess, PersonalDataAccessKind
from .policy import Action, ensure_can


def record_personal_data_access(
    *,
    user: Any,
    kind: PersonalDataAccessKind | str,
    model: type[models.Model] | str,
    object_ids: Iterable[Any] | None = None,
    description: str = "",
    count: int,
) -> PersonalDataAccess:
    """Log that `user` viewed or exported personal data (PIPL).

    `model` is a model class or its label ("lawyers.Lawyer"); `object_ids` names the
    records where they are known (a single change page, a selection), `description` the
    filter of an export otherwise; `count` is the number of records shown or written.
    Exports call it once per file, after the rows have been read.
    """
    label = model if isinstance(model, str) else model._meta.label
    return PersonalDataAccess.objects.create(
        user=user,
        kind=PersonalDataAccessKind(kind),
        model_label=label,
        object_ids=[str(pk) for pk in object_ids or ()],
        description=description,
        count=count,
        request_id=current_request_id().strip("-"),
    )


# --- restoring a version ----------------------------------------------------------------
# Never copied back from a snapshot: the state machine of a record moves only through its
# services ("status"/"state"), and timestamps are the row's own.
NEVER_RESTORED = frozenset({"status", "state", "created_at", "updated_at"})
DERIVED_SUFFIXES = ("_pinyin", "_initials")


def restorable_fields(
    model: type[models.Model], *, exclude: Iterable[str] = ()
) -> list[models.Field]:
    """The fields a restore copies back: editable, non-state, non-derived columns.

    Excluded: the primary key, non-editable and generated columns (derived values such as
    pinyin search names or the current licence number), status/state fields, files (the
    stored file of an old version may be gone) and whatever the caller excludes.
    """
    excluded = NEVER_RESTORED | set(exclude)
    return [
        f
        for f in model._meta.concrete_fields
        if f.editable
        and not f.primary_key
        and not isinstance(f, models.GeneratedField | models.FileField)
        and f.name not in excluded
        and not f.name.endswith(DERIVED_SUFFIXES)
    ]


def version_changes(
    obj: models.Model, event: models.Model, fields: Iterable[models.Field]
) -> list[tuple[models.Field, Any, Any]]:
    """(field, current value, snapshot value) for each field the snapshot would change."""
    out = []
    for f in fields:
        if not hasattr(event, f.attname):  # the field is newer than the snapshot
            continue
        current, snapshot = getattr(obj, f.attname), getattr(event, f.attname)
        if current != snapshot:
            out.append((f, current, snapshot))
    return out


@transaction.atomic
def restore_version(
    *,
    actor: Any,
    obj: models.Model,
    event: models.Model,
    exclude: Iterable[str] = (),
    save: Callable[[models.Model], None] | None = None,
) -> list[str]:
    """Copy the restorable fields of an audit snapshot (`event`) back onto `obj`.

    The row is locked, must be changeable by `actor` before and after (a restore cannot
    move a record out of the actor's province), and passes `full_clean()`; otherwise
    PermissionDenied / ValidationError and nothing is written. `save` lets the caller save
    through its usual path (so derived columns are recomputed); the change is audited with
    `restored_from` = the event's pk. Returns the names of the restored fields.
    """
    model = type(obj)
    locked = model._default_manager.select_for_update(of=("self",)).get(pk=obj.pk)
    ensure_can(actor, Action.CHANGE, locked)
    changes = version_changes(locked, event, restorable_fields(model, exclude=exclude))
    if not changes:
        return []
    for f, _current, snapshot in changes:
        setattr(locked, f.attname, snapshot)
    ensure_can(actor, Action.CHANGE, locked)
    locked.full_clean()
    names = [f.name for f, _c, _s in changes]
    with audit_context(actor=actor, restored_from=event.pk):
        if save is not None:
            save(locked)
        else:
            update_fields = [f.attname for f, _c, _s in changes]
            if any(f.name == "updated_at" for f in model._meta.concrete_fields):
                update_fields.append("updated_at")
            locked.save(update_fields=update_fields)
    obj.refresh_from_db()
    return names
