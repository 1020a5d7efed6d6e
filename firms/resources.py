"""Spreadsheet import/export of law firms (django-import-export), keyed by credit code."""

from __future__ import annotations

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
from regions.resources import CountyWidget, ProvinceWidget

from .models import LawFirm, OrganisationForm, PartyOrganisation
from .services import set_firm_search_names


class LawFirmWidget(NaturalKeyWidget):
    """A law firm by its unified social credit code."""

    def __init__(self) -> None:
        super().__init__(LawFirm, "credit_code", upper=True)


class LawFirmResource(SpreadsheetResource):
    credit_code = column("credit_code", "统一社会信用代码", TextWidget(upper=True))
    name = column("name", "名称")
    province = column("province", "省份", ProvinceWidget())
    county = column("county", "区县代码", CountyWidget())
    organisation_form = column(
        "organisation_form",
        "组织形式",
        ChoicesWidget(OrganisationForm),
        default=OrganisationForm.PARTNERSHIP,
    )
    founded_on = column("founded_on", "成立日期", DateWidget())
    declared_lawyers = column("declared_lawyers", "律师人数", IntegerWidget(), default=0)
    declared_as_of = column("declared_as_of", "人数统计日期", DateWidget())
    is_large_scale = column("is_large_scale", "规模所", BooleanWidget())
    is_boutique = column("is_boutique", "精品所", BooleanWidget())
    is_model = column("is_model", "示范所", BooleanWidget())
    is_leading = column("is_leading", "龙头所", BooleanWidget())
    party_organisation = column(
        "party_organisation",
        "党组织",
        ChoicesWidget(PartyOrganisation),
        default=PartyOrganisation.NONE,
    )
    legacy_licence_no = column("legacy_licence_no", "原执业许可证号")
    address = column("address", "地址")
    phone = column("phone", "电话")
    email = column("email", "电子邮箱")

    text_fields = ("credit_code", "county", "legacy_licence_no", "phone")
    derived_fields = ("name_pinyin", "name_initials")
    related = ("province", "county")

    class Meta(SpreadsheetResource.Meta):
        model = LawFirm
        import_id_fields = ["credit_code"]
        fields = (
            "credit_code",
            "name",
            "province",
            "county",
            "organisation_form",
            "founded_on",
            "declared_lawyers",
            "declared_as_of",
            "is_large_scale",
            "is_boutique",
            "is_model",
            "is_leading",
            "party_organisation",
            "legacy_licence_no",
            "address",
            "phone",
            "email",
        )
        # every check constraint of LawFirm repeats a field validator (credit code format)

    def prepare_instance(self, instance: LawFirm) -> None:
        set_firm_search_names(instance)
