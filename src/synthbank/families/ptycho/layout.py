"""The fixed layout of the ptycho family: stream ids, block size, stage directories, files.

These constants belong to the family's VERSION: changing any of them changes bytes, so it
is a MAJOR version bump, never a parameter.
"""

from __future__ import annotations

from pathlib import Path

FAMILY = "ptycho"

#: First element of the spawn key after the family id: which step draws. The design of
#: the experiment (object, scan, groups, views) is keyed without the dose, so every dose
#: sees the same object, positions and groups and differs only by its photon noise,
#: which is keyed by (NOISE_STREAM, dose, block).
OBJECT_STREAM = 1
SCAN_STREAM = 2
NOISE_STREAM = 3
GROUP_STREAM = 4
VIEW_STREAM = 5

#: Diffraction patterns per noise block: pattern i draws its Poisson noise from block
#: i // NOISE_BLOCK, so its counts never depend on how many patterns there are.
NOISE_BLOCK = 256
#: Rows per HDF5 chunk of the pattern stacks, and the zlib level of HDF5 and NPZ.
CHUNK_ROWS = 64
DEFLATE_LEVEL = 1

SPLITS = ("train", "test")
VIEWS = ("dense", "sparse")

#: Stage directories below ``data/ptycho/dose_<dose>/`` and the files each one holds.
STAGE_FILES: dict[str, tuple[str, ...]] = {
    "simulate": ("raw.h5",),
    "canonical": ("canonical.h5",),
    "patch": ("groups.h5",),
    "split": ("test.h5", "test.npz", "train.h5", "train.npz"),
    "views": ("dense.h5", "sparse.h5"),
    "validate": ("metrics.json",),
}

#: Members of the NPZ export of a split, in the order written: the canonical contract plus
#: ground-truth patches, and every key PtychoPINN's RawData.from_file and load_data read
#: (synthbank.families.ptycho.export).
NPZ_KEYS = (
    "diffraction", "diff3d", "Y", "objectGuess", "probeGuess", "xcoords", "ycoords",
    "xcoords_start", "ycoords_start", "scan_index", "pattern_index", "_metadata",
)


def dose_dir(root: str | Path, dose: int) -> Path:
    """``root/dose_<dose>``: where every stage of one dose writes."""
    return Path(root) / f"dose_{int(dose)}"


def dose_key(dose: int) -> str:
    """The key of one dose in the aggregated metrics (``dose_1000``)."""
    return f"dose_{int(dose)}"


def dose_bytes(n_positions: int, probe_px: int, object_shape: tuple[int, int]) -> int:
    """Upper bound of the bytes one dose's stage directories hold (nothing compressed).

    Per pattern: counts and expected intensity (4 + 4 bytes a pixel), canonical amplitude
    (4), and per split HDF5 + NPZ amplitude (3 x 4: the NPZ holds it as ``diffraction``
    and ``diff3d``) and ground-truth patch (2 x 8); the object is stored six times (raw,
    canonical, two splits in HDF5 and NPZ); 1 MB covers groups, views, metrics and headers.
    """
    return n_positions * probe_px**2 * (4 + 4 + 4 + 12 + 16) + 6 * 8 * object_shape[0] * object_shape[1] + 1_000_000
