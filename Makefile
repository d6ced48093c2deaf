# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test lint migrate bench clean

$(BIN)/.installed-run: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(BIN)/.installed-dev: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@ $(BIN)/.installed-run

## run: install, migrate the database (SQLite by default), load demo data if empty, serve
run: $(BIN)/.installed-run
	$(BIN)/klusmakelaar migrate
	KLUSMAKELAAR_DEMO_DATA=$${KLUSMAKELAAR_DEMO_DATA:-true} $(BIN)/klusmakelaar serve

## test: the whole suite (SQLite; PostgreSQL when KLUSMAKELAAR_TEST_DATABASE_URL is set)
test: $(BIN)/.installed-dev
	$(BIN)/pytest

lint: $(BIN)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy app

clean:
	rm -rf $(VENV) klusmakelaar.db klusmakelaar.db-wal klusmakelaar.db-shm
