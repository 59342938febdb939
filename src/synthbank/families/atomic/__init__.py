"""``atomic``: 16x16 uint8 patches of simulated atomic-resolution lattice micrographs.

Versioning follows TensorFlow Datasets: MAJOR when bytes of existing items change,
MINOR when items or fields are added, PATCH when bytes are unchanged.
"""

VERSION = "2.0.0"

RELEASE_NOTES = {
    "2.0.0": (
        "Portable numerics: the same bytes on every x86-64 CPU level, libm and BLAS kernel. Column "
        "profiles come from synthbank.numerics.exp by a two-multiply recurrence in float64 (they were "
        "numpy's float32 exp, whose SIMD code differs per CPU level: train/test images changed under "
        "NPY_DISABLE_CPU_FEATURES=X86_V3); lattice vectors and the centred-rectangular angle use "
        "numerics.sincos/arctan; the noise's rare ziggurat-tail draws (|z| >= 3.654, libm log1p) are "
        "redrawn portably. Every image's bytes change; the distributions do not (the clean images agree "
        "with 1.0.0's to 1.5e-6 of full scale)."
    ),
    "1.0.0": "First release: five Bravais lattice classes, train/val/test HDF5 and npz, "
    "metadata.json, manifest and validation metrics.",
}
