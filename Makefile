# Chorus: `make run` and `make test` are the two set-up commands (see README).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
TOOLS  := .tools
BUF    := $(TOOLS)/node_modules/.bin/buf
UV     := $(BIN)/uv
# The optional surface features (pyproject.toml's extras, comma-separated) that `make run` and `make test` install.
EXTRAS := flights,speech,tracing
COMPILE_FLAGS = -q --universal --python-version 3.11 --custom-compile-command 'make pins' pyproject.toml

.PHONY: run test gen lint bench tools clean pins upgrade-pins check-pins

$(BIN)/python:
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Chorus needs Python 3.11+"'
	$(PYTHON) -m venv $(VENV)

# uv installs and compiles the pins; its own version is the one pinned in test.txt.
$(UV): | $(BIN)/python
	$(BIN)/python -m pip install -q $$(grep -o '^uv==[^ ;]*' requirements/test.txt)

# The server with every surface, from the pins. Not --no-deps: a dependency
# pyproject.toml forgot is missing from the pins too, and fails here or in the tests.
$(VENV)/.runtime: requirements/runtime.txt pyproject.toml | $(UV)
	$(UV) pip install -q --python $(BIN)/python -r requirements/runtime.txt -e '.[$(EXTRAS)]'
	@touch $@

# Plus the code generator and the test and lint tools.
$(VENV)/.test: requirements/test.txt pyproject.toml | $(UV)
	$(UV) pip install -q --python $(BIN)/python -r requirements/test.txt -e '.[$(EXTRAS),gen,test]'
	@touch $@

# requirements/*.txt are compiled from pyproject.toml, for every platform, keeping
# the versions already pinned: `make pins` after editing dependencies; `make
# upgrade-pins` to move everything to the newest versions.
# $(call compile_pins,uv) compiles both files in the current directory.
define compile_pins
$(1) pip compile $(COMPILE_FLAGS) --extra $(EXTRAS) -o requirements/runtime.txt && \
$(1) pip compile $(COMPILE_FLAGS) --extra $(EXTRAS),gen,test -c requirements/runtime.txt -o requirements/test.txt
endef

pins: | $(UV)
	$(call compile_pins,$(UV))

upgrade-pins: | $(UV)
	$(MAKE) pins COMPILE_FLAGS="$(COMPILE_FLAGS) --upgrade"

# Recompiles in a scratch copy and fails on any difference (part of `make test`).
check-pins: | $(UV)
	@scratch=$$(mktemp -d) && trap 'rm -rf "$$scratch"' EXIT && \
	mkdir "$$scratch/requirements" && cp pyproject.toml README.md "$$scratch/" && \
	cp requirements/*.txt "$$scratch/requirements/" && \
	(cd "$$scratch" && $(call compile_pins,$(abspath $(UV)))) && \
	for pins in runtime test; do \
	  diff -u requirements/$$pins.txt "$$scratch/requirements/$$pins.txt" || \
	  { echo "requirements/$$pins.txt is not what pyproject.toml compiles to: run make pins"; exit 1; }; \
	done

# `buf` comes from npm (@bufbuild/buf); skipped when npm is absent.
tools:
	@if command -v npm >/dev/null 2>&1; then \
	  [ -x $(BUF) ] || npm install --silent --no-audit --no-fund --prefix $(TOOLS) @bufbuild/buf@1.75.0 >/dev/null; \
	else echo "npm not found: the buf lint test will be skipped"; fi

run: $(VENV)/.runtime
	$(BIN)/chorus serve

# The suite runs twice: on SQLite, then on PostgreSQL + Redis (servers installed
# when missing and started by the tests; see tests/support/backends.py). Each run
# spreads its test files over PYTEST_WORKERS pytest-xdist workers, each with its own
# servers, ports and databases (`make test PYTEST_WORKERS=0` runs in one process).
PYTEST_WORKERS ?= 2
PYTEST = $(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist loadfile

test: $(VENV)/.test tools check-pins
	$(BIN)/deptry .
	$(BIN)/ruff check server rest_bridge tests bench scripts
	$(BIN)/mypy
	$(PYTEST)
	CHORUS_TEST_BACKEND=postgres $(PYTEST)

gen: $(VENV)/.test
	$(BIN)/python scripts/gen.py

lint: $(VENV)/.test tools check-pins
	$(BIN)/deptry .
	$(BIN)/ruff check server rest_bridge tests bench scripts
	$(BIN)/mypy
	@[ ! -x $(BUF) ] || $(BUF) lint

# The `bench` extra (LiteLLM proxy, the gateway part's peer) goes on top of the test
# pins; if it cannot be installed, the gateway part says so and skips its LiteLLM rows.
bench: $(VENV)/.test
	$(UV) pip install -q --python $(BIN)/python -e '.[$(EXTRAS),bench]' || \
	  echo "make bench: the bench extra (LiteLLM) did not install; the gateway part runs without it"
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) $(TOOLS) data
