"""CORTEX's dataset reader, reimplemented for the tests (its Python package is not a dependency).

Each function follows one function of CORTEX (github.com/WestonVoglesonger/CORTEX, commit
a58710625e215c66725846880e8a84c825ddef14), rule for rule, with the same defaults:

* :func:`read_dataset_spec`: ``src/cortex/commands/calibrate.py``, ``_read_dataset_spec``:
  a directory needs ``spec.yaml`` (``yaml.safe_load``) with a non-empty ``recordings``; the
  data file is ``recordings[0].get('path', 'data.float32')`` and must exist; ``channels``,
  ``sample_rate_hz`` come from ``format`` (None when absent), ``window_length`` defaults
  to 160. A path ending in ``.float32`` is taken as it is, with no channel count.
* :func:`calibration_geometry`: ``execute`` of the same file: ``channels or 64``,
  ``window_length or 160``, ``sample_rate or 160``, ``samples_per_channel = file_size //
  (channels * 4)``, windows ``= samples_per_channel // window_length``, rate passed as
  ``int(sample_rate)``.
* :func:`is_generator_dataset`: ``src/cortex/generators/integration.py``: ``dataset.type ==
  'generator'`` needs a ``generator.py``; any other explicit type is a static dataset.
* :func:`read_samples`: the replayer (``src/engine/replayer/replayer.c``) streams
  ``hop * channels`` float32 values per chunk, sample-major ("interleaved", little-endian in
  every CORTEX dataset spec): an (n_samples, channels) array.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import yaml


def read_dataset_spec(dataset_path: str | Path) -> dict[str, Any]:
    """``_read_dataset_spec``: the data path and what the spec says (ValueError as CORTEX raises it)."""
    dataset_path = Path(dataset_path)
    if dataset_path.is_dir():
        spec_path = dataset_path / "spec.yaml"
        if not spec_path.exists():
            raise ValueError(f"Dataset directory missing spec.yaml: {dataset_path}")
        with open(spec_path) as f:
            spec = yaml.safe_load(f)
        if "recordings" not in spec or not spec["recordings"]:
            raise ValueError("spec.yaml missing 'recordings' section")
        data_path = dataset_path / spec["recordings"][0].get("path", "data.float32")
        if not data_path.exists():
            raise ValueError(f"Data file not found: {data_path}")
        fmt = spec.get("format", {})
        result = {"data_path": data_path, "channels": fmt.get("channels"), "sample_rate_hz": fmt.get("sample_rate_hz"),
                  "window_length": fmt.get("window_length", 160)}
        label_pattern = spec["recordings"][0].get("label_pattern")
        if label_pattern:
            result["label_pattern"] = label_pattern
        return result
    if dataset_path.suffix == ".float32":
        if not dataset_path.exists():
            raise ValueError(f"Dataset file not found: {dataset_path}")
        return {"data_path": dataset_path}
    raise ValueError(f"Invalid dataset: {dataset_path} (expected directory with spec.yaml or .float32 file)")


def calibration_geometry(spec: dict[str, Any]) -> dict[str, int]:
    """``execute``'s defaults and file-size arithmetic (the numbers it passes to its binary)."""
    channels = spec.get("channels") or 64
    window_length = spec.get("window_length") or 160
    sample_rate = spec.get("sample_rate_hz") or 160
    samples_per_channel = spec["data_path"].stat().st_size // (channels * 4)
    return {"channels": channels, "window_length": window_length, "sample_rate": int(sample_rate),
            "samples_per_channel": samples_per_channel, "windows": samples_per_channel // window_length}


def is_generator_dataset(dataset_path: str | Path) -> bool:
    """``is_generator_dataset``: whether CORTEX would run a generator instead of reading the file."""
    dataset_path = str(dataset_path)
    if not os.path.isdir(dataset_path):
        return False
    spec_path = os.path.join(dataset_path, "spec.yaml")
    if os.path.exists(spec_path):
        with open(spec_path) as f:
            spec = yaml.safe_load(f)
        section = spec.get("dataset") if spec else None
        kind = section.get("type") if section else None
        if kind == "generator":
            if not os.path.exists(os.path.join(dataset_path, "generator.py")):
                raise ValueError("Dataset claims type='generator' but generator.py missing")
            return True
        if kind is not None:
            return False
    return os.path.exists(os.path.join(dataset_path, "generator.py"))


def read_samples(dataset_dir: Path) -> np.ndarray:
    """The (n_samples, channels) float32 array CORTEX streams from a dataset directory, read
    through its spec.yaml: ``format.type`` float32, ``endian`` little, ``layout`` interleaved."""
    spec = yaml.safe_load((dataset_dir / "spec.yaml").read_text("utf-8"))
    fmt = spec["format"]
    assert (fmt["type"], fmt["endian"], fmt["layout"]) == ("float32", "little", "interleaved"), fmt
    info = read_dataset_spec(dataset_dir)
    geometry = calibration_geometry(info)
    raw = np.fromfile(info["data_path"], dtype="<f4")
    assert raw.size == geometry["samples_per_channel"] * geometry["channels"], "not a whole number of samples"
    return raw.reshape(geometry["samples_per_channel"], geometry["channels"])
