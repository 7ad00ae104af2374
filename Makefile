# Two commands a newcomer needs: `make run` and `make test` (see README.md).
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
# The first interpreter >= 3.12 on PATH (Django 6 refuses older ones).
PYTHON ?= $(shell for p in python3.13 python3.12 python3; do \
	$$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1 \
	&& { echo $$p; break; }; done)

.PHONY: run test test-all lint format install install-dev bench serve migration-lint loadtest scaleout-test

$(VENV)/.created:
	@test -n "$(PYTHON)" || { echo "error: no Python >= 3.12 found (tried python3.13, python3.12, python3); install one and retry" >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)
	@touch $@

$(VENV)/.runtime: requirements.txt $(VENV)/.created
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements.txt
	@touch $@

# Test tools from npm too: axe-core, which the browser tests run on every page state.
$(VENV)/.dev: requirements.txt requirements-dev.txt package.json $(VENV)/.created
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	npm install --no-audit --no-fund --silent
	@touch $@ $(VENV)/.runtime

install: $(VENV)/.runtime
install-dev: $(VENV)/.dev

# Serve the app on SQLite (or DATABASE_URL) with ~200 demo users and a demo superuser.
run: $(VENV)/.runtime
	DEBUG=$${DEBUG:-true} $(PY) manage.py migrate --noinput
	DEBUG=$${DEBUG:-true} $(PY) manage.py seed_users --count 200 --demo-superuser
	DEBUG=$${DEBUG:-true} $(PY) manage.py runserver 127.0.0.1:8000

# Production serving: gunicorn + whitenoise (hashed, compressed static files)
# against DATABASE_URL; needs SECRET_KEY, ALLOWED_HOSTS (and HTTPS=false when
# trying it on plain http://127.0.0.1).
serve: $(VENV)/.runtime
	STATIC_MANIFEST=true $(PY) manage.py collectstatic --noinput -v0
	STATIC_MANIFEST=true $(PY) manage.py migrate --noinput
	STATIC_MANIFEST=true $(VENV)/bin/gunicorn -c gunicorn.conf.py

# Fails on migrations that are unsafe on a live table (django-migration-linter).
migration-lint: $(VENV)/.dev
	DEBUG=true $(PY) manage.py lintmigrations users --sql-analyser postgresql \
		--no-cache --warnings-as-errors --quiet ok ignore

# The everyday suite, on SQLite unless DATABASE_URL points at PostgreSQL, on
# every core (pytest-xdist; PYTEST_ARGS="-n 0" runs it in one process): all but
# the browser tests and those marked slow (servers, subprocesses, deliberate
# waits). ALL=1 runs everything, browser tests in Chromium included: what CI runs.
TEST_SELECTION = $(if $(filter 1,$(ALL)),,-m "not browser and not slow")
test: $(VENV)/.dev
	$(VENV)/bin/pytest -n auto --dist worksteal $(TEST_SELECTION) $(PYTEST_ARGS)
	@$(if $(filter 1,$(ALL)),true,echo "(browser and slow tests left out: make test ALL=1 runs everything)")

test-all:
	$(MAKE) test ALL=1

lint: $(VENV)/.dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache

format: $(VENV)/.dev
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

# noogh vs a stock Django admin at 1M and 10k users (needs DATABASE_URL=postgres://...).
# BENCH_ARGS, e.g. "--users 200000 --repeat 20"; see bench/run.py --help. Keeps that
# database and <name>_small for the next run; drops its scratch <name>_import.
bench: $(VENV)/.dev
	$(PY) bench/run.py $(BENCH_ARGS)

# gunicorn + locust, 32 staff clients for 3 minutes over 100k users (needs
# DATABASE_URL=postgres://...). LOADTEST_ARGS="--fault" also restarts PostgreSQL
# midway (this machine's cluster: keep it out of CI). Works in <name>_load, kept.
loadtest: $(VENV)/.dev
	$(PY) loadtest/run.py $(LOADTEST_ARGS)

# The scale-out of docs/scaling.md on this machine, as root: a streaming replica
# (pg_basebackup, its own port and slot), PgBouncer in transaction mode in front
# of each cluster, two gunicorn servers behind nginx, and the locust load through
# it with replica lag, a killed app server, a stopped replica and a restarted
# PgBouncer (needs DATABASE_URL=postgres://...; works in <name>_scaleout, kept).
# SCALEOUT_ARGS="--short" is CI's ~2 minute version; see loadtest/scaleout.py.
scaleout-test: $(VENV)/.dev
	$(PY) -m loadtest.scaleout $(SCALEOUT_ARGS)
