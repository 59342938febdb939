"""Saving and loading of the atomic document API: ``<split>.npz``, ``metadata.json``, and reading both layouts."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from synthbank import jsonio
from synthbank.families.atomic.api.common import (
    DEFAULT_SPLITS,
    Split,
    _check_pair,
    _check_seed,
    _check_splits,
    _is_int,
    logger,
)
from synthbank.families.atomic.build import AtomicConfig, metadata
from synthbank.families.atomic.lattice import LatticeParams, validate_lattice
from synthbank.families.atomic.layout import SPLIT_NAMES
from synthbank.families.atomic.shards import LazyArray, SplitReader, split_files
from synthbank.io.npz import NpzWriter
from synthbank.io.staging import write_file_atomic


def _write_replacing(path: Path, write: Callable[[Path], None]) -> None:
    """``write`` a temporary sibling, then rename it onto ``path``: never a half-written file."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        write(Path(tmp))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def save_corpus(splits: Mapping[str, Split], output_dir: str | Path, dtype: Any = np.uint8) -> list[Path]:
    """Write ``<split>.npz`` with members ``images`` and ``labels`` (deterministic bytes).

    Each file is written to a temporary sibling and renamed, so a reader never sees half a
    file. Split sizes are logged (INFO), as the document prints them.

    Parameters
    ----------
    splits : mapping
        ``{split: (images (n, H, W), labels (n,))}`` for some of train, val, test.
    output_dir : path
        Created if missing.
    dtype : numpy dtype, default numpy.uint8
        Stored dtype of both arrays; the cast must keep every value (ValueError otherwise).

    Returns
    -------
    list of Path
        The files written, in ``splits`` order.
    """
    if not isinstance(splits, Mapping) or not splits or not set(splits) <= set(SPLIT_NAMES):
        shown = list(splits) if isinstance(splits, Mapping) else splits
        raise ValueError(f"splits with keys {shown!r} is invalid: allowed a mapping with keys among {list(SPLIT_NAMES)}")
    try:
        dt = np.dtype(dtype)
    except TypeError:
        raise ValueError(f"dtype={dtype!r} is invalid: allowed a numeric numpy dtype such as numpy.uint8") from None
    if dt.kind not in "uif":
        raise ValueError(f"dtype={dtype!r} is invalid: allowed a numeric numpy dtype such as numpy.uint8")
    typed = {}
    for name, pair in splits.items():
        imgs, labs = (np.asarray(a) for a in pair)
        _check_pair(name, imgs, labs, "save_corpus")
        # A cast that changes values (e.g. 255 -> -1 in int8) would corrupt items silently.
        typed[name] = [a.astype(dt) for a in (imgs, labs)]
        if not all(np.array_equal(t, a) for t, a in zip(typed[name], (imgs, labs), strict=True)):
            raise ValueError(f"dtype={dtype!r} is invalid for split {name!r}: values change when cast (allowed a dtype that holds them, e.g. numpy.uint8)")
    out = Path(output_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, (imgs, labs) in typed.items():
        path = out / f"{name}.npz"

        def write(tmp: Path, imgs: np.ndarray = imgs, labs: np.ndarray = labs) -> None:
            with NpzWriter(tmp) as npz:
                npz.add_array("images", imgs)
                npz.add_array("labels", labs)

        _write_replacing(path, write)
        logger.info("Saved %s: %d samples -> %s", name, len(imgs), path)
        written.append(path)
    return written


def save_metadata(
    output_dir: str | Path, num_images: int, seed: int, splits_info: Mapping[str, int], *,
    splits: Mapping[str, float] = DEFAULT_SPLITS, lattice: LatticeParams | None = None, timestamp: str | None = None,
) -> Path:
    """Write ``metadata.json``: the document's fields, laid out as the pipeline's.

    Fields: ``version`` (the family's generator version), ``timestamp``,
    ``generation_params`` (num_images, seed, grid_size, splits, lattice), ``dataset_info``
    (= ``splits_info``), ``memory_info`` (bytes_per_image, total_bytes, readable),
    ``file_format`` (dtype uint8, compression npz), ``label_names`` and ``block_size``.
    Canonical JSON (sorted keys, indent 2).

    Parameters
    ----------
    output_dir : path
        Created if missing.
    num_images : int, >= 1
    seed : int
        The root seed the corpus was generated with, 0 to 2**63 - 1.
    splits_info : mapping
        ``train_count``, ``val_count``, ``test_count`` (non-negative integers) and
        ``total_count`` = their sum = ``num_images``.
    splits, lattice : as given to :func:`split_corpus` / :func:`generate_corpus`.
    timestamp : str, optional
        ISO 8601 date-time. Default: now, local time (the document's
        ``datetime.now().isoformat()``); pass one for reproducible bytes.

    Returns
    -------
    Path
        ``output_dir / "metadata.json"``.
    """
    if not _is_int(num_images) or num_images < 1:
        raise ValueError(f"num_images={num_images!r} is invalid: allowed a positive integer")
    seed = _check_seed(seed)
    keys = [f"{s}_count" for s in SPLIT_NAMES]
    ok = isinstance(splits_info, Mapping) and set(splits_info) == {*keys, "total_count"}
    ok = ok and all(_is_int(v) and v >= 0 for v in splits_info.values())
    if not ok or sum(splits_info[k] for k in keys) != splits_info["total_count"] or splits_info["total_count"] != num_images:
        raise ValueError(
            f"splits_info={dict(splits_info) if isinstance(splits_info, Mapping) else splits_info!r} is invalid: allowed "
            f"non-negative integers {keys} and total_count, their sum, equal to num_images={num_images}"
        )
    if timestamp is None:
        timestamp = datetime.now().isoformat()
    try:
        date = datetime.fromisoformat(timestamp).date().isoformat()
    except (TypeError, ValueError):
        raise ValueError(f"timestamp={timestamp!r} is invalid: allowed an ISO 8601 date-time such as '2026-11-22T00:00:00'") from None
    lattice = lattice or LatticeParams.default()
    validate_lattice(lattice)
    cfg = AtomicConfig(seed=seed, num_images=int(num_images), splits=_check_splits(splits), lattice=lattice, release_date=date)
    record = metadata(cfg, np.array([splits_info[k] for k in keys], dtype=np.int64))
    record["timestamp"] = timestamp
    record["file_format"] = {"dtype": "uint8", "compression": "npz"}  # save_corpus writes no HDF5
    out = Path(output_dir)
    out.mkdir(parents=True, exist_ok=True)
    path = out / "metadata.json"
    write_file_atomic(path, jsonio.dumps(record).encode("utf-8"))
    logger.info("Saved metadata: %s", path)
    return path


def _read_split(directory: Path, name: str, lazy: bool = False) -> Split | None:
    """One split from ``<name>.npz`` (save_corpus, pipeline), else the pipeline's HDF5 (``<name>.h5``
    or its shards); None if neither. ``lazy``: HDF5 first, as :class:`LazyArray` pairs."""
    npz, h5 = directory / f"{name}.npz", split_files(directory, name)
    if h5 and (lazy or not npz.is_file()):
        reader = SplitReader(h5)
        if lazy:
            return LazyArray(reader, "images"), LazyArray(reader, "labels")
        pair = (reader.read("images"), reader.read("labels"))
        where = str(h5[0]) if len(h5) == 1 else f"{directory}/{name}-*.h5"
    elif npz.is_file():
        with np.load(npz, allow_pickle=False) as z:
            missing = {"images", "labels"} - set(z.files)
            if missing:
                raise ValueError(f"{npz} is invalid: it lacks {sorted(missing)}: allowed an npz with images and labels")
            pair = (z["images"], z["labels"])
        where = str(npz)
    else:
        return None
    _check_pair(name, *pair, where)
    return pair


def load_corpus(output_dir: str | Path, *, lazy: bool = False) -> dict[str, Split]:
    """Every split present in a dataset directory, as stored.

    Each split is read from ``<split>.npz`` if present (what :func:`save_corpus` and the
    pipeline write), else from the pipeline's ``<split>.h5`` or its shards
    ``<split>-<k>-of-<n>.h5`` (``atomic.shard_images`` > 0), in item order.

    Parameters
    ----------
    output_dir : path
    lazy : bool, default False
        Return :class:`~synthbank.families.atomic.shards.LazyArray` views of the HDF5
        files (either layout) that read rows on indexing, one file at a time, instead of
        arrays in memory; a directory with npz files only is read in full.

    Returns
    -------
    dict
        ``{split: (images (n, H, W), labels (n,))}`` in train, val, test order, dtypes as
        stored (uint8 by default).

    Raises
    ------
    FileNotFoundError
        If no split is present.
    """
    out = Path(output_dir)
    result = {name: pair for name in SPLIT_NAMES if (pair := _read_split(out, name, lazy)) is not None}
    if not result:
        raise FileNotFoundError(f"{out} holds no train/val/test .npz or .h5 files: allowed a directory written by save_corpus or the pipeline")
    return result
