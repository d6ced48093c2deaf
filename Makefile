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

# The TypeScript client's tools (tests/test_openapi_client.py), from its lock file: again
# only when the lock file changes.
TS_CLIENT := clients/typescript
$(TS_CLIENT)/node_modules/.installed: $(TS_CLIENT)/package.json $(TS_CLIENT)/package-lock.json
	npm ci --prefix $(TS_CLIENT) --no-audit --no-fund
	touch $@

# axe-core for the browser tests' accessibility scan (tests/web/test_browser.py).
BROWSER_TOOLS := tests/web/browser_tools
$(BROWSER_TOOLS)/node_modules/.installed: $(BROWSER_TOOLS)/package.json $(BROWSER_TOOLS)/package-lock.json
	npm ci --prefix $(BROWSER_TOOLS) --no-audit --no-fund
	touch $@

## run: install, migrate the database (SQLite by default), load demo data if empty, serve
run: $(BIN)/.installed-run
	$(BIN)/klusmakelaar migrate
	KLUSMAKELAAR_DEMO_DATA=$${KLUSMAKELAAR_DEMO_DATA:-true} $(BIN)/klusmakelaar serve

## test: the whole suite (SQLite; PostgreSQL when KLUSMAKELAAR_TEST_DATABASE_URL is set)
## (the browser tests need Chromium: `sudo apt-get install chromium`; skipped without it)
test: $(BIN)/.installed-dev $(TS_CLIENT)/node_modules/.installed $(BROWSER_TOOLS)/node_modules/.installed
	$(BIN)/pytest

lint: $(BIN)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy app

clean:
	rm -rf $(VENV) klusmakelaar.db klusmakelaar.db-wal klusmakelaar.db-shm
