# The two set-up commands of the README: `make demo` (main job) and `make test` (whole suite).
# Each creates .venv and installs what it needs, so they work on a fresh machine.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
OUT ?= out
SHARED ?= ../shared/data

.PHONY: demo test lint typecheck unit install browser java clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,spark]'
	touch $@

install: $(BIN)/.installed

demo: $(BIN)/.installed
	mkdir -p $(OUT)
	$(BIN)/cibscan demo --out $(OUT)/demo
	$(BIN)/cibscan run $(SHARED)/coortweet/german_elections.csv.gz --out $(OUT)/german --overwrite > $(OUT)/german.txt
	rm -f $(OUT)/formats.duckdb
	$(BIN)/cibscan ingest $(SHARED)/formats --case $(OUT)/formats.duckdb > /dev/null
	$(BIN)/cibscan info --case $(OUT)/formats.duckdb > $(OUT)/formats-info.txt

lint: $(BIN)/.installed
	$(BIN)/ruff check cibscan tests benchmarks
	$(BIN)/ruff format --check cibscan tests benchmarks

typecheck: $(BIN)/.installed
	$(BIN)/mypy

# The report tests drive Debian's Chromium (playwright-core from PyPI talks to it; no
# browser download). Installed here so that a fresh machine and CI have it.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
browser:
	@command -v chromium > /dev/null 2>&1 || { $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium > /dev/null; }

# The Spark engine tests (tests/test_engines.py, the cibscan[spark] extra) need a Java runtime.
java:
	@command -v java > /dev/null 2>&1 || { $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq openjdk-17-jre-headless > /dev/null; }

# Two workers: every Spark test on one (one JVM; tests/conftest.py groups them), the rest on
# the other. `pytest tests/x.py` alone runs serially as usual.
unit: $(BIN)/.installed browser java
	$(BIN)/pytest -n 2 --dist loadgroup

test: lint typecheck unit

clean:
	rm -rf $(VENV) $(OUT) .mypy_cache .ruff_cache .pytest_cache
