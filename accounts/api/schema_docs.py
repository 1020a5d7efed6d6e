"""What every operation of the OpenAPI schema says about errors, concurrency and retries.

`document_errors` is a drf-spectacular postprocessing hook (SPECTACULAR_SETTINGS
["POSTPROCESSING_HOOKS"]): it adds the one error shape (`ErrorResponse`) and reusable error
responses to the components, and references them from every operation — 400/401/403/404/429
everywhere, 409 on writes, 412 (and the If-Match header) on PUT/PATCH and POST actions — so
an endpoint added by any app is documented without touching its views. On the resources
built on ScopedModelViewSet it also documents ETag, If-None-Match (304) and Idempotency-Key.
"""

from __future__ import annotations

from typing import Any

from django.utils import translation
from rest_framework import exceptions

from core.api.errors import Conflict, PreconditionFailed

ERROR_SCHEMA_NAME = "ErrorResponse"
ERROR_REF = {"$ref": f"#/components/schemas/{ERROR_SCHEMA_NAME}"}
WRITE_METHODS = ("post", "put", "patch")

ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": (
        "The one error shape of the API. 所有错误的统一格式。\n\n"
        "`status`: the HTTP status 状态码; `code`: a stable machine code 稳定的机器码 "
        "(invalid, not_authenticated, authentication_failed, permission_denied, not_found, "
        "conflict, idempotency_key_reused, precondition_failed, throttled…); `message`: the "
        "same sentence in Chinese and English 中英文说明; `detail`: for 400 an object mapping "
        "each field to its list of errors 逐字段错误, otherwise a sentence 说明文字."
    ),
    "properties": {
        "status": {"type": "integer", "description": "HTTP status 状态码"},
        "code": {"type": "string", "description": "Machine code 机器码"},
        "message": {
            "type": "object",
            "description": "Chinese and English message 中英文说明",
            "properties": {"zh": {"type": "string"}, "en": {"type": "string"}},
            "required": ["zh", "en"],
        },
        "detail": {
            "description": (
                "400: {field: [errors]} (`non_field_errors` for the record as a whole); "
                "otherwise a sentence. 400 时为逐字段错误（整体错误在 non_field_errors），"
                "其他情况为说明文字。"
            ),
            "anyOf": [
                {"type": "string"},
                {"type": "object", "additionalProperties": {}},
                {"type": "array", "items": {}},
            ],
        },
    },
    "required": ["status", "code", "message", "detail"],
}

# status -> (component name, description, exception used for the example)
ERRORS: dict[int, tuple[str, str]] = {
    400: (
        "BadRequest",
        "Invalid input: field errors, an unknown `fields` name, a bad filter, cursor or date. "
        "输入无效：字段错误、未知的 fields 字段、无效的过滤条件、游标或日期。",
    ),
    401: (
        "Unauthorized",
        "No API key, or the key is unknown, revoked, expired or used from an address outside "
        "its allow-list. 未提供 API 密钥，或密钥未知、已吊销、已过期、来源地址不在白名单内。",
    ),
    403: (
        "Forbidden",
        "The key lacks the scope this request needs (a read-only key writing), or your "
        "organisation's role may not do this. 密钥缺少所需权限范围（如只读密钥写入），或本单位"
        "角色无权执行此操作。",
    ),
    404: (
        "NotFound",
        "No such record within your organisation's scope (another province's record is a 404 "
        "too), or a page beyond the last. 记录不存在或不在本单位数据范围内（其他省份的记录同样返回 "
        "404），或页码超出范围。",
    ),
    409: (
        "Conflict",
        "Conflicts with the current state: a concurrent write took a unique value (retry), or "
        "the Idempotency-Key was already used for a different request. 与记录当前状态冲突：并发"
        "写入占用了唯一值（可重试），或 Idempotency-Key 已用于另一个请求。",
    ),
    412: (
        "PreconditionFailed",
        "If-Match does not name the record's current ETag: it changed since you read it. Read "
        "it again and retry. If-Match 与记录当前的 ETag 不符：读取后记录已被修改，请重新读取后再"
        "提交。",
    ),
    429: (
        "TooManyRequests",
        "Rate limit of your key exceeded: wait `Retry-After` seconds. 超出密钥的速率限制：请在 "
        "Retry-After 秒后重试。",
    ),
}

ETAG_HEADER = {
    "schema": {"type": "string"},
    "description": "The record's version; send it back in If-Match. 记录版本，写入时放入 If-Match。",
}
RETRY_AFTER_HEADER = {
    "schema": {"type": "integer"},
    "description": "Seconds to wait before retrying. 重试前需等待的秒数。",
}
REPLAYED_HEADER = {
    "schema": {"type": "string", "enum": ["true"]},
    "description": "Present when the response is the replay of an earlier request with the same "
    "Idempotency-Key. 使用相同 Idempotency-Key 重试时出现，表示返回的是首次请求的结果。",
}
IF_MATCH_PARAMETER = {
    "in": "header",
    "name": "If-Match",
    "schema": {"type": "string"},
    "description": "The ETag you read; 412 if the record changed since. 读取时的 ETag；记录已变更"
    "时返回 412。",
}
IF_NONE_MATCH_PARAMETER = {
    "in": "header",
    "name": "If-None-Match",
    "schema": {"type": "string"},
    "description": "The ETag you hold; 304 (no body) if the record is unchanged. 已持有的 ETag；"
    "记录未变化时返回 304（无响应体）。",
}
FIELDS_PARAMETER = {
    "in": "query",
    "name": "fields",
    "schema": {"type": "string"},
    "description": "Comma-separated fields to return (the query loads only these). "
    "逗号分隔的返回字段（查询也只读取这些字段）。",
}
BRIEF_PARAMETER = {
    "in": "query",
    "name": "brief",
    "schema": {"type": "boolean"},
    "description": "Only the brief fields. 仅返回简要字段。",
}
OPTIONAL_FIELDS_NOTE = (
    "\n\nWith ?fields= or ?brief= only the fields asked for are present; without the "
    "personal_data scope, personal fields are masked and political status is left out. "
    "使用 ?fields= 或 ?brief= 时只返回所选字段；没有 personal_data 权限时个人信息打码、"
    "不返回政治面貌。"
)
WRITE_RECEIPT_NOTE = (
    " Without the read scope (a write-only key) the answer is only `id` and `updated_at` "
    "(and the ETag header), none of the record's values. 密钥无读取权限（仅写入）时，"
    "仅返回 `id` 与 `updated_at`（及 ETag 响应头），不返回记录内容。"
)
EMPTY_PATCH_NOTE = (
    "\n\nA PATCH that names no field of the record changes nothing: nothing is saved, and "
    "`updated_at` and the ETag stay as they were. 未包含任何记录字段的 PATCH 不做任何修改："
    "不保存，`updated_at` 与 ETag 保持不变。"
)
IDEMPOTENCY_KEY_PARAMETER = {
    "in": "header",
    "name": "Idempotency-Key",
    "schema": {"type": "string", "maxLength": 255},
    "description": "Any unique string; a retry with the same key returns the first result. "
    "任意唯一字符串；使用相同键重试将返回首次结果，不会重复执行。",
}


def _both_languages(message: Any) -> dict[str, str]:
    out = {}
    for lang, key in (("zh-hans", "zh"), ("en", "en")):
        with translation.override(lang):
            out[key] = str(message)
    return out


def _example(exc: exceptions.APIException, detail: Any = None) -> dict[str, Any]:
    """The body the exception handler (core.api.errors) answers for `exc`."""
    with translation.override("zh-hans"):
        shown = detail if detail is not None else str(exc.detail)
        if isinstance(shown, dict):
            shown = {k: [str(m) for m in v] for k, v in shown.items()}
    return {
        "status": exc.status_code,
        "code": exc.default_code if detail is not None else exc.get_codes(),
        "message": _both_languages(exc.default_detail),
        "detail": shown,
    }


def error_examples() -> dict[int, dict[str, Any]]:
    from rest_framework import serializers

    required = serializers.CharField().error_messages["required"]
    return {
        400: _example(
            exceptions.ValidationError(),
            {"name": [required], "province": [required]},
        ),
        401: _example(exceptions.NotAuthenticated()),
        403: _example(exceptions.PermissionDenied()),
        404: _example(exceptions.NotFound()),
        409: _example(Conflict()),
        412: _example(PreconditionFailed()),
        429: _example(exceptions.Throttled(wait=42)),
    }


def error_components() -> dict[str, dict[str, Any]]:
    examples = error_examples()
    responses = {}
    for status, (name, description) in ERRORS.items():
        response: dict[str, Any] = {
            "description": description,
            "content": {
                "application/json": {"schema": ERROR_REF, "example": examples[status]},
            },
        }
        if status == 429:
            response["headers"] = {"Retry-After": RETRY_AFTER_HEADER}
        responses[name] = response
    return responses


def _views_by_operation(generator: Any) -> dict[tuple[str, str], Any]:
    """(path, method) -> the view instance drf-spectacular built for that operation."""
    views = {}
    for path, _regex, method, callback in getattr(generator, "endpoints", None) or []:
        view = generator.create_view(callback, method)
        views[(generator.coerce_path(path, method, view), method.lower())] = view
    return views


def _component_name(schema: dict[str, Any] | None) -> str | None:
    ref = (schema or {}).get("$ref", "")
    prefix = "#/components/schemas/"
    return ref[len(prefix) :] if ref.startswith(prefix) else None


def _record_components(response: dict[str, Any] | None, schemas: dict[str, Any]) -> list[str]:
    """The component(s) of the records a 200 response carries: the object itself, or the
    items of a page's `results`."""
    content = (response or {}).get("content", {}).get("application/json", {})
    name = _component_name(content.get("schema"))
    if name is None or name not in schemas:
        return []
    results = schemas[name].get("properties", {}).get("results")
    if results is not None:
        item = _component_name(results.get("items"))
        return [item] if item in schemas else []
    return [name]


def _add_parameter(operation: dict[str, Any], parameter: dict[str, Any]) -> None:
    parameters = operation.setdefault("parameters", [])
    if not any(
        p.get("name") == parameter["name"] and p.get("in") == parameter["in"] for p in parameters
    ):
        parameters.append(dict(parameter))


def _add_header(response: dict[str, Any], name: str, header: dict[str, Any]) -> None:
    if "$ref" not in response:
        response.setdefault("headers", {}).setdefault(name, header)


def document_errors(
    result: dict[str, Any], generator: Any, request: Any, public: bool, **kwargs: Any
) -> dict[str, Any]:
    """Add the error responses (and concurrency headers) to every operation."""
    from .filter_labels import bilingual_parameters, describe_undocumented
    from .viewsets import ScopedModelViewSet

    components = result.setdefault("components", {})
    components.setdefault("schemas", {})[ERROR_SCHEMA_NAME] = ERROR_SCHEMA
    components.setdefault("responses", {}).update(error_components())
    for component in components.get("schemas", {}).values():
        properties = component.get("properties", {})
        if "next_cursor" in properties and "results" in properties:
            # core.pagination.ApiPagination: keyset pages (updated_since / cursor) carry
            # next, next_cursor, has_more and results, page-number pages count, next,
            # previous and results: only `results` is in both
            component["required"] = ["results"]
            properties["count"].setdefault(
                "description",
                "Page-number mode only (an estimate on unfiltered national tables). "
                "仅页码分页模式返回（全国大表不加过滤时为估算值）。",
            )
    base_doc = (ScopedModelViewSet.__doc__ or "").strip()
    base_doc = " ".join(base_doc.split())
    views = _views_by_operation(generator)

    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            view = views.get((path, method))
            scoped = isinstance(view, ScopedModelViewSet)
            action = getattr(view, "action", None)
            detail = "{" in path
            # the base viewset's docstring is about the implementation, not the endpoint
            if " ".join(str(operation.get("description", "")).split()) == base_doc:
                operation.pop("description")

            statuses = [400, 401, 403, 404, 429]
            if method in WRITE_METHODS:
                statuses.append(409)
            # ScopedModelViewSet honours If-Match on updates and actions (transition()), and
            # Idempotency-Key on creates and actions
            if scoped and (method in ("put", "patch") or (method == "post" and detail)):
                statuses.append(412)
                _add_parameter(operation, IF_MATCH_PARAMETER)
            posts_once = scoped and method == "post" and (action == "create" or detail)
            if posts_once:
                _add_parameter(operation, IDEMPOTENCY_KEY_PARAMETER)

            responses = operation.setdefault("responses", {})
            for status in sorted(statuses):
                name = ERRORS[status][0]
                responses.setdefault(str(status), {"$ref": f"#/components/responses/{name}"})

            if scoped and method == "get":
                # ?fields= / ?brief= (and, without the personal-data scope, political
                # status) leave fields out of a record: none is required in the response
                for name in _record_components(responses.get("200"), components["schemas"]):
                    record = components["schemas"][name]
                    if record.pop("required", None) is not None:
                        record["description"] = (
                            record.get("description", "") + OPTIONAL_FIELDS_NOTE
                        ).strip()
                if action == "retrieve":
                    _add_parameter(operation, FIELDS_PARAMETER)
                    _add_parameter(operation, BRIEF_PARAMETER)
            if scoped and method in WRITE_METHODS:
                for code, response in responses.items():
                    if code.startswith("2") and "$ref" not in response:
                        response["description"] = (
                            response.get("description", "") + WRITE_RECEIPT_NOTE
                        ).strip()
                if method == "patch":
                    operation["description"] = (
                        operation.get("description", "") + EMPTY_PATCH_NOTE
                    ).strip()
            if scoped:
                for code, response in responses.items():
                    if code.startswith("2") and (method != "get" or action == "retrieve"):
                        _add_header(response, "ETag", ETAG_HEADER)
                    if code.startswith("2") and posts_once:
                        _add_header(response, "Idempotent-Replayed", REPLAYED_HEADER)
                if action == "retrieve":
                    _add_parameter(operation, IF_NONE_MATCH_PARAMETER)
                    responses.setdefault(
                        "304",
                        {
                            "description": "Not modified (If-None-Match matched). 未变化。",
                            "headers": {"ETag": ETAG_HEADER},
                        },
                    )
            operation["responses"] = dict(sorted(responses.items()))
    bilingual_parameters(result)  # filters.py labels are English: add the Chinese
    describe_undocumented(result)
    return result
