# polybox — the two commands are `make run` and `make test`; everything else supports them.
# pip is steered by its own environment (PIP_INDEX_URL, PIP_FIND_LINKS, PIP_NO_INDEX), so an
# offline install from a folder of wheels works with the same targets.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8765

# The admin UI (frontend/, built by Vite into the package's ui_dist/). node_modules is refreshed
# when the lock file changes; the build reruns when any source file is newer than its output.
UI_DIR := frontend
UI_DIST := src/polybox/ui_dist
UI_MODULES := $(UI_DIR)/node_modules/.package-lock.json
UI_SOURCES := $(shell find $(UI_DIR) -type f -not -path '$(UI_DIR)/node_modules/*' \
	-not -name '*.tsbuildinfo' 2>/dev/null)
NPM := cd $(UI_DIR) && npm

.PHONY: install run test lint typecheck pytest lock docs ui ui-check node clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(BIN)/python requirements/lock.txt pyproject.toml
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements/lock.txt
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)

install: $(STAMP)

node:
	@command -v node >/dev/null && command -v npm >/dev/null || { \
		echo "The admin UI needs Node.js 20.19+ with npm on PATH (https://nodejs.org;" \
			"Debian 12's own nodejs is too old); install it and run make again." >&2; exit 1; }

$(UI_MODULES): $(UI_DIR)/package.json $(UI_DIR)/package-lock.json | node
	$(NPM) ci --no-audit --no-fund
	touch $(UI_MODULES)

$(UI_DIST)/index.html: $(UI_MODULES) $(UI_SOURCES)
	$(NPM) run build

ui: $(UI_DIST)/index.html

# Type check, lint and unit tests of the UI (tsc --noEmit, eslint, vitest).
ui-check: $(UI_MODULES)
	$(NPM) run typecheck
	$(NPM) run lint
	$(NPM) test

# polybox's own C# (compile server, snippet runner): formatting as `dotnet format` wants it
# (warnings are errors in the build itself), then the compile server's xunit tests.
DOTNET_SOURCES := src/polybox/sandbox/dotnet/csharp
.PHONY: dotnet-check
dotnet-check:
	dotnet format $(DOTNET_SOURCES)/Polybox.Dotnet.slnx --verify-no-changes
	dotnet test $(DOTNET_SOURCES)/Compiler.Tests --nologo

run: install ui
	$(BIN)/polybox serve --host $(HOST) --port $(PORT)

lint: install
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .

typecheck: install
	$(BIN)/mypy

# The browser tests (tests/browser) drive the built UI in Debian's Chromium.
pytest: install ui
	$(BIN)/pytest --cov --cov-report=term

test: lint typecheck ui-check pytest

docs: install
	$(BIN)/python -m polybox.config > docs/CONFIGURATION.md

# Regenerate the lock file after changing dependencies in pyproject.toml.
lock:
	$(BIN)/python -m pip install --quiet uv
	$(BIN)/uv pip compile pyproject.toml --extra dev --generate-hashes --universal \
		--python-version 3.11 --quiet -o requirements/lock.txt

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .coverage $(UI_DIST) $(UI_DIR)/node_modules
