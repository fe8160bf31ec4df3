# `make demo` and `make test` each build .venv when it is missing or older than the pins.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Passed on to the bench, e.g. `make bench ARGS="--quick --only startup"`.
ARGS ?=

.PHONY: demo test bench screenshots sim dist clean

$(STAMP): requirements.lock pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	@$(BIN)/python tools/build_info.py blotter >/dev/null
	@touch $(STAMP)

demo: $(STAMP)
	$(BIN)/blotter --demo

sim: $(STAMP)
	$(BIN)/blotter sim

test: $(STAMP)
	$(BIN)/python -m pytest -q

bench: $(STAMP)
	$(BIN)/python -m benchmarks $(ARGS)

screenshots: $(STAMP)
	$(BIN)/python tools/screenshots.py screenshots

# One executable file, dist/blotter.pex, for CPython 3.11-3.13 on Linux x86_64 (needs PyPI to build).
dist: $(STAMP)
	$(BIN)/python tools/build_pex.py --output dist/blotter.pex

clean:
	rm -rf $(VENV) .pytest_cache dist
