# The two commands: `make demo` and `make test`. Everything else is a helper.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: demo test venv sysdeps lint check pytest faults bench load messages clean

$(VENV)/.installed: pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "需要 Python 3.11 ($(PYTHON)) / Python 3.11 is required"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $@

venv: $(VENV)/.installed

# Debian packages the tests need (Chromium for browser tests, CJK fonts for their
# screenshots, gettext for translations).
sysdeps:
	@missing=""; command -v chromium >/dev/null || missing="$$missing chromium"; \
	command -v msgfmt >/dev/null || missing="$$missing gettext"; \
	dpkg -s fonts-noto-cjk >/dev/null 2>&1 || missing="$$missing fonts-noto-cjk"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else echo "please install:$$missing (sudo apt-get install$$missing)"; exit 1; fi; \
	fi

demo: venv
	bash scripts/demo.sh

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

check: venv
	DJANGO_SETTINGS_MODULE=config.settings.test $(PY) manage.py check
	DJANGO_SETTINGS_MODULE=config.settings.test $(PY) manage.py makemigrations --check --dry-run

# Two pytest-xdist workers (the machine has two cores): each has its own test database,
# Redis database (settings.test) and Celery queue. PYTEST_ARGS="-n 0" runs in one process.
PYTEST_ARGS ?= -n 2
pytest: venv
	$(PY) -m pytest -m "not fault" $(PYTEST_ARGS)

# The fault suite (not in `make test`: it restarts throwaway PostgreSQL clusters under real
# Celery workers, tens of seconds); `make test` runs a short version of each.
faults: venv
	$(PY) -m pytest -n 0 -m fault

test: sysdeps lint check pytest

# The benchmark suite (bench/suite): every case at 1/10 and full national scale, one table,
# bench/results/latest.json; BENCH_* variables in README. `make bench-<name>` runs one of
# the older single benchmarks (bench/<name>.py, e.g. make bench-scope_bench).
bench: venv
	$(PY) -m bench.suite

bench-%: venv
	$(PY) -m bench.run $*

# The HTTP load test: gunicorn (production settings, 127.0.0.1 only) under locust's mixed
# workload on the national dataset, at most 5 minutes; LOAD_* variables in README.
load: venv
	$(PY) -m bench.load

messages: venv
	$(PY) manage.py makemessages -l zh_Hans --ignore=.venv --ignore=tests --ignore=scripts --no-obsolete
	$(PY) scripts/translate.py
	$(PY) manage.py compilemessages --ignore=.venv

clean:
	rm -rf $(VENV) staticfiles demo.sqlite3
