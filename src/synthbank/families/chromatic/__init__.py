"""``chromatic``: synthetic chromatic (RGB) tensors, their masks and their spectral pairs.

Versioning follows TensorFlow Datasets: MAJOR when bytes of existing items change,
MINOR when items or fields are added, PATCH when bytes are unchanged.
"""

VERSION = "1.0.0"

RELEASE_NOTES = {
    "1.0.0": "First release: Voronoi-cell chromatic tensors (colours uniform in HSL, Latin-hypercube "
    "spread per sample, Gaussian noise), uint8 region masks, spectral pairs by the Gaussian bridge "
    "kernel, one HDF5 file per sample and kind, PNG previews, per-sample manifest entries with "
    "paired_with and content CRC-64, validation metrics (roundtrip, colour balance, FFT kernel "
    "energy, manifest, reseed stability, no PHI).",
}
