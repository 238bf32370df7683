PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 3000

.PHONY: setup start test lint bench clean

setup: $(STAMP)

# Re-install only when the dependency list changes; `make setup` is idempotent.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

start: setup
	mkdir -p .dagster_home inbox warehouse
	cp dagster.yaml .dagster_home/dagster.yaml
	DAGSTER_HOME=$(CURDIR)/.dagster_home $(BIN)/dagster dev -m stiplan.definitions -h $(HOST) -p $(PORT)

test: setup
	$(BIN)/python -m pytest -q

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: setup
	$(BIN)/python benchmarks/consolidate.py

clean:
	rm -rf $(VENV) .dagster_home
