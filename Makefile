# headcount developer tasks. CI runs `make test` through .ci/run.
#
#   make install   create .venv and install the package editable with its [test] extras
#   make check     ruff + mypy
#   make test      check, then pytest against SQLite and a throw-away PostgreSQL (and, for the
#                  single sign-on tests, an OpenID provider from npm: tests/oidc, `npm ci`)
#                  (extra pytest arguments: make test PYTEST_ARGS='-k sync -x'; two workers
#                  by default, one process with PYTEST_PARALLEL=)
#   make demo      generate the HR sample files and sync them
#   make messages  extract the UI's strings (babel.cfg) and update the catalogs in web/locales
#   make pg-start / pg-stop   start or stop+delete the test PostgreSQL cluster by hand
#   make clean     stop the test cluster, remove caches;  make distclean  also removes .venv

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := test

PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3 2>/dev/null)
VENV := .venv
BIN := $(VENV)/bin
# Touched after a successful install; pyproject.toml changes trigger a reinstall.
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=
# Two pytest-xdist workers: the suite waits on its servers, browser and subprocesses as much as
# on the CPU, and CI stays under 30 minutes on 2 cores (40 in one process). The one Samba DC a
# machine can run is a module's (tests/conftest.py): a worker waits for the other's module.
# `make test PYTEST_PARALLEL=` runs the suite in one process.
PYTEST_PARALLEL ?= -n 2
# Only the folders that exist (git does not keep empty ones; ruff fails on a missing path).
LINT_PATHS := $(wildcard src tests bench examples)

.PHONY: venv install check test demo messages pg-start pg-stop clean distclean

venv install: $(STAMP)

# A missing or broken venv (e.g. one created without ensurepip has no pip) is recreated.
$(STAMP): pyproject.toml
	@test -n "$(PYTHON)" || { echo "make: neither python3.11 nor python3 found" >&2; exit 1; }
	if ! $(BIN)/python -m pip --version >/dev/null 2>&1; then \
	    rm -rf $(VENV) && $(PYTHON) -m venv $(VENV); \
	fi
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --disable-pip-version-check -e '.[test]'
	touch $@

check: $(STAMP)
	$(BIN)/ruff check $(LINT_PATHS)
	$(BIN)/mypy

# PostgreSQL for the tests (see tests/conftest.py for how the URL is found):
#   * HEADCOUNT_TEST_PG_URL already set: that server is used, nothing is started;
#   * otherwise tests/postgres/start.sh starts (or reuses) a throw-away cluster and writes its
#     URL to .pytest-pg/url, which the conftest reads;
#   * if that fails: under CI=true make stops here; elsewhere a warning, and pytest skips the
#     PostgreSQL variants (it would fail them under CI anyway).
# pytest's exit status is not masked: exit 5 (no tests collected) fails the target.
# The OpenID provider of the single sign-on tests (tests/oidc/provider.mjs): the npm packages its
# lock file pins, installed again when it changes. Without npm: under CI=true make stops here;
# elsewhere a warning, and pytest skips those tests (it would fail them under CI anyway).
OIDC_STAMP := tests/oidc/node_modules/.package-lock.json
$(OIDC_STAMP): tests/oidc/package.json tests/oidc/package-lock.json
	if command -v npm >/dev/null 2>&1; then \
	    cd tests/oidc && npm ci --no-audit --no-fund --loglevel=error; \
	else \
	    case "$${CI:-}" in \
	        true|TRUE|True|1) echo "make: npm not found (required under CI)" >&2; exit 1;; \
	    esac; \
	    echo "make: warning: npm not found; the single sign-on tests will be skipped" >&2; \
	fi

test: check $(OIDC_STAMP)
	@if [ -n "$${HEADCOUNT_TEST_PG_URL:-}" ]; then \
	    echo "make: PostgreSQL from HEADCOUNT_TEST_PG_URL"; \
	elif ! bash tests/postgres/start.sh >/dev/null; then \
	    case "$${CI:-}" in \
	        true|TRUE|True|1) echo "make: cannot start PostgreSQL (required under CI)" >&2; exit 1;; \
	    esac; \
	    echo "make: warning: cannot start PostgreSQL; its tests will be skipped" >&2; \
	fi
	$(BIN)/pytest $(PYTEST_PARALLEL) --durations=25 $(PYTEST_ARGS)

# The demo starts from a fresh sample repository each time, so that it always shows the same
# initial job result (counts per entity type); then it serves the UI until Ctrl-C.
DEMO_USER := admin
DEMO_PASSWORD := headcount-demo
demo: $(STAMP)
	rm -f examples/hr/headcount.db examples/hr/headcount.db-wal examples/hr/headcount.db-shm examples/hr/headcount.db.*.lock
	$(BIN)/python examples/generate.py
	$(BIN)/headcount --project examples/hr reload
	$(BIN)/headcount --project examples/hr sync HR
	# The next day's joiners, movers and leavers go through the workflows: tasks wait in My Tasks.
	cp examples/hr/data/next_day/* examples/hr/data/
	$(BIN)/headcount --project examples/hr sync HR
	# The sample's Active Directory (an LDIF export): owners, orphans and unused accounts to review.
	$(BIN)/headcount --project examples/hr sync AD
	HEADCOUNT_PASSWORD=$(DEMO_PASSWORD) $(BIN)/headcount --project examples/hr user add $(DEMO_USER) --role administrator
	@echo
	@echo "headcount demo: open http://127.0.0.1:8000/ and log in as $(DEMO_USER) / $(DEMO_PASSWORD) (Ctrl-C stops it)"
	$(BIN)/headcount --project examples/hr serve --host 127.0.0.1 --port 8000

pg-start:
	bash tests/postgres/start.sh

pg-stop:
	bash tests/postgres/stop.sh

clean:
	bash tests/postgres/stop.sh
	rm -rf .pytest-pg .pytest_cache .mypy_cache .ruff_cache .hypothesis
	find src tests $(wildcard bench examples) -name __pycache__ -type d -prune -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV) tests/oidc/node_modules

# The UI's catalogs (web/i18n.py): new strings are added to each language's messages.po, whose
# translations are then filled in by hand; the .po files are compiled in memory at run time.
messages: $(STAMP)
	$(BIN)/pybabel extract --mapping-file babel.cfg --no-location --sort-output \
	    --project headcount --output-file .messages.pot .
	$(BIN)/pybabel update --input-file .messages.pot --domain messages \
	    --output-dir src/headcount/web/locales --no-fuzzy-matching --ignore-obsolete
	rm -f .messages.pot
