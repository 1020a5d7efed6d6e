"""Settings for the test suite: the real PostgreSQL and Redis, fast password hashing."""

import os

from .base import *
from .base import env

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# A Redis database of its own so tests never touch a developer's data; each pytest-xdist
# worker (gw0, gw1, …) one more of its own, counting down from 15, since tests clear the
# cache (FLUSHDB) and count throttled requests in it.
_XDIST_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
_REDIS_DB = 15 - int(_XDIST_WORKER.removeprefix("gw") or 0) % 8
REDIS_URL = env("TEST_REDIS_URL", default=f"redis://127.0.0.1:6379/{_REDIS_DB}")
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "OPTIONS": REDIS_CACHE_OPTIONS,
    }
}
CELERY_BROKER_URL = env("TEST_CELERY_BROKER_URL", default=REDIS_URL)
CELERY_RESULT_BACKEND = CELERY_BROKER_URL
CELERY_TASK_ALWAYS_EAGER = False
# A queue of this test process's own (the tests' embedded worker consumes it): another
# test run on the same Redis, or another pytest-xdist process, never takes its tasks.
CELERY_TASK_DEFAULT_QUEUE = f"pairing-test-{os.getpid()}"
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
AXES_ENABLED = True
LANGUAGE_CODE = "zh-hans"
API_SYNC_SETTLE_SECONDS = 0  # tests that need the settle window set it themselves
SCOPE_COUNT_SECONDS = 0  # likewise the reused scope counts (tests/core/test_scope_count.py)
DASHBOARD_CACHE_SECONDS = 0  # and the dashboard's aggregates (tests/test_dashboard_cache.py)
# Tests send several resets to the same addresses within the hour (and runs follow each
# other on the same Redis); the limit's own test sets the production rate.
PASSWORD_RESET_RATE = "1000/h"
