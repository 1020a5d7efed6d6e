"""API keys: hashed at rest, scopes, expiry, revocation, IP allow-list, throttling, and
the admin that issues them."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.cache import cache
from django.db import connection
from django.utils import timezone

from accounts.api_keys import issue_api_key, revoke_api_key
from accounts.models import ApiKey
from tests.factories import LawFirmFactory

from .conftest import KeyClient

FIRMS = "/api/v1/firms/"


def firm_payload(**extra):
    from tests.factories import credit_code

    return {
        "credit_code": credit_code("430000", 777),
        "name": "接口新建律师事务所",
        "province": "43",
    } | extra


def test_the_key_table_holds_no_plaintext_key(keys):
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM accounts_apikey")
        stored = " ".join(str(value) for row in cursor.fetchall() for value in row)
    assert keys  # several keys exist
    for secret in keys.values():
        assert secret not in stored
        assert secret.split("_", 2)[2] not in stored  # not even the random part


def test_without_a_key_the_api_answers_401_with_the_scheme(regions):
    response = KeyClient().get(FIRMS)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Api-Key")
    body = response.json()
    assert body["status"] == 401
    assert body["code"] == "not_authenticated"
    assert set(body["message"]) == {"zh", "en"}


@pytest.mark.parametrize(
    "secret", ["dk_00000000_wrong", "not-a-key", "dk_" + "x" * 60, "Bearer abc"]
)
def test_an_unknown_key_is_401(regions, secret):
    response = KeyClient(secret).get(FIRMS)
    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"


def test_the_x_api_key_header_works_too(keys):
    response = KeyClient().get(FIRMS, HTTP_X_API_KEY=keys["ministry:r"])
    assert response.status_code == 200


def test_a_revoked_key_is_401(users, keys):
    secret = keys["hunan_dept:rw"]
    api_key = ApiKey.objects.get(prefix=secret.split("_")[1])
    revoke_api_key(actor=users["superuser"], api_key=api_key)
    response = KeyClient(secret).get(FIRMS)
    assert response.status_code == 401
    assert "吊销" in response.json()["detail"] or "revoked" in response.json()["detail"]


def test_an_expired_key_is_401(users):
    issued = issue_api_key(
        actor=users["superuser"],
        organisation=users["hunan_dept"].organisation,
        name="expired",
        expires_at=timezone.now() - dt.timedelta(seconds=1),
    )
    assert KeyClient(issued.secret).get(FIRMS).status_code == 401


def test_the_ip_allow_list_is_enforced(users):
    issued = issue_api_key(
        actor=users["superuser"],
        organisation=users["hunan_dept"].organisation,
        name="office only",
        allowed_ips="10.1.0.0/16\n192.0.2.7",
    )
    client = KeyClient(issued.secret)
    assert client.get(FIRMS, REMOTE_ADDR="10.1.2.3").status_code == 200
    assert client.get(FIRMS, REMOTE_ADDR="192.0.2.7").status_code == 200
    assert client.get(FIRMS, REMOTE_ADDR="127.0.0.1").status_code == 401


def test_a_bad_allow_list_is_refused_with_the_line(users):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as excinfo:
        issue_api_key(
            actor=users["superuser"],
            organisation=users["hunan_dept"].organisation,
            name="typo",
            allowed_ips="10.0.0.0/8\n10.0.0.300",
        )
    assert "allowed_ips" in excinfo.value.message_dict
    assert "2" in excinfo.value.message_dict["allowed_ips"][0]


def test_last_use_is_recorded(keys):
    secret = keys["hunan_partner:r"]
    api_key = ApiKey.objects.get(prefix=secret.split("_")[1])
    assert api_key.last_used_at is None
    KeyClient(secret).get(FIRMS, REMOTE_ADDR="10.9.8.7")
    api_key.refresh_from_db()
    assert api_key.last_used_at is not None
    assert api_key.last_used_ip == "10.9.8.7"


def test_a_read_only_key_cannot_write(keys):
    response = KeyClient(keys["hunan_dept:r"]).post(FIRMS, firm_payload(), format="json")
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


def test_a_write_only_key_cannot_read(keys):
    assert KeyClient(keys["hunan_dept:w"]).get(FIRMS).status_code == 403


def test_a_write_key_creates_through_the_service(keys):
    response = KeyClient(keys["hunan_dept:rw"]).post(FIRMS, firm_payload(), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["province"] == "43"
    assert body["name_initials"] == "jkxjlssws"  # derived by the service
    assert response["ETag"]


def test_a_partner_key_with_write_scope_still_cannot_write_what_partners_only_read(keys):
    # the scope lets the key try; the organisation's role (the policy) still decides
    response = KeyClient(keys["hunan_partner:rw"]).post(FIRMS, firm_payload(), format="json")
    assert response.status_code == 403


def test_a_key_cannot_create_a_record_in_another_province(keys):
    response = KeyClient(keys["hunan_dept:rw"]).post(
        FIRMS, firm_payload(province="54"), format="json"
    )
    assert response.status_code == 400
    assert "province" in response.json()["detail"]


def test_a_key_cannot_attach_another_provinces_row_by_guessing_its_id(keys, regions):
    xizang_county = regions["54"].counties.first()
    response = KeyClient(keys["hunan_dept:rw"]).post(
        FIRMS, firm_payload(county=xizang_county.pk), format="json"
    )
    assert response.status_code == 400
    assert "county" in response.json()["detail"]


def test_another_provinces_record_is_404_for_read_and_write(keys, regions):
    xizang_firm = LawFirmFactory(province=regions["54"], name="西藏哨兵律师事务所")
    client = KeyClient(keys["hunan_dept:rw"])
    assert client.get(f"{FIRMS}{xizang_firm.pk}/").status_code == 404
    assert (
        client.patch(f"{FIRMS}{xizang_firm.pk}/", {"phone": "1"}, format="json").status_code == 404
    )
    assert "西藏哨兵" not in client.get(FIRMS).content.decode()


def test_bad_input_names_the_field_in_chinese(keys):
    response = KeyClient(keys["hunan_dept:rw"]).post(
        FIRMS, firm_payload(credit_code="123", declared_lawyers=-1), format="json"
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert {"credit_code", "declared_lawyers"} <= set(body["detail"])


def test_a_key_is_throttled_with_retry_after(keys, settings):
    from rest_framework.settings import api_settings

    from accounts.api.throttling import ApiKeyRateThrottle

    cache.clear()
    rates = {**api_settings.DEFAULT_THROTTLE_RATES, "api_key": "3/minute"}
    original = ApiKeyRateThrottle.THROTTLE_RATES
    ApiKeyRateThrottle.THROTTLE_RATES = rates
    try:
        client = KeyClient(keys["hunan_partner:r"])
        statuses = [client.get(FIRMS).status_code for _ in range(4)]
        assert statuses == [200, 200, 200, 429]
        response = client.get(FIRMS)
        assert response.status_code == 429
        assert int(response["Retry-After"]) > 0
        assert response.json()["code"] == "throttled"
        # another key has its own budget
        assert KeyClient(keys["hunan_dept:r"]).get(FIRMS).status_code == 200
    finally:
        ApiKeyRateThrottle.THROTTLE_RATES = original
        cache.clear()


def test_staff_issue_a_key_in_the_admin_and_see_it_once(client, users):
    client.force_login(users["hunan_dept"])
    response = client.post(
        "/admin/accounts/apikey/add/",
        {
            "organisation": users["hunan_partner"].organisation.pk,
            "name": "湖南律师管理系统",
            "scope_read": "on",
            "allowed_ips": "",
        },
    )
    assert response.status_code == 200, response.content[:500]
    secret = response.context["secret"]
    assert secret.startswith("dk_")
    assert secret in response.content.decode()
    api_key = ApiKey.objects.get(name="湖南律师管理系统")
    assert api_key.created_by == users["hunan_dept"]
    # shown once: the change page does not show it
    page = client.get(f"/admin/accounts/apikey/{api_key.pk}/change/").content.decode()
    assert secret not in page
    assert KeyClient(secret).get(FIRMS).status_code == 200


def test_a_department_cannot_issue_keys_for_another_province(client, users):
    client.force_login(users["hunan_dept"])
    response = client.post(
        "/admin/accounts/apikey/add/",
        {"organisation": users["xizang_dept"].organisation.pk, "name": "x", "scope_read": "on"},
    )
    assert response.status_code == 200
    assert not ApiKey.objects.filter(name="x").exists()
    assert "organisation" in response.context["adminform"].form.errors


def test_staff_revoke_keys_with_the_admin_action(client, users, keys):
    secret = keys["hunan_partner:r"]
    api_key = ApiKey.objects.get(prefix=secret.split("_")[1])
    client.force_login(users["hunan_dept"])
    client.post(
        "/admin/accounts/apikey/",
        {"action": "revoke_keys", "_selected_action": [api_key.pk]},
    )
    api_key.refresh_from_db()
    assert api_key.revoked_at is not None
    assert KeyClient(secret).get(FIRMS).status_code == 401
