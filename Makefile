# polybox — the two commands are `make run` and `make test`; everything else supports them.
# pip is steered by its own environment (PIP_INDEX_URL, PIP_FIND_LINKS, PIP_NO_INDEX), so an
# offline install from a folder of wheels works with the same targets.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8765
# pytest runs its tests on this many processes (pytest-xdist); each test stands alone.
PYTEST_WORKERS ?= 2

# Two locks made from pyproject.toml, the one source of truth: dev.txt is everything `make test`
# needs; runtime.txt is what serving needs, pinned to the same versions (it is compiled with
# dev.txt as its constraints). Each is installed as the complete, final set: --no-deps, so pip never
# resolves anything of its own (no upstream release can change what installs), then `pip check`,
# so a lock that misses a dependency fails here instead of installing half.
RUNTIME_LOCK := requirements/runtime.txt
DEV_LOCK := requirements/dev.txt
PIP := $(BIN)/python -m pip --disable-pip-version-check
define install_lock
	$(PIP) install --quiet --no-deps --require-hashes -r $(1)
	$(PIP) install --quiet --no-deps --no-build-isolation -e .
	$(PIP) check
endef
# The admin UI (frontend/, built by Vite into the package's ui_dist/). node_modules is refreshed
# when the lock file changes; the build reruns when any source file is newer than its output.
UI_DIR := frontend
UI_DIST := src/polybox/ui_dist
UI_MODULES := $(UI_DIR)/node_modules/.package-lock.json
UI_SOURCES := $(shell find $(UI_DIR) -type f -not -path '$(UI_DIR)/node_modules/*' \
	-not -name '*.tsbuildinfo' 2>/dev/null)
NPM := cd $(UI_DIR) && npm
# The MCP conformance suite and the Node 22 it runs on (npm packages, pinned by the lock file),
# for tests/conformance.
CONFORMANCE_DIR := tests/conformance
CONFORMANCE_MODULES := $(CONFORMANCE_DIR)/node_modules/.package-lock.json

.PHONY: install install-dev run test lint typecheck pytest lock docs dockerfiles ui ui-check node \
	conformance dotnet-check dotnet-test-prepare clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.runtime: $(BIN)/python $(RUNTIME_LOCK) pyproject.toml
	$(call install_lock,$(RUNTIME_LOCK))
	touch $@

# The dev set contains the runtime set, so installing it satisfies `make run` too.
$(VENV)/.dev: $(BIN)/python $(DEV_LOCK) pyproject.toml
	$(call install_lock,$(DEV_LOCK))
	touch $@ $(VENV)/.runtime

install: $(VENV)/.runtime

install-dev: $(VENV)/.dev

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

$(CONFORMANCE_MODULES): $(CONFORMANCE_DIR)/package.json $(CONFORMANCE_DIR)/package-lock.json | node
	cd $(CONFORMANCE_DIR) && npm ci --no-audit --no-fund
	touch $(CONFORMANCE_MODULES)

conformance: $(CONFORMANCE_MODULES)

# Type check, lint and unit tests of the UI (tsc --noEmit, eslint, vitest).
ui-check: $(UI_MODULES)
	$(NPM) run typecheck
	$(NPM) run lint
	$(NPM) test

# polybox's own C# (compile server, snippet runner): formatting as `dotnet format` wants it
# (warnings are errors in the build itself), then the compile server's xunit tests.
DOTNET_SOURCES := src/polybox/sandbox/dotnet/csharp
dotnet-check:
	dotnet format $(DOTNET_SOURCES)/Polybox.Dotnet.slnx --verify-no-changes
	dotnet test $(DOTNET_SOURCES)/Compiler.Tests --nologo

run: install ui
	$(BIN)/polybox serve --host $(HOST) --port $(PORT)

lint: install-dev
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .

typecheck: install-dev
	$(BIN)/mypy

# The .NET tests share one prepared data dir (tests/dotnet_snippets.py). Preparing it here, before
# pytest, shows the minutes a new machine spends downloading runtimes, and lets every .NET test
# keep the suite's short per-test timeout.
TEST_DOTNET_DIR ?= /var/tmp/polybox-dotnet-tests
export POLYBOX_TEST_DOTNET_DIR := $(TEST_DOTNET_DIR)

dotnet-test-prepare: install-dev
	POLYBOX_DATA_DIR=$(TEST_DOTNET_DIR) $(BIN)/polybox dotnet prepare

# The browser tests (tests/browser) drive the built UI in Debian's Chromium; tests/conformance
# runs the MCP conformance suite.
pytest: install-dev ui conformance dotnet-test-prepare
	$(BIN)/pytest -n $(PYTEST_WORKERS) --cov --cov-report=term

test: lint typecheck ui-check dotnet-check pytest

docs: install-dev
	$(BIN)/python -m polybox.config > docs/CONFIGURATION.md

# docker/dotnet-<version>.Dockerfile: renderings of the one workspace-image template (a test checks).
dockerfiles: install-dev
	$(BIN)/python -m polybox.sandbox.dockerimages docker

# Regenerate both locks after changing dependencies in pyproject.toml. uv resolves for the platform
# polybox serves on (CPython 3.11, x86_64 Linux, glibc 2.36 as in Debian 12) and follows pip's own
# variables: with PIP_NO_INDEX=1 and PIP_FIND_LINKS=<folder of wheels> it locks from that folder
# alone, and a dependency the folder lacks is named in one line.
UV_COMPILE := $(BIN)/uv pip compile pyproject.toml --quiet --generate-hashes \
	--python-version 3.11 --python-platform x86_64-manylinux_2_36 --custom-compile-command "make lock" \
	$(if $(PIP_NO_INDEX),--no-index) $(foreach f,$(PIP_FIND_LINKS),--find-links "$(f)") \
	$(if $(PIP_INDEX_URL),--default-index "$(PIP_INDEX_URL)")

lock: $(BIN)/python
	$(PIP) install --quiet uv
	@for step in "--extra dev -o $(DEV_LOCK)" "--extra build -c $(DEV_LOCK) -o $(RUNTIME_LOCK)"; do \
		$(UV_COMPILE) $$step 2>$(VENV)/lock.err || { \
			sed -n 's/^ *cause: Because \(.*\), we can conclude.*/make lock: \1./p' $(VENV)/lock.err \
				| grep . >&2 || cat $(VENV)/lock.err >&2; exit 1; }; \
	done

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .coverage $(UI_DIST) $(UI_DIR)/node_modules \
		$(CONFORMANCE_DIR)/node_modules
