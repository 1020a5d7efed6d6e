"""API fixtures: keys per organisation kind and scope, and a client that sends them."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from accounts.api_keys import issue_api_key
from accounts.models import Organisation
from accounts.policy import Role


class KeyClient(APIClient):
    """An APIClient that sends `Authorization: Api-Key <secret>` on every request."""

    def __init__(self, secret: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if secret:
            self.credentials(HTTP_AUTHORIZATION=f"Api-Key {secret}")


def issue(actor: Any, organisation: Organisation, **scopes: Any) -> str:
    return issue_api_key(
        actor=actor, organisation=organisation, name=f"test {organisation} {scopes}", **scopes
    ).secret


@pytest.fixture
def keys(users) -> dict[str, str]:
    """Secrets by "<who>:<scopes>": ministry, 湖南 department / bar / partner, 西藏 department;
    scopes r (read), rw (read+write), rwp (+personal data), w (write only)."""
    root = users["superuser"]
    orgs = {
        "ministry": users["ministry"].organisation,
        "hunan_dept": users["hunan_dept"].organisation,
        "hunan_bar": users["hunan_bar"].organisation,
        "hunan_partner": users["hunan_partner"].organisation,
        "xizang_dept": users["xizang_dept"].organisation,
    }
    out = {}
    for who, org in orgs.items():
        out[f"{who}:r"] = issue(root, org)
        out[f"{who}:rw"] = issue(root, org, scope_write=True)
        out[f"{who}:rwp"] = issue(root, org, scope_write=True, scope_personal_data=True)
    out["hunan_dept:w"] = issue(root, orgs["hunan_dept"], scope_read=False, scope_write=True)
    return out


@pytest.fixture
def client_for(keys):
    def make(name: str) -> KeyClient:
        return KeyClient(keys[name])

    return make


ROLE_OF = {
    "ministry": Role.MINISTRY,
    "hunan_dept": Role.JUSTICE_DEPARTMENT,
    "hunan_bar": Role.BAR_ASSOCIATION,
    "hunan_partner": Role.PARTNER,
}
