# The two commands: `make run` starts poster, `make test` runs every check CI runs.
# `make run-stack` is `make run` on embedded PostgreSQL and Redis (scripts/services.sh).
SHELL := /bin/bash
PYTHON_BIN ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python

# Test services; override to point the suite at other servers.
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/test
TEST_REDIS_URL ?= redis://127.0.0.1:6379/15
# CONN_MAX_AGE=0: live-server and worker threads close their connections after each
# request or task, so the test database can be dropped at the end.
TEST_ENV := DEBUG=false SECRET_KEY=test-only-secret-key-not-for-production CONN_MAX_AGE=0 \
	DATABASE_URL=$(TEST_DATABASE_URL) CELERY_BROKER_URL=$(TEST_REDIS_URL) \
	CELERY_RESULT_BACKEND=$(TEST_REDIS_URL) TEST_REDIS_URL=$(TEST_REDIS_URL)

# make run-stack: the same processes on embedded PostgreSQL and Redis, on ports of their own.
STACK_POSTGRES_PORT ?= 5499
STACK_REDIS_PORT ?= 6399

.PHONY: run run-stack test test-on-services lint venv

$(VENV)/.python-ok:
	@test -n "$(PYTHON_BIN)" || { echo "Python 3.11 is needed (python3.11 not found)"; exit 1; }
	@$(PYTHON_BIN) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' || \
		{ echo "Python 3.11 is needed; $(PYTHON_BIN) is $$($(PYTHON_BIN) --version)"; exit 1; }
	$(PYTHON_BIN) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	touch $@

$(VENV)/.runtime-installed: $(VENV)/.python-ok requirements.txt
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev-installed: $(VENV)/.runtime-installed requirements-dev.txt
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

venv: $(VENV)/.dev-installed

run: $(VENV)/.runtime-installed
	$(PY) scripts/run.py

run-stack: $(VENV)/.runtime-installed
	STACK_POSTGRES_PORT=$(STACK_POSTGRES_PORT) STACK_REDIS_PORT=$(STACK_REDIS_PORT) \
		$(PY) scripts/run.py --stack

lint: $(VENV)/.dev-installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

# services.sh uses the system PostgreSQL and Redis when they are there, and starts
# embedded ones otherwise; it stops those when the run ends, on failure and Ctrl-C too.
test: $(VENV)/.dev-installed
	$(MAKE) --no-print-directory lint
	TEST_DATABASE_URL=$(TEST_DATABASE_URL) TEST_REDIS_URL=$(TEST_REDIS_URL) \
		scripts/services.sh run $(MAKE) --no-print-directory test-on-services

# The rest of `make test`, once services.sh has PostgreSQL and Redis up.
# scripts/browser.sh installs Chromium for the composer's browser tests when it is
# missing (as root, with apt-get) or says what to install; off CI those tests then skip.
test-on-services:
	$(TEST_ENV) $(PY) manage.py makemigrations --check --dry-run
	POSTER_CHROMIUM="$$(scripts/browser.sh install || true)" \
		$(TEST_ENV) scripts/with_localstack.sh $(PY) -m pytest
