"""Nominating a young lawyer (千名青年律师): the lawyer is chosen by licence number (a text
input, not a list of a national table); the eligibility rules are nominate_trainee's."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils.translation import gettext_lazy as _

from accounts.policy import Action
from lawyers.models import Lawyer, LawyerLicence, PracticeArea, Trainee
from regions.models import Province


class NominateTraineeForm(forms.Form):
    licence_no = forms.CharField(
        label=_("Licence number"),
        max_length=17,
        help_text=_("The lawyer's current licence number (执业证号), 17 digits."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    home_province = forms.ModelChoiceField(
        label=_("Home province"), queryset=Province.objects.none(), empty_label=None
    )
    cohort_year = forms.IntegerField(
        label=_("Cohort year"), validators=[MinValueValidator(2023), MaxValueValidator(2100)]
    )
    selection_date = forms.DateField(
        label=_("Selection date"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    practice_track = forms.ChoiceField(label=_("Practice track"), choices=PracticeArea.choices)
    plan_goals = forms.CharField(
        label=_("Training plan: goals"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    plan_activities = forms.CharField(
        label=_("Training plan: planned activities"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def __init__(self, *args: Any, user: Any, today: dt.date, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"cohort_year": today.year, "selection_date": today})
        super().__init__(*args, **kwargs)
        self.user = user
        # the provinces this user may nominate for (their own; every one for the ministry)
        provinces = Province.objects.for_user(user, Action.PICK).order_by("code")
        self.fields["home_province"].queryset = provinces
        own = getattr(getattr(user, "organisation", None), "province_id", None)
        if own is not None:
            self.fields["home_province"].initial = own
        self.lawyer: Lawyer | None = None

    def clean_licence_no(self) -> str:
        number = "".join(self.cleaned_data["licence_no"].split())
        lawyers = Lawyer.objects.for_user(self.user, Action.PICK)
        self.lawyer = (
            lawyers.select_related("province", "firm").filter(current_licence_no=number).first()
        )
        if self.lawyer is not None:
            return number
        earlier = LawyerLicence.objects.for_user(self.user, Action.PICK).filter(
            number=number, is_current=False
        )
        if earlier.exists():
            raise forms.ValidationError(
                _("Licence number: this licence is no longer valid (surrendered or replaced)."),
                code="not_current",
            )
        raise forms.ValidationError(
            _("Licence number: no lawyer of your province holds this licence."),
            code="not_found",
        )

    def trainee(self) -> Trainee:
        """The unsaved nomination, for nominate_trainee."""
        data = self.cleaned_data
        return Trainee(
            lawyer=self.lawyer,
            home_province=data["home_province"],
            cohort_year=data["cohort_year"],
            selection_date=data["selection_date"],
            practice_track=data["practice_track"],
            plan_goals=data["plan_goals"],
            plan_activities=data["plan_activities"],
        )
