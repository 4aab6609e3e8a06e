# polybox — the two commands are `make run` and `make test`; everything else supports them.
# pip is steered by its own environment (PIP_INDEX_URL, PIP_FIND_LINKS, PIP_NO_INDEX), so an
# offline install from a folder of wheels works with the same targets.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8765

.PHONY: install run test lint typecheck pytest lock docs ui clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(BIN)/python requirements/lock.txt pyproject.toml
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements/lock.txt
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)

install: $(STAMP)

ui:
	@if [ -d frontend ]; then cd frontend && npm ci && npm run build; fi

run: install ui
	$(BIN)/polybox serve --host $(HOST) --port $(PORT)

lint: install
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .

typecheck: install
	$(BIN)/mypy

pytest: install
	$(BIN)/pytest --cov --cov-report=term

test: lint typecheck pytest

docs: install
	$(BIN)/python -m polybox.config > docs/CONFIGURATION.md

# Regenerate the lock file after changing dependencies in pyproject.toml.
lock:
	$(BIN)/python -m pip install --quiet uv
	$(BIN)/uv pip compile pyproject.toml --extra dev --generate-hashes --universal \
		--python-version 3.11 --quiet -o requirements/lock.txt

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .coverage
