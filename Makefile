# Two commands on a fresh machine: `make demo` and `make test`.
# The virtual environment is rebuilt only when pyproject.toml changes.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The timing kernels compiled ahead of time (numba.pycc) so `signalbrain optimize` starts without
# numba; rebuilt when their source changes. A failed build is not fatal: the kernels then compile
# just in time as before (the loader checks the source hash and never runs a stale build).
AOT_SRC := $(wildcard src/signalbrain/timing/_kernels*.py src/signalbrain/timing/_compiled.py src/signalbrain/timing/_aot.py src/signalbrain/io/_xml_kernels.py src/signalbrain/io/_route_kernels.py)
AOT_STAMP := $(VENV)/.aot

.PHONY: demo test bench lint install clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade "pip>=25.1"
	$(BIN)/python -m pip install -q -e ".[all]" --group dev
	@touch $(STAMP)

$(AOT_STAMP): $(STAMP) $(AOT_SRC)
	$(BIN)/python -m signalbrain.timing._aot || echo "ahead-of-time kernel build failed: numba compiles them at run time"
	$(BIN)/python -m compileall -q src/signalbrain
	@touch $(AOT_STAMP)

install: $(STAMP) $(AOT_STAMP)

demo: install
	$(BIN)/signalbrain demo

test: install
	$(BIN)/python -m pytest -q

bench: install
	$(BIN)/python -m pytest -q benchmarks --benchmark-only --benchmark-columns=min,median,mean,rounds

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy

clean:
	rm -rf $(VENV) build dist .pytest_cache .benchmarks
	rm -f src/signalbrain/timing/_kernels_aot*.so
