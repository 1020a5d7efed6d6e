"""Progress reports of a 1对1 firm pairing: the bar association writes one as a draft,
edits it while it is open (draft or returned) and submits it. The rules (only open
reports change, a narrative is needed to submit) are save_report_draft's and
submit_report's."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from pairing.models import ProgressReport


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format="%Y-%m-%d")


class ProgressReportForm(forms.ModelForm):
    """A draft report. The period (and, for a new report, its due date) is given by the
    writer; the status and the review fields are the services' to set."""

    class Meta:
        model = ProgressReport
        fields = (
            "period_start",
            "period_end",
            "due_date",
            "narrative",
            "trainings_held",
            "lawyers_trained",
            "joint_cases",
            "rules_adopted",
        )
        widgets = {
            "period_start": DateInput(),
            "period_end": DateInput(),
            "due_date": DateInput(),
            "narrative": forms.Textarea(attrs={"rows": 8}),
        }
        help_texts = {
            "narrative": _("What the two firms did in the period; required to submit."),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            # the deadline was set when the report was opened; the writer does not move it
            self.fields["due_date"].disabled = True

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, end = data.get("period_start"), data.get("period_end")
        if start and end and end < start:
            # the model's check constraint says the same, for the form as a whole
            self.add_error("period_end", _("Period end: must not be before period start."))
        return data
