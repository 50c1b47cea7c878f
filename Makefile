# The README's two commands live here: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: run test test-fast install install-dev lint typecheck bench clean

$(BIN)/python:
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python >= 3.11 is required"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

install: $(BIN)/python
	$(BIN)/pip install --quiet -e .

install-dev: $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'

# Serves on http://127.0.0.1:8000/graphql (GraphiQL in a browser). Without DATABASE_URL it
# starts an embedded PostgreSQL under ./.iafactory, migrates, and prints demo credentials.
run: install
	$(BIN)/iafactory serve $(ARGS)

# Against TEST_DATABASE_URL or DATABASE_URL when set, else an embedded PostgreSQL.
test: install-dev
	$(BIN)/python -m pytest $(ARGS)

test-fast: install-dev
	$(BIN)/python -m pytest -m "not slow" $(ARGS)

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/mypy iafactory
	$(BIN)/lint-imports

bench: install-dev
	$(BIN)/python -m bench $(ARGS)

clean:
	rm -rf $(VENV) .iafactory .pytest_cache .mypy_cache .ruff_cache
