"""Who may call what: the key's scopes, then the policy layer's model-level grant."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import permissions
from rest_framework.request import Request

from ..policy import Action, allows
from .authentication import api_key_of

METHOD_ACTIONS = {
    "GET": Action.VIEW,
    "HEAD": Action.VIEW,
    "OPTIONS": Action.VIEW,
    "POST": Action.ADD,
    "PUT": Action.CHANGE,
    "PATCH": Action.CHANGE,
    "DELETE": Action.DELETE,
}


class ApiKeyScopes(permissions.BasePermission):
    """read for GET/HEAD/OPTIONS, write for everything else."""

    message = _("This API key lacks the scope this request needs (read or write).")

    def has_permission(self, request: Request, view: Any) -> bool:
        api_key = api_key_of(request)
        if api_key is None:
            return True
        if request.method in permissions.SAFE_METHODS:
            return api_key.scope_read
        return api_key.scope_write


class PolicyPermission(permissions.BasePermission):
    """The role's model-level grant for the action (rows are filtered by the queryset;
    an object outside the caller's scope is a 404, never a 403)."""

    message = _("Your organisation may not do this.")

    def has_permission(self, request: Request, view: Any) -> bool:
        # a method the resource does not take is a 405 for everyone, whatever the role
        if request.method.lower() not in view.http_method_names:
            return True
        if getattr(view, "action", None) in ("create", "update", "partial_update") and not (
            getattr(view, "writable", True)
        ):
            return True
        action = view.policy_action()
        return allows(request.user, view.queryset_model(), action)
