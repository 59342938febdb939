"""The fixed layout of the chromatic family: blocks, names and directories.

These constants belong to the family's VERSION: changing one changes bytes or names, so it
is a MAJOR version bump, never a parameter.
"""

from __future__ import annotations

FAMILY = "chromatic"
#: Samples per random block. Sample i lives in block i // BLOCK_SIZE, position
#: i % BLOCK_SIZE; every block draws all BLOCK_SIZE samples, so sample i's bytes depend
#: only on (seed, i) and the params, never on num_samples, workers or shard size.
BLOCK_SIZE = 4
#: Sub-directories of the data directory.
CHROMATIC_DIR = "chromatic"
SPECTRAL_DIR = "spectral"
#: Default preview directory inside the data directory (the DVC stage puts it elsewhere).
PREVIEW_DIR = "previews"
#: Kinds in names ``synthetic_<kind>_<seed>_<index>`` (the chromatic source document's
#: naming convention, docs/families/chromatic.md).
KINDS = ("chromatic", "spectral", "mask")


def n_blocks(num_samples: int) -> int:
    """Blocks needed for ``num_samples`` samples (the last one may be partial)."""
    return -(-num_samples // BLOCK_SIZE)


def sample_name(kind: str, seed: int, index: int) -> str:
    """``synthetic_<kind>_<seed>_<index>``, index zero-padded to five digits."""
    if kind not in KINDS:
        raise ValueError(f"kind={kind!r} is invalid: allowed one of {list(KINDS)}")
    return f"synthetic_{kind}_{seed}_{index:05d}"


def chromatic_file(seed: int, index: int) -> str:
    """Path of a sample's chromatic HDF5 file, relative to the data directory."""
    return f"{CHROMATIC_DIR}/{sample_name('chromatic', seed, index)}.h5"


def spectral_file(seed: int, index: int) -> str:
    """Path of a sample's spectral HDF5 file, relative to the data directory."""
    return f"{SPECTRAL_DIR}/{sample_name('spectral', seed, index)}.h5"
