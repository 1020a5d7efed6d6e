"""Spreadsheet import/export of lawyers, keyed by their current licence number (执业证号).

Importing a new lawyer also records the current licence, as `register_lawyer` does; a
licence number that belongs to an earlier (surrendered) licence, or to someone else, is
refused. The province of registration and the licence change only through the licence
services (`replace_licence`), never by import.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from accounts.imports import (
    ChoicesWidget,
    DateWidget,
    IntegerWidget,
    MultipleChoicesWidget,
    NaturalKeyWidget,
    SpreadsheetResource,
    TextWidget,
    column,
)
from core.bulk import bulk_insert
from firms.resources import LawFirmWidget
from regions.resources import ProvinceWidget

from .identifiers import parse_licence_number
from .models import (
    ExperienceGroup,
    Gender,
    Lawyer,
    LawyerLicence,
    PoliticalStatus,
    PracticeArea,
    Trainee,
)
from .services import set_lawyer_search_names


class LawyerWidget(NaturalKeyWidget):
    """A lawyer by the current licence number."""

    def __init__(self) -> None:
        super().__init__(Lawyer, "current_licence_no")


class LawyerResource(SpreadsheetResource):
    current_licence_no = column("current_licence_no", "执业证号")
    name = column("name", "姓名")
    gender = column("gender", "性别", ChoicesWidget(Gender))
    birth_date = column("birth_date", "出生日期", DateWidget())
    political_status = column(
        "political_status",
        "政治面貌",
        ChoicesWidget(PoliticalStatus),
        default=PoliticalStatus.MASSES,
    )
    first_licence_year = column("first_licence_year", "首次执业年份", IntegerWidget())
    licence_valid_from = column("licence_valid_from", "执业证发证日期", DateWidget())
    province = column("province", "执业省份", ProvinceWidget())
    firm = column("firm", "律师事务所统一社会信用代码", LawFirmWidget())
    practice_areas = column(
        "practice_areas", "执业领域", MultipleChoicesWidget(PracticeArea), default=list
    )
    phone = column("phone", "手机号码")
    email = column("email", "电子邮箱")

    personal_fields = ("phone", "email")
    personal_data_permission = "lawyers.view_personal_data"
    text_fields = ("current_licence_no", "firm", "phone")
    derived_fields = ("name_pinyin", "name_initials")
    related = ("province", "firm", "firm__province")

    class Meta(SpreadsheetResource.Meta):
        model = Lawyer
        import_id_fields = ["current_licence_no"]
        fields = (
            "current_licence_no",
            "name",
            "gender",
            "birth_date",
            "political_status",
            "first_licence_year",
            "licence_valid_from",
            "province",
            "firm",
            "practice_areas",
            "phone",
            "email",
        )
        # Lawyer's check constraint (year >= 1979) repeats the field's MinValueValidator

    def get_bulk_update_fields(self) -> list[str]:
        # the licence and the province of registration change through replace_licence
        return [
            n
            for n in super().get_bulk_update_fields()
            if n not in ("licence_valid_from", "province")
        ]

    def loaded(self, found: dict[str, Any]) -> None:
        """The current licence's start date of each existing lawyer, and every licence
        number in the file that is taken (by an earlier licence or another lawyer)."""
        lawyers = {obj.pk: obj for obj in found.values()}
        for obj in lawyers.values():
            obj.licence_valid_from = None
            obj._import_province_id = obj.province_id
        for lawyer_id, valid_from in LawyerLicence.objects.filter(
            lawyer_id__in=list(lawyers), is_current=True
        ).values_list("lawyer_id", "valid_from"):
            lawyers[lawyer_id].licence_valid_from = valid_from

    def before_import(self, dataset: Any, **kwargs: Any) -> None:
        super().before_import(dataset, **kwargs)
        column_name = self.key_field.column_name
        numbers = (
            {self.key_field.widget.clean(v) for v in dataset[column_name]} - {""}
            if column_name in (dataset.headers or [])
            else set()
        )
        self._licence_owner = dict(
            LawyerLicence.objects.filter(number__in=numbers).values_list("number", "lawyer_id")
        )

    def prepare_instance(self, instance: Lawyer) -> None:
        set_lawyer_search_names(instance)

    def validate_row(self, instance: Lawyer, errors: dict[str, list[str]]) -> None:
        number = instance.current_licence_no
        if instance.pk is None:
            if number in self._licence_owner:
                errors.setdefault("current_licence_no", []).append(
                    _("Licence number: belongs to an earlier licence or another lawyer.")
                )
                return
            licence = self.new_licence(instance)
            if licence.valid_from is None:
                errors.setdefault("licence_valid_from", []).append(
                    _("Licence valid from: required for a new lawyer.")
                )
                return
            # a missing province is reported on its own column, not again here
            exclude = ["lawyer"] if instance.province_id else ["lawyer", "issuing_province"]
            try:
                licence.full_clean(
                    exclude=exclude, validate_unique=False, validate_constraints=False
                )
            except Exception as e:  # ValidationError
                for name, messages in getattr(e, "message_dict", {}).items():
                    target = {"number": "current_licence_no", "valid_from": "licence_valid_from"}
                    errors.setdefault(target.get(name, "current_licence_no"), []).extend(messages)
        else:
            stored_province = getattr(instance, "_import_province_id", instance.province_id)
            if instance.province_id != stored_province:
                errors.setdefault("province", []).append(
                    _("Province of registration: changes with a new licence, not by import.")
                )

    def new_licence(self, instance: Lawyer) -> LawyerLicence:
        licence = LawyerLicence(
            lawyer=instance,
            number=instance.current_licence_no,
            issuing_province_id=instance.province_id,
            valid_from=getattr(instance, "licence_valid_from", None),
            is_current=True,
        )
        parsed = parse_licence_number(licence.number or "")
        if parsed is not None:
            licence.city_code = parsed.city_code
            licence.licensed_year = parsed.year
            licence.category = parsed.category
        return licence

    def after_bulk_create(self, instances: list[Lawyer]) -> None:
        bulk_insert(LawyerLicence, [self.new_licence(lawyer) for lawyer in instances])

    def export_queryset(self, queryset: Any) -> Any:
        from django.db.models import OuterRef, Subquery

        current = LawyerLicence.objects.filter(lawyer=OuterRef("pk"), is_current=True)
        return (
            super()
            .export_queryset(queryset)
            .annotate(licence_valid_from=Subquery(current.values("valid_from")[:1]))
        )


class TraineeResource(SpreadsheetResource):
    """Nominations to the 千名青年律师 programme, keyed by the lawyer's licence number. The
    eligibility rules are Trainee.clean()'s (under 40 on the selection date, a western
    home province, a valid licence); the experience group is derived as nominate_trainee
    does; the status moves only through the programme's services (not imported)."""

    lawyer = column("lawyer", "执业证号", LawyerWidget())
    cohort_year = column("cohort_year", "期别（年度）", IntegerWidget())
    home_province = column("home_province", "派出省份", ProvinceWidget())
    selection_date = column("selection_date", "遴选日期", DateWidget())
    practice_track = column("practice_track", "培养方向", ChoicesWidget(PracticeArea))
    plan_goals = column("plan_goals", "培养目标", TextWidget())
    plan_activities = column("plan_activities", "计划安排", TextWidget())

    text_fields = ("lawyer",)
    derived_fields = ("experience_group",)
    related = ("lawyer", "home_province")

    class Meta(SpreadsheetResource.Meta):
        model = Trainee
        import_id_fields = ["lawyer"]
        fields = (
            "lawyer",
            "cohort_year",
            "home_province",
            "selection_date",
            "practice_track",
            "plan_goals",
            "plan_activities",
        )

    def prepare_instance(self, instance: Trainee) -> None:
        if instance.lawyer_id and instance.selection_date:
            instance.experience_group = ExperienceGroup.for_years(
                instance.lawyer.years_of_practice(instance.selection_date)
            )
