# Set-up and checks for pyopenssl-ng. `make test` works on a fresh machine
# with Python 3 and make: it builds .venv, installs the package editable with
# its test extras, then runs lint, the type check and the whole test suite.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: all venv demo test lint pytest conformance stress bench bench-smoke docs clean

all: test

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	$(BIN)/python -m OpenSSL demo

lint: $(STAMP)
	$(BIN)/ruff check --no-cache src tests bench
	$(BIN)/ruff format --no-cache --check src tests bench
	$(BIN)/mypy

pytest: $(STAMP)
	$(BIN)/python -m pytest -q

# CPython's own test_ssl against the stdlib and against ssl_compat (about a
# minute); before pytest, so that pytest's summary closes the output.
conformance: $(STAMP)
	$(BIN)/python tests/conformance/run_test_ssl.py

test: lint conformance pytest

# The reliability suite's long profile: fuzzing, leaks, threads and hostile
# peers at full counts (make test runs the same tests on smaller ones).
stress: $(STAMP)
	PYOPENSSL_NG_STRESS=1 $(BIN)/python -m pytest -q -o timeout=7200 tests/reliability

# The full benchmark: this project, pyOpenSSL 26.4 (in its own virtualenv)
# and the standard library, side by side, as ratios.
bench: $(STAMP)
	$(BIN)/python bench/run.py

docs: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[docs]'
	$(BIN)/python -m sphinx -W --keep-going -b html doc doc/_build/html

clean:
	rm -rf $(VENV) build dist src/*.egg-info .mypy_cache .ruff_cache .pytest_cache
