"""Bar-association portal. Issue 7 builds the work pages; this is its signed-in home."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.policy import role_of


@login_required
def home(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "portal/home.html",
        {"organisation": request.user.organisation, "role": role_of(request.user)},
    )
