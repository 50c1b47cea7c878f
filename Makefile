# The README's two commands live here: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# Stamps: installing again only when pyproject.toml (the dependencies) changed.
INSTALLED := $(VENV)/.installed
INSTALLED_DEV := $(VENV)/.installed-dev

.PHONY: run test test-fast install install-dev lint typecheck schema bench clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python >= 3.11 is required"'
	@echo "==> Creating the virtual environment in $(VENV)"
	@$(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --upgrade pip

$(INSTALLED): pyproject.toml | $(BIN)/python
	@echo "==> Installing iafactory and its dependencies (the first time takes a minute or two)"
	@$(BIN)/pip install --quiet -e .
	@touch $@

$(INSTALLED_DEV): pyproject.toml | $(BIN)/python
	@echo "==> Installing iafactory and its development tools (the first time takes a minute or two)"
	@$(BIN)/pip install --quiet -e '.[dev]'
	@touch $@ $(INSTALLED)

install: $(INSTALLED)

install-dev: $(INSTALLED_DEV)

# Serves on http://127.0.0.1:8000/graphql (GraphiQL in a browser). Without DATABASE_URL it
# starts the embedded PostgreSQL of IAFACTORY_DATA_DIR (default: the user's data directory,
# ~/.local/share/iafactory on Linux), migrates, prints demo credentials; Ctrl-C stops both.
run: install
	@$(BIN)/iafactory serve $(ARGS)

# Against TEST_DATABASE_URL or DATABASE_URL when set, else an embedded PostgreSQL.
test: install-dev
	$(BIN)/python -m pytest $(ARGS)

test-fast: install-dev
	$(BIN)/python -m pytest -m "not slow" $(ARGS)

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/mypy iafactory
	$(BIN)/lint-imports

typecheck: install-dev
	$(BIN)/mypy iafactory

# The served GraphQL schema, committed; tests/test_contract.py fails when it is stale.
schema: install
	$(BIN)/iafactory schema > schema.graphql.new && mv schema.graphql.new schema.graphql

bench: install-dev
	$(BIN)/python -m bench $(ARGS)

# Leaves the data directory (embedded database, dev secret, models) alone: see the README.
clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
