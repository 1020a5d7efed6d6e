"""Branch-office forms: postings with the dispatch checklist, ending a posting (with the
staffing-gap confirmation), service records, care visits and support contracts. Lawyers
are named by licence number in a text input — never a list over the national table."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.validators import MinValueValidator
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.policy import Action
from branches.models import BranchOffice, CareVisit, Posting, ServiceRecord, SupportContract
from lawyers.models import Lawyer

from .pairings import DateInput

CHECKLIST = ("agreement_signed", "medical_passed", "licence_transferred")


def licence_field(*, required: bool) -> forms.CharField:
    return forms.CharField(
        label=_("Lawyer's licence number"),
        max_length=17,
        required=required,
        help_text=_("The current licence number (执业证号), 17 digits."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )


def _number(value: str) -> str:
    return "".join((value or "").split())


class DateRangeMixin:
    """End before start: said beside the end date (the model's check constraint says it
    for the form as a whole)."""

    def check_dates(self, data: dict[str, Any]) -> None:
        start, end = data.get("start_date"), data.get("end_date")
        if start and end and end < start:
            self.add_error("end_date", _("End date: must not be before the start date."))  # type: ignore[attr-defined]


class PostingForm(DateRangeMixin, forms.ModelForm):
    """Post a lawyer to the branch. The posting counts toward staffing only once the
    three checklist items are ticked."""

    licence_no = licence_field(required=True)

    class Meta:
        model = Posting
        fields = (
            "kind",
            "start_date",
            "end_date",
            "agreement_signed",
            "medical_passed",
            "licence_transferred",
        )
        widgets = {"start_date": DateInput(), "end_date": DateInput()}

    field_order = ("licence_no", "kind", "start_date", "end_date", *CHECKLIST)

    def __init__(self, *args: Any, user: Any, branch: BranchOffice, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user, self.branch = user, branch
        self.instance.branch = branch

    def clean_licence_no(self) -> str:
        number = _number(self.cleaned_data["licence_no"])
        # the lawyers this user may choose (the policy's PICK: the user's province's)
        lawyers = Lawyer.objects.for_user(self.user, Action.PICK)
        lawyer = lawyers.filter(current_licence_no=number).first() if number else None
        if lawyer is None:
            raise forms.ValidationError(
                _("Licence number: no lawyer of your province holds this licence."),
                code="not_found",
            )
        self.instance.lawyer = lawyer
        return number

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        self.check_dates(data)
        return data

    def main_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if name not in CHECKLIST]

    def checklist_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in CHECKLIST]


class EndPostingForm(forms.Form):
    """End a posting: the last day and why. When ending leaves the branch short of staff,
    the form is shown again with the gap beside the end date and `confirm_gap` offered."""

    end_date = forms.DateField(
        label=Posting._meta.get_field("end_date").verbose_name,
        help_text=Posting._meta.get_field("end_date").help_text,
        widget=DateInput(),
    )
    end_reason = forms.CharField(
        label=Posting._meta.get_field("end_reason").verbose_name, max_length=256
    )
    confirm_gap = forms.BooleanField(
        label=_("End the posting although the branch will be short of staff"), required=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # offered only once a gap was found (the user then ticks it and sends the form again)
        self.confirm_field = self.fields.pop("confirm_gap")
        self.offer_confirm = False
        if self.data.get("confirm_gap"):
            self.offer_confirmation()

    def offer_confirmation(self) -> None:
        self.offer_confirm = True
        self.fields["confirm_gap"] = self.confirm_field

    @property
    def gap_confirmed(self) -> bool:
        return bool(self.cleaned_data.get("confirm_gap"))


class ServiceRecordForm(forms.ModelForm):
    """Work the branch did on a day; the lawyer (optional) by licence number."""

    licence_no = licence_field(required=False)

    class Meta:
        model = ServiceRecord
        fields = ("kind", "served_on", "quantity", "note")
        widgets = {"served_on": DateInput()}

    field_order = ("kind", "served_on", "quantity", "licence_no", "note")

    def __init__(self, *args: Any, user: Any, branch: BranchOffice, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user, self.branch = user, branch
        self.instance.branch = branch

    def clean_licence_no(self) -> str:
        number = _number(self.cleaned_data.get("licence_no", ""))
        if not number:
            self.instance.lawyer = None
            return ""
        # a lawyer posted to this branch (from any province), or one the user may choose
        posted = Q(postings__branch=self.branch)
        own = Q(pk__in=Lawyer.objects.for_user(self.user, Action.PICK).values("pk"))
        lawyer = Lawyer.objects.filter(posted | own, current_licence_no=number).first()
        if lawyer is None:
            raise forms.ValidationError(
                _("Licence number: no lawyer posted here or of your province holds this licence."),
                code="not_found",
            )
        self.instance.lawyer = lawyer
        return number


class CareVisitForm(forms.ModelForm):
    class Meta:
        model = CareVisit
        fields = ("visited_on", "visitor_organisation", "visitors", "notes")
        widgets = {"visited_on": DateInput(), "notes": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args: Any, user: Any, branch: BranchOffice, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user, self.branch = user, branch
        self.instance.branch = branch


class SupportContractForm(DateRangeMixin, forms.ModelForm):
    class Meta:
        model = SupportContract
        fields = ("kind", "counterparty", "amount", "start_date", "end_date", "funding_source")
        widgets = {"start_date": DateInput(), "end_date": DateInput()}

    def __init__(self, *args: Any, user: Any, branch: BranchOffice, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user, self.branch = user, branch
        self.instance.branch = branch
        amount = self.fields["amount"]
        amount.widget.attrs["min"] = 0
        amount.validators.append(MinValueValidator(0, message=_("Amount: must not be negative.")))

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        self.check_dates(data)
        return data
