# Two commands do all set-up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test lint format bench clean lock preview

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

# Exact versions with hashes (requirements*.lock): what runs is what was tested. `make lock`
# refreshes them from pyproject.toml's ranges.
$(VENV)/.run-deps: pyproject.toml requirements.lock | $(BIN)/python
	$(BIN)/python -m pip install -q --require-hashes -r requirements.lock
	$(BIN)/python -m pip install -q --no-deps -e .
	touch $@

$(VENV)/.test-deps: pyproject.toml requirements-test.lock | $(BIN)/python
	$(BIN)/python -m pip install -q --require-hashes -r requirements-test.lock
	$(BIN)/python -m pip install -q --no-deps -e .
	touch $@

LOCK = .venv-lock/bin/pip-compile -q --generate-hashes --strip-extras --allow-unsafe \
	--no-emit-index-url --no-emit-find-links --upgrade

lock:
	$(PYTHON) -m venv .venv-lock
	.venv-lock/bin/python -m pip install -q pip-tools
	$(LOCK) -o requirements.lock pyproject.toml
	$(LOCK) --extra test -o requirements-test.lock pyproject.toml
	rm -rf .venv-lock

run: $(VENV)/.run-deps
	$(BIN)/python -m bot

test: $(VENV)/.test-deps
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest

format: $(VENV)/.test-deps
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# With TEST_DATABASE_URL (PostgreSQL, as .ci/run sets it) it also measures scaling out to two
# web processes there.
bench: $(VENV)/.test-deps
	$(BIN)/python -m bench.run $(if $(TEST_DATABASE_URL),--scale-out $(TEST_DATABASE_URL))

# Every surface's Block Kit JSON in preview/out/, with a Block Kit Builder link for each.
preview: $(VENV)/.run-deps
	$(BIN)/python -m preview

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
