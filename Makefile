# Aliases only: everything a fresh Debian + Python 3.11 machine needs is installed from here.
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
DEMO_OUT ?= demo-output

.PHONY: install sysdeps test lint imports type unit demo benchdeps bench refresh-r report-pages clean

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# Debian packages the tests and scripts use: Chromium opens the HTML report and the workbench
# headless (tests/e2e, tests/web) and prints the PDF; poppler-utils (pdftoppm) turns PDF pages into
# PNGs (scripts/render_report_pages.sh); PostgreSQL runs the workbench tests on a throwaway server
# (tests/web, started and stopped by the test itself). Installed when missing and this is a root
# shell with apt-get (CI, a fresh machine); elsewhere what needs them is skipped with its reason.
SYSDEPS := chromium:chromium pdftoppm:poppler-utils

sysdeps:
	@missing=""; for pair in $(SYSDEPS); do \
	  cmd=$${pair%%:*}; pkg=$${pair#*:}; \
	  command -v $$cmd >/dev/null 2>&1 || missing="$$missing $$pkg"; \
	done; \
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$$missing postgresql"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing Debian packages:$$missing"; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null) \
	      || echo "warning: could not install$$missing; what needs them will be skipped"; \
	  else echo "note: not installed:$$missing; what needs them will be skipped"; fi; \
	fi

lint: install
	$(VENV)/bin/ruff check src tests benchmarks

# the import layers of decision 0001 (contract in pyproject.toml, [tool.importlinter])
imports: install
	$(VENV)/bin/lint-imports --no-cache

type: install
	$(VENV)/bin/mypy

unit: install
	bash scripts/pytest.sh -q --durations=15

test: sysdeps lint imports type unit

demo: install
	$(VENV)/bin/plasmatrial demo --out $(DEMO_OUT)

# R survival is a peer in the survival and Cox benchmarks (measured in the same run; skipped with a
# note where Rscript is missing). Installed like sysdeps: root shell with apt-get only.
benchdeps:
	@if ! command -v Rscript >/dev/null 2>&1 || ! Rscript -e 'library(survival)' >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing Debian packages: r-base-core r-cran-survival"; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq r-base-core r-cran-survival >/dev/null) \
	      || echo "warning: could not install R; the R columns of the benchmarks will be skipped"; \
	  else echo "note: R survival not installed; the R columns of the benchmarks will be skipped"; fi; \
	fi

bench: install benchdeps
	$(PY) -m pip install -q -e '.[bench]'
	$(PY) benchmarks/run_all.py

# The demo and MM-003 reports as PNG pages (report-pages/*/page-NN.png), to look at every page.
report-pages: install sysdeps
	bash scripts/render_report_pages.sh report-pages

refresh-r:
	bash scripts/refresh_r.sh

clean:
	rm -rf $(VENV) $(DEMO_OUT) .pytest_cache .mypy_cache .ruff_cache
