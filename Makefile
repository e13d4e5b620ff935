# Two commands: `make demo` sets up and builds the warehouse; `make test` runs every test.
# Paths derive from this file's folder, so `make -C <project> demo` works from anywhere.

ROOT := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))
VENV := $(ROOT)/.venv
BIN := $(VENV)/bin
PYTHON ?= python3
UV_VERSION := 0.13.9

# The demo's data: generated at SCALE (1 = the course's size), or a CSV export in RAW_DIR.
SCALE ?= 1
SEED ?= 42
RAW_DIR ?=
GENERATED_DIR := $(ROOT)/data/generated

export GREENERY_WAREHOUSE := $(ROOT)/greenery.duckdb
export SQLMESH__DISABLE_ANONYMIZED_ANALYTICS := true

.PHONY: setup demo test bench

# One virtual environment from the lock file; DuckDB is pinned there for every tool.
# The setuptools that `python -m venv` seeds (nothing in the lock needs it) makes `import
# distutils`, which Soda does, load setuptools too: 0.2 s in every command that runs checks.
$(VENV)/.synced: $(ROOT)/pyproject.toml $(ROOT)/uv.lock $(ROOT)/Makefile
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)
	cd $(ROOT) && UV_PROJECT_ENVIRONMENT=$(VENV) $(BIN)/uv sync --frozen --quiet --compile-bytecode
	$(BIN)/python -m pip uninstall --quiet --quiet --yes setuptools
	touch $@

setup: $(VENV)/.synced

# A from-scratch build: a new warehouse file, raw data landed, every model planned into prod.
demo: setup
	rm -f $(GREENERY_WAREHOUSE) $(GREENERY_WAREHOUSE).wal
ifeq ($(RAW_DIR),)
	rm -rf $(GENERATED_DIR)
	$(BIN)/ingest generate --out $(GENERATED_DIR) --scale $(SCALE) --seed $(SEED)
	$(BIN)/ingest load $(GENERATED_DIR)
else
	$(BIN)/ingest load $(abspath $(RAW_DIR))
endif
	cd $(ROOT) && $(BIN)/sqlmesh plan prod --auto-apply --no-prompts
	$(BIN)/greenery answers

# Two workers, each module on one, slowest modules first (tests/conftest.py: SLOWEST_FIRST).
# The tests' scratch files (warehouses, exports) go to memory where the machine has a tmpfs:
# the suite writes gigabytes, and waiting on this machine's disk cost a tenth of its time.
# One folder per clone (pytest empties it first), removed after a pass (it holds about 1 GB
# of memory); kept after a failure, to look at.
TEST_TMP ?= $(if $(wildcard /dev/shm/.),/dev/shm/greenery-tests-$(shell printf '%s' '$(ROOT)' | cksum | cut -d' ' -f1))
test: setup
	cd $(ROOT) && $(BIN)/ruff check . && $(BIN)/ruff format --check .
	cd $(ROOT) && $(BIN)/pytest -n 2 --dist loadfile --no-loadscope-reorder \
		$(if $(TEST_TMP),--basetemp=$(TEST_TMP) && rm -rf $(TEST_TMP))

# The scale benchmark (bench/): every step at each scale, against plain DuckDB on the same SQL.
SCALES ?= 1 10 100 1000 3000
bench: setup
	cd $(ROOT) && $(BIN)/python -m bench --scales $(SCALES)
