# The two quickstart commands: `make serve` and `make test`. Each installs what it needs first.
PYTHON ?= python3
VENV := .venv
STAMP := $(VENV)/.installed

.PHONY: serve test bench

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e '.[test]'
	touch $(STAMP)

serve: $(STAMP)
	$(VENV)/bin/esledger serve

test: $(STAMP)
	$(VENV)/bin/python scripts/require_postgres.py
	$(VENV)/bin/python -m pytest

bench: $(STAMP)
	$(VENV)/bin/python scripts/require_postgres.py
	$(VENV)/bin/python bench/append_throughput.py
