"""A secondment's forms: a training activity, the mentor's evaluation, the bar's sign-off.
The rules (dates within the secondment, state of the secondment) are the services'."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from pairing.models import ActivityKind, EvaluationGrade


class TrainingActivityForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=ActivityKind.choices)
    held_on = forms.DateField(
        label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    hours = forms.DecimalField(
        label=_("Hours"),
        max_digits=5,
        decimal_places=1,
        min_value=Decimal("0.1"),
        max_value=Decimal(24),
        widget=forms.NumberInput(attrs={"step": "0.1"}),
    )
    title = forms.CharField(label=_("Title"), max_length=128, required=False)


class EvaluationForm(forms.Form):
    grade = forms.ChoiceField(
        label=_("Mentor's evaluation"),
        choices=[("", _("Choose a grade")), *EvaluationGrade.choices],
    )
    comment = forms.CharField(
        label=_("Evaluation comment"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )


class SignOffForm(forms.Form):
    """No fields: the button confirms (a POST with the CSRF token)."""
