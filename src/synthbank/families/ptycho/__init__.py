"""``ptycho``: a simulated ptychography dose sweep (seed 003, issue 5).

Per dose: simulate (detector-native counts) -> canonicalise (DATA-001 contract) ->
patch (K-nearest-neighbour groups) -> split (spatial halves along y) -> views (dense and
sparse groups by minimum centre spacing) -> validate. A final stage aggregates the
per-dose metrics into ``metrics/ptycho.json`` and writes ``manifests/ptycho.json``.

Versioning follows TensorFlow Datasets: MAJOR when bytes of existing items change,
MINOR when items or fields are added, PATCH when bytes are unchanged.
"""

VERSION = "2.0.0"

RELEASE_NOTES = {
    "2.0.0": (
        "Portable numerics: object fields, probe and scan jitter from synthbank.numerics (exp, sincos, "
        "ndtr, portable normal tails), and the exit wave's complex product part by part (numpy's "
        "complex64 multiply uses FMA where the CPU has it: every dose's simulate/raw.h5 changed under "
        "NPY_DISABLE_CPU_FEATURES=X86_V3). Every dose's files change; the Poisson statistics do not."
    ),
    "1.0.0": "First release: dose sweep with simulate, canonicalise, patch, split, dense/sparse "
    "views and validation per dose; HDF5 + NPZ exports, aggregated metrics and one manifest.",
}
