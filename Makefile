# Huxue: `make demo` runs the demo city; `make test` runs every check CI runs.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PG_URL ?= postgres://postgres@127.0.0.1:5432/huxue
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: demo test install lint typecheck migrations-check messages messages-check test-sqlite test-postgres test-browser serve bench clean

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
	DEBUG=0 $(PY) manage.py serve --host $(HOST) --port $(PORT)

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
# Every user-facing string in the code has a Chinese translation: extract afresh, in a copy of
# the tree (makemessages writes into every locale directory it finds), and count the gaps.
messages-check: install
	@if ! command -v msgattrib >/dev/null; then echo "gettext not found: translation check skipped"; \
		if [ -n "$$CI" ]; then exit 1; fi; exit 0; fi; \
	tmp=$$(mktemp -d); mkdir "$$tmp/src"; cp -r manage.py config huxue templates "$$tmp/src/"; cp -r locale "$$tmp/"; \
	(cd "$$tmp/src" && HUXUE_LOCALE_DIR="$$tmp/locale" HUXUE_VAR_DIR="$$tmp/var" $(CURDIR)/$(PY) manage.py makemessages -l zh_Hans -v0); \
	po="$$tmp/locale/zh_Hans/LC_MESSAGES/django.po"; \
	missing=$$(msgattrib --untranslated --no-obsolete "$$po" | grep -c '^msgid' || true); \
	fuzzy=$$(msgattrib --only-fuzzy --no-obsolete "$$po" | grep -c '^msgid' || true); \
	if [ "$$missing$$fuzzy" != "00" ]; then msgattrib --untranslated --no-obsolete "$$po" | grep "^msgid" | head -20; \
		rm -rf "$$tmp"; echo "zh_Hans: $$missing untranslated, $$fuzzy fuzzy (run makemessages and translate)"; exit 1; fi; \
	rm -rf "$$tmp"; echo "translations complete"

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

test: lint typecheck migrations-check messages-check test-sqlite test-postgres

bench: install
	$(PY) bench/import_people.py
	$(PY) bench/checkin.py
	$(PY) bench/gate_read.py

clean:
	rm -rf var .mypy_cache .ruff_cache
