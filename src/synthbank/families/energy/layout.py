"""Where a domain's files go: one Well dataset per resolution, its seeded split by sequence.

A domain's output directory (``data/energy/<domain>``) holds one directory per pyramid
scale h, each a dataset The Well's ``WellDataset(path=...)`` reads as it is::

    synthbank_energy_<domain>_<h>/stats.yaml
    synthbank_energy_<domain>_<h>/data/<split>/synthbank_energy_<domain>_<h>_<split>.h5

for split in train, valid, test (an empty split has no directory). The dataset name carries
the ``synthbank_energy_`` prefix so it cannot be taken for one of the Well's own datasets
(``active_matter``, ``turbulent_radiative_layer_2D``...). Each split file's rows are its
sequences in ascending order; the root attribute ``sequences`` gives their numbers.

The split (docs/families/energy.md): valid and test each get round(fraction x n)
sequences (halves up), at least one when their fraction is > 0, while train keeps at least
one (test gives way first, then valid); train gets the rest. Which sequences: a
permutation of 0..n-1 drawn from the stream ``(seed, "energy", name_key(domain),
SPLIT_SEQUENCE, 0, SPLIT_STREAM)``; its first ones go to valid, the next to test.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path

import h5py
import numpy as np

from synthbank import seeding

SPLITS = ("train", "valid", "test")
PREFIX = "synthbank_energy_"
#: Extensions The Well's WellDataset globs in a split directory (``*.h5`` and ``*.hdf5``).
WELL_SUFFIXES = (".h5", ".hdf5")
STATS = "stats.yaml"
#: The split's stream: a sequence number no domain reaches (n_sequences <= 100,000) and a stream id
#: beside sequence.py's BASE/CHOICE/NOISE (0, 1, 2), so it never shares a stream with a map.
SPLIT_SEQUENCE, SPLIT_STREAM = 2**32 - 1, 3


def dataset_name(domain: str, scale: int) -> str:
    """The Well dataset name (and directory name) of one domain at one scale."""
    return f"{PREFIX}{domain}_{int(scale)}"


def dataset_dir(domain_dir: Path, domain: str, scale: int) -> Path:
    return Path(domain_dir) / dataset_name(domain, scale)


def split_file(dataset: Path, split: str) -> Path:
    """The one file of ``split`` in a dataset directory."""
    return Path(dataset) / "data" / split / f"{Path(dataset).name}_{split}.h5"


def split_counts(n: int, fractions: Mapping[str, float]) -> dict[str, int]:
    """Sequences per split (train, valid, test) for ``n`` sequences and the valid/test fractions."""
    counts = {}
    for name in ("valid", "test"):
        f = float(fractions[name])
        counts[name] = max(1, math.floor(f * n + 0.5)) if f > 0 else 0
    for name in ("test", "valid"):  # train keeps at least one: test gives way first
        counts[name] = max(0, min(counts[name], n - 1 - sum(v for k, v in counts.items() if k != name)))
    return {"train": n - counts["valid"] - counts["test"], **counts}


def assign(seed: int, domain: str, n: int, fractions: Mapping[str, float]) -> dict[str, tuple[int, ...]]:
    """The sequence numbers of each split, ascending (every split present, maybe empty)."""
    counts = split_counts(n, fractions)
    rng = seeding.stream(seed, "energy", seeding.name_key(domain), SPLIT_SEQUENCE, 0, SPLIT_STREAM)
    perm = rng.permutation(n)
    valid, test = perm[: counts["valid"]], perm[counts["valid"] : counts["valid"] + counts["test"]]
    train = np.setdiff1d(np.arange(n), np.concatenate([valid, test]))
    return {name: tuple(int(s) for s in sorted(part)) for name, part in (("train", train), ("valid", valid), ("test", test))}


# --- reading a domain's output --------------------------------------------------------------

def scale_datasets(domain_dir: Path, domain: str) -> dict[int, Path]:
    """``{scale: dataset directory}`` of a domain's output, largest scale first."""
    found = {}
    for d in Path(domain_dir).glob(f"{PREFIX}{domain}_*"):
        tail = d.name[len(PREFIX) + len(domain) + 1 :]
        if d.is_dir() and tail.isdigit():
            found[int(tail)] = d
    return dict(sorted(found.items(), reverse=True))


def split_files(dataset: Path) -> list[Path]:
    """The Well files of every split directory of a dataset (as WellDataset globs them), sorted."""
    return sorted(p for s in SPLITS for p in (Path(dataset) / "data" / s).glob("*")
                  if p.suffix in WELL_SUFFIXES and p.is_file())


def sequences_of(path: Path) -> np.ndarray:
    """The sequence numbers of a split file's rows, (B,) int64."""
    with h5py.File(path, "r") as f:
        return np.asarray(f.attrs["sequences"], dtype=np.int64)


def read_rows(paths: Sequence[Path], name: str) -> np.ndarray:
    """Dataset ``name`` of every split file of one dataset, rows put back in sequence order."""
    parts, seqs = [], []
    for path in paths:
        with h5py.File(path, "r") as f:
            parts.append(f[name][...])
            seqs.append(np.asarray(f.attrs["sequences"], dtype=np.int64))
    order = np.argsort(np.concatenate(seqs), kind="stable")
    return np.concatenate(parts)[order]
