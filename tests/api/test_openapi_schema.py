"""The OpenAPI document: valid OpenAPI 3, generated without a warning in either language,
every operation summarised in Chinese and English with the documented error responses, the
API-key security scheme and the integration notes (errors, ETag, idempotency, sync, limits)."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.utils import translation
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema

from accounts.api.schema_docs import ERROR_SCHEMA_NAME, ERRORS

from .conftest import KeyClient

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
CJK = re.compile(r"[\u4e00-\u9fff]")
LATIN = re.compile(r"[A-Za-z]{3,}")
ALWAYS = (400, 401, 403, 404, 429)


def generate(language: str = "zh-hans") -> dict[str, Any]:
    with translation.override(language):
        return SchemaGenerator().get_schema(request=None, public=True)


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    return generate()


def operations(schema: dict[str, Any]):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in HTTP_METHODS:
                yield path, method, operation


def response_ref(operation: dict[str, Any], status: int) -> str | None:
    return operation["responses"].get(str(status), {}).get("$ref")


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_schema_is_valid_openapi_3_and_generates_without_warnings(language):
    GENERATOR_STATS.reset()

    document = generate(language)

    warnings = dict(GENERATOR_STATS._warn_cache) | dict(GENERATOR_STATS._error_cache)
    assert not GENERATOR_STATS, f"drf-spectacular warnings: {list(warnings)}"
    validate_schema(document)  # raises on anything that is not OpenAPI 3
    assert document["openapi"].startswith("3.")
    assert len(list(operations(document))) > 20


def test_the_served_schema_is_the_generated_one(client, db):
    served = json.loads(client.get("/api/v1/schema/?format=json").content)

    assert served["paths"].keys() == generate()["paths"].keys()
    assert served["components"]["responses"].keys() >= {name for name, _ in ERRORS.values()}


def test_every_operation_has_a_summary_in_chinese_and_english(schema):
    missing = [
        f"{method.upper()} {path}: {operation.get('summary')!r}"
        for path, method, operation in operations(schema)
        if not (CJK.search(operation.get("summary") or "") and LATIN.search(operation["summary"]))
    ]
    assert missing == []


def test_every_operation_documents_the_error_responses(schema):
    wrong = []
    for path, method, operation in operations(schema):
        expected = list(ALWAYS)
        if method in ("post", "put", "patch"):
            expected.append(409)
        for status in expected:
            if response_ref(operation, status) != f"#/components/responses/{ERRORS[status][0]}":
                wrong.append(f"{method.upper()} {path} {status}")
    assert wrong == []


def test_updates_and_actions_document_if_match_and_412(schema):
    checked = 0
    for path, method, operation in operations(schema):
        if method in ("put", "patch") or (method == "post" and "{" in path):
            if path.startswith(("/api/v1/provinces/", "/api/v1/counties/")):
                continue
            headers = {p["name"] for p in operation.get("parameters", []) if p["in"] == "header"}
            assert "If-Match" in headers, f"{method.upper()} {path}"
            assert response_ref(operation, 412) == "#/components/responses/PreconditionFailed"
            checked += 1
    assert checked > 5


def test_creates_and_actions_document_idempotency_key(schema):
    # POST /api/v1/<resource>/ (create) and POST /api/v1/<resource>/{id}/<action>/
    posts = [
        (path, operation)
        for path, method, operation in operations(schema)
        if method == "post" and (re.fullmatch(r"/api/v1/[^/]+/", path) or "{" in path)
    ]
    assert len(posts) > 10
    for path, operation in posts:
        headers = {p["name"] for p in operation.get("parameters", []) if p["in"] == "header"}
        assert "Idempotency-Key" in headers, path


def test_reads_of_one_record_document_etag_and_304(schema):
    operation = schema["paths"]["/api/v1/firms/{id}/"]["get"]

    assert "ETag" in operation["responses"]["200"]["headers"]
    assert "304" in operation["responses"]
    assert {"If-None-Match", "fields", "brief"} <= {p["name"] for p in operation["parameters"]}


def test_error_shape_is_one_component_with_examples(schema):
    error = schema["components"]["schemas"][ERROR_SCHEMA_NAME]
    assert set(error["required"]) == {"status", "code", "message", "detail"}
    assert set(error["properties"]["message"]["required"]) == {"zh", "en"}
    for status, (name, description) in ERRORS.items():
        response = schema["components"]["responses"][name]
        assert CJK.search(description)
        assert LATIN.search(description)
        content = response["content"]["application/json"]
        assert content["schema"] == {"$ref": f"#/components/schemas/{ERROR_SCHEMA_NAME}"}
        assert content["example"]["status"] == status
    assert "Retry-After" in schema["components"]["responses"]["TooManyRequests"]["headers"]


def test_documented_examples_are_what_the_api_answers(schema, keys, regions):
    examples = {
        status: schema["components"]["responses"][name]["content"]["application/json"]["example"]
        for status, (name, _) in ERRORS.items()
    }

    unauthenticated = KeyClient().get("/api/v1/firms/").json()
    invalid = KeyClient(keys["hunan_dept:rw"]).post("/api/v1/firms/", {}, format="json").json()
    forbidden = KeyClient(keys["hunan_dept:r"]).post("/api/v1/firms/", {}, format="json").json()

    assert unauthenticated == examples[401]
    assert invalid["code"] == examples[400]["code"] == "invalid"
    assert invalid["message"] == examples[400]["message"]
    assert set(examples[400]["detail"]) <= set(invalid["detail"])
    assert forbidden.keys() == examples[403].keys()
    assert forbidden["status"] == 403


def test_page_components_fit_both_page_number_and_keyset_pages(schema):
    pages = {
        name: component
        for name, component in schema["components"]["schemas"].items()
        if "next_cursor" in component.get("properties", {})
    }
    assert "PaginatedLawFirmList" in pages
    for component in pages.values():
        assert component["required"] == ["results"]
        assert {"count", "next", "previous", "has_more"} <= component["properties"].keys()


def test_record_components_require_no_field_since_fields_can_be_selected(schema):
    firm = schema["components"]["schemas"]["LawFirm"]
    assert "required" not in firm
    assert "?fields=" in firm["description"]
    # the request body still says what a create needs
    assert {"credit_code", "name", "province"} <= set(
        schema["components"]["schemas"]["LawFirmRequest"]["required"]
    )


def test_api_key_security_scheme_is_documented_and_used(schema):
    scheme = schema["components"]["securitySchemes"]["ApiKey"]
    assert scheme["type"] == "apiKey"
    assert scheme["in"] == "header"
    assert scheme["name"] == "Authorization"
    for scope in ("read", "write", "personal_data"):
        assert scope in scheme["description"]
    for path, method, operation in operations(schema):
        assert {"ApiKey": []} in operation["security"], f"{method.upper()} {path}"


def test_description_explains_integration_in_both_languages(schema):
    description = schema["info"]["description"]
    for needle in (
        "Api-Key",
        "personal_data",
        "ErrorResponse",
        *(str(status) for status in ERRORS),
        "If-Match",
        "ETag",
        "Idempotency-Key",
        "updated_since",
        "next_cursor",
        "has_more",
        "API_SYNC_SETTLE_SECONDS",
        "?fields=",
        "?brief=",
        "Retry-After",
        "增量同步",
        "速率限制",
        "错误",
    ):
        assert needle in description, needle


def test_every_parameter_is_described_in_chinese_and_english(schema):
    import re

    missing = []
    for path, method, operation in operations(schema):
        for parameter in operation.get("parameters", []):
            text = str(parameter.get("description", ""))
            if not (re.search(r"[\u4e00-\u9fff]", text) and re.search(r"[A-Za-z]", text)):
                missing.append(f"{method.upper()} {path} {parameter['name']}: {text!r}")
    assert missing == []
