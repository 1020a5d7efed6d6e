"""gunicorn's worker model comes from the environment (config/gunicorn.py): GUNICORN_WORKER_CLASS,
GUNICORN_WORKERS, GUNICORN_THREADS and GUNICORN_KEEPALIVE, defaulting to the model measured
best with `make load` (README, "Choosing the worker model"); a wrong value stops the server
with the variable's name and its rule instead of running another model than asked."""

from __future__ import annotations

import runpy
from pathlib import Path

import pytest

CONFIG = Path(__file__).resolve().parents[2] / "config" / "gunicorn.py"
VARIABLES = ("GUNICORN_WORKER_CLASS", "GUNICORN_WORKERS", "GUNICORN_THREADS", "GUNICORN_KEEPALIVE")


@pytest.fixture
def environ(monkeypatch):
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def settings_of() -> dict:
    config = runpy.run_path(str(CONFIG))
    return {k: config[k] for k in ("worker_class", "workers", "threads", "keepalive")}


def test_the_default_is_the_measured_model(environ):
    assert settings_of() == {
        "worker_class": "gthread",
        "workers": 2,
        "threads": 4,
        "keepalive": 0,
    }


def test_the_environment_chooses_the_model(environ):
    environ.setenv("GUNICORN_WORKER_CLASS", "sync")
    environ.setenv("GUNICORN_WORKERS", "5")
    environ.setenv("GUNICORN_THREADS", "1")
    environ.setenv("GUNICORN_KEEPALIVE", "2")

    assert settings_of() == {"worker_class": "sync", "workers": 5, "threads": 1, "keepalive": 2}


def test_threads_above_one_run_gthread_and_say_so(environ):
    environ.setenv("GUNICORN_WORKER_CLASS", "sync")
    environ.setenv("GUNICORN_THREADS", "3")

    assert settings_of()["worker_class"] == "gthread"


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("GUNICORN_WORKERS", "0", "GUNICORN_WORKERS must be a whole number of at least 1"),
        ("GUNICORN_THREADS", "two", "GUNICORN_THREADS must be a whole number of at least 1"),
        ("GUNICORN_KEEPALIVE", "-1", "GUNICORN_KEEPALIVE must be a whole number of at least 0"),
        ("GUNICORN_WORKER_CLASS", "gevent", "GUNICORN_WORKER_CLASS must be one of sync, gthread"),
    ],
)
def test_a_wrong_value_names_the_variable_and_its_rule(environ, name, value, message):
    environ.setenv(name, value)

    with pytest.raises(ValueError, match=message):
        runpy.run_path(str(CONFIG))
