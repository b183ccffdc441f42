# Two commands set everything up: `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt | cksum | cut -d' ' -f1)
HOST ?= 127.0.0.1
PORT ?= 8000
# Test processes (pytest-xdist; 0: one process). Each gets its own database, Redis database
# and events channel (config/settings_test.py); a test file stays on one process.
PYTEST_WORKERS ?= 2
# The development server runs with DEBUG on unless told otherwise.
RUN_ENV := DEBUG=$${DEBUG:-true}

.PHONY: run test lint format schema migrate demo venv clean bench

$(PY):
	$(PYTHON) -m venv $(VENV)

$(STAMP): requirements.txt requirements-dev.txt | $(PY)
	$(PY) -m pip install --disable-pip-version-check -q --upgrade pip
	$(PY) -m pip install --disable-pip-version-check -q -r requirements-dev.txt
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

venv: $(STAMP)

migrate: $(STAMP)
	$(RUN_ENV) $(PY) manage.py migrate --noinput

demo: migrate
	$(RUN_ENV) $(PY) manage.py demo_data

run: demo
	$(RUN_ENV) $(PY) manage.py purge_media
	@echo "GraphiQL: http://$(HOST):$(PORT)/graphql"
	@# The Procfile's web command, so development runs the production server.
	$(RUN_ENV) WEB_BIND=$(HOST) PORT=$(PORT) PATH="$(CURDIR)/$(VENV)/bin:$$PATH" \
		bash -c "exec $$(sed -n 's/^web: //p' Procfile)"

test: $(STAMP)
	$(PY) -m pytest -n $(PYTEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy .
	$(VENV)/bin/hadolint Dockerfile

format: $(STAMP)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

schema: $(STAMP)
	DJANGO_SETTINGS_MODULE=config.settings_test $(PY) manage.py export_schema graph.schema:schema --path schema.graphql

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles .pytest_cache .mypy_cache .ruff_cache

# Node packages of the browser test (tests/e2e) and the example client (examples/);
# the tests that need them fail under CI=true without them. Chromium: apt-get install chromium.
.PHONY: node-deps vendor-graphiql
node-deps:
	cd tests/e2e && npm ci --no-audit --no-fund
	cd examples && npm ci --no-audit --no-fund
	cd bench/load && npm ci --no-audit --no-fund

# Re-fetch GraphiQL's pinned files into graph/static/graphiql/ and print their sha256s.
vendor-graphiql:
	scripts/vendor_graphiql.sh

# Benchmarks (bench/RESULTS.md): needs PostgreSQL, Redis and Node; about 15 minutes.
bench: $(STAMP)
	$(PY) -m pip install --disable-pip-version-check -q -r bench/requirements.txt
	cd bench/load && npm ci --no-audit --no-fund
	cd bench/peer && npm ci --no-audit --no-fund
	BENCH_PYTHON=$(PY) bench/run.sh
