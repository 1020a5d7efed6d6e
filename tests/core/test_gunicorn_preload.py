"""gunicorn preloads the application in its master (config/gunicorn.py), so every worker is
a fork: that is only safe while importing the application opens no connection that the
forks would share."""

from __future__ import annotations

import os
import runpy
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
from config.wsgi import application
from django.db import connections
open_db = [alias for alias in connections if connections[alias].connection is not None]
print("OPEN", open_db)
"""


def test_gunicorn_preloads_the_application():
    config = runpy.run_path(str(ROOT / "config" / "gunicorn.py"))
    assert config["preload_app"] is True


def test_importing_the_wsgi_application_opens_no_database_connection():
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "SECRET_KEY": "x-test-only-0123456789abcdefghijklmnopqrstuvwxyz-0123456789",
        "ALLOWED_HOSTS": "127.0.0.1",
    }
    result = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "OPEN []" in result.stdout
