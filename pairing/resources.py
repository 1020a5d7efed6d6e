"""Spreadsheet import/export of 1对1 firm pairings and secondments (跟班学习).

A row is matched by (helper firm, recipient firm, term start), the firms by their credit
codes. The agreement is the one between the two firms' provinces at the level the row
names. Imported pairings are PROPOSED (as `propose_pairing` makes them); activation,
ending and dissolving go through the services, so the status is exported, never imported.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import tablib
from django.core.exceptions import ValidationError
from django.db.models import Count, F
from django.utils.translation import gettext as _

from accounts.imports import (
    OUT_OF_SCOPE,
    ChoicesWidget,
    DateWidget,
    MultipleChoicesWidget,
    NaturalKeyWidget,
    SpreadsheetResource,
    column,
    normalise_key,
)
from accounts.policy import ALL, Action
from firms.resources import LawFirmWidget
from lawyers.models import Trainee
from lawyers.resources import LawyerWidget

from .models import (
    AgreementLevel,
    FirmPairing,
    FocusArea,
    PairingAgreement,
    PairingMode,
    PairingStatus,
    Quota,
    Secondment,
    SecondmentStatus,
)
from .services import (
    ensure_free_seat,
    ensure_pairing_changeable,
    ensure_secondment_changeable,
)


class FirmPairingResource(SpreadsheetResource):
    helper_firm = column("helper_firm", "帮扶方律所统一社会信用代码", LawFirmWidget())
    recipient_firm = column("recipient_firm", "受援方律所统一社会信用代码", LawFirmWidget())
    term_start = column("term_start", "结对开始日期", DateWidget())
    agreement_level = column(
        "agreement_level",
        "协议层级",
        ChoicesWidget(AgreementLevel),
        default=AgreementLevel.JUSTICE_DEPARTMENT,
    )
    mode = column("mode", "帮扶模式", ChoicesWidget(PairingMode))
    focus_areas = column("focus_areas", "帮扶重点", MultipleChoicesWidget(FocusArea), default=list)
    term_end = column("term_end", "结对结束日期", DateWidget())

    text_fields = ("helper_firm", "recipient_firm")
    related = ("helper_firm", "recipient_firm", "agreement")
    # the check constraints (not with itself, term range) and the 1对1 partial unique
    # constraints are checked per row: pairings number in the hundreds
    validate_constraints = True

    class Meta(SpreadsheetResource.Meta):
        model = FirmPairing
        import_id_fields = ["helper_firm", "recipient_firm", "term_start"]
        fields = (
            "helper_firm",
            "recipient_firm",
            "term_start",
            "agreement_level",
            "mode",
            "focus_areas",
            "term_end",
        )

    def before_import(self, dataset: tablib.Dataset, **kwargs: Any) -> None:
        super().before_import(dataset, **kwargs)
        self._agreements = {
            (a.helper_province_id, a.recipient_province_id, a.level): a
            for a in PairingAgreement.objects.all()
        }

    def get_bulk_update_fields(self) -> list[str]:
        return [*super().get_bulk_update_fields(), "agreement"]

    def loaded(self, found: dict[str, Any]) -> None:
        for obj in found.values():
            obj.agreement_level = obj.agreement.level
            obj._stored_agreement_id = obj.agreement_id

    def prepare_instance(self, instance: FirmPairing) -> None:
        if instance.pk is None:
            instance.status = PairingStatus.PROPOSED
        if instance.helper_firm_id and instance.recipient_firm_id:
            agreement = self._agreements.get(
                (
                    instance.helper_firm.province_id,
                    instance.recipient_firm.province_id,
                    getattr(instance, "agreement_level", ""),
                )
            )
            if agreement is not None:
                instance.agreement = agreement

    def validate_instance(
        self,
        instance: FirmPairing,
        import_validation_errors: dict[str, Any] | None = None,
        validate_unique: bool = True,
    ) -> None:
        try:
            super().validate_instance(instance, import_validation_errors, validate_unique)
        except ValidationError as e:
            errors = e.update_error_dict({})
            if instance.agreement_id is None:
                errors.pop("agreement", None)  # reported on the level column instead
                if instance.helper_firm_id and instance.recipient_firm_id:
                    errors.setdefault("agreement_level", []).append(
                        _(
                            "Agreement level: no agreement between these firms' provinces "
                            "at this level."
                        )
                    )
            raise ValidationError(errors) from None

    def validate_row(self, instance: FirmPairing, errors: dict[str, list[str]]) -> None:
        if instance.agreement_id is None and instance.helper_firm_id and instance.recipient_firm_id:
            # makes sure the row fails even when full_clean found nothing else
            errors.setdefault("agreement", []).append("-")
            return
        if instance.pk is not None:
            # change_pairing's rule: a closed pairing is kept as it closed; the firms (the
            # row's key) and the agreement (the level column) are fixed once proposed
            stored = FirmPairing(
                pk=instance.pk,
                status=instance.status,  # never imported: the stored one
                helper_firm_id=instance.helper_firm_id,
                recipient_firm_id=instance.recipient_firm_id,
                agreement_id=instance._stored_agreement_id,
            )
            problems: dict[str, list[str]] = {}
            if not self.apply_rule(problems, lambda: ensure_pairing_changeable(stored, instance)):
                if "agreement" in problems:  # reported on the level column
                    problems["agreement_level"] = problems.pop("agreement")
                for name, messages in problems.items():
                    errors.setdefault(name, []).extend(messages)

    def export_queryset(self, queryset: Any) -> Any:
        return super().export_queryset(queryset).annotate(agreement_level=F("agreement__level"))


class TraineeWidget(NaturalKeyWidget):
    """A trainee by the lawyer's current licence number."""

    def __init__(self) -> None:
        super().__init__(Trainee, "lawyer__current_licence_no", related=("lawyer", "home_province"))

    def render(self, value: Any, obj: Any = None, **kwargs: Any) -> str:
        return "" if value is None else value.lawyer.current_licence_no


class QuotaWidget(NaturalKeyWidget):
    """A quota by its name, in the year the secondment starts (names are unique per year)."""

    def __init__(self, *, start_column: str) -> None:
        super().__init__(Quota, "name", prime_all=True)
        self.start_column = start_column

    def prime(self, values: Any, user: Any) -> None:
        # reference for every province's staff: the policy gives the quota table's reach
        quotas = Quota.objects.all()
        allowed = None
        if user is not None and Quota.scoping.reach(user, Action.PICK) != ALL:
            allowed = set(quotas.for_user(user, Action.PICK).values_list("pk", flat=True))
        self.cache = {
            f"{q.year}|{q.name}": q if allowed is None or q.pk in allowed else OUT_OF_SCOPE
            for q in quotas
        }

    def clean(self, value: Any, row: Any = None, **kwargs: Any) -> Any:
        name = normalise_key(value)
        if name == "":
            return None
        start = DateWidget().clean((row or {}).get(self.start_column))
        if start is None:
            raise ValueError(_("needs the start date to find the quota's year"))
        return super().clean(f"{start.year}|{name}", row, **kwargs)

    def render(self, value: Any, obj: Any = None, **kwargs: Any) -> str:
        return "" if value is None else value.name


class SecondmentResource(SpreadsheetResource):
    """Secondments (跟班学习) booked by import, as `book_secondment` books them: PLANNED,
    the quota rows locked for the import's transaction, the seats counted with the rows of
    the file (new rows and rows that move a secondment onto a quota) by the services' own
    `ensure_free_seat`, Secondment.clean()'s programme rules (1–2 months, mentor at the
    host firm, host province helps the home province, quota's provinces and year, no
    overlap) on every row, and no two rows of the file overlapping for one trainee. Only
    planned secondments can be changed (`ensure_secondment_changeable`); starting,
    completing, cancelling and evaluating are services."""

    trainee = column("trainee", "学员执业证号", TraineeWidget())
    start_date = column("start_date", "开始日期", DateWidget())
    end_date = column("end_date", "结束日期", DateWidget())
    host_firm = column("host_firm", "接收律所统一社会信用代码", LawFirmWidget())
    mentor = column("mentor", "导师执业证号", LawyerWidget())
    quota = column("quota", "名额名称", QuotaWidget(start_column="开始日期"))

    text_fields = ("trainee", "host_firm", "mentor")
    related = ("trainee", "trainee__lawyer", "host_firm", "mentor", "quota")
    validate_constraints = True  # the exclusion constraint: one secondment at a time

    class Meta(SpreadsheetResource.Meta):
        model = Secondment
        import_id_fields = ["trainee", "start_date"]
        fields = ("trainee", "start_date", "end_date", "host_firm", "mentor", "quota")

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._periods: dict[int, list[tuple[dt.date, dt.date]]] = {}
        self._seat_rows: dict[int, list[int]] = {}  # quota -> rows of the file taking a seat

    def before_import(self, dataset: tablib.Dataset, **kwargs: Any) -> None:
        super().before_import(dataset, **kwargs)
        # lock every quota for this transaction, as book_secondment locks the one it books
        list(Quota.objects.select_for_update().values_list("pk", flat=True))

    def validate_row(self, instance: Secondment, errors: dict[str, list[str]]) -> None:
        if instance.pk is None:
            instance.status = SecondmentStatus.PLANNED
        elif not self.apply_rule(
            errors, lambda: ensure_secondment_changeable(instance), attribute="start_date"
        ):
            return  # (the status is never imported: the instance's is the stored one)
        if self.row_has_errors:
            return  # a bad row holds no period and no seat for the rows below
        if instance.trainee_id and instance.start_date and instance.end_date:
            for start, end in self._periods.get(instance.trainee_id, []):
                if start <= instance.end_date and instance.start_date <= end:
                    errors.setdefault("start_date", []).append(
                        _("Dates: this trainee already has a secondment then.")
                    )
                    return
            self._periods.setdefault(instance.trainee_id, []).append(
                (instance.start_date, instance.end_date)
            )
        # A row takes a seat of its quota when it is new or moves a secondment onto the
        # quota; the rows above it that did so hold theirs (none is stored before the whole
        # file is valid). A seat a row gives up is not lent to the rows below: as for
        # Secondment.clean(), it is free once stored.
        stored = getattr(instance, "_import_snapshot", {}).get("quota_id")
        if instance.quota_id and instance.quota_id != stored:
            quota = instance.quota
            above = self._seat_rows.setdefault(quota.pk, [])
            taken = self._taken(quota) + len(above)
            if not self.apply_rule(errors, lambda: ensure_free_seat(quota=quota, taken=taken)):
                if above:
                    errors["quota"].append(
                        _("Rows %(rows)s of this file take its other free seats.")
                        % {"rows": "、".join(str(n) for n in above)}
                    )
                return
            above.append(self.spreadsheet_row({"row_number": instance._import_row}))

    def _taken(self, quota: Quota) -> int:
        if not hasattr(self, "_taken_seats"):
            self._taken_seats = dict(
                Secondment.objects.exclude(status=SecondmentStatus.CANCELLED)
                .values("quota_id")
                .annotate(n=Count("id"))
                .values_list("quota_id", "n")
            )
        return self._taken_seats.get(quota.pk, 0)
