# ZoneBrain — the commands a developer and CI use. `make demo` and `make test` are the two
# a fresh machine needs; both install what they need into .venv first.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: install system-deps web-deps lint test test-fast demo bench bench-engines bench-policy bench-deps clean constraints docs-check

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade "pip>=24"
	$(BIN)/python -m pip install -q -c constraints.txt -e '.[test,lint,engines]'
	scripts/install_echarts.sh
	touch $(STAMP)

install: $(STAMP)

# System packages the test suite needs (installed only when running as root, e.g. in CI):
# the PostgreSQL server for the conformance suite's throwaway cluster, a CJK font for charts,
# LibreOffice to prove Word reports open, and a Java runtime for PySpark when no `java` is on the PATH.
SYSTEM_PACKAGES := postgresql fonts-noto-cjk libreoffice-writer-nogui chromium
JAVA_PACKAGE := default-jre-headless
system-deps:
	@if [ "$$(id -u)" = "0" ]; then \
	  missing=$$(for p in $(SYSTEM_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	  command -v java >/dev/null 2>&1 || missing="$$missing $(JAVA_PACKAGE)"; \
	  command -v npm >/dev/null 2>&1 || missing="$$missing npm"; \
	  if [ -n "$$(echo $$missing)" ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; fi; \
	fi

# The warehouse engines the conformance suite runs on (tests/conformance/conftest.py).
ZONEBRAIN_ENGINES ?= duckdb,postgres,spark

lint: install
	$(BIN)/ruff check src tests benchmarks scripts
	$(BIN)/ruff format --check src tests benchmarks scripts
	$(BIN)/mypy
	$(BIN)/lint-imports

# One worker per CPU: the suite is mostly single-threaded Python and Spark round trips, so two
# workers on CI's two cores nearly halve it. --dist loadfile keeps each file on one worker, in order
# (a file's tests may build on each other); every worker has its own session fixtures (demo zone,
# PostgreSQL cluster, Spark session). The slowest tests are listed at the end.
XDIST := -n logical --dist loadfile
test: system-deps install lint
	ZONEBRAIN_ENGINES=$(ZONEBRAIN_ENGINES) $(BIN)/pytest -q $(XDIST) --durations=25

# The fast set for local work: everything but the tests marked slow.
test-fast: install
	$(BIN)/pytest -q $(XDIST) -m "not slow"

# The demo needs npm (for ECharts and htmx, installed at setup) but none of the test suite's servers.
web-deps:
	@if [ "$$(id -u)" = "0" ] && ! command -v npm >/dev/null 2>&1; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm; \
	fi

demo: web-deps install
	$(BIN)/zonebrain demo

# The benchmark-only anchors (the `bench` extra: OpenFisca for the policy benchmark).
bench-deps: install
	$(BIN)/python -m pip install -q -c constraints.txt -e '.[test,lint,engines,bench]'

bench: bench-deps
	$(BIN)/python benchmarks/import_bench.py

# 1M enterprises through the encoded policies: ZoneBrain on DuckDB against OpenFisca.
bench-policy: bench-deps
	$(BIN)/python benchmarks/policy_bench.py

# Import and zone summary of the 1M-firm reference registry on DuckDB, PostgreSQL and Spark.
bench-engines: install system-deps
	$(BIN)/python benchmarks/engines_bench.py

# Refresh the lock of tested versions after changing dependencies in pyproject.toml.
constraints:
	$(BIN)/python -m pip freeze --exclude-editable --exclude zonebrain | sort > constraints.txt

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
