"""Sign-in, the post-sign-in router and MFA (TOTP) set-up and verification."""

from __future__ import annotations

import base64
import logging
from io import BytesIO
from typing import Any

import qrcode
import qrcode.image.svg
from django import forms
from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_ratelimit.core import is_ratelimited

from .policy import Role, role_of

logger = logging.getLogger(__name__)


class LoginView(auth_views.LoginView):
    """Password sign-in (django-axes counts failures through the auth backend)."""

    template_name = "accounts/login.html"
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    pass


class PasswordResetView(auth_views.PasswordResetView):
    """Django's password reset, with at most PASSWORD_RESET_RATE requests per e-mail
    address (django-ratelimit, counted in the shared cache, the address hashed into the
    key). Past the limit the page answers exactly as when it sends, and sends nothing: a
    user's inbox cannot be flooded, and nobody learns whether the address is known."""

    def form_valid(self, form: Any) -> HttpResponse:
        if self.over_limit(form.cleaned_data["email"]):
            logger.warning("Password reset: e-mail limit reached for one address; not sent.")
            return HttpResponseRedirect(self.get_success_url())
        return super().form_valid(form)

    def over_limit(self, email: str) -> bool:
        address = email.strip().lower()
        try:
            return is_ratelimited(
                self.request,
                group="accounts.password_reset",
                key=lambda group, request: address,
                rate=settings.PASSWORD_RESET_RATE,
                method="POST",
                increment=True,
            )
        except Exception:  # the cache is down: a reset is not refused for that
            logger.exception("Password reset: the rate limit could not be read; sending.")
            return False


@login_required
def after_login(request: HttpRequest) -> HttpResponse:
    """Bar associations go to the portal (their daily tool, even when also made staff);
    other staff to the back office; everyone else to the portal."""
    if role_of(request.user) == Role.BAR_ASSOCIATION or not request.user.is_staff:
        return redirect("portal:home")
    return redirect("admin:index")


class TokenForm(forms.Form):
    token = forms.CharField(
        label=_("Six-digit code from your authenticator app"),
        min_length=6,
        max_length=6,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )

    def clean_token(self) -> str:
        token = self.cleaned_data["token"].strip()
        if not token.isascii() or not token.isdigit():
            raise forms.ValidationError(_("The code must be six digits."))
        return token


def _safe_next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return reverse("accounts:after-login")


@login_required
def mfa(request: HttpRequest) -> HttpResponse:
    """Verify the user's TOTP device, or enrol one (QR code) if they have none yet."""
    device = TOTPDevice.objects.filter(user=request.user, confirmed=True).first()
    enrolling = device is None
    if enrolling:
        device, _created = TOTPDevice.objects.get_or_create(
            user=request.user, confirmed=False, defaults={"name": "authenticator"}
        )
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["token"]):
            if enrolling:
                device.confirmed = True
                device.save(update_fields=["confirmed"])
            otp_login(request, device)
            return redirect(_safe_next(request))
        form.add_error("token", _("The code is wrong or has expired. Try the current one."))
    context = {"form": form, "enrolling": enrolling, "next": _safe_next(request)}
    if enrolling:
        image = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage)
        buffer = BytesIO()
        image.save(buffer)
        context["qr_svg"] = buffer.getvalue().decode()
        context["secret"] = base64.b32encode(device.bin_key).decode()
    return render(request, "accounts/mfa.html", context)
