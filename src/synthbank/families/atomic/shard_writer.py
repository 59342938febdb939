"""Sharded atomic outputs: every task writes shard k of each split itself.

A task is one shard index (``atomic.shard_images`` dataset items, whole blocks): the
worker generates its blocks one at a time, writes their compressed chunks straight into
``<split>-<k>-of-<n>.h5`` in the output's staging directory (an absolute path; on a
cluster a shared file system) and returns only the files' names, rows, sizes and sha256.
The driver writes metadata.json from those records (the core writes the manifest), so
its memory does not grow with the dataset (a few hundred bytes per shard). No npz is
written in this layout. A file's bytes depend on its task alone, so a retried task
rewrites the same bytes.
"""

from __future__ import annotations

import contextlib
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tqdm import tqdm

from synthbank import parallel
from synthbank.io import durable
from synthbank.families.atomic.lattice import GRID_SIZE
from synthbank.families.atomic.layout import BLOCK_SIZE, SPLIT_NAMES, block_split_counts, n_blocks, split_sizes
from synthbank.families.atomic.shards import n_shards, shard_name

if TYPE_CHECKING:
    from synthbank.families.atomic.build import AtomicConfig

IMAGE_BYTES = GRID_SIZE * GRID_SIZE


#: Peak memory of one task's worker: one block generated and compressed (measured 17.5 MB
#: with tracemalloc on x86-64), whatever the shard size.
BLOCK_WORKING_BYTES = 20_000_000
#: HDF5 overhead of one shard file (superblock, object headers, chunk index), an upper bound.
FILE_OVERHEAD_BYTES = 64_000


def estimate(num_images: int, shard_images: int, workers: int) -> dict[str, int]:
    """Memory and disk of a sharded build.

    The driver holds a few hundred bytes per shard; each of ``workers`` local workers one
    block. Disk: images, labels and index once (no npz), deflate expanding
    incompressible data by at most 1%, plus each file's overhead.
    """
    files = len(SPLIT_NAMES) * n_shards(num_images, shard_images)
    disk = int(num_images * (IMAGE_BYTES + 1 + 8) * 1.01) + files * FILE_OVERHEAD_BYTES + 1_000_000
    return {"memory_bytes": workers * BLOCK_WORKING_BYTES + 500 * files, "disk_bytes": disk, "files": files}


@dataclass(frozen=True)
class ShardTask:
    """Shard ``k`` of ``n``: written into ``directory`` (absolute)."""

    cfg: AtomicConfig
    k: int
    n: int
    directory: str


@dataclass(frozen=True)
class ShardFile:
    """What metadata.json records of one shard file."""

    split: str
    file: str
    count: int
    bytes: int
    sha256: str


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def write_shard(task: ShardTask) -> tuple[ShardFile, ...]:
    """Worker: generate the blocks of shard ``task.k`` and write its file of every split."""
    from synthbank.families.atomic.build import BlockTask, _SplitWriter, generate_block_parts

    cfg, directory = task.cfg, Path(task.directory)
    counts = block_split_counts(cfg.splits)
    lo, hi = task.k * cfg.shard_images, min((task.k + 1) * cfg.shard_images, cfg.num_images)
    rows = split_sizes(cfg.seed, hi, counts) - split_sizes(cfg.seed, lo, counts)
    first = lo // BLOCK_SIZE
    attrs = {"shard": task.k, "num_shards": task.n, "shard_images": cfg.shard_images, "first_item": lo}
    names = [shard_name(s, task.k, task.n) for s in SPLIT_NAMES]
    with contextlib.ExitStack() as stack:  # each file under a private name until it is whole
        parts_of = [stack.enter_context(durable.written_whole(directory / name)) for name in names]
        writers = [
            _SplitWriter(directory, cfg, s, int(rows[i]), int(counts[i]), name=parts_of[i].name, first_block=first, attrs=attrs)
            for i, s in enumerate(SPLIT_NAMES)
        ]
        fixed = tuple(int(c) for c in counts)
        for b in range(first, n_blocks(hi)):  # one block in memory at a time
            parts = generate_block_parts(BlockTask(cfg.seed, b, min(BLOCK_SIZE, hi - b * BLOCK_SIZE), cfg.lattice, fixed))
            for writer, part in zip(writers, parts, strict=True):
                writer.add(b, part)
        for writer in writers:
            writer.close()
    return tuple(
        ShardFile(s, name, int(rows[i]), (directory / name).stat().st_size, _sha256(directory / name))
        for i, (s, name) in enumerate(zip(SPLIT_NAMES, names, strict=True))
    )


def write_shards(cfg: AtomicConfig, tmp: Path, backend: dict[str, Any], progress: bool = False) -> dict[str, Any]:
    """Write every shard into the staging directory ``tmp``; the ``shards`` record of metadata.json.

    Returns
    -------
    dict
        ``{"file_format": ..., "shards": {split: [{file, count, bytes, sha256}, ...]}}``: the
        HDF5 format (no npz in this layout) and every shard in order.
    """
    from synthbank.families.atomic.build import HDF5_FORMAT

    n = n_shards(cfg.num_images, cfg.shard_images)
    directory = str(Path(tmp).resolve())  # a worker's cwd is not ours
    tasks = [ShardTask(cfg, k, n, directory) for k in range(n)]
    shards: dict[str, list[dict[str, Any]]] = {s: [] for s in SPLIT_NAMES}
    with tqdm(total=cfg.num_images, desc="Generating images", unit="img", disable=not progress) as bar:
        for files in parallel.run_ordered(write_shard, tasks, **backend):
            for f in files:
                shards[f.split].append({"file": f.file, "count": f.count, "bytes": f.bytes, "sha256": f.sha256})
            bar.update(sum(f.count for f in files))
    durable.remove_parts(Path(directory))  # a worker killed mid-shard leaves its private file; the task ran again
    return {
        "file_format": {"dtype": "uint8", "hdf5": HDF5_FORMAT | {"shard_images": cfg.shard_images, "shards_per_split": n}},
        "shards": shards,
    }
