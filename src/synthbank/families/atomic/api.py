"""The atomic source document's Python API as thin functions over the core.

The document's call sequence runs as written::

    images, labels = generate_corpus(num_images, show_progress=True)
    splits = split_corpus(images, labels)
    save_corpus(splits, output_dir, dtype=np.uint8)
    save_metadata(output_dir, num_images, seed, splits_info)
    validate_dataset(output_dir)
    splits = load_corpus(output_dir)

``generate_corpus`` and ``split_corpus`` produce exactly the items and split membership
that the pipeline writes (same seed, same blocks), held in memory; use the CLI or
:func:`synthbank.families.atomic.build.build` for datasets too big for that.
``load_corpus`` and ``validate_dataset`` read both layouts: the ``<split>.npz`` files
``save_corpus`` writes and the ``<split>.h5`` files of the pipeline.

The document prints what it saves; here those lines go to :data:`logger` (INFO), and
violated thresholds of :func:`validate_dataset` are logged as WARNING.
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

import h5py
import numpy as np
from tqdm import tqdm

from synthbank import jsonio
from synthbank.families.atomic.build import AtomicConfig, block_items, estimate, metadata
from synthbank.families.atomic.generate import GRID_SIZE, LATTICE_NAMES, LatticeParams, validate_lattice
from synthbank.families.atomic.layout import BLOCK_SIZE, SPLIT_NAMES, block_split_counts, n_blocks, split_codes
from synthbank.io.npz import NpzWriter
from synthbank.io.staging import write_file_atomic

logger = logging.getLogger(__name__)

#: The root seed of params.yaml (``seed``) and of the document's CLI (``--seed``).
DEFAULT_SEED = 42
DEFAULT_SPLITS = {"train": 0.8, "val": 0.1, "test": 0.1}
#: Tiles of the report's sample grid (10 x 10, as in the document).
REPORT_SAMPLES = 100
_SEED_MAX = 2**63 - 1
Split = tuple[np.ndarray, np.ndarray]


# -- checks -----------------------------------------------------------------------------
def _is_int(v: Any) -> bool:
    return isinstance(v, (int, np.integer)) and not isinstance(v, bool)


def _check_seed(seed: Any) -> int:
    if not _is_int(seed) or not 0 <= seed <= _SEED_MAX:
        raise ValueError(f"seed={seed!r} is invalid: allowed an integer from 0 to 2**63 - 1")
    return int(seed)


def _check_splits(splits: Any) -> dict[str, float]:
    ok = isinstance(splits, Mapping) and set(splits) == set(SPLIT_NAMES)
    ok = ok and all(isinstance(v, (int, float, np.integer, np.floating)) and 0 <= v <= 1 for v in splits.values())
    if not ok or abs(sum(float(v) for v in splits.values()) - 1.0) > 1e-9:
        raise ValueError(f"splits={splits!r} is invalid: allowed fractions in [0, 1] for exactly {list(SPLIT_NAMES)}, summing to 1")
    return {s: float(splits[s]) for s in SPLIT_NAMES}


def _check_pair(name: str, images: np.ndarray, labels: np.ndarray, where: str) -> None:
    if images.ndim != 3 or labels.ndim != 1 or images.shape[0] != labels.shape[0]:
        raise ValueError(
            f"{where}: images {images.shape} and labels {labels.shape} of split {name!r} are invalid: "
            "allowed images (n, H, W) and labels (n,) of the same n"
        )


def _as_uint8(a: np.ndarray, what: str) -> np.ndarray:
    """``a`` as uint8, or ValueError if a value is not an integer in 0..255 (no silent wrap)."""
    if a.dtype == np.uint8:
        return a
    out = a.astype(np.uint8)
    if a.dtype.kind not in "uif" or not np.array_equal(out, a):
        raise ValueError(f"{what} of dtype {a.dtype} is invalid: allowed integer values 0..255 (as save_corpus writes)")
    return out


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


# -- generation -------------------------------------------------------------------------
def generate_corpus(
    num_samples: int, show_progress: bool = True, *, seed: int = DEFAULT_SEED, lattice: LatticeParams | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """The first ``num_samples`` items of the atomic dataset, in memory.

    Item i equals item i of the pipeline's dataset with the same seed and lattice (the
    same block streams), so a smaller corpus is a prefix of a larger one. The global
    NumPy random state (``np.random.seed``) is neither read nor changed: pass ``seed``.

    Parameters
    ----------
    num_samples : int
        Number of images, >= 1.
    show_progress : bool, default True
        Show a tqdm bar ("Generating images", unit "img").
    seed : int, default 42
        Root seed (params.yaml ``seed``), 0 to 2**63 - 1.
    lattice : LatticeParams, optional
        Distribution of the images; default the params.yaml ``atomic.lattice`` values.

    Returns
    -------
    images : ndarray, shape (num_samples, 16, 16), uint8
        Intensity, 0-255 = full scale.
    labels : ndarray, shape (num_samples,), uint8
        Lattice class: 0 square, 1 rectangular, 2 centred_rectangular, 3 hexagonal, 4 oblique.
    """
    if not _is_int(num_samples) or num_samples < 1:
        raise ValueError(f"num_samples={num_samples!r} is invalid: allowed a positive integer")
    seed = _check_seed(seed)
    lattice = lattice or LatticeParams.default()
    validate_lattice(lattice)
    images, labels = [], []
    with tqdm(total=int(num_samples), desc="Generating images", unit="img", disable=not show_progress) as bar:
        for b in range(n_blocks(num_samples)):
            # A block always draws all its items, so item i never depends on num_samples.
            block = block_items(seed, b, lattice)
            keep = min(BLOCK_SIZE, num_samples - b * BLOCK_SIZE)
            images.append(block.images[:keep])
            labels.append(block.labels[:keep])
            bar.update(keep)
    return np.concatenate(images), np.concatenate(labels)


def split_corpus(
    images: np.ndarray, labels: np.ndarray, *, seed: int = DEFAULT_SEED, splits: Mapping[str, float] = DEFAULT_SPLITS
) -> dict[str, Split]:
    """Deterministic train/val/test split, the same assignment the pipeline uses.

    Item i of ``images`` is taken as global item i (as :func:`generate_corpus` returns
    them); every full block of 5000 items is split exactly by ``splits``.

    Parameters
    ----------
    images : ndarray, shape (n, H, W)
    labels : ndarray, shape (n,)
    seed : int, default 42
        Root seed, as given to :func:`generate_corpus`.
    splits : mapping, default {"train": 0.8, "val": 0.1, "test": 0.1}
        Fractions for exactly train, val and test, summing to 1.

    Returns
    -------
    dict
        ``{"train": (images, labels), "val": ..., "test": ...}``, items in corpus order.
    """
    images, labels = np.asarray(images), np.asarray(labels)
    _check_pair("corpus", images, labels, "split_corpus")
    counts = block_split_counts(_check_splits(splits))
    seed = _check_seed(seed)
    n = len(images)
    codes = np.concatenate([split_codes(seed, b, counts) for b in range(n_blocks(n))])[:n] if n else np.zeros(0, np.uint8)
    return {name: (images[codes == s], labels[codes == s]) for s, name in enumerate(SPLIT_NAMES)}


def estimate_memory(num_images: int, grid_size: int = GRID_SIZE) -> dict[str, Any]:
    """The document's estimate: bytes, readable, num_images, bytes_per_image (plus disk bounds).

    Parameters
    ----------
    num_images : int, >= 1
    grid_size : int, default 16
        Image side in pixels (uint8: one byte per pixel).
    """
    for name, v in (("num_images", num_images), ("grid_size", grid_size)):
        if not _is_int(v) or v < 1:
            raise ValueError(f"{name}={v!r} is invalid: allowed a positive integer")
    return estimate(int(num_images), int(grid_size))


# -- files ------------------------------------------------------------------------------
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


def _read_split(directory: Path, name: str) -> Split | None:
    """One split from ``<name>.npz`` (save_corpus, pipeline), else ``<name>.h5`` (pipeline); None if neither."""
    npz, h5 = directory / f"{name}.npz", directory / f"{name}.h5"
    if npz.is_file():
        with np.load(npz, allow_pickle=False) as z:
            missing = {"images", "labels"} - set(z.files)
            if missing:
                raise ValueError(f"{npz} is invalid: it lacks {sorted(missing)}: allowed an npz with images and labels")
            pair = (z["images"], z["labels"])
        where = str(npz)
    elif h5.is_file():
        with h5py.File(h5, "r") as f:
            missing = {"images", "labels"} - set(f)
            if missing:
                raise ValueError(f"{h5} is invalid: it lacks datasets {sorted(missing)}: allowed the pipeline's /images and /labels")
            pair = (f["images"][...], f["labels"][...])
        where = str(h5)
    else:
        return None
    _check_pair(name, *pair, where)
    return pair


def load_corpus(output_dir: str | Path) -> dict[str, Split]:
    """Every split present in a dataset directory, as stored.

    Each split is read from ``<split>.npz`` if present (what :func:`save_corpus` and the
    pipeline write), else from the pipeline's ``<split>.h5``.

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
    result = {name: pair for name in SPLIT_NAMES if (pair := _read_split(out, name)) is not None}
    if not result:
        raise FileNotFoundError(f"{out} holds no train/val/test .npz or .h5 files: allowed a directory written by save_corpus or the pipeline")
    return result


def validate_dataset(
    dataset_dir: str | Path, num_samples: int = REPORT_SAMPLES, *, thresholds: Mapping[str, Any] | None = None
) -> list[str]:
    """Write ``metrics.json``, ``validation_report.png`` and ``label_distribution.csv`` into ``dataset_dir``.

    Reads what :func:`save_corpus` writes (``<split>.npz``) or the pipeline's layout
    (``<split>.h5``), see :func:`load_corpus`; ``train`` is required, val and test are
    used when present. Values are checked to be integers 0..255 and read as uint8, so the
    metrics equal the pipeline's validation stage on the same items.

    The report shows ``num_samples`` train images in a 10 x 10 grid, chosen evenly
    spaced (not at random as in the document: the report's bytes depend on the data
    only), above the label histogram of the whole dataset.

    Parameters
    ----------
    dataset_dir : path
    num_samples : int, default 100
        Train images shown, 1 to 100 (fewer if train is smaller).
    thresholds : mapping, optional
        The ``atomic.thresholds`` of params.yaml; None: nothing is checked.

    Returns
    -------
    list of str
        The violated thresholds, each also logged as WARNING; empty when all pass.
    """
    from synthbank.families.atomic.metrics import compute_metrics, violations
    from synthbank.families.atomic.report import histogram_csv_rows, render_report, sample_indices
    from synthbank.families.atomic.validate import HISTOGRAM_CSV, REPORT_NAME, _csv_text
    from synthbank.io.png import encode_png

    if not _is_int(num_samples) or not 1 <= num_samples <= REPORT_SAMPLES:
        raise ValueError(f"num_samples={num_samples!r} is invalid: allowed an integer from 1 to {REPORT_SAMPLES} (the 10 x 10 grid)")
    d = Path(dataset_dir)
    splits = load_corpus(d) if d.is_dir() else {}
    if "train" not in splits:
        raise FileNotFoundError(f"{d / 'train.npz'} (or train.h5) does not exist: allowed a directory written by save_corpus or the pipeline")
    splits = {s: (_as_uint8(i, f"{d}/{s} images"), _as_uint8(lab, f"{d}/{s} labels")) for s, (i, lab) in splits.items()}
    metrics = compute_metrics(splits, n_classes=len(LATTICE_NAMES), class_names=LATTICE_NAMES)
    failures = violations(metrics, thresholds or {})
    metrics["thresholds_met"] = not failures
    write_file_atomic(d / "metrics.json", jsonio.dumps(metrics).encode())

    train_images, train_labels = splits["train"]
    picks = sample_indices(len(train_images), num_samples)
    hist = np.array([metrics["labels"]["per_class"][n] for n in LATTICE_NAMES])
    png = encode_png(render_report(train_images[picks], train_labels[picks], hist, LATTICE_NAMES))
    write_file_atomic(d / REPORT_NAME, png)
    write_file_atomic(d / HISTOGRAM_CSV, _csv_text(histogram_csv_rows(hist, LATTICE_NAMES)).encode())
    logger.info("Validation report saved: %s", d / REPORT_NAME)
    for line in failures:
        logger.warning("threshold violated: %s", line)
    return failures
