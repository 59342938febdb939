# Two commands on a fresh machine: `make repro` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(abspath $(VENV))/bin
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test

# Stages call `synthbank` and `dvc`; find them in the venv without activating it.
export PATH := $(BIN):$(PATH)
export DVC_NO_ANALYTICS := 1

.PHONY: all venv bytecode repro pull release test determinism aarch64 bench bench-summary clean interop hdf5-tools hdf5-check

all: test

$(STAMP): requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --requirement requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --editable .
	touch $(STAMP)

venv: $(STAMP)

# synthbank's byte-code, compiled once for every process the pipeline and the tests start
# (where PYTHONDONTWRITEBYTECODE is set, each would compile the modules it imports: ~50 ms a command).
bytecode: $(STAMP)
	$(BIN)/python -m compileall -q src

repro: $(STAMP) bytecode
	$(BIN)/dvc repro

# The consumer path: dvc pull, then every file against its manifest (docs/verify.md).
pull: $(STAMP)
	$(BIN)/synthbank pull

# A release (docs/releases.md): `make release VERSION=v0.2.0 [REMOTE=name]` checks the tree, dvc status
# and synthbank verify, runs dvc push, writes releases/VERSION.json and CHANGELOG.md, commits and tags.
release: $(STAMP)
	@test -n "$(VERSION)" || { echo "make release: VERSION is missing: allowed make release VERSION=vMAJOR.MINOR.PATCH" >&2; exit 2; }
	$(BIN)/synthbank release $(VERSION) $(if $(REMOTE),--remote $(REMOTE))

$(TEST_STAMP): $(STAMP) requirements-test.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --requirement requirements-test.lock
	touch $(TEST_STAMP)

test: $(TEST_STAMP) bytecode
	$(BIN)/python -m pytest -n auto --dist loadscope --no-loadscope-reorder

# HDF5's own h5dump/h5ls (Debian's hdf5-tools, as root), read by tests/io/test_hdf5_tools.py.
hdf5-tools:
	command -v h5dump >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq hdf5-tools; }

# The oldest HDF5 release that reads each data file (docs/hdf5.md); exits 1 if one needs more than 1.8.
hdf5-check: $(STAMP)
	find data \( -name '*.h5' -o -name '*.hdf5' \) -type f | sort | xargs -r $(BIN)/python -m synthbank.io.hdf5compat

# Every family under emulated CPUs (numpy SIMD levels, libm without FMA, OpenBLAS kernels,
# threads, workers) against the golden checksums in tests/golden/determinism.json.
determinism: $(STAMP)
	$(BIN)/python -m synthbank.determinism matrix --golden tests/golden/determinism.json

# The same small configuration on arm64 under qemu-user (not part of CI: it downloads an
# arm64 Debian root and the aarch64 wheels, and runs for many minutes).
aarch64: $(STAMP)
	bash scripts/aarch64_matrix.sh

# Baselines some benchmarks compare against (not needed by the pipeline or the tests).
bench: $(STAMP)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --requirement benchmarks/requirements.txt
	for f in benchmarks/bench_*.py; do $(BIN)/python $$f || exit 1; done

# Issue 17's targets in one table (each measured by its benchmark now; ~5 minutes, quiet host).
bench-summary: $(STAMP)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --requirement benchmarks/requirements.txt
	$(BIN)/python benchmarks/summary.py

# The field's own readers (The Well, PtychoPINN, CORTEX, nibabel/pydicom, h5dump/h5ls) on data/, in
# their own venv (torch + TensorFlow, ~3.5 GB: not part of CI; docs/interop.md). Options of the
# runner through INTEROP_ARGS, e.g. `make interop INTEROP_ARGS="--only energy --data /other/data"`.
INTEROP_VENV := .venv-interop
INTEROP_STAMP := $(INTEROP_VENV)/.installed

$(INTEROP_STAMP): scripts/interop/requirements.txt
	$(PYTHON) -m venv $(INTEROP_VENV)
	$(INTEROP_VENV)/bin/python -m pip install --quiet --disable-pip-version-check --requirement scripts/interop/requirements.txt
	touch $(INTEROP_STAMP)

interop: $(INTEROP_STAMP)
	$(INTEROP_VENV)/bin/python scripts/interop/run.py $(INTEROP_ARGS)

clean:
	rm -rf $(VENV)
