# Two commands do everything on a fresh machine: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
HOST ?= 127.0.0.1
FLASK := $(BIN)/flask --app wsgi
AXE_VERSION := 4.11.0
# Python's default, whatever the calling shell says: the tests start ~40 Python
# processes (workers, gunicorn, flask commands) that would each compile the app again.
unexport PYTHONDONTWRITEBYTECODE
# Debian packages the tests drive: a real browser (Chromium's headless shell for the
# tests, the full one for the benchmarks), PDF tools, PostgreSQL (throwaway
# clusters), R's survey package (the oracle our statistics must agree with); Node.js
# (for axe-core)
# only when no npm is on the PATH (a Node.js from elsewhere conflicts with Debian's npm).
TEST_DEBS := chromium chromium-headless-shell poppler-utils postgresql r-base-core r-cran-survey r-cran-jsonlite \
             $(if $(shell command -v npm),,nodejs npm)

.PHONY: run serve setup install install-test system-deps axe test lint fmt bench bench-stats bench-report \
        translations-extract translations-update translations-compile workbooks clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed: setup.cfg | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.installed-test: setup.cfg $(VENV)/.installed
	$(BIN)/pip install -q -e '.[test]'
	touch $@

install: $(VENV)/.installed translations-compile

install-test: $(VENV)/.installed-test translations-compile

## Database, questionnaires and demo data; every step is idempotent.
setup: install
	$(FLASK) db upgrade
	$(FLASK) sipas questionnaire sync
	$(FLASK) sipas demo

run: setup serve

## The development server, with a job worker beside it for large downloads (its queue
## is a SQLite file in instance/); the worker stops with the server.
serve:
	@$(FLASK) sipas jobs worker & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker' EXIT; \
	$(FLASK) run --host $(HOST) --port $(PORT)

## Debian packages for the browser tests, installed only when missing and when root.
system-deps:
	@missing=""; for p in $(TEST_DEBS); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "Installing Debian packages:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else echo "Missing Debian packages (run as root or install them):$$missing"; exit 1; fi; \
	fi

.cache/npm/node_modules/axe-core/axe.min.js:
	mkdir -p .cache/npm
	npm install --silent --no-audit --no-fund --prefix .cache/npm axe-core@$(AXE_VERSION)

axe: .cache/npm/node_modules/axe-core/axe.min.js

## The suite on SQLite and, at the same time (two cores), again on a throwaway
## PostgreSQL cluster on 127.0.0.1, with mypy beside them; the PostgreSQL run's
## report and mypy's follow the SQLite one. Every test of the app runs on both
## databases; the browser tests are shared out between the two runs, and the tests
## without a database run on SQLite only (--split-run, tests/conftest.py). `pytest`
## alone runs everything on SQLite. (A third process, the SQLite browser tests apart,
## made the PostgreSQL run the longer and its browser tests time out: not faster.)
PG_LOG := test-output/pytest-postgresql.log
MYPY_LOG := test-output/mypy.log
test: install-test system-deps axe
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	@mkdir -p test-output
	@$(BIN)/mypy > $(MYPY_LOG) 2>&1 & types=$$!; \
	SIPAS_TEST_OUTPUT=test-output/postgresql $(BIN)/python -m pytest --db postgresql \
	    --split-run -p no:cacheprovider > $(PG_LOG) 2>&1 & postgresql=$$!; \
	$(BIN)/python -m pytest --split-run; sqlite=$$?; \
	wait $$postgresql; pg=$$?; wait $$types; mypy=$$?; \
	echo "======== the same suite on PostgreSQL ($(PG_LOG)) ========"; \
	cat $(PG_LOG); \
	echo "======== mypy ($(MYPY_LOG)) ========"; \
	cat $(MYPY_LOG); \
	echo "SQLite run: exit $$sqlite; PostgreSQL run: exit $$pg; mypy: exit $$mypy"; \
	test $$sqlite = 0 && test $$pg = 0 && test $$mypy = 0

## ruff, then mypy (settings in pyproject.toml; its cache is .mypy_cache).
lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

fmt:
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: install
	$(BIN)/python benchmarks/page_weight.py
	$(BIN)/python benchmarks/submit.py

## Statistics at 10k, 100k and 1M responses: engine, CLI, database, R (~15 minutes).
## Dashboard page and PDF report of a 100 000-response wave (34 provinces × 10 centres).
bench-report: install
	$(BIN)/python benchmarks/report.py

bench-stats: install system-deps
	$(BIN)/python benchmarks/bench_stats.py

translations-extract: $(VENV)/.installed
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -o translations/messages.pot --no-location --sort-output --no-wrap .
	$(BIN)/pybabel extract --no-default-keywords -k _ -k ngettext:1,2 -k click_word -o translations/click.pot --no-location --sort-output --no-wrap --project Click "$$($(BIN)/python -c 'import click, os; print(os.path.dirname(click.__file__))')" sipas/cli/words.py

translations-update: translations-extract
	$(BIN)/pybabel update -i translations/messages.pot -d translations --no-fuzzy-matching --no-wrap
	$(BIN)/pybabel update -D click -i translations/click.pot -d translations --no-fuzzy-matching --no-wrap

translations-compile: $(VENV)/.installed
	$(BIN)/pybabel compile -d translations -D "messages click" --statistics

# the workbook copy of each questionnaire file, for provinces to adapt in a spreadsheet
# (tests/questionnaire/test_shipped_workbooks.py says when they are out of date)
workbooks: $(VENV)/.installed
	$(BIN)/python -c "from pathlib import Path; \
	from sipas.questionnaire.xlsform_copies import workbook_copies; \
	out = Path('questionnaires/xlsx'); out.mkdir(exist_ok=True); \
	[(out / name).write_bytes(data) for name, data in \
	 workbook_copies(sorted(Path('questionnaires').glob('*.yaml'))).items()]"

clean:
	rm -rf $(VENV) .cache .pytest_cache .ruff_cache .mypy_cache
