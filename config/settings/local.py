"""Developer and demo settings: DEBUG on unless the environment says otherwise."""

from .base import *
from .base import env

DEBUG = env.bool("DEBUG", default=True)
WHITENOISE_USE_FINDERS = True
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
# runserver serves each request on a thread of its own; a persistent connection would stay
# open after its thread ended (20 parallel requests left 20 idle connections, and a shared
# PostgreSQL answered `too many clients`). gunicorn's long-lived workers keep theirs.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=0)
