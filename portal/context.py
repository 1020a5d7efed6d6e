"""The portal's navigation, for every portal page (a context processor)."""

from __future__ import annotations

import contextlib
from typing import Any

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

SECTIONS = (
    ("trainees", "portal:trainees", _("Young lawyers")),
    ("secondments", "portal:secondments", _("Secondments")),
    ("pairings", "portal:pairings", _("Firm pairings")),
    ("branches", "portal:branches", _("Branch offices")),
    ("notifications", "portal:notifications", _("Notifications")),
)


def portal_sections(request: HttpRequest) -> dict[str, Any]:
    if not request.path.startswith("/portal/"):
        return {}
    items = []
    for key, name, label in SECTIONS:
        with contextlib.suppress(NoReverseMatch):
            items.append({"key": key, "url": reverse(name), "label": label})
    return {"portal_sections": items}
