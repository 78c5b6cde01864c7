# Aliases only: everything a fresh Debian + Python 3.11 machine needs is installed from here.
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
DEMO_OUT ?= demo-output

.PHONY: install sysdeps test lint imports type unit demo bench refresh-r clean

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# Debian packages the tests use: Chromium opens the HTML report and the workbench headless
# (tests/e2e, tests/web); PostgreSQL runs the workbench tests on a throwaway server (tests/web,
# started and stopped by the test itself). Installed when missing and this is a root shell with
# apt-get (CI, a fresh machine); elsewhere the tests that need them are skipped with their reason.
sysdeps:
	@missing=""; \
	command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$$missing postgresql"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing Debian packages:$$missing"; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null) \
	      || echo "warning: could not install$$missing; the tests that need them will be skipped"; \
	  else echo "note:$$missing not found; the tests that need them will be skipped"; fi; \
	fi

lint: install
	$(VENV)/bin/ruff check src tests benchmarks

# the import layers of decision 0001 (contract in pyproject.toml, [tool.importlinter])
imports: install
	$(VENV)/bin/lint-imports --no-cache

type: install
	$(VENV)/bin/mypy

unit: install
	bash scripts/pytest.sh -q

test: sysdeps lint imports type unit

demo: install
	$(VENV)/bin/plasmatrial demo --out $(DEMO_OUT)

bench: install
	$(PY) -m pip install -q -e '.[bench]'
	$(PY) benchmarks/run_all.py

refresh-r:
	bash scripts/refresh_r.sh

clean:
	rm -rf $(VENV) $(DEMO_OUT) .pytest_cache .mypy_cache .ruff_cache
