# Two commands on a fresh machine: `make repro` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(abspath $(VENV))/bin
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test

# Stages call `synthbank` and `dvc`; find them in the venv without activating it.
export PATH := $(BIN):$(PATH)
export DVC_NO_ANALYTICS := 1

.PHONY: all venv repro pull test determinism aarch64 bench clean

all: test

$(STAMP): requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --requirement requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --editable .
	touch $(STAMP)

venv: $(STAMP)

repro: $(STAMP)
	$(BIN)/dvc repro

# The consumer path: dvc pull, then every file against its manifest (docs/verify.md).
pull: $(STAMP)
	$(BIN)/synthbank pull

$(TEST_STAMP): $(STAMP) requirements-test.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --requirement requirements-test.lock
	touch $(TEST_STAMP)

test: $(TEST_STAMP)
	$(BIN)/python -m pytest -n auto --dist loadscope

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

clean:
	rm -rf $(VENV)
