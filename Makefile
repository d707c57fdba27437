# One-command set-up, answer and test. Everything installs into .venv from the package registries.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
Q ?= who led the 2014 Kassab offensive?

.PHONY: setup browser ask test test-all check index eval bench clean

setup: $(VENV)/.installed

# torch 2.13.0 first: this pin resolves to the machine's local CPU build; any other torch
# request would pull several GB of CUDA packages.
$(VENV)/.installed: pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python -m pip install --quiet -e '.[dev,ray]'
	touch $@

ask: setup
	$(BIN)/ask "$(Q)"

index: setup
	$(BIN)/qa index

# Browser tests use Debian's chromium (no test tool downloads a browser of its own).
browser:
	@command -v chromium >/dev/null || { apt-get update -qq && \
		apt-get install -y -qq --no-install-recommends chromium >/dev/null; }

# Two tiers (pyproject's `long` marker): `test` is the fast tier, `test-all` adds the slow one
# (Ray multi-worker builds, kill tests, soaks, load, overload, the full-budget fuzz).
test: setup browser
	$(BIN)/python -m pytest -m 'not long'

test-all: setup browser
	$(BIN)/python -m pytest

check: setup
	$(BIN)/ruff format --check qa tests eval
	$(BIN)/ruff check qa tests eval
	$(BIN)/mypy qa
	$(BIN)/lint-imports --no-cache

bench: setup
	$(BIN)/python -m eval.bench

clean:
	rm -rf index/*-*/ index/models eval/reports
