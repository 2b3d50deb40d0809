# Two commands do all the set-up on a fresh clone:
#   make test   -> create .venv, install svcca[all], run the test suite
#   make book   -> create .venv, install svcca[all], build the executable book (book/_build/html)
# Also: make claims (the robustness matrix of the book's claims), make claims-check (CI's
# one further variant), make notebooks-check (the chapters as Colab/Binder notebooks, after
# make book), make bench (benchmark ratios), make lint, make typecheck, make clean-book,
# make clean (also removes .venv).
# The install step is idempotent: it reruns only when pyproject.toml changes.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.svcca-installed
# pytest workers: 2 cores on CI; override with `make test PYTEST_WORKERS=0` for serial
PYTEST_WORKERS ?= 2
PYTEST_ARGS ?=
# One BLAS thread per process: parallel test workers and notebook kernels would
# otherwise oversubscribe the cores.
export OMP_NUM_THREADS ?= 1
export OPENBLAS_NUM_THREADS ?= 1
export MKL_NUM_THREADS ?= 1
# Figures must render inline in the book; an inherited Agg backend makes them vanish.
unexport MPLBACKEND

.PHONY: notebooks-check install test book claims claims-check bench lint typecheck clean-book clean

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

# Every book experiment under 8 seed offsets x 3 CPU kernel settings, in parallel
# one-thread processes, cached per kernel; writes the table the book renders (about three
# hours on 2 cores from scratch; a rerun only computes what changed).
CLAIMS_WORKERS ?= $(shell nproc 2>/dev/null || echo 2)
claims: $(STAMP)
	$(BIN)/svcca claims --kernels default avx2 native --workers $(CLAIMS_WORKERS) --out book/robustness.json

# CI's check: one variant that differs from the book's build in seeds and CPU kernels,
# computed afresh (its own cache folder).
claims-check: $(STAMP)
	$(BIN)/svcca claims --seed-offsets 1 --kernels default --workers $(CLAIMS_WORKERS) --cache book/_build/variant-cache

# The chapters as the notebooks the Colab and Binder buttons open, each run top to bottom
# (with the experiments `make book` cached).
notebooks-check: $(STAMP)
	$(BIN)/python book/notebooks.py --execute book/_build/notebooks-check

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
