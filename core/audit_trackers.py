"""pghistory trackers used by every audited model (imported by settings, so nothing here
may touch Django models or settings)."""

from __future__ import annotations

import pghistory
import pgtrigger


class StatementInsertEvent(pghistory.InsertEvent):
    """Insert events recorded by one statement-level trigger per INSERT statement instead
    of one trigger call per row: the same event rows (one per inserted row, same columns,
    same context), written by one ``INSERT … SELECT`` over the statement's transition
    table. Bulk imports insert twice as fast with it (bench/import_bench.py).

    Why a subclass: pghistory deep-copies ``PGHISTORY_DEFAULT_TRACKERS``, and pgtrigger's
    ``Level`` compares by identity, so a copied ``pgtrigger.Statement`` no longer equals
    the module singleton: pghistory then renders the row-level body (reading ``NEW.``)
    under a statement-level trigger, and pgtrigger (same identity test on the copied
    ``Insert``) declares no ``REFERENCING NEW TABLE``. Setting both here, after the copy,
    restores the singletons.
    """

    def add_event_trigger(self, event_model):  # type: ignore[no-untyped-def]
        self.level = pgtrigger.Statement
        self.operation = pgtrigger.Insert
        super().add_event_trigger(event_model)
