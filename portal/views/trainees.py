"""Young lawyers of the 千名青年律师 programme: the list, a trainee's plan and secondments,
and nominating a young lawyer (the eligibility rules are nominate_trainee's)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from accounts.policy import Action, allows
from lawyers.filters import TraineeFilterSet
from lawyers.models import Trainee
from lawyers.resources import TraineeResource
from lawyers.services import nominate_trainee
from pairing.models import Secondment

from ..forms import PortalFilters, add_service_error
from ..forms.trainees import NominateTraineeForm
from .base import get_scoped_or_404, list_page, scoped

# exact licence number, pinyin initials (zs finds 张三), part of the name
SEARCH_FIELDS = ("=lawyer__current_licence_no", "^lawyer__name_initials", "lawyer__name")


class PortalTraineeFilterSet(PortalFilters, TraineeFilterSet):
    shown = {
        "status": gettext_lazy("Status"),
        "year": gettext_lazy("Cohort year"),
        "practice_track": gettext_lazy("Practice track"),
        "experience_group": gettext_lazy("Years of practice"),
    }


def may_nominate(user: Any) -> bool:
    """Only a recipient (western) province's organisations nominate young lawyers (the
    ministry for any); a helper province's bar association sees no Nominate button."""
    if not allows(user, Trainee, Action.ADD):
        return False
    organisation = getattr(user, "organisation", None)
    province = getattr(organisation, "province", None)
    return province is None or province.is_recipient


@require_GET
def trainee_list(request: HttpRequest) -> HttpResponse:
    trainees = scoped(Trainee, request.user).select_related("lawyer", "home_province")
    return list_page(
        request,
        queryset=trainees,
        filterset_class=PortalTraineeFilterSet,
        template="portal/trainees.html",
        search_fields=SEARCH_FIELDS,
        resource_class=TraineeResource,
        export_name="trainees",
        context={
            "section": "trainees",
            "can_nominate": may_nominate(request.user),
        },
    )


@require_GET
def trainee_detail(request: HttpRequest, pk: int) -> HttpResponse:
    trainee = get_scoped_or_404(
        Trainee.objects.select_related("lawyer__firm", "home_province"), request.user, pk=pk
    )
    # only the secondments the user may see (a host province sees the ones it hosts)
    secondments = (
        scoped(Secondment, request.user)
        .filter(trainee=trainee)
        .select_related("host_firm__province", "mentor")
        .annotate(activity_count=Count("activities"), activity_hours=Sum("activities__hours"))
        .order_by("start_date", "id")
    )
    return render(
        request,
        "portal/trainees_detail.html",
        {
            "section": "trainees",
            "trainee": trainee,
            "lawyer": trainee.lawyer,
            "age": trainee.lawyer.age_on(trainee.selection_date),
            "secondments": secondments,
        },
    )


@require_http_methods(["GET", "POST"])
def trainee_nominate(request: HttpRequest) -> HttpResponse:
    if not allows(request.user, Trainee, Action.ADD):
        raise PermissionDenied
    today = timezone.localdate()
    form = NominateTraineeForm(
        request.POST if request.method == "POST" else None, user=request.user, today=today
    )
    if request.method == "POST" and form.is_valid():
        try:
            trainee = nominate_trainee(actor=request.user, trainee=form.trainee(), today=today)
        except (ValidationError, PermissionDenied) as exc:
            add_service_error(form, _already_enrolled(exc), fields={"lawyer": "licence_no"})
        else:
            messages.success(
                request,
                _("%(name)s is nominated to the programme.") % {"name": trainee.lawyer.name},
            )
            return redirect("portal:trainee_detail", pk=trainee.pk)
    return render(request, "portal/trainees_nominate.html", {"section": "trainees", "form": form})


def _already_enrolled(
    error: ValidationError | PermissionDenied,
) -> ValidationError | PermissionDenied:
    """The one-enrolment rule is the lawyer field's unique constraint; say it in words."""
    if isinstance(error, ValidationError) and "lawyer" in getattr(error, "error_dict", {}):
        error.error_dict["lawyer"] = [
            ValidationError(
                _("Licence number: this lawyer is already enrolled in the programme."),
                code="unique",
            )
            if e.code == "unique"
            else e
            for e in error.error_dict["lawyer"]
        ]
    return error
