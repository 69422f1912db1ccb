# The two commands a newcomer needs: `make demo` and `make test`. Everything else is set-up they call.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test lint unit setup lock bench clean

demo: $(STAMP)
	$(BIN)/concord demo --exit

test: $(STAMP) lint
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

setup: $(STAMP)

# The venv is rebuilt from the lock whenever the lock or the project's metadata changes.
$(STAMP): requirements/lock.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements/lock.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

lock:
	$(BIN)/python -m pip install --quiet uv
	$(BIN)/uv pip compile pyproject.toml --extra dev --python-version 3.11 -o requirements/lock.txt

bench: $(STAMP)
	$(BIN)/python bench/engine_throughput.py --quick

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache concord.db concord.db-* .concord-demo
