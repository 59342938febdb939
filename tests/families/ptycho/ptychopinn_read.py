"""PtychoPINN's two raw-NPZ read paths, reimplemented line for line for the tests.

Their modules cannot be imported here: ``ptycho/raw_data.py`` imports tensorflow at its top
(and ``ptycho.diffsim``, ``ptycho.tf_helper``), ``ptycho/workflows/components.py`` imports
the training stack, ``ptycho/metadata.py`` imports ``ptycho.config.config``. So the read
paths are copied from github:hoidn/PtychoPINN (commit 712c23f3bb65, read 2026-07):

* ``RawData.from_file`` (ptycho/raw_data.py) with ``MetadataManager.load_with_metadata``
  and ``get_nphotons`` (ptycho/metadata.py) and ``RawData.__init__``'s checks;
* ``load_data`` (ptycho/workflows/components.py) without the subsampling branch (all
  images) and with the default transforms (no flips, coord_scale 1.0);
* ``normalize_data`` (ptycho/raw_data.py), the first thing their grouping does with diff3d.

Their asserts are kept as asserts and their ``ValueError`` as ValueError, so a file they
would refuse fails here the same way.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import numpy as np

METADATA_KEY = "_metadata"  # MetadataManager.METADATA_KEY


@dataclass
class RawData:
    """``ptycho.raw_data.RawData.__init__``: its sanity checks, then the attributes."""

    xcoords: np.ndarray
    ycoords: np.ndarray
    xcoords_start: np.ndarray
    ycoords_start: np.ndarray
    diff3d: np.ndarray
    probeGuess: np.ndarray
    scan_index: np.ndarray
    objectGuess: np.ndarray | None = None
    Y: np.ndarray | None = None
    metadata: dict[str, Any] | None = None

    def __post_init__(self) -> None:
        # _check_data_validity
        if not (self.xcoords.shape == self.ycoords.shape == self.xcoords_start.shape == self.ycoords_start.shape):
            raise ValueError("Coordinate arrays must have matching shapes.")
        assert len(self.xcoords.shape) == 1
        assert len(self.ycoords.shape) == 1
        assert len(self.xcoords_start.shape) == 1
        assert len(self.ycoords_start.shape) == 1
        if self.diff3d is not None:
            assert len(self.diff3d.shape) == 3
            assert self.diff3d.shape[1] == self.diff3d.shape[2]
        if self.probeGuess is not None:
            assert len(self.probeGuess.shape) == 2
        if self.scan_index is not None:
            assert len(self.scan_index.shape) == 1
        if self.objectGuess is not None:
            assert len(self.objectGuess.shape) == 2


def load_with_metadata(file_path) -> tuple[dict[str, np.ndarray], dict[str, Any] | None]:
    """``MetadataManager.load_with_metadata``."""
    with np.load(file_path, allow_pickle=True) as data:
        data_dict = {}
        metadata = None
        for key in data.files:
            if key == METADATA_KEY:
                try:
                    metadata_json = str(data[key].item())
                    metadata = json.loads(metadata_json)
                except (json.JSONDecodeError, ValueError):
                    pass  # they log a warning
            else:
                data_dict[key] = data[key]
    return data_dict, metadata


def get_nphotons(metadata: dict[str, Any] | None, default: float = 1e9) -> float:
    """``MetadataManager.get_nphotons``."""
    if metadata is None:
        return default
    return metadata.get("physics_parameters", {}).get("nphotons", default)


def from_file(train_data_file_path) -> RawData:
    """``RawData.from_file`` (validate_config=False)."""
    data_dict, metadata = load_with_metadata(train_data_file_path)
    xcoords_start = data_dict.get("xcoords_start", data_dict["xcoords"])
    ycoords_start = data_dict.get("ycoords_start", data_dict["ycoords"])
    scan_index = data_dict.get("scan_index", np.zeros(len(data_dict["xcoords"]), dtype=int))
    return RawData(
        xcoords=data_dict["xcoords"], ycoords=data_dict["ycoords"], xcoords_start=xcoords_start,
        ycoords_start=ycoords_start, diff3d=data_dict["diff3d"], probeGuess=data_dict["probeGuess"],
        objectGuess=data_dict.get("objectGuess"), scan_index=scan_index, metadata=metadata,
    )


def load_data(file_path, coord_scale: float = 1.0) -> RawData:
    """``ptycho.workflows.components.load_data`` with every image (no subsampling) and no flips."""
    data = np.load(file_path)  # their call: allow_pickle left at numpy's default (False)
    xcoords = data["xcoords"]
    ycoords = data["ycoords"]
    xcoords_start = data["xcoords_start"]
    ycoords_start = data["ycoords_start"]
    diff_key = "diff3d" if "diff3d" in data else "diffraction"
    diff_data = data[diff_key]
    if diff_data.ndim == 4 and diff_data.shape[-1] == 1:
        diff_data = np.squeeze(diff_data, axis=-1)
    if diff_data.ndim != 3:
        raise ValueError(f"Expected diffraction data to have rank 3 or rank 4 with singleton channel, got {diff_data.shape}")
    dataset_size = int(xcoords.shape[0])
    if diff_data.shape[0] == dataset_size:
        diff3d = diff_data
    elif diff_data.shape[-1] == dataset_size:
        diff3d = np.transpose(diff_data, [2, 0, 1])
    else:
        raise ValueError(f"Unable to align diffraction shape {diff_data.shape} with xcoords length {dataset_size}.")
    probeGuess = data["probeGuess"]
    objectGuess = data.get("objectGuess", None)
    Y_patches = data["Y"] if "Y" in data else None
    xcoords *= coord_scale  # in place: an integer or read-only array fails here, as in theirs
    ycoords *= coord_scale
    xcoords_start *= coord_scale
    ycoords_start *= coord_scale
    scan_index = np.zeros(diff3d.shape[0], dtype=int)
    if Y_patches is not None and (getattr(Y_patches, "shape", None) is None or Y_patches.shape[0] != dataset_size):
        Y_patches = None  # they log a warning and drop Y
    selected_indices = np.arange(dataset_size)
    return RawData(xcoords[selected_indices], ycoords[selected_indices], xcoords_start[selected_indices],
                   ycoords_start[selected_indices], diff3d[selected_indices], probeGuess, scan_index[selected_indices],
                   objectGuess=objectGuess, Y=(Y_patches[selected_indices] if Y_patches is not None else None))


def normalize_data(diffraction: np.ndarray, N: int) -> np.ndarray:
    """``ptycho.raw_data.normalize_data`` (their tf.reduce_sum is numpy's sum here)."""
    X_full_norm = np.float32(np.sqrt(((N / 2) ** 2) / np.mean(np.sum(np.square(diffraction.astype(np.float64)), axis=(1, 2)))))
    return X_full_norm * diffraction.astype(np.float32, copy=False)
