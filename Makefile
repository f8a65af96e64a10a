# Set-up and checks for pyopenssl-ng. `make test` works on a fresh machine
# with Python 3 and make: it builds .venv, installs the package editable with
# its test and dev extras, then runs lint, the type check, the whole test
# suite and pyOpenSSL's own test suite. `make demo` needs the package alone.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
BASE   := $(VENV)/.installed-base

.PHONY: all venv demo shim test pythons lint pytest conformance conformance-cpython conformance-pyopenssl stress bench bench-smoke docs clean

all: test

# The package alone (all the demo needs) ...
$(BASE): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	touch $(BASE)

# ... and with the test dependencies and the development tools.
$(STAMP): $(BASE)
	$(BIN)/python -m pip install --quiet -e '.[test,dev]'
	touch $(STAMP)

venv: $(STAMP)

demo: $(BASE)
	$(BIN)/python -m OpenSSL demo

# The placeholder pyOpenSSL distribution and its constraints file, in dist/
# (README: "Relation to pyOpenSSL").
shim: $(BASE)
	$(BIN)/python -m OpenSSL shim --out dist

lint: $(STAMP)
	$(BIN)/ruff check --no-cache src tests bench scripts noxfile.py
	$(BIN)/ruff format --no-cache --check src tests bench scripts noxfile.py
	$(BIN)/mypy

pytest: $(STAMP)
	$(BIN)/python -m pytest -q

# Other projects' own test suites, run unchanged against this package; each
# prints its counts and fails on a failure not on its known-differences list.
# Before pytest, so that pytest's summary closes the output.
conformance: conformance-cpython conformance-pyopenssl

# CPython's own test_ssl against the stdlib and against ssl_compat (about a
# minute).
conformance-cpython: $(STAMP)
	$(BIN)/python tests/conformance/run_test_ssl.py

# pyOpenSSL 26.4.0's tests/ from its sdist (cached in .conformance-cache/;
# skipped, saying so, when the package index cannot be reached; about ten
# seconds).
conformance-pyopenssl: $(STAMP)
	$(BIN)/python tests/conformance/run_pyopenssl.py

test: lint conformance pytest

# The core suite on the oldest and the newest supported Python installed
# (noxfile.py; pyenv's interpreters), each in its own virtualenv under .nox/.
pythons: $(STAMP)
	$(BIN)/nox -s core_edges

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
	rm -rf $(VENV) .conformance-cache .nox build dist src/*.egg-info .mypy_cache .ruff_cache .pytest_cache
