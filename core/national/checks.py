"""Checks of the national dataset after it is written, and the tools around it.

`run()` returns the broken invariants (empty when all hold):
- every row of a sample of each model passes `full_clean()` (field validators such as the
  licence number's and the credit code's check character, `clean()` with the programme's
  cross-row rules, uniqueness and the constraints as Django validates them);
- over ALL rows, the rules PostgreSQL does not hold by itself, as set-based queries: one
  current licence per lawyer and the lawyer's copy of it, a mentor at the host firm, a
  quota of the right year and provinces with its seats, trainees under 40, pairing firms
  in the agreement's provinces, reports and postings dated as their rules say; the CHECK,
  unique, exclusion and foreign-key constraints were checked by PostgreSQL as each row was
  written (the generator writes with them on);
- the shape: the shares of the source document within a tolerance (at scale ≥ 0.01).

`digest()` is a fingerprint of the generated rows (tests compare two runs of one seed);
`flush()` empties the dataset's tables.
"""

from __future__ import annotations

from typing import Any, TextIO

from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import connection, transaction

SAMPLE = 60  # rows per model given to full_clean

# models the generator writes, in dependency order (digest and flush follow it)
MODELS = (
    "accounts.User",
    "firms.LawFirm",
    "lawyers.Lawyer",
    "lawyers.LawyerLicence",
    "pairing.PairingAgreement",
    "pairing.Quota",
    "pairing.ProgramTarget",
    "lawyers.Trainee",
    "pairing.Secondment",
    "pairing.TrainingActivity",
    "pairing.FirmPairing",
    "pairing.PairingGoal",
    "pairing.ProgressReport",
    "branches.BranchOffice",
    "branches.Posting",
    "branches.ServiceRecord",
    "branches.SupportContract",
    "branches.CareVisit",
    "reminders.Notification",
    "accounts.PersonalDataAccess",
)

# (what must hold, SQL counting the rows that break it)
SET_RULES: tuple[tuple[str, str], ...] = (
    (
        "every lawyer has exactly one current licence",
        "SELECT count(*) FROM lawyers_lawyer l WHERE (SELECT count(*) FROM lawyers_lawyerlicence c "
        "WHERE c.lawyer_id = l.id AND c.is_current) <> 1",
    ),
    (
        "a lawyer's current licence number and province are its current licence's",
        "SELECT count(*) FROM lawyers_lawyer l JOIN lawyers_lawyerlicence c ON c.lawyer_id = l.id "
        "AND c.is_current WHERE c.number <> l.current_licence_no OR c.issuing_province_id <> l.province_id",
    ),
    (
        "a lawyer's earlier licences end before the current one starts",
        "SELECT count(*) FROM lawyers_lawyerlicence o JOIN lawyers_lawyerlicence c ON "
        "c.lawyer_id = o.lawyer_id AND c.is_current WHERE NOT o.is_current AND "
        "(o.valid_to IS NULL OR o.valid_to >= c.valid_from)",
    ),
    (
        "a secondment's mentor works at its host firm",
        "SELECT count(*) FROM pairing_secondment s JOIN lawyers_lawyer m ON m.id = s.mentor_id "
        "WHERE m.firm_id IS DISTINCT FROM s.host_firm_id",
    ),
    (
        "a secondment's quota is of its start year, hosts its firm's province and sends its trainee's",
        "SELECT count(*) FROM pairing_secondment s JOIN pairing_quota q ON q.id = s.quota_id "
        "JOIN firms_lawfirm f ON f.id = s.host_firm_id JOIN lawyers_trainee t ON t.id = s.trainee_id "
        "WHERE q.year <> extract(year FROM s.start_date) "
        "OR NOT EXISTS (SELECT 1 FROM pairing_quota_host_provinces h WHERE h.quota_id = q.id "
        "AND h.province_id = f.province_id) "
        "OR NOT EXISTS (SELECT 1 FROM pairing_quota_source_provinces p WHERE p.quota_id = q.id "
        "AND p.province_id = t.home_province_id)",
    ),
    (
        "a secondment's host province helps its trainee's province by an agreement",
        "SELECT count(*) FROM pairing_secondment s JOIN firms_lawfirm f ON f.id = s.host_firm_id "
        "JOIN lawyers_trainee t ON t.id = s.trainee_id WHERE NOT EXISTS (SELECT 1 FROM "
        "pairing_pairingagreement a WHERE a.helper_province_id = f.province_id "
        "AND a.recipient_province_id = t.home_province_id)",
    ),
    (
        "a quota's seats hold its secondments that are not cancelled",
        "SELECT count(*) FROM pairing_quota q WHERE q.seats < (SELECT count(*) FROM "
        "pairing_secondment s WHERE s.quota_id = q.id AND s.status <> 'cancelled')",
    ),
    (
        "a secondment's status follows its dates and evaluation",
        "SELECT count(*) FROM pairing_secondment WHERE (status = 'completed' AND "
        "(evaluation_grade = '' OR evaluated_on IS NULL OR evaluated_on < end_date)) "
        "OR (status <> 'completed' AND evaluated_on IS NOT NULL)",
    ),
    (
        "a trainee is under 40 on the selection date, licensed, from a helped province",
        "SELECT count(*) FROM lawyers_trainee t JOIN lawyers_lawyer l ON l.id = t.lawyer_id "
        "JOIN regions_province p ON p.id = t.home_province_id WHERE "
        "l.birth_date <= t.selection_date - interval '40 years' OR l.current_licence_no = '' "
        "OR NOT p.is_recipient",
    ),
    (
        "a pairing's firms lie in its agreement's provinces",
        "SELECT count(*) FROM pairing_firmpairing p JOIN pairing_pairingagreement a ON "
        "a.id = p.agreement_id JOIN firms_lawfirm h ON h.id = p.helper_firm_id JOIN "
        "firms_lawfirm r ON r.id = p.recipient_firm_id WHERE h.province_id <> a.helper_province_id "
        "OR r.province_id <> a.recipient_province_id",
    ),
    (
        "an ended or dissolved pairing has its end date, an active one none",
        "SELECT count(*) FROM pairing_firmpairing WHERE (status IN ('ended', 'dissolved') "
        "AND ended_on IS NULL) OR (status IN ('active', 'proposed') AND ended_on IS NOT NULL)",
    ),
    (
        "a submitted or reviewed report names who submitted it, a reviewed one its reviewer",
        "SELECT count(*) FROM pairing_progressreport WHERE (status <> 'draft' AND "
        "(submitted_at IS NULL OR submitted_by_id IS NULL)) OR (status IN ('accepted', 'returned') "
        "AND (reviewed_at IS NULL OR reviewed_by_id IS NULL))",
    ),
    (
        "a posting's service records are dated within the branch's life",
        "SELECT count(*) FROM branches_servicerecord r JOIN branches_branchoffice b ON "
        "b.id = r.branch_id WHERE r.served_on < b.established_on",
    ),
    (
        "a service record's lawyer was posted at its branch that day",
        "SELECT count(*) FROM branches_servicerecord r WHERE r.lawyer_id IS NOT NULL AND NOT "
        "EXISTS (SELECT 1 FROM branches_posting p WHERE p.branch_id = r.branch_id AND "
        "p.lawyer_id = r.lawyer_id AND p.start_date <= r.served_on AND "
        "(p.end_date IS NULL OR p.end_date >= r.served_on))",
    ),
    (
        "a county with an open branch is marked as served by a branch",
        "SELECT count(*) FROM branches_branchoffice b JOIN regions_county c ON c.id = b.county_id "
        "WHERE b.status <> 'closed' AND (c.lawyer_status <> 'branch' OR NOT c.was_no_lawyer)",
    ),
)


def _model(label: str) -> Any:
    return apps.get_model(label)


def _sample_ids(model: Any, n: int) -> list[int]:
    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT min(id), max(id), count(*) FROM "{table}"')
        low, high, count = cursor.fetchone()
    if not count:
        return []
    if count <= n:
        return list(model._base_manager.order_by("pk").values_list("pk", flat=True))
    step = (high - low) / n
    wanted = sorted({int(low + step * k) for k in range(n)})
    return list(model._base_manager.filter(pk__in=wanted).values_list("pk", flat=True))


def run(options: Any, out: TextIO | None = None) -> list[str]:
    """The broken invariants (see the module docstring); writes a summary to `out`."""
    problems: list[str] = []
    for label in MODELS:
        model = _model(label)
        for pk in _sample_ids(model, SAMPLE):
            obj = model._base_manager.get(pk=pk)
            try:
                with transaction.atomic():
                    obj.full_clean()
            except ValidationError as error:
                problems.append(f"{label} #{pk}: {error.message_dict}")
    with connection.cursor() as cursor:
        for rule, sql in SET_RULES:
            cursor.execute(sql)
            (broken,) = cursor.fetchone()
            if broken:
                problems.append(f"{broken} row(s) break: {rule}")
        figures = shape_figures(cursor, options)
    if out is not None:
        out.write("shape: " + ", ".join(f"{k} {v}" for k, v in figures.items()) + "\n")
    if options.scale >= 0.01:
        # below 1/10 of the country a province holds a few dozen firms: wider bounds
        slack = 0.0 if options.scale >= 0.1 else 0.06
        for key, (low, high) in {
            "under_40": (0.55, 0.66),
            "west_lawyers": (0.18, 0.24),
            "west_firms": (0.21, 0.28),
            "west_firms_under_10": (0.58, 0.73),
        }.items():
            if not low - slack <= figures[key] <= high + slack:
                problems.append(
                    f"shape: {key} is {figures[key]}, expected {low - slack:.2f}-{high + slack:.2f}"
                )
    return problems


def shape_figures(cursor: Any, options: Any) -> dict[str, Any]:
    """The dataset's shares (what the source document gives; ages at the dataset's date)
    and its sizes."""
    cursor.execute(
        """
        SELECT count(*),
            avg((l.birth_date > (%s::date - interval '40 years'))::int),
            avg((p.region = 'west')::int)
        FROM lawyers_lawyer l JOIN regions_province p ON p.id = l.province_id
        """,
        [options.as_of],
    )
    lawyers, under_40, west = cursor.fetchone()
    cursor.execute(
        """
        SELECT count(*), avg((p.region = 'west')::int),
            avg((f.declared_lawyers <= 10)::int) FILTER (WHERE p.region = 'west')
        FROM firms_lawfirm f JOIN regions_province p ON p.id = f.province_id
        """
    )
    firms, west_firms, west_small = cursor.fetchone()
    sizes = {}
    for label in ("pairing.Secondment", "pairing.FirmPairing", "pairing.ProgressReport",
                  "branches.BranchOffice", "branches.ServiceRecord", "reminders.Notification"):  # fmt: skip
        model = _model(label)
        cursor.execute(f'SELECT count(*) FROM "{model._meta.db_table}"')
        sizes[model._meta.model_name] = cursor.fetchone()[0]
    return {
        "lawyers": lawyers,
        "firms": firms,
        "under_40": round(float(under_40 or 0), 3),
        "west_lawyers": round(float(west or 0), 3),
        "west_firms": round(float(west_firms or 0), 3),
        "west_firms_under_10": round(float(west_small or 0), 3),
        **sizes,
    }


# columns that are not the generator's to choose (the clock of the run)
_NOT_DIGESTED = {"accounts_user": ("last_login",)}


def digest() -> dict[str, str]:
    """An md5 per generated table over all its rows in id order (without the event tables,
    whose times are the run's)."""
    result = {}
    with connection.cursor() as cursor:
        for label in MODELS:
            model = _model(label)
            table = model._meta.db_table
            columns = [
                f.column
                for f in model._meta.concrete_fields
                if f.column not in _NOT_DIGESTED.get(table, ())
            ]
            row = "(" + ", ".join(f't."{c}"' for c in columns) + ")::text"
            cursor.execute(f"SELECT md5(string_agg({row}, '|' ORDER BY t.id)) FROM \"{table}\" t")
            result[table] = cursor.fetchone()[0]
    return result


def flush() -> None:
    """Empty the generated tables (and, by CASCADE, what refers to them), their audit
    events, and the markers; reference data (regions, calendar, organisations, reminder
    rules) stays."""
    from pghistory.models import Event

    tables = [_model(label)._meta.db_table for label in MODELS]
    tables += ["pairing_quota_host_provinces", "pairing_quota_source_provinces"]
    tracked = {_model(label) for label in MODELS}
    for model in apps.get_models():
        is_event = issubclass(model, Event) and not model._meta.proxy
        if is_event and getattr(model, "pgh_tracked_model", None) in tracked:
            tables.append(model._meta.db_table)
    quoted = ", ".join(f'"{t}"' for t in tables)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE")
        for table in tables:
            cursor.execute(f'COMMENT ON TABLE "{table}" IS NULL')
        cursor.execute(
            "UPDATE regions_county SET lawyer_status = 'local', was_no_lawyer = false, "
            "lawyer_status_since = NULL WHERE lawyer_status = 'branch'"
        )
