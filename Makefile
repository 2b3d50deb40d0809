# Two commands do all the set-up on a fresh clone:
#   make test   -> create .venv, install svcca[all], run the test suite
#   make book   -> create .venv, install svcca[all], build the executable book (book/_build/html)
# Also: make bench (benchmark ratios), make lint, make clean-book.
# The install step is idempotent: it reruns only when pyproject.toml changes.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.svcca-installed
# pytest workers: 2 cores on CI; override with `make test PYTEST_WORKERS=0` for serial
PYTEST_WORKERS ?= 2
PYTEST_ARGS ?=
# One BLAS thread per process: parallel test workers and notebook kernels would
# otherwise oversubscribe the cores (see shared/research/pilot_digits.md).
export OMP_NUM_THREADS ?= 1
export OPENBLAS_NUM_THREADS ?= 1
export MKL_NUM_THREADS ?= 1
# Figures must render inline in the book; an inherited Agg backend makes them vanish.
unexport MPLBACKEND

.PHONY: install test book bench lint typecheck clean-book clean

install: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[all]"
	@touch $(STAMP)

test: $(STAMP)
	$(BIN)/python -m pytest $(if $(filter-out 0,$(PYTEST_WORKERS)),-n $(PYTEST_WORKERS)) $(PYTEST_ARGS)

book: $(STAMP)
	$(BIN)/python book/build.py

bench: $(STAMP)
	@for f in benchmarks/bench_*.py; do \
	  echo "=== $$f"; env -u OMP_NUM_THREADS -u OPENBLAS_NUM_THREADS -u MKL_NUM_THREADS $(BIN)/python $$f $(BENCH_ARGS) || exit 1; \
	done

lint: $(STAMP)
	$(BIN)/ruff check svcca tests benchmarks data_scripts
	$(BIN)/ruff format --check svcca tests benchmarks data_scripts

typecheck: $(STAMP)
	$(BIN)/mypy

clean-book:
	rm -rf book/_build

clean: clean-book
	rm -rf $(VENV)
