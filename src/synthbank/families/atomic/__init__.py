"""``atomic``: 16x16 uint8 patches of simulated atomic-resolution lattice micrographs.

Versioning follows TensorFlow Datasets: MAJOR when bytes of existing items change,
MINOR when items or fields are added, PATCH when bytes are unchanged.
"""

VERSION = "1.0.0"

RELEASE_NOTES = {
    "1.0.0": "First release: five Bravais lattice classes, train/val/test HDF5 and npz, "
    "metadata.json, manifest and validation metrics.",
}
