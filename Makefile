# Huxue: `make demo` runs the demo city; `make test` runs every check CI runs.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PG_URL ?= postgres://postgres@127.0.0.1:5432/huxue
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: demo test install lint typecheck migrations-check messages test-sqlite test-postgres test-browser serve bench clean

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "Python 3.11 is needed ($(PYTHON) not found)"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

demo: install
	$(PY) manage.py migrate --noinput -v0
	$(PY) manage.py demo_city
	$(PY) manage.py collectstatic --noinput -v0
	@echo "Serving on http://$(HOST):$(PORT)/ (Ctrl-C stops)"
	$(PY) manage.py serve --host $(HOST) --port $(PORT)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: install
	$(VENV)/bin/mypy huxue config

migrations-check: install
	$(PY) manage.py makemigrations --check --dry-run

messages: install
	@if command -v msgfmt >/dev/null; then $(PY) manage.py compilemessages -v0 --ignore=.venv; \
	else echo "msgfmt (gettext) not found: using the committed .mo files"; fi

# The whole suite, browser tests included, on each database.
test-sqlite: install messages
	$(PY) -m pytest -q

# PostgreSQL: DATABASE_URL if set, else the local server when it answers; skipped (said) otherwise.
test-postgres: install messages
	@url="$${DATABASE_URL:-$(PG_URL)}"; \
	if $(PY) -c "import sys,psycopg; psycopg.connect(sys.argv[1].rsplit('/',1)[0]+'/postgres', connect_timeout=3).close()" "$$url" 2>/dev/null; then \
		echo "== PostgreSQL pass ($$url)"; DATABASE_URL="$$url" $(PY) -m pytest -q; \
	else echo "== PostgreSQL not reachable at $$url: PostgreSQL pass SKIPPED"; \
		if [ -n "$$CI" ]; then echo "CI requires the PostgreSQL pass"; exit 1; fi; fi

# Only the browser tests (Playwright driving Debian's chromium), on SQLite.
test-browser: install messages
	$(PY) -m pytest -q -m browser

test: lint typecheck migrations-check test-sqlite test-postgres

bench: install
	$(PY) bench/import_people.py

clean:
	rm -rf var .mypy_cache .ruff_cache
