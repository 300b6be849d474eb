# Chorus: `make run` and `make test` are the two set-up commands (see README).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
TOOLS  := .tools
BUF    := $(TOOLS)/node_modules/.bin/buf

.PHONY: run test gen lint bench tools clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Chorus needs Python 3.11+"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

# Runtime dependencies, pinned.
$(VENV)/.runtime: requirements/runtime.txt pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -r requirements/runtime.txt
	$(BIN)/pip install -q --no-deps -e .
	@touch $@

# Test and lint tools, pinned.
$(VENV)/.test: requirements/test.txt $(VENV)/.runtime
	$(BIN)/pip install -q -r requirements/test.txt
	@touch $@

# `buf` comes from npm (@bufbuild/buf); skipped when npm is absent.
tools:
	@if command -v npm >/dev/null 2>&1; then \
	  [ -x $(BUF) ] || npm install --silent --no-audit --no-fund --prefix $(TOOLS) @bufbuild/buf@1.75.0 >/dev/null; \
	else echo "npm not found: the buf lint test will be skipped"; fi

run: $(VENV)/.runtime
	$(BIN)/chorus serve

# The suite runs twice: on SQLite, then on PostgreSQL + Redis (servers installed
# when missing and started by the tests; see tests/support/backends.py).
test: $(VENV)/.test tools
	$(BIN)/ruff check server rest_bridge tests bench scripts
	$(BIN)/mypy
	$(BIN)/python -m pytest
	CHORUS_TEST_BACKEND=postgres $(BIN)/python -m pytest

gen: $(VENV)/.test
	$(BIN)/python scripts/gen.py

lint: $(VENV)/.test tools
	$(BIN)/ruff check server rest_bridge tests bench scripts
	$(BIN)/mypy
	@[ ! -x $(BUF) ] || $(BUF) lint

bench: $(VENV)/.test
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) $(TOOLS) data
