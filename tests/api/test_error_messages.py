"""Error messages name the field, the value and the rule, in both languages: no raw
placeholder (`%(field)s`, `{model}`) reaches a partner system or a clerk.

DRF fills a field's error message with str.format ({name}), Django's forms and validators
with % (%(name)s): a message written for the one and filled by the other shows its
placeholders. Checked three ways: every error message of every API serializer field, the
errors of every API write route given every kind of wrong value, and the errors of every
admin add form given wrong values."""

from __future__ import annotations

import importlib
import inspect
import re
from collections.abc import Iterator

import pytest
from django.apps import apps
from django.contrib import admin
from django.utils import translation
from rest_framework import serializers

from config.api_router import router
from firms.models import LawFirm
from lawyers.models import Lawyer
from tests.adminutil import add_url, form_data
from tests.factories import LawFirmFactory, LawyerFactory, licence_number

from .conftest import KeyClient

pytestmark = pytest.mark.django_db

API = "/api/v1/"
PLACEHOLDER = re.compile(r"%\([a-z_]+\)|\{[a-z_]+\}")
LANGUAGES = ("zh-hans", "en")


def serializer_classes() -> Iterator[type[serializers.Serializer]]:
    for app in apps.get_app_configs():
        for module_name in ("api.serializers", "api.fields", "api.service_input"):
            try:
                module = importlib.import_module(f"{app.name}.{module_name}")
            except ModuleNotFoundError:
                continue
            for cls in vars(module).values():
                if (
                    inspect.isclass(cls)
                    and issubclass(cls, serializers.Serializer)
                    and cls.__module__ == module.__name__
                    # (a ModelSerializer without Meta is an abstract base)
                    and (hasattr(cls, "Meta") or not issubclass(cls, serializers.ModelSerializer))
                ):
                    yield cls


def fields_of(field: serializers.Field, path: str) -> Iterator[tuple[str, serializers.Field]]:
    yield path, field
    for attr in ("child", "child_relation"):
        child = getattr(field, attr, None)
        if child is not None:
            yield from fields_of(child, f"{path}.{attr}")
    if isinstance(field, serializers.Serializer):
        for name, sub in field.fields.items():
            yield from fields_of(sub, f"{path}.{name}")


def test_every_api_field_message_uses_the_placeholders_drf_fills():
    classes = list(serializer_classes())
    assert len(classes) >= 20
    wrong = []
    for cls in classes:
        for path, field in fields_of(cls(context={}), cls.__name__):
            for language in LANGUAGES:
                with translation.override(language):
                    for key, message in field.error_messages.items():
                        if "%(" in str(message):
                            wrong.append((language, path, key, str(message)))
    assert not wrong, wrong


# --- the reported case: another province's firm from a 湖南 key --------------------------------
@pytest.fixture
def xizang_firm(regions):
    return LawFirmFactory(province=regions["54"])


def lawyer_body(firm) -> dict:
    return {
        "name": "张三",
        "province": "43",
        "licence_number": licence_number("43", 1),
        "firm": firm,
    }


@pytest.mark.parametrize(
    ("language", "by_id", "by_code", "invalid"),
    [
        (
            "zh-hans",
            "没有您可使用的id为“{pk}”的律师事务所。",
            "没有您可使用的统一社会信用代码为“{code}”的律师事务所。",
            "请填写统一社会信用代码（文本）或 id（整数）。",
        ),
        (
            "en",
            "No law firm with id “{pk}” that you may use.",
            "No law firm with unified social credit code “{code}” that you may use.",
            "Give the unified social credit code (text) or the id (a whole number).",
        ),
    ],
)
def test_an_out_of_scope_firm_is_named_by_field_value_and_model(
    keys, xizang_firm, language, by_id, by_code, invalid
):
    client = KeyClient(keys["hunan_dept:rw"])
    client.cookies["django_language"] = language
    with translation.override(language):
        assert str(LawFirm._meta.verbose_name) in by_id  # (the expectations' own words)

    answers = [
        client.post(f"{API}lawyers/", lawyer_body(value), format="json")
        for value in (xizang_firm.pk, xizang_firm.credit_code, [xizang_firm.pk])
    ]

    assert [r.status_code for r in answers] == [400, 400, 400]
    assert [r.json()["detail"]["firm"] for r in answers] == [
        [by_id.format(pk=xizang_firm.pk)],
        [by_code.format(code=xizang_firm.credit_code)],
        [invalid],
    ]
    assert not Lawyer.objects.filter(firm=xizang_firm).exists()


# --- every API write route, every kind of wrong value ----------------------------------------
WRONG_VALUES = [
    999_999_999,  # an id no row has (or another province's)
    "不存在的值",  # a natural key no row has
    {"x": 1},
    [999_999_999, "不存在的值"],
    True,
    -1,
    "",
    None,
    "2026-02-30",
    "x" * 3000,
]


def writable_fields(viewset) -> list[str]:
    serializer_class = viewset.write_serializer_class or viewset.serializer_class
    fields = serializer_class(context={}).fields
    return [name for name, field in fields.items() if not field.read_only]


def test_no_api_write_error_shows_a_placeholder(keys, xizang_firm):
    routes = [
        (prefix, writable_fields(viewset))
        for prefix, viewset, _basename in router.registry
        if getattr(viewset, "writable", False)
    ]
    assert len(routes) >= 10
    seen, raw = 0, []
    for language in LANGUAGES:
        client = KeyClient(keys["hunan_dept:rw"])
        client.cookies["django_language"] = language
        for prefix, names in routes:
            for value in WRONG_VALUES:
                response = client.post(
                    f"{API}{prefix}/", dict.fromkeys(names, value), format="json"
                )
                assert response.status_code < 500, (prefix, value, response.status_code)
                seen += response.status_code == 400
                found = PLACEHOLDER.findall(response.content.decode())
                if found:
                    raw.append((language, prefix, repr(value)[:30], found))
    assert seen >= len(routes) * len(WRONG_VALUES)  # (the errors were there to look at)
    assert not raw, raw


# --- every admin add form, wrong values -------------------------------------------------------
ADMIN_WRONG_VALUES = ["不存在的值", "2026-02-30", "x" * 3000]  # (numbers: the API part)


def without_scripts(html: str) -> str:
    return re.sub(r"<script.*?</script>", "", html, flags=re.DOTALL)


def test_no_admin_form_error_shows_a_placeholder(client, rf, users, regions):
    LawyerFactory(firm=LawFirmFactory(province=regions["43"]))
    client.force_login(users["superuser"])
    raw, forms = [], 0
    for model, model_admin in admin.site._registry.items():
        request = rf.get("/")
        request.user = users["superuser"]
        if not model_admin.has_add_permission(request):
            continue
        url = add_url(model)
        forms += 1
        blank = form_data(client, url)
        # (inline management forms kept; autocomplete fields included: accounts.scoped_admin
        # re-shows a refused form without looking up values that cannot be ids)
        fields = [k for k in blank if "-" not in k]
        for language in LANGUAGES:
            client.cookies["django_language"] = language
            for value in ADMIN_WRONG_VALUES:
                response = client.post(url, {**blank, **dict.fromkeys(fields, value)})
                assert response.status_code < 500, (model, value)
                found = PLACEHOLDER.findall(without_scripts(response.content.decode()))
                if found:
                    raw.append((language, model.__name__, value[:20], found))
        client.cookies["django_language"] = "zh-hans"
    assert forms >= 15
    assert not raw, raw
