# Two commands for a fresh machine: `make run` and `make test`. Everything they need is installed here.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
DB ?= sqlite

.PHONY: run test test-sqlite test-postgres lint fmt migrate migrations demo contracts bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/voronka run

test: lint
	VORONKA_TEST_DB=$(DB) $(BIN)/pytest

test-sqlite:
	$(MAKE) test DB=sqlite

test-postgres:
	$(MAKE) test DB=postgres

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

fmt: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

migrate: $(STAMP)
	$(BIN)/voronka migrate

migrations: $(STAMP)
	$(BIN)/voronka makemigrations --name $(or $(NAME),auto)

contracts: $(STAMP)
	$(BIN)/voronka openapi --output mobile_contracts/openapi.json

demo: $(STAMP)
	$(BIN)/voronka demo

bench: $(STAMP)
	@for script in bench/*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache
