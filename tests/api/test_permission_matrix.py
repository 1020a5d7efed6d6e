"""Permission matrix over every resource of /api/v1/: API-key scope × organisation kind ×
resource × method.

The expected answer is derived from the policy layer's grants (tested with explicit
expectations in tests/accounts/test_policy_matrix.py): this matrix proves every endpoint
asks that one policy, and the key's scopes, before anything else.
- GET list: 200 when the key has `read` and the role may VIEW; else 403.
- POST (empty body): 403 without `write`; 405 where the resource takes no POST; 403
  without the role's ADD grant; else 400 (past the permission check, stopped by
  validation).
- PATCH on an id that does not exist: 403 without `write`; 405 where the resource takes
  no updates; 403 without the role's CHANGE grant; else 404.
"""

from __future__ import annotations

import pytest

from accounts.policy import Action, allows
from config.api_router import router

from .conftest import KeyClient

WHO = ("ministry", "hunan_dept", "hunan_bar", "hunan_partner")
SCOPES = ("r", "rw", "w")
MISSING_ID = 2_000_000_000

RESOURCES = [
    (prefix, viewset) for prefix, viewset, _basename in router.registry if hasattr(viewset, "model")
]


def test_every_registered_resource_is_in_the_matrix():
    assert len(RESOURCES) == len(router.registry)
    assert {"firms", "provinces", "counties"} <= {p for p, _ in RESOURCES}


def expected_list(user, model, scope):
    if "r" not in scope:
        return 403
    return 200 if allows(user, model, Action.VIEW) else 403


def expected_write(user, model, scope, viewset, method, action, ok):
    allowed_methods = getattr(viewset, "http_method_names", [])
    if "w" not in scope:
        return 403
    if method not in allowed_methods or not getattr(viewset, "writable", False):
        return 405
    return ok if allows(user, model, action) else 403


@pytest.mark.parametrize("who", WHO)
def test_matrix(who, keys, users, regions):
    failures = []
    for scope in SCOPES:
        name = f"{who}:{scope}"
        if name not in keys:
            continue
        client = KeyClient(keys[name])
        from accounts.models import ApiKey

        user = ApiKey.objects.get(prefix=keys[name].split("_")[1]).service_user
        for prefix, viewset in RESOURCES:
            model = viewset.model
            url = f"/api/v1/{prefix}/"
            checks = [
                ("GET", url, expected_list(user, model, scope), lambda c, u: c.get(u)),
                (
                    "POST",
                    url,
                    expected_write(user, model, scope, viewset, "post", Action.ADD, 400),
                    lambda c, u: c.post(u, {}, format="json"),
                ),
                (
                    "PATCH",
                    f"{url}{MISSING_ID}/",
                    expected_write(user, model, scope, viewset, "patch", Action.CHANGE, 404),
                    lambda c, u: c.patch(u, {}, format="json"),
                ),
            ]
            for method, target, expected, call in checks:
                response = call(client, target)
                if response.status_code != expected:
                    failures.append(
                        f"{name} {method} {target}: {response.status_code} != {expected}"
                    )
                elif response.status_code >= 400:
                    body = response.json()
                    assert body["status"] == response.status_code
                    assert set(body["message"]) == {"zh", "en"}
    assert not failures, "\n".join(failures)
