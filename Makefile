# The two quickstart commands: `make serve` (the service, embedded SQLite) and `make check` (lint, types,
# every test on SQLite and PostgreSQL, and the built wheel installed outside the checkout). Each installs
# what it needs first, from the lock files.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: serve check lint types test smoke bench profile lock browser

$(STAMP): pyproject.toml requirements-dev.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet --require-hashes -r requirements-dev.lock
	$(BIN)/pip install --quiet --no-deps -e .
	touch $(STAMP)

serve: $(STAMP)
	$(BIN)/esledger serve

check: lint types test smoke

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# mypy cannot follow the editable install's finder for a package mapped onto services/: check it by its
# import name through a link.
types: $(STAMP)
	mkdir -p build/typecheck && ln -sfn ../../services build/typecheck/esledger
	$(BIN)/mypy -p esledger

test: $(STAMP) browser
	$(BIN)/python scripts/require_postgres.py
	$(BIN)/python -m pytest

# The console's browser tests drive Debian's Chromium (no browser download is possible or needed) and read its
# Chinese with a CJK font; installed once, from Debian's packages, when missing.
browser:
	@command -v chromium >/dev/null && fc-list :lang=zh | grep -q . || \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-microhei)

smoke: $(STAMP)
	$(BIN)/python scripts/smoke_wheel.py

# Every performance measure and its baselines in one run (about 20 minutes) on fresh PostgreSQL databases: a
# table on stdout, the figures in bench/results.json. `make bench BENCH_ARGS=--quick`: a smoke run in under 2
# minutes; `BENCH_ARGS="--only reads --cases 10000"`: one part (.venv/bin/python -m bench.suite --help).
bench: $(STAMP)
	$(BIN)/python scripts/require_postgres.py
	$(BIN)/python -m bench.suite $(BENCH_ARGS)

# Where the time of appends, the read model's catch-up and list reads goes: pyinstrument profiles taken
# in-process on a fresh PostgreSQL database (about a minute), written to bench/profiles/ (call trees and a
# README.md of shares). `PROFILE_ARGS="--cases 10000"`: other sizes (.venv/bin/python -m bench.profile --help).
profile: $(STAMP)
	$(BIN)/python scripts/require_postgres.py
	$(BIN)/python -m bench.profile $(PROFILE_ARGS)

# Re-resolve the pinned dependencies after changing pyproject.toml.
lock: $(STAMP)
	$(BIN)/uv pip compile pyproject.toml --python-version 3.11 --generate-hashes -q -o requirements.lock
	$(BIN)/uv pip compile pyproject.toml --extra dev --python-version 3.11 --generate-hashes -q -o requirements-dev.lock
