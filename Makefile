# Two commands do all the set-up on a fresh machine:
#   make run    create .venv from requirements.txt if needed, then run the app on geodata/
#   make test   the same set-up plus system packages for the browser tests, then the whole suite
VENV ?= .venv
PYTHON ?= python3
PY := $(VENV)/bin/python
SOURCES ?= ../shared/sources
PORT ?= 8501

.PHONY: setup system-deps run test build-geodata validate bench

setup: $(VENV)/.installed

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -r requirements.txt
	touch $@

# Debian's Chromium for the browser tests (never a browser download).
system-deps:
	@command -v chromium >/dev/null 2>&1 || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q chromium; }

run: setup
	$(VENV)/bin/streamlit run app.py --server.port $(PORT)

test: setup system-deps
	$(PY) -m pytest

build-geodata: setup
	$(PY) -m lib.cli build-geodata --sources $(SOURCES) --out geodata

validate: setup
	$(PY) -m lib.cli validate

bench: setup
	$(PY) benchmarks/run_all.py
