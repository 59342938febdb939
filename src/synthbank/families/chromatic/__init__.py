"""``chromatic``: synthetic chromatic (RGB) tensors, their masks and their spectral pairs.

Versioning follows TensorFlow Datasets: MAJOR when bytes of existing items change,
MINOR when items or fields are added, PATCH when bytes are unchanged.
"""

VERSION = "2.0.0"

RELEASE_NOTES = {
    "2.0.0": (
        "Portable numerics: the noise's ziggurat-tail draws (|z| >= 3.654, about 1 in 3,700, stored from "
        "libm log1pf) are redrawn with synthbank.numerics, and the bridge kernel's Gaussians use "
        "numerics.exp before rounding to 1e-6. Pixels that held a tail draw change (and so every file's "
        "bytes); the kernel is unchanged."
    ),
    "1.0.0": "First release: Voronoi-cell chromatic tensors (colours uniform in HSL, Latin-hypercube "
    "spread per sample, Gaussian noise), uint8 region masks, spectral pairs by the Gaussian bridge "
    "kernel, one HDF5 file per sample and kind, PNG previews, per-sample manifest entries with "
    "paired_with and content CRC-64, validation metrics (roundtrip, colour balance, FFT kernel "
    "energy, manifest, reseed stability, no PHI).",
}
