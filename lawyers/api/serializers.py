from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from accounts.api.serializers import NaturalKeyRelatedField, ScopedModelSerializer
from firms.models import LawFirm
from regions.models import Province

from ..identifiers import validate_licence_number
from ..models import Lawyer, LawyerLicence, PracticeArea, Trainee
from .fields import ChoiceListField, LawyerKeyField
from .service_input import ServiceInputSerializerMixin

LICENCE_FIELDS = ("licence_number", "licence_valid_from")


class LawyerLicenceSerializer(serializers.ModelSerializer):
    """One licence of the lawyer's history (read-only: licences change through a licence
    replacement)."""

    issuing_province = NaturalKeyRelatedField(model=Province, natural_key="code", read_only=True)

    class Meta:
        model = LawyerLicence
        fields = ("number", "issuing_province", "valid_from", "valid_to", "is_current")
        read_only_fields = fields


class LawyerSerializer(ScopedModelSerializer):
    """A lawyer with their licence history. `province` (the province of the current
    licence) is a province code, `firm` a credit code; both accept the id on writes. Phone
    and e-mail are masked, and political status left out, without the personal-data scope."""

    province = NaturalKeyRelatedField(model=Province, natural_key="code")
    firm = NaturalKeyRelatedField(
        model=LawFirm, natural_key="credit_code", required=False, allow_null=True
    )
    practice_areas = ChoiceListField(choices=PracticeArea.choices, required=False)
    licences = LawyerLicenceSerializer(many=True, read_only=True)

    class Meta:
        model = Lawyer
        fields = (
            "id",
            "name",
            "name_pinyin",
            "name_initials",
            "gender",
            "birth_date",
            "political_status",
            "first_licence_year",
            "province",
            "firm",
            "current_licence_no",
            "practice_areas",
            "phone",
            "email",
            "licences",
            "created_at",
            "updated_at",
        )
        read_only_fields = (
            "name_pinyin",
            "name_initials",
            "current_licence_no",
            "created_at",
            "updated_at",
        )
        brief_fields = ("id", "name", "current_licence_no", "province", "firm")
        personal_fields = ("phone", "email")
        sensitive_fields = ("political_status",)
        # the province follows the current licence (a licence replacement moves it)
        write_only_on_create = ("province",)


class LawyerWriteSerializer(ServiceInputSerializerMixin, LawyerSerializer):
    """Registering a lawyer also records the current licence (`licence_number`,
    `licence_valid_from`); afterwards the licence changes only by replacement."""

    licence_number = serializers.CharField(
        write_only=True,
        max_length=17,
        validators=[validate_licence_number],
        help_text="The current licence's number (17 digits). 现执业证号（17 位）。",
    )
    licence_valid_from = serializers.DateField(
        write_only=True, help_text="The current licence's start. 现执业证起始日期。"
    )

    class Meta(LawyerSerializer.Meta):
        fields = (*LawyerSerializer.Meta.fields, *LICENCE_FIELDS)
        service_input = LICENCE_FIELDS

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance is not None:
            for name in LICENCE_FIELDS:
                if name in self.fields:
                    self.fields[name].required = False

    def validate_licence_number(self, value: str) -> str:
        if LawyerLicence.objects.filter(number=value).exists():
            raise serializers.ValidationError(_("Licence number: already registered."))
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if self.instance is not None:
            given = [n for n in LICENCE_FIELDS if n in attrs]
            if given:
                raise serializers.ValidationError(
                    {n: [_("Cannot be changed once the record exists.")] for n in given}
                )
        return super().validate(attrs)


class TraineeSerializer(ScopedModelSerializer):
    """A young lawyer of the 千名青年律师 programme. `lawyer` is the current licence number
    (or the lawyer's id), `home_province` a province code. Status and experience group
    are kept by the services."""

    lawyer = LawyerKeyField()
    lawyer_name = serializers.CharField(source="lawyer.name", read_only=True)
    home_province = NaturalKeyRelatedField(model=Province, natural_key="code")

    class Meta:
        model = Trainee
        fields = (
            "id",
            "lawyer",
            "lawyer_name",
            "cohort_year",
            "home_province",
            "selection_date",
            "status",
            "experience_group",
            "practice_track",
            "plan_goals",
            "plan_activities",
            "created_at",
            "updated_at",
        )
        read_only_fields = ("status", "experience_group", "created_at", "updated_at")
        brief_fields = ("id", "lawyer", "lawyer_name", "cohort_year", "home_province", "status")
        write_only_on_create = ("lawyer",)
