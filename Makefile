PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 3000

.PHONY: setup start test lint bench clean

setup: $(STAMP)

# Re-install only when the dependency list changes; `make setup` is idempotent.
$(STAMP): pyproject.toml Makefile
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	# A DuckDB 1.x client beside the venv's 2.x: the tests open the published plan with it.
	$(BIN)/python -m pip install --quiet --upgrade --no-deps --target $(VENV)/duckdb1 'duckdb==1.5.6'
	touch $(STAMP)

start: setup
	mkdir -p .dagster_home inbox warehouse
	cp pipelines/dagster.yaml .dagster_home/dagster.yaml
	@echo "stiplan: the Dagster UI will be on http://$(HOST):$(PORT) (routine log lines are off: see the UI)"
	DAGSTER_HOME=$(CURDIR)/.dagster_home $(BIN)/dagster dev -m stiplan.definitions -h $(HOST) -p $(PORT) \
		--log-level warning

# Two workers (pytest-xdist); a module's tests that share a module-scoped fixture stay on
# one worker (tests/conftest.py marks them), the slowest modules go first.
test: setup
	$(BIN)/python -m pytest -q -n 2 --dist loadgroup

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: setup
	$(BIN)/python benchmarks/consolidate.py

clean:
	rm -rf $(VENV) .dagster_home
