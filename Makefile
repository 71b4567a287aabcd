# OpenDUI — the two commands: `make demo` and `make test`.
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
CONSTRAINTS := requirements/constraints.txt
PG_TEST_URL ?= postgres://postgres@127.0.0.1:5432/test
# One test process per core (each with its own test database); tests are handed out as
# workers free up, so a long module does not hold the others back.
PYTEST_PARALLEL ?= -n auto --dist worksteal
DEMO_ENV := OPENDUI_DEMO=1 OPENDUI_DATABASE_URL=$${OPENDUI_DATABASE_URL:-sqlite:///var/demo.sqlite3}

.PHONY: demo test lint format venv clean bench

$(BIN)/python:
	"$$(scripts/find-python)" -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml $(CONSTRAINTS)
	$(BIN)/pip install -q -c $(CONSTRAINTS) -e '.[dev]'
	touch $@

venv: $(VENV)/.installed

demo: venv
	mkdir -p var
	$(DEMO_ENV) $(BIN)/opendui demo

test: venv
	scripts/ensure-chromium
	scripts/ensure-libdmtx
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	OPENDUI_DATABASE_URL=sqlite:// $(BIN)/opendui makemigrations --check --dry-run
	OPENDUI_DATABASE_URL=sqlite:// $(BIN)/pytest $(PYTEST_PARALLEL)
	@if [ "$${CI:-}" = "true" ] || [ -n "$${OPENDUI_TEST_POSTGRES_URL:-}" ]; then \
	  echo "== Suite sur PostgreSQL =="; \
	  OPENDUI_TEST_REQUIRE_POSTGRES=1 OPENDUI_DATABASE_URL=$${OPENDUI_TEST_POSTGRES_URL:-$(PG_TEST_URL)} $(BIN)/pytest $(PYTEST_PARALLEL); \
	fi

lint: venv
	$(BIN)/ruff check src tests bench

format: venv
	$(BIN)/ruff format src tests bench
	$(BIN)/ruff check --fix src tests bench

bench: venv
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
