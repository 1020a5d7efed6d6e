from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from accounts.api.schema import NaturalKeyFieldSchema
from accounts.api.serializers import NaturalKeyRelatedField, ScopedModelSerializer
from firms.models import LawFirm
from lawyers.models import Lawyer
from regions.models import County

from ..models import BranchOffice, CareVisit, Posting, ServiceRecord, SupportContract


class KeyOrIdField(NaturalKeyRelatedField):
    """A natural key that is blank for some rows (a lawyer without a current licence):
    a blank key names no row, rather than every row without one."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, str) and not data.strip():
            self.fail("invalid", field=self.model._meta.get_field(self.natural_key).verbose_name)
        return super().to_internal_value(data)


class KeyOrIdFieldSchema(NaturalKeyFieldSchema):
    """Documented like every natural-key field (the extension matches exact classes)."""

    target_class = "branches.api.serializers.KeyOrIdField"


def check_date_range(serializer: serializers.Serializer, attrs: dict[str, Any]) -> None:
    """End before start: named on `end_date` (the model's check constraint, also checked
    by full_clean in the service, would report it for the record as a whole)."""
    instance = serializer.instance
    start = attrs.get("start_date", getattr(instance, "start_date", None))
    end = attrs.get("end_date", getattr(instance, "end_date", None))
    if start and end and end < start:
        raise serializers.ValidationError(
            {"end_date": [_("End date: must not be before the start date.")]}
        )


def branch_field(**kwargs: Any) -> NaturalKeyRelatedField:
    return NaturalKeyRelatedField(model=BranchOffice, natural_key="credit_code", **kwargs)


def lawyer_field(**kwargs: Any) -> NaturalKeyRelatedField:
    return KeyOrIdField(model=Lawyer, natural_key="current_licence_no", **kwargs)


class BranchOfficeSerializer(ScopedModelSerializer):
    """A branch office (分所). `parent_firm` is the parent firm's credit code, `county` the
    host county's code (each also accepts the id); `province` is the county's province.
    `staff_today` counts the lawyers posted there today with a complete dispatch checklist;
    `understaffed_today` is true when that is below `minimum_staff`."""

    parent_firm = NaturalKeyRelatedField(model=LawFirm, natural_key="credit_code")
    county = NaturalKeyRelatedField(model=County, natural_key="code")
    province = serializers.CharField(source="county.province.code", read_only=True)
    staff_today = serializers.IntegerField(read_only=True)
    understaffed_today = serializers.SerializerMethodField()

    class Meta:
        model = BranchOffice
        fields = (
            "id",
            "credit_code",
            "name",
            "parent_firm",
            "county",
            "province",
            "licence_no",
            "established_on",
            "status",
            "minimum_staff",
            "staff_today",
            "understaffed_today",
            "created_at",
            "updated_at",
        )
        read_only_fields = ("created_at", "updated_at")
        brief_fields = ("id", "credit_code", "name", "county", "status")
        write_only_on_create = ("credit_code",)

    def get_understaffed_today(self, branch: BranchOffice) -> bool | None:
        staff = getattr(branch, "staff_today", None)
        return None if staff is None else staff < branch.minimum_staff


class PostingSerializer(ScopedModelSerializer):
    """A lawyer posted to a branch. `lawyer` is the licence number, `branch` the branch's
    credit code (each also accepts the id). A posting ends through `POST …/{id}/end/`,
    which checks the branch's staffing; `end_date` can be set here only on create."""

    lawyer = lawyer_field()
    lawyer_name = serializers.CharField(source="lawyer.name", read_only=True)
    branch = branch_field()
    branch_name = serializers.CharField(source="branch.name", read_only=True)
    confirm_gap = serializers.BooleanField(
        required=False,
        write_only=True,
        help_text="On a change: save it even though the branch would fall below its minimum "
        "staff within 30 days (unticking the checklist, a later start); recorded in "
        "`gap_confirmed`. Without it such a change is a 400 naming `confirm_gap`. "
        "修改时：即使分所在30天内人员将低于最低配置（取消勾选派驻清单、推迟开始），仍确认保存"
        "（记录于 `gap_confirmed`）；否则此类修改返回 400，指明 `confirm_gap`。",
    )

    class Meta:
        model = Posting
        fields = (
            "id",
            "lawyer",
            "lawyer_name",
            "branch",
            "branch_name",
            "kind",
            "start_date",
            "end_date",
            "agreement_signed",
            "medical_passed",
            "licence_transferred",
            "checklist_complete",
            "end_reason",
            "gap_confirmed",
            "confirm_gap",
            "created_at",
            "updated_at",
        )
        read_only_fields = (
            "checklist_complete",
            "end_reason",
            "gap_confirmed",
            "created_at",
            "updated_at",
        )
        brief_fields = ("id", "lawyer", "branch", "start_date", "end_date")
        write_only_on_create = ("lawyer", "branch")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if self.instance is None:
            attrs.pop("confirm_gap", None)  # a new posting opens no gap
        attrs = super().validate(attrs)
        check_date_range(self, attrs)
        if (
            self.instance is not None
            and "end_date" in attrs
            and attrs["end_date"] != self.instance.end_date
        ):
            raise serializers.ValidationError(
                {
                    "end_date": [
                        _(
                            "End date: a posting ends through POST /api/v1/postings/{id}/end/, "
                            "which checks the branch's staffing."
                        )
                    ]
                }
            )
        return attrs


class EndPostingSerializer(serializers.Serializer):
    """The body of `POST /postings/{id}/end/`."""

    end_date = serializers.DateField(help_text="Last day, inclusive. 最后一天（含）。")
    reason = serializers.CharField(
        max_length=256, help_text="Why the posting ends. 结束派驻的原因。"
    )
    confirm_gap = serializers.BooleanField(
        default=False,
        write_only=True,
        help_text="End it even though the branch would fall below its minimum staff within "
        "30 days (recorded). 即使分所在30天内人员将低于最低配置，仍确认结束（将被记录）。",
    )


class ServiceRecordSerializer(ScopedModelSerializer):
    """Work a branch did on a day. `branch` is the branch's credit code, `lawyer` the
    licence number of the lawyer who did it (optional); each also accepts the id."""

    branch = branch_field()
    branch_name = serializers.CharField(source="branch.name", read_only=True)
    lawyer = lawyer_field(required=False, allow_null=True)

    class Meta:
        model = ServiceRecord
        fields = (
            "id",
            "branch",
            "branch_name",
            "lawyer",
            "kind",
            "served_on",
            "quantity",
            "note",
            "created_at",
            "updated_at",
        )
        read_only_fields = ("created_at", "updated_at")
        brief_fields = ("id", "branch", "kind", "served_on", "quantity")


class SupportContractSerializer(ScopedModelSerializer):
    """A contract funding a branch (government-procured legal service, adviser contract)."""

    branch = branch_field()
    branch_name = serializers.CharField(source="branch.name", read_only=True)

    class Meta:
        model = SupportContract
        fields = (
            "id",
            "branch",
            "branch_name",
            "kind",
            "counterparty",
            "amount",
            "start_date",
            "end_date",
            "funding_source",
            "created_at",
            "updated_at",
        )
        read_only_fields = ("created_at", "updated_at")
        brief_fields = ("id", "branch", "kind", "amount", "start_date", "end_date")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)
        check_date_range(self, attrs)
        return attrs


class CareVisitSerializer(ScopedModelSerializer):
    """A care visit (走访慰问) to the lawyers posted at a branch."""

    branch = branch_field()
    branch_name = serializers.CharField(source="branch.name", read_only=True)

    class Meta:
        model = CareVisit
        fields = (
            "id",
            "branch",
            "branch_name",
            "visited_on",
            "visitor_organisation",
            "visitors",
            "notes",
            "created_at",
            "updated_at",
        )
        read_only_fields = ("created_at", "updated_at")
        brief_fields = ("id", "branch", "visited_on", "visitor_organisation")
