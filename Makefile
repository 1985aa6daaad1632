# Two commands do all the set-up on a fresh machine:
#   make run    create .venv from requirements.txt if needed, then run the app on geodata/
#   make test   the same set-up plus system packages for the browser tests, then the whole suite
VENV ?= .venv
PYTHON ?= python3
PY := $(VENV)/bin/python
SOURCES ?= ../shared/sources
PORT ?= 8501

.PHONY: setup prepare system-deps lint run test build-geodata validate bench

setup: $(VENV)/.installed

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -r requirements.txt
	touch $@

# Derived files the app serves or loads (map GeoJSON under static/geo/<version>/, layer caches
# under .cache/layers): written here, never by the server, which can then run read-only.
# Seconds when nothing changed.
prepare: setup
	$(PY) -m lib.cli prepare

# Debian's Chromium for the browser tests (never a browser download), PostgreSQL for the
# store tests' second database, Node.js for the syntax check of the map's JavaScript and
# LibreOffice Calc for the XLSX round-trip test.
system-deps:
	@missing=""; \
	command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	command -v node >/dev/null 2>&1 || missing="$$missing nodejs"; \
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$$missing postgresql"; \
	lean=""; command -v soffice >/dev/null 2>&1 || lean="libreoffice-calc"; \
	if [ -n "$$missing$$lean" ]; then \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -q && \
	  { [ -z "$$missing" ] || DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q $$missing; } && \
	  { [ -z "$$lean" ] || DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q --no-install-recommends $$lean; }; \
	fi

run: setup prepare
	$(PY) scripts/serve.py run app.py --server.port $(PORT)

# The whole suite; the store tests also run against a throw-away PostgreSQL on 127.0.0.1.
# Lint, format check and type check (settings in pyproject.toml); a finding fails `make test`.
lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

test: setup lint prepare system-deps
	PYTHON=$(PY) bash scripts/test_postgres.sh run $(PY) -m pytest $(PYTEST_ARGS)

build-geodata: setup
	$(PY) -m lib.cli build-geodata --sources $(SOURCES) --out geodata

validate: setup
	$(PY) -m lib.cli validate

bench: setup prepare
	$(PY) benchmarks/run_all.py
