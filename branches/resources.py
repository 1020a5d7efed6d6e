"""Spreadsheet import/export of branch offices' records.

A service record has no identifier of its own: a row is matched by its natural key
(branch credit code, date, kind, lawyer's licence number), so re-importing a file finds
the records it made and changes nothing.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import tablib
from django.db import models
from django.utils.translation import gettext as _

from accounts.imports import (
    BooleanWidget,
    ChoicesWidget,
    DateWidget,
    IntegerWidget,
    NaturalKeyWidget,
    SpreadsheetResource,
    TextWidget,
    column,
)
from firms.resources import LawFirmWidget
from lawyers.resources import LawyerWidget
from regions.resources import CountyWidget

from .models import BranchOffice, BranchStatus, Posting, PostingKind, ServiceKind, ServiceRecord
from .services import change_gap_message, gaps_opened_by


class BranchOfficeWidget(NaturalKeyWidget):
    """A branch office by its own unified social credit code."""

    def __init__(self) -> None:
        # the scope check follows branch -> county/parent firm -> province: no query per row
        super().__init__(BranchOffice, "credit_code", upper=True, related=("county", "parent_firm"))


class BranchOfficeResource(SpreadsheetResource):
    credit_code = column("credit_code", "统一社会信用代码", TextWidget(upper=True))
    name = column("name", "名称")
    parent_firm = column("parent_firm", "总所统一社会信用代码", LawFirmWidget())
    county = column("county", "区县代码", CountyWidget())
    licence_no = column("licence_no", "执业许可证号")
    established_on = column("established_on", "设立日期", DateWidget())
    status = column("status", "状态", ChoicesWidget(BranchStatus), default=BranchStatus.ACTIVE)
    minimum_staff = column("minimum_staff", "最低派驻人数", IntegerWidget(), default=1)

    text_fields = ("credit_code", "parent_firm", "county", "licence_no")
    related = ("county", "parent_firm")

    class Meta(SpreadsheetResource.Meta):
        model = BranchOffice
        import_id_fields = ["credit_code"]
        fields = (
            "credit_code",
            "name",
            "parent_firm",
            "county",
            "licence_no",
            "established_on",
            "status",
            "minimum_staff",
        )
        # BranchOffice's check constraint (minimum staff >= 1) repeats the MinValueValidator


class PostingResource(SpreadsheetResource):
    """Postings are added (and their checklist kept) by import; a posting ENDS only through
    the admin action, which checks the branch's staffing — so an end date of an existing
    posting cannot be changed here. Overlaps are refused against the database (Posting's
    clean and exclusion constraint) and within the file.

    A changed row that leaves a branch short of staff within 30 days (an unticked
    checklist, a later start) is found by the service's own `gaps_opened_by`, for all
    the file's changes together: the preview lists it as needing confirmation, and the
    import applies it only when the clerk confirmed it, recorded in `gap_confirmed` as
    `save_posting(confirm_gap=True)` records it."""

    lawyer = column("lawyer", "律师执业证号", LawyerWidget())
    branch = column("branch", "分所统一社会信用代码", BranchOfficeWidget())
    start_date = column("start_date", "开始日期", DateWidget())
    kind = column("kind", "派驻方式", ChoicesWidget(PostingKind))
    end_date = column("end_date", "结束日期", DateWidget())
    agreement_signed = column("agreement_signed", "已签派驻协议", BooleanWidget())
    medical_passed = column("medical_passed", "体检合格", BooleanWidget())
    licence_transferred = column("licence_transferred", "已转执业证", BooleanWidget())

    text_fields = ("lawyer", "branch")
    related = ("lawyer", "branch", "branch__county", "branch__parent_firm")
    # the exclusion constraint (no overlapping postings of a lawyer) is checked per row
    validate_constraints = True
    # set by bulk_update when the clerk confirmed a staffing gap (stored value otherwise)
    derived_fields = ("gap_confirmed",)

    class Meta(SpreadsheetResource.Meta):
        model = Posting
        import_id_fields = ["lawyer", "branch", "start_date"]
        fields = (
            "lawyer",
            "branch",
            "start_date",
            "kind",
            "end_date",
            "agreement_signed",
            "medical_passed",
            "licence_transferred",
        )

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._periods: dict[int, list[tuple[dt.date, dt.date | None]]] = {}

    def existing_candidates(self, dataset: tablib.Dataset) -> list[models.QuerySet]:
        lawyers = set()
        for row in dataset.dict:
            try:
                lawyer = self.fields["lawyer"].clean(row)
            except (ValueError, KeyError):
                continue
            if lawyer is not None:
                lawyers.add(lawyer.pk)
        return [Posting.objects.filter(lawyer_id__in=lawyers)] if lawyers else []

    def loaded(self, found: dict[str, Any]) -> None:
        for obj in found.values():
            obj._import_end_date = obj.end_date

    def validate_row(self, instance: Posting, errors: dict[str, list[str]]) -> None:
        if instance.pk is not None and instance.end_date != instance._import_end_date:
            errors.setdefault("end_date", []).append(
                _("End date: a posting ends through the “End the selected postings” action.")
            )
            return
        if self.row_has_errors or not instance.lawyer_id or not instance.start_date:
            return  # a bad row holds no period for the rows below
        end = instance.end_date or dt.date.max
        for start, other_end in self._periods.get(instance.lawyer_id, []):
            if start <= end and instance.start_date <= (other_end or dt.date.max):
                errors.setdefault("start_date", []).append(
                    _("Dates: this lawyer is already posted elsewhere then.")
                )
                return
        self._periods.setdefault(instance.lawyer_id, []).append(
            (instance.start_date, instance.end_date)
        )

    def bulk_update(
        self,
        using_transactions: bool,
        dry_run: bool,
        raise_errors: bool,
        batch_size: int | None = None,
        result: Any = None,
    ) -> None:
        # the rows of this batch together, against the database as the batches before
        # left it (in this transaction)
        opened = gaps_opened_by(self.update_instances)
        if opened:
            confirmed = []
            for posting in self.update_instances:
                day = opened.get(posting.pk)
                if day is None:
                    confirmed.append(posting)
                elif self.confirm_row(posting, change_gap_message(day), result):
                    posting.gap_confirmed = True
                    confirmed.append(posting)
            self.update_instances = confirmed
        super().bulk_update(using_transactions, dry_run, raise_errors, batch_size, result)


class ServiceRecordResource(SpreadsheetResource):
    branch = column("branch", "分所统一社会信用代码", BranchOfficeWidget())
    served_on = column("served_on", "日期", DateWidget())
    kind = column("kind", "服务类型", ChoicesWidget(ServiceKind))
    lawyer = column("lawyer", "律师执业证号", LawyerWidget())
    quantity = column("quantity", "数量", IntegerWidget(), default=1)
    note = column("note", "备注", TextWidget())

    text_fields = ("branch", "lawyer")
    related = (
        "branch",
        "branch__county",
        "branch__parent_firm",
        "lawyer",
    )

    class Meta(SpreadsheetResource.Meta):
        model = ServiceRecord
        import_id_fields = ["branch", "served_on", "kind", "lawyer"]
        fields = ("branch", "served_on", "kind", "lawyer", "quantity", "note")
        # ServiceRecord's check constraint (quantity >= 1) repeats the MinValueValidator

    def existing_candidates(self, dataset: tablib.Dataset) -> list[models.QuerySet]:
        """The records of the file's branches between its first and last date."""
        branches, dates = set(), set()
        for row in dataset.dict:
            try:
                branch = self.fields["branch"].clean(row)
                served_on = self.fields["served_on"].clean(row)
            except (ValueError, KeyError):
                continue
            if branch is not None and served_on is not None:
                branches.add(branch.pk)
                dates.add(served_on)
        if not branches:
            return []
        return [
            ServiceRecord.objects.filter(
                branch_id__in=branches, served_on__range=(min(dates), max(dates))
            )
        ]
