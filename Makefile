# Aliases only: everything a fresh Debian + Python 3.11 machine needs is installed from here.
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
DEMO_OUT ?= demo-output

.PHONY: install test lint type unit demo bench refresh-r clean

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

lint: install
	$(VENV)/bin/ruff check src tests benchmarks

type: install
	$(VENV)/bin/mypy

unit: install
	bash scripts/pytest.sh -q

test: lint type unit

demo: install
	$(VENV)/bin/plasmatrial demo --out $(DEMO_OUT)

bench: install
	$(PY) -m pip install -q -e '.[bench]'
	$(PY) benchmarks/run_all.py

refresh-r:
	bash scripts/refresh_r.sh

clean:
	rm -rf $(VENV) $(DEMO_OUT) .pytest_cache .mypy_cache .ruff_cache
