"""Settings shared by every environment. Everything that differs between machines is read
from the environment here (12-factor); the other modules only choose defaults."""

from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
# A local .env is read when present (never committed); real deployments set variables.
# DJANGO_READ_DOT_ENV=false ignores it (tests that prove a missing variable is refused).
if env.bool("DJANGO_READ_DOT_ENV", default=True):
    environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

SECRET_KEY = env(
    "SECRET_KEY", default="insecure-dev-key-change-me-0123456789abcdefghijklmnopqrstuvwxyz"
)
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "config.apps.PairingAdminConfig",  # django.contrib.admin with our site
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    # third party
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "import_export",
    "pgtrigger",
    "pghistory",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "csp",
    # ours, in dependency order
    "core",
    "accounts",
    "regions",
    "firms",
    "lawyers",
    "pairing",
    "branches",
    "reminders",
    "portal",
]

MIDDLEWARE = [
    # a view failing because the database does not answer: 503 with Retry-After (its
    # process_exception runs after every other middleware's)
    "core.unavailable.DatabaseUnavailableMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "core.middleware.RequestIDMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "core.middleware.ChineseFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # before the accounts middleware: SessionLifetimeMiddleware adds a message
    "django.contrib.messages.middleware.MessageMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "core.audit.AuditContextMiddleware",
    "accounts.middleware.SessionLifetimeMiddleware",
    "accounts.middleware.MFARequiredMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # /portal/ is private: signed in, with a role (after authentication)
    "portal.middleware.PortalPrivateMiddleware",
    # axes last, as its documentation asks
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "csp.context_processors.nonce",
                "portal.context.portal_sections",
            ],
        },
    },
]

# --- database --------------------------------------------------------------------------
DATABASES = {
    "default": env.db("DATABASE_URL", default="postgres://postgres@127.0.0.1:5432/pairing"),
}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
IS_POSTGRES = DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
if IS_POSTGRES:
    # libpq waits forever for a server that accepts but never answers; /healthz and the
    # workers must fail instead. Override with ?connect_timeout=N in DATABASE_URL.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("connect_timeout", 5)

# --- cache / redis ---------------------------------------------------------------------
REDIS_URL = env("REDIS_URL", default="redis://127.0.0.1:6379/0")
CACHES = {"default": env.cache("CACHE_URL", default=REDIS_URL)}
# A Redis that accepts connections but never answers would hang every request that reads
# the cache (and /healthz); with these a cache call fails within seconds.
REDIS_CACHE_OPTIONS = {"socket_connect_timeout": 2, "socket_timeout": 5}
if CACHES["default"]["BACKEND"].endswith(".RedisCache"):
    CACHES["default"].setdefault("OPTIONS", {}).update(REDIS_CACHE_OPTIONS)

# --- auth ------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # axes first: it refuses locked-out credentials before any other backend runs
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "accounts:after-login"
LOGOUT_REDIRECT_URL = "accounts:login"

# Lockout (django-axes): the same failure response whether the user exists or not, since
# attempts are counted per username (existing or not) and per client address.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=30))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "username"]
AXES_RESET_ON_SUCCESS = True
# Password-reset e-mails per address (django-ratelimit rate: count/period, e.g. 3/h);
# past it the page looks the same and nothing is sent.
PASSWORD_RESET_RATE = env("PASSWORD_RESET_RATE", default="3/h")
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_IPWARE_META_PRECEDENCE_ORDER = ["REMOTE_ADDR"]
AXES_VERBOSE = False

# Sessions: idle timeout via Django's own rolling cookie (saved every request), absolute
# lifetime enforced by accounts.middleware.SessionLifetimeMiddleware.
SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_AGE = env.int("SESSION_IDLE_TIMEOUT", default=30 * 60)
SESSION_SAVE_EVERY_REQUEST = True
SESSION_ABSOLUTE_LIFETIME = env.int("SESSION_ABSOLUTE_LIFETIME", default=12 * 60 * 60)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

# MFA (django-otp, TOTP) for staff users; on in production.
MFA_REQUIRED = env.bool("MFA_REQUIRED", default=False)
OTP_TOTP_ISSUER = "对口帮扶"

# --- i18n ------------------------------------------------------------------------------
LANGUAGE_CODE = env("LANGUAGE_CODE", default="zh-hans")
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env("TIME_ZONE", default="Asia/Shanghai")
USE_I18N = True
USE_TZ = True

# --- static / media --------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = DEBUG

# --- spreadsheet import/export (django-import-export) --------------------------------
# An upload larger than this, or with more data rows, is refused with a clear message.
IMPORT_MAX_BYTES = env.int("IMPORT_MAX_BYTES", default=10 * 1024 * 1024)
IMPORT_MAX_ROWS = env.int("IMPORT_MAX_ROWS", default=50_000)
# Zip-bomb guard: the XLSX entries' declared uncompressed size may not exceed this.
IMPORT_MAX_UNCOMPRESSED_BYTES = env.int("IMPORT_MAX_UNCOMPRESSED_BYTES", default=200 * 1024 * 1024)
# Files with more rows than this are imported by a Celery worker, with progress shown.
IMPORT_SYNC_ROWS = env.int("IMPORT_SYNC_ROWS", default=2_000)

# --- e-mail ----------------------------------------------------------------------------
EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = env("EMAIL_HOST", default="127.0.0.1")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="对口帮扶平台 <noreply@duikou.invalid>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- security headers ------------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CSRF_COOKIE_HTTPONLY = False  # the portal's htmx reads it from the cookie-less meta tag
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}

# --- DRF / OpenAPI ---------------------------------------------------------------------
REST_FRAMEWORK = {
    # API keys first: an unauthenticated call answers 401 with WWW-Authenticate: Api-Key
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.api.authentication.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "accounts.api.permissions.ApiKeyScopes",
    ],
    "DEFAULT_THROTTLE_CLASSES": [
        "accounts.api.throttling.ApiKeyRateThrottle",
        "accounts.api.throttling.SessionUserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "api_key": env("API_KEY_RATE", default="6000/hour"),
        "api_user": env("API_USER_RATE", default="6000/hour"),
    },
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "core.pagination.ApiPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "core.api.exception_handler",
    # DRF's parsers, the JSON one bounding the nesting depth (a deep body is a 400, not a 500)
    "DEFAULT_PARSER_CLASSES": [
        "core.api.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",  # off in production
    ],
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
# Seconds the API's per-request Redis calls (rate limit, API-key cache, reused scope
# counts; core/redis_client.py) wait for Redis (connect, then answer): past it the request
# goes on without Redis (logged), so a dead or hung Redis does not fail or stall the API.
API_THROTTLE_TIMEOUT = env.float("API_THROTTLE_TIMEOUT", default=0.2)
# Incremental sync (keyset pages) serves rows changed more than this many seconds ago:
# a transaction still open when a client reads past its updated_at would otherwise be
# skipped. Keep it above the longest write transaction (imports run in Celery).
API_SYNC_SETTLE_SECONDS = env.int("API_SYNC_SETTLE_SECONDS", default=5)
# A scoped caller's list of a national table with no filter but its scope reuses its row
# count for this long (core.pagination.scope_count); 0 counts on every page.
SCOPE_COUNT_SECONDS = env.int("SCOPE_COUNT_SECONDS", default=60)
# The programme dashboard's aggregates (admin index, portal home) are reused per scope and
# day for this long (core.cached_figures): a write shows on the dashboard within it,
# whatever path made it; 0 computes them on every request.
DASHBOARD_CACHE_SECONDS = env.int("DASHBOARD_CACHE_SECONDS", default=60)
IDEMPOTENCY_TTL_HOURS = env.int("IDEMPOTENCY_TTL_HOURS", default=24)
SPECTACULAR_SETTINGS = {
    "TITLE": "对口帮扶 API (Lawyer-profession pairing platform)",
    "DESCRIPTION": f"""律师行业东中西部对口帮扶平台 REST API v1：供司法部与各省业务系统读取和写入帮扶数据。

REST API v1 of the lawyer-profession pairing platform, for the ministry's and the provinces'
systems. Walk-through with curl: README, "Integrating with the API".

## 认证与权限 Authentication and scopes
每个请求在 `Authorization: Api-Key <密钥>`（或 `X-API-Key: <密钥>`）中携带本单位的 API 密钥。
密钥由司法部或省级司法厅工作人员在后台“API 密钥”中创建，明文只显示一次（库中只存摘要），可设有效期和
IP 白名单，可随时吊销。

Send your organisation's key as `Authorization: Api-Key <key>` (or `X-API-Key: <key>`). Staff
create keys in the admin (API keys → Add); the key is shown once, only its digest is stored;
a key may expire, be limited to IP addresses, and be revoked.

| 权限范围 Scope | 允许 Allows |
|---|---|
| `read` | GET：读取本单位范围内的记录 / read the records your organisation may see |
| `write` | POST、PUT、PATCH 与状态变更动作；无 `read` 时只返回 `id` 与 `updated_at` / creates, updates and state changes (`POST …/{{id}}/<action>/`); without `read`, answered with `id` and `updated_at` only |
| `personal_data` | 个人信息不打码并返回政治面貌（每次访问均记录）/ personal data unmasked and political status included (every access is logged) |

记录范围由密钥所属单位决定（司法部：全国；省级单位：涉及本省的记录，结对记录双方可见），范围外的记录一律 404，
关联字段也只能引用范围内的记录。

Records are limited to the key's organisation (the ministry: national; a province's units: the
records that involve their province, so a pairing is visible to both sides); a record outside the scope answers 404, and related
fields accept only records inside it. Related records are written by natural key (province
code, credit code, licence number) or id.

## 错误格式 Errors
所有错误同一格式 / one shape for every error (`ErrorResponse`):

```json
{{"status": 400, "code": "invalid",
 "message": {{"zh": "无效的输入。", "en": "Invalid input."}},
 "detail": {{"name": ["该字段是必填项。"]}}}}
```

`code` 为稳定的机器码，`message` 为中英文说明，`detail` 在 400 时为逐字段错误，其他情况为说明文字。

`code` is a stable machine code, `message` the same sentence in Chinese and English, `detail`
the per-field errors for 400 and a sentence otherwise. Every response carries `X-Request-ID`.

| 状态码 Status | 何时 When |
|---|---|
| 400 | 输入无效：字段错误、未知的 `fields`、无效的过滤条件、游标或日期 / invalid input: field errors, an unknown `fields` name, a bad filter, cursor or date |
| 401 | 未提供密钥，或密钥未知、已吊销、已过期、来源地址不在白名单 / no key, or an unknown, revoked or expired key, or an address outside its allow-list |
| 403 | 密钥缺少所需权限范围（如只读密钥写入），或本单位角色无权此操作 / the key lacks the scope (a read-only key writing), or your role may not do this |
| 404 | 记录不存在或不在本单位范围内；页码超出 / no such record in your scope; a page beyond the last |
| 409 | 与当前状态冲突：并发写入占用唯一值，或 Idempotency-Key 已用于另一请求 / a concurrent write took a unique value, or an Idempotency-Key reused for a different request |
| 412 | `If-Match` 与当前 `ETag` 不符：记录已被修改 / `If-Match` does not match the current `ETag`: the record changed since you read it |
| 429 | 超出速率限制，`Retry-After` 秒后重试 / rate limit exceeded: retry after `Retry-After` seconds |
| 500 | 服务器意外错误（同一格式，`code` 为 `server_error`）/ an unexpected server error (same shape, `code` `server_error`) |
| 503 | 数据库暂时不可用（`code` 为 `service_unavailable`），`Retry-After` 秒后重试；重试 POST 请带相同的 Idempotency-Key / the database is not answering (`code` `service_unavailable`): retry after `Retry-After` seconds, a POST with the same Idempotency-Key |

## 并发控制 ETag / If-Match
详情和写入响应带 `ETag`。更新（PUT/PATCH）和状态变更动作时在 `If-Match` 中回传；记录已被他人修改则返回
412，请重新读取后再提交。读取时带 `If-None-Match`，记录未变化返回 304。

Detail and write responses carry an `ETag`. Send it back in `If-Match` on PUT/PATCH and on
actions: a stale write answers 412 (read again, then retry). `If-None-Match` on a read answers
304 when the record is unchanged.

## 幂等 Idempotency-Key
POST（创建与动作）可带 `Idempotency-Key: <唯一字符串>`：{IDEMPOTENCY_TTL_HOURS} 小时内以相同键重试，返回首次
的结果（响应头 `Idempotent-Replayed: true`），不会重复创建；同一键用于不同请求返回 409。

A POST (create or action) may carry `Idempotency-Key: <unique string>`: a retry with the same key
within {IDEMPOTENCY_TTL_HOURS} hours returns the first result (`Idempotent-Replayed: true`) instead of
a duplicate; the same key with a different request answers 409.

## 增量同步 Incremental sync
`GET /api/v1/<资源 resource>/?updated_since=2026-11-27T08:00:00+08:00` 返回此后变更的记录，按
(`updated_at`, `id`) 升序，响应为 `{{"next", "next_cursor", "has_more", "results"}}`。用
`?cursor=<next_cursor>` 继续，直到 `has_more` 为 false；保存最后的 `next_cursor`，下次轮询从它继续。
最近 {API_SYNC_SETTLE_SECONDS} 秒内变更的记录（`API_SYNC_SETTLE_SECONDS`）留待下次轮询，因此并发写入时不会漏记录；
游标分页不做 COUNT，代价恒定。

`?updated_since=` returns the records changed since, oldest first by (`updated_at`, `id`), as
`{{"next", "next_cursor", "has_more", "results"}}`. Go on with `?cursor=<next_cursor>` until
`has_more` is false; keep the last `next_cursor` and start the next poll from it. Records changed
in the last {API_SYNC_SETTLE_SECONDS} seconds (`API_SYNC_SETTLE_SECONDS`) wait for the next poll, so none is
skipped while others write; keyset pages cost the same on any page (no COUNT).

## 字段选择与分页 Fields and pages
`?fields=id,name,province` 只返回并只查询这些字段，`?brief=true` 只返回简要字段；未知字段返回 400。
选择字段时响应中可能缺少其他字段。页码分页：`?page=`、`?page_size=`（最大 100）；全国大表不加过滤时
`count` 为估算值；省级密钥不加过滤列出全国大表时，`count` 最多每 {SCOPE_COUNT_SECONDS} 秒重新计算一次
（`SCOPE_COUNT_SECONDS`），其间新增或删除的记录可能尚未计入。加任何过滤条件时 `count` 为精确值。

`?fields=id,name,province` returns (and reads) only those fields, `?brief=true` the brief
ones; an unknown name answers 400. Page numbers: `?page=`, `?page_size=` (at most 100); the
`count` of an unfiltered national table is an estimate, and a province's key listing a national
table without filters gets a `count` recounted at most every {SCOPE_COUNT_SECONDS} seconds
(`SCOPE_COUNT_SECONDS`): records added or removed since may not be in it yet. With any
filter, `count` is exact.

## 速率限制 Rate limits
每个密钥 {REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["api_key"]}（`API_KEY_RATE`），超出返回 429，响应头
`Retry-After` 给出需等待的秒数。

Each key is limited to {REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["api_key"]} (`API_KEY_RATE`); beyond that the
API answers 429 with `Retry-After` (seconds to wait).

限额按滑动窗口计算（上一窗口的请求按仍在最近一个周期内的比例计入），被拒绝的请求不计数；按
`Retry-After` 等待后即可继续。限流计数服务暂时不可用时，请求照常处理而不限流。

The limit is a sliding window (the previous window's requests count in proportion to the part of
it still within the last period); refused requests do not count, so waiting `Retry-After`
seconds is enough. While the counter's store is unavailable, requests are served unthrottled.

## 变更记录 Changelog
### 1.1.0 (2026-12)
- 仅写入密钥（有 `write`、无 `read` 权限）的创建、更新与状态变更只返回 `id`、`updated_at` 和 `ETag`
  响应头，不再返回记录内容。A write-only key (`write` without `read`) gets only `id`, `updated_at`
  and the `ETag` header from a create, update or state change, no longer the record.
- 不含任何记录字段的 PATCH（如 `{{}}`）不保存任何内容，`updated_at` 与 ETag 不变。A PATCH that names no
  field of the record (`{{}}`) saves nothing: `updated_at` and the ETag stay as they were.
- 请求体中数组与对象嵌套超过 32 层返回 400（`parse_error`），此前为 500。A body nested more than 32
  levels deep answers 400 `parse_error` (was 500).
- 不表示任何时刻的 `updated_since` 或 `cursor`（时区偏移超出 ±24 小时、2 月 30 日、UTC 下超出 1–9999 年）
  返回 400 并指明参数，此前为 500。An `updated_since` or `cursor` that names no moment (an offset beyond
  ±24 h, 30 February, outside the years 1–9999 in UTC) answers 400 naming the parameter (was 500).
- 关联字段的错误写明字段、值与记录类型（此前显示 `%(field)s` 等占位符）；405、415 的 `message` 写明请求
  方法与媒体类型。Errors of related fields name the field, the value and the kind of record (they showed
  raw `%(field)s` placeholders); the `message` of a 405 or 415 names the method or media type.
- 结束派驻的日期过晚、其后 30 天的人员预检超出日历（如 9999-12-31）时返回 400（`end_date`），此前为 500。
  Ending a posting on a date whose 30-day staffing look-ahead leaves the calendar (9999-12-31) answers
  400 on `end_date` (was 500).
- 架构与响应一致（响应本身未变）：未评价的跟班学习 `evaluation_grade` 为 `""`，全国性目标与统计的
  `province` 为 null。Schema and responses agree (the responses are unchanged): `evaluation_grade` is
  `""` until the mentor evaluates, `province` is null on national targets and statistics.
- 数据库无响应时返回 503（`service_unavailable`）并带 `Retry-After` 响应头，错误体为统一格式，此前为 HTML
  的 500 页面；`/api/` 下的 500 也是统一格式的 JSON。POST 请求请用同一 `Idempotency-Key` 重试。When the
  database does not answer, the API answers 503 `service_unavailable` with `Retry-After` in the error
  shape (was an HTML 500 page); a 500 under `/api/` is JSON in the error shape too. Retry a POST with
  the same `Idempotency-Key`.
- 速率限制改为滑动窗口，被拒绝的请求不计数；计数服务（Redis）不可用时不限流，此前所有请求返回 500。The
  rate limit is a sliding window and refused requests do not count; while its store (Redis) is down,
  requests are served unthrottled (every request answered 500 before).
- 不合理的值返回 400 并指明字段（此前会被保存）：姓名、名称、说明等文字须含至少一个汉字或字母，不得含控制
  字符、改变文字方向的字符（U+202A–U+202E、U+2066–U+2069）、零宽空格或 BOM，保存时规范为 NFC；电话须为
  内地手机号（可加 +86）、带区号的固定电话或 400/800 号码（全角数字按半角保存）；出生日期在 1930 年至今天
  之间，帮扶工作日期在 2023–2100 年（派驻、服务等分所工作自 2000 年起），报告截止日期不早于报告期结束；
  长文本最多 10,000 字。Implausible values answer 400 naming the field (they were stored): text
  needs a letter or Chinese character and may not hold control, direction-changing
  (U+202A–U+202E, U+2066–U+2069), zero-width or BOM characters, and is stored NFC-normalised;
  phone numbers are mainland mobiles (+86 allowed), landlines with area code or 400/800
  numbers (full-width digits stored as ASCII); birth dates lie between 1930 and today,
  programme dates in 2023–2100 (branch work from 2000), a report's due date not before its
  period ends; narratives hold at most 10,000 characters.
- 省级密钥不加过滤列出全国大表（律师、律所、服务记录等）时，`count` 最多每 {SCOPE_COUNT_SECONDS} 秒重新计算
  一次，可能暂未计入最新增删的记录；加过滤条件时仍为精确值。A province's key listing a national table
  (lawyers, firms, service records…) without filters gets a `count` recounted at most every
  {SCOPE_COUNT_SECONDS} seconds, which may miss the latest additions and removals; with filters it is
  exact as before.
- 按 id 读取或修改单条记录时忽略列表的过滤参数（如 `/provinces/18/?code=11` 返回该记录，此前为 404）。
  A record by id ignores the list's filter parameters (`/provinces/18/?code=11` answers the record; it
  was 404).
- 吊销、停用、修改密钥（或停用其机构、服务账号）对下一次请求立即生效。Revoking, changing or
  deactivating a key (or its organisation or service user) applies from the very next request.
""",
    "VERSION": "1.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # request bodies get components of their own (read-only fields left out, natural keys
    # or ids accepted), so generated clients and fuzzers send what the API accepts
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "accounts.api.schema_docs.document_errors",
    ],
    # Swagger UI and Redoc from local static files (drf-spectacular-sidecar): nothing is
    # loaded from another host (the site's CSP is 'self' only)
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SWAGGER_UI_SETTINGS": {
        "deepLinking": True,
        "filter": True,
        "validatorUrl": None,  # the default sends the schema to an online validator
    },
    "REDOC_UI_SETTINGS": {
        "theme": {
            "typography": {
                "fontFamily": "system-ui, 'Noto Sans CJK SC', sans-serif",
                "headings": {"fontFamily": "system-ui, 'Noto Sans CJK SC', sans-serif"},
            }
        }
    },
    "SCHEMA_PATH_PREFIX": "/api/v1",
}

# --- Celery ----------------------------------------------------------------------------
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=REDIS_URL)
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", default=CELERY_BROKER_URL)
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=15 * 60)
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=14 * 60)
# An import still pending/running this long after it started cannot be running any more
# (its worker was killed or restarted; the transaction was rolled back): it is marked
# failed, with a message saying so. Keep it above CELERY_TASK_TIME_LIMIT.
IMPORT_STALE_MINUTES = env.int("IMPORT_STALE_MINUTES", default=30)
# An upload's parsed table is kept this long in the cache for its preview and apply step;
# after that (or when evicted) the stored file is parsed again.
IMPORT_TABLE_CACHE_SECONDS = env.int("IMPORT_TABLE_CACHE_SECONDS", default=24 * 60 * 60)
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_RESULT_EXPIRES = 24 * 60 * 60
CELERY_TIMEZONE = TIME_ZONE
CELERY_ENABLE_UTC = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 2 * 60 * 60}
# Workers keep their database connection across tasks (measured: 4x throughput); before
# each task, config/celery.py drops one that broke (a database restart) or is too old.
CELERY_DB_REUSE_MAX = env.int("CELERY_DB_REUSE_MAX", default=200)
# The worker's health check (`manage.py worker_health`) fails, and /healthz reports the
# worker `stale`, when no heartbeat task (sent by beat every 5 minutes) succeeded for this
# long. Keep it above CELERY_TASK_TIME_LIMIT: long tasks may hold every pool process.
WORKER_HEARTBEAT_MAX_AGE_SECONDS = env.int("WORKER_HEARTBEAT_MAX_AGE_SECONDS", default=20 * 60)
CELERY_BEAT_SCHEDULE = {
    "daily-reminder-sweep": {
        "task": "reminders.tasks.run_daily_sweep",
        "schedule": crontab(
            hour=env.int("REMINDER_SWEEP_HOUR", default=8),
            minute=env.int("REMINDER_SWEEP_MINUTE", default=0),
        ),
    },
    # proves beat and a worker are alive (the time it last ran is in the cache)
    "beat-heartbeat": {"task": "core.tasks.heartbeat", "schedule": crontab(minute="*/5")},
    "purge-idempotency-records": {
        "task": "core.tasks.purge_idempotency_records",
        "schedule": crontab(minute=17),
    },
    # the outbox: e-mail notifications never handed to the queue (Redis was down) or
    # handed over long ago and still pending (a lost task) are enqueued again
    "flush-notification-outbox": {
        "task": "reminders.tasks.flush_outbox",
        "schedule": crontab(),  # every minute
        "options": {"expires": 55},  # workers back after an outage run one, not hundreds
    },
    # imports left pending/running by a killed worker are marked failed (nothing was saved)
    "reap-interrupted-imports": {
        "task": "accounts.tasks.reap_interrupted_imports",
        "schedule": crontab(minute="*/5"),
        "options": {"expires": 290},
    },
    # e-mails left `sending` by a killed worker become `unknown` (resent only by staff)
    "reap-stale-sending-notifications": {
        "task": "reminders.tasks.reap_stale_sending",
        "schedule": crontab(minute="*/5"),
        "options": {"expires": 290},
    },
}

# --- reminder delivery (issue 6) -------------------------------------------------------
# Absolute links in e-mails: the scheme and host users reach the site at (no trailing /).
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
# Notifications per delivery task (one SMTP connection each).
REMINDER_DELIVERY_BATCH = env.int("REMINDER_DELIVERY_BATCH", default=500)
# SMTP 4xx / timeouts: retried this many times, after RETRY_SECONDS, doubling, at most
# RETRY_MAX_SECONDS apart (60 s … 30 min: about an hour in all); then `failed`.
REMINDER_DELIVERY_MAX_RETRIES = env.int("REMINDER_DELIVERY_MAX_RETRIES", default=6)
REMINDER_DELIVERY_RETRY_SECONDS = env.float("REMINDER_DELIVERY_RETRY_SECONDS", default=60)
REMINDER_DELIVERY_RETRY_MAX_SECONDS = env.float(
    "REMINDER_DELIVERY_RETRY_MAX_SECONDS", default=30 * 60
)
# Pending e-mails enqueued this long ago (or whose retry was due this long ago) and still
# pending are enqueued again by the outbox flush.
REMINDER_OUTBOX_STALE_MINUTES = env.int("REMINDER_OUTBOX_STALE_MINUTES", default=15)
# An e-mail `sending` this long (its worker died mid-send) becomes `unknown`. Keep it above
# CELERY_TASK_TIME_LIMIT.
REMINDER_SENDING_STALE_MINUTES = env.int("REMINDER_SENDING_STALE_MINUTES", default=30)
# Seconds a user's request waits for the broker when it enqueues delivery: Redis being
# down must not hang (or fail) the write; the outbox flush enqueues later.
REMINDER_BROKER_TIMEOUT = env.float("REMINDER_BROKER_TIMEOUT", default=2)

# --- logging ---------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "core.middleware.RequestIDLogFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["request_id"],
        },
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
    },
}

# Used by the health check and the demo banner.
PLATFORM_NAME = _("Lawyer-profession pairing platform")
API_DOCS_PUBLIC = env.bool("API_DOCS_PUBLIC", default=True)
DEMO_LOADERS: list[str] = [
    "firms.demo.load",
    "pairing.demo.load",
    "branches.demo.load",
    "reminders.demo.load",
]  # `load(today=...)`, in order

# --- audit (django-pghistory) ------------------------------------------------------------
# Database triggers record every insert, update and delete of tracked models — bulk writes
# and imports included — into append-only event tables. Retention: kept (>= 6 months,
# Cybersecurity Law Art. 21); nothing prunes them.
import pghistory  # noqa: E402

from core.audit_trackers import StatementInsertEvent  # noqa: E402

PGHISTORY_DEFAULT_TRACKERS = (
    # Inserts: one statement-level trigger per INSERT (bulk imports); updates and deletes
    # stay row-level, which pghistory needs for its per-row change conditions.
    StatementInsertEvent(),
    pghistory.UpdateEvent(),
    pghistory.DeleteEvent(),
)
PGHISTORY_APPEND_ONLY = True
PGHISTORY_MIDDLEWARE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
PGHISTORY_OBJ_FIELD = pghistory.ObjForeignKey(db_index=True)
# Event rows are read by object (history pages) and by context (the change log's actor
# filter); the copies of the tracked rows' own foreign keys (province, county, firm...) are
# never filtered on, so they get no index: two to six index writes fewer per audited row.
PGHISTORY_CONTEXT_FIELD = pghistory.ContextForeignKey(db_index=True)
PGHISTORY_FOREIGN_KEY_FIELD = pghistory.ForeignKey(db_index=False)
