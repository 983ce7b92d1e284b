# supplyguard: the two commands a new user needs are `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_DIR ?= var/demo
VENDOR := src/supplyguard/web/static/vendor
HTMX_VERSION := 2.0.11
LEAFLET_VERSION := 1.9.4
WORLD_ATLAS_VERSION := 2.0.2

.PHONY: demo test install web-assets lint typecheck bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(BIN)/python pyproject.toml requirements.lock
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c requirements.lock -e '.[dev]'
	touch $(STAMP)

install: $(STAMP) web-assets

# htmx and Leaflet come from the npm registry at install time (never committed); the dashboard works
# without them (maps fall back to a plain SVG drawing).
web-assets: $(VENDOR)/htmx.min.js $(VENDOR)/leaflet/leaflet.js $(VENDOR)/world-atlas/land-110m.json

$(VENDOR)/htmx.min.js:
	@mkdir -p $(VENDOR)
	@if command -v npm >/dev/null 2>&1; then \
	  tmp=$$(mktemp -d) && (cd $$tmp && npm pack --silent htmx.org@$(HTMX_VERSION) >/dev/null && tar xzf htmx.org-*.tgz) \
	  && cp $$tmp/package/dist/htmx.min.js $(VENDOR)/htmx.min.js && rm -rf $$tmp \
	  || echo "warning: could not fetch htmx from npm; the dashboard works without it"; \
	else echo "warning: npm not found; the dashboard works without htmx"; fi

$(VENDOR)/leaflet/leaflet.js:
	@mkdir -p $(VENDOR)/leaflet
	@if command -v npm >/dev/null 2>&1; then \
	  tmp=$$(mktemp -d) && (cd $$tmp && npm pack --silent leaflet@$(LEAFLET_VERSION) >/dev/null && tar xzf leaflet-*.tgz) \
	  && cp -r $$tmp/package/dist/. $(VENDOR)/leaflet/ && rm -rf $$tmp \
	  || echo "warning: could not fetch Leaflet from npm; maps fall back to SVG"; \
	else echo "warning: npm not found; maps fall back to SVG"; fi

# The tracking map's plain world outline when no tile server is set or reachable: Natural Earth 110m
# land (public domain) as TopoJSON, from the world-atlas package (ISC).
$(VENDOR)/world-atlas/land-110m.json:
	@mkdir -p $(VENDOR)/world-atlas
	@if command -v npm >/dev/null 2>&1; then \
	  tmp=$$(mktemp -d) && (cd $$tmp && npm pack --silent world-atlas@$(WORLD_ATLAS_VERSION) >/dev/null && tar xzf world-atlas-*.tgz) \
	  && cp $$tmp/package/land-110m.json $$tmp/package/LICENSE $(VENDOR)/world-atlas/ && rm -rf $$tmp \
	  || echo "warning: could not fetch world-atlas from npm; the map has no world outline without tiles"; \
	else echo "warning: npm not found; the map has no world outline without tiles"; fi

demo: install
	rm -f $(DEMO_DIR)/supplyguard.db $(DEMO_DIR)/supplyguard.db-wal $(DEMO_DIR)/supplyguard.db-shm
	SUPPLYGUARD_DATA_DIR=$(DEMO_DIR) SUPPLYGUARD_NODE_NAME=demo.supplyguard.local SUPPLYGUARD_NODE_COUNTRY=NL \
	  $(BIN)/supplyguard demo

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy

test: install lint typecheck
	$(BIN)/pytest -n 2 -m "not slow"

bench: install
	@for script in bench/*_bench.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
