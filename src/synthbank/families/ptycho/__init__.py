"""``ptycho``: a simulated ptychography dose sweep (seed 003, issue 5).

Per dose: simulate (detector-native counts) -> canonicalise (DATA-001 contract) ->
patch (K-nearest-neighbour groups) -> split (spatial halves along y) -> views (dense and
sparse groups by minimum centre spacing) -> validate. A final stage aggregates the
per-dose metrics into ``metrics/ptycho.json`` and writes ``manifests/ptycho.json``.

Versioning follows TensorFlow Datasets: MAJOR when bytes of existing items change,
MINOR when items or fields are added, PATCH when bytes are unchanged.
"""

VERSION = "1.0.0"

RELEASE_NOTES = {
    "1.0.0": "First release: dose sweep with simulate, canonicalise, patch, split, dense/sparse "
    "views and validation per dose; HDF5 + NPZ exports, aggregated metrics and one manifest.",
}
