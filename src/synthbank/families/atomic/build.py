"""Plan blocks, generate them (in parallel if asked), write HDF5 + npz + metadata.

Each block is generated and compressed by a worker as raw-deflate segments; the main
process only places them: as direct HDF5 chunks (one chunk per block and split) and as
pieces of the npz members. Bytes are identical for any worker count or shard size.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from synthbank import jsonio, parallel, seeding
from synthbank.family import readable_bytes  # the source document's sizes: bytes, KB, MB, GB
from synthbank.families.atomic import VERSION
from synthbank.families.atomic.generate import AtomicBlock, generate_block
from synthbank.families.atomic.lattice import GRID_SIZE, LATTICE_NAMES, LatticeParams, validate_lattice
from synthbank.families.atomic.layout import (
    BLOCK_SIZE,
    DEFLATE_LEVEL,
    FAMILY,
    IMAGE_STREAM,
    SPLIT_NAMES,
    block_split_counts,
    n_blocks,
    split_codes,
    split_sizes,
)
from synthbank.families.atomic.shards import check_shard_images
from synthbank.io import deflate, hdf5
from synthbank.io.npz import NpzWriter
from synthbank.io.staging import staged_dir

IMAGE_BYTES = GRID_SIZE * GRID_SIZE
#: metadata.json's ``file_format.hdf5`` (both layouts).
HDF5_FORMAT = {"compression": "deflate", "level": DEFLATE_LEVEL, "datasets": ["images", "labels", "index"]}


@dataclass(frozen=True)
class AtomicConfig:
    """Everything that determines the bytes of an atomic dataset."""

    seed: int
    num_images: int
    splits: dict[str, float]
    lattice: LatticeParams
    release_date: str
    #: Dataset items per shard file (0: one file per split); the layout, never an item's bytes.
    shard_images: int = 0

    @classmethod
    def from_params(cls, seed: int, release_date: str, section: Mapping[str, Any]) -> AtomicConfig:
        """From the ``atomic`` section; the lattice is checked here (``ValueError``), not in a worker."""
        lattice = LatticeParams.from_mapping(section["lattice"])
        validate_lattice(lattice)
        return cls(
            seed=int(seed),
            num_images=int(section["num_images"]),
            splits={k: float(section["splits"][k]) for k in SPLIT_NAMES},
            lattice=lattice,
            release_date=release_date,
            shard_images=check_shard_images(section.get("shard_images", 0)),
        )

    def params_record(self) -> dict[str, Any]:
        """The params that shape the items, as recorded in the HDF5 files and metadata.json (without
        the layout: item i's bytes do not depend on it)."""
        return {
            "num_images": self.num_images,
            "splits": dict(self.splits),
            "lattice": {k: list(v) if isinstance(v, tuple) else v for k, v in vars(self.lattice).items()},
        }

    def manifest_params(self) -> dict[str, Any]:
        """The manifest's params record: every generation param of params.yaml, the layout too."""
        return self.params_record() | {"shard_images": self.shard_images}


@dataclass(frozen=True)
class BlockTask:
    seed: int
    block: int
    n_items: int  # < BLOCK_SIZE only for the last block
    lattice: LatticeParams
    counts: tuple[int, ...]


#: A shard: consecutive blocks that one worker call generates. Its size is a scheduling
#: choice (CLI ``--shard-blocks``) and never changes bytes.
Shard = tuple[BlockTask, ...]


@dataclass(frozen=True)
class SplitPart:
    """One block's share of one split, ready to place."""

    raw: bytes  # uint8 images, C order
    segment: bytes  # raw deflate of ``raw``
    pad_segment: bytes  # raw deflate of the zero rows that fill the HDF5 chunk ("" if full)
    chunk_adler: int  # Adler-32 of raw + padding (the HDF5 chunk's zlib trailer)
    labels: np.ndarray  # (rows,) uint8
    index: np.ndarray  # (rows,) uint64, global item index


def block_items(seed: int, block: int, lattice: LatticeParams) -> AtomicBlock:
    """All BLOCK_SIZE items of one block, from the block's own image stream."""
    return generate_block(seeding.stream(seed, FAMILY, block, IMAGE_STREAM), BLOCK_SIZE, lattice)


def generate_block_parts(task: BlockTask) -> list[SplitPart]:
    """Worker: generate one block and cut it into compressed split parts."""
    block = block_items(task.seed, task.block, task.lattice)
    codes = split_codes(task.seed, task.block, np.asarray(task.counts))[: task.n_items]
    parts = []
    for s in range(len(SPLIT_NAMES)):
        rows = np.flatnonzero(codes == s)
        raw = np.ascontiguousarray(block.images[rows]).tobytes()
        pad = bytes((task.counts[s] - len(rows)) * IMAGE_BYTES)
        parts.append(
            SplitPart(
                raw=raw,
                segment=deflate.segment(raw, DEFLATE_LEVEL),
                pad_segment=deflate.segment(pad, DEFLATE_LEVEL) if pad else b"",
                chunk_adler=zlib.adler32(pad, zlib.adler32(raw)),
                labels=block.labels[rows],
                index=(rows + task.block * BLOCK_SIZE).astype(np.uint64),
            )
        )
    return parts


def generate_shard(shard: Shard) -> list[list[SplitPart]]:
    """Worker: the split parts of every block of a shard, in block order."""
    return [generate_block_parts(task) for task in shard]


def plan_shards(cfg: AtomicConfig, shard_blocks: int = 1) -> list[Shard]:
    """All blocks of the dataset, grouped into shards of ``shard_blocks`` blocks."""
    counts = tuple(int(c) for c in block_split_counts(cfg.splits))
    tasks = [
        BlockTask(cfg.seed, b, min(BLOCK_SIZE, cfg.num_images - b * BLOCK_SIZE), cfg.lattice, counts)
        for b in range(n_blocks(cfg.num_images))
    ]
    return [tuple(tasks[i : i + shard_blocks]) for i in range(0, len(tasks), shard_blocks)]


def estimate(num_images: int, grid_size: int = GRID_SIZE) -> dict[str, Any]:
    """The atomic source document's ``estimate_memory`` (docs/families/atomic.md) plus an upper
    bound of the bytes on disk.

    Returns
    -------
    dict
        ``bytes`` (image bytes in memory), ``readable``, ``num_images``,
        ``bytes_per_image`` and ``disk_bytes`` (HDF5 + npz + labels/index, worst case
        with deflate expanding incompressible data by 1%), ``disk_readable``.
    """
    bytes_per_image = grid_size * grid_size
    total = num_images * bytes_per_image
    per_item_disk = 2 * bytes_per_image + 2 + 8  # images twice, labels twice, index once
    disk = int(num_images * per_item_disk * 1.01) + 1_000_000
    return {
        "bytes": total,
        "readable": readable_bytes(total),
        "num_images": num_images,
        "bytes_per_image": bytes_per_image,
        "disk_bytes": disk,
        "disk_readable": readable_bytes(disk),
    }


def metadata(cfg: AtomicConfig, sizes: np.ndarray) -> dict[str, Any]:
    """metadata.json: every field the atomic source document lists (docs/families/atomic.md),
    dated by release.date."""
    info = {f"{s}_count": int(n) for s, n in zip(SPLIT_NAMES, sizes, strict=True)}
    info["total_count"] = int(sizes.sum())
    mem = estimate(cfg.num_images)
    return {
        "version": VERSION,
        "timestamp": f"{cfg.release_date}T00:00:00",
        "generation_params": {
            "num_images": cfg.num_images,
            "seed": cfg.seed,
            "grid_size": GRID_SIZE,
            "splits": dict(cfg.splits),
            "lattice": cfg.params_record()["lattice"],
        },
        "dataset_info": info,
        "memory_info": {k: mem[k] for k in ("bytes_per_image", "readable")} | {"total_bytes": mem["bytes"]},
        "file_format": {
            "dtype": "uint8",
            "compression": "npz",
            "hdf5": dict(HDF5_FORMAT),
        },
        "label_names": list(LATTICE_NAMES),
        "block_size": BLOCK_SIZE,
    }


def _root_attrs(cfg: AtomicConfig, split: str) -> dict[str, Any]:
    return {
        "family": FAMILY,
        "generator_version": VERSION,
        "seed": cfg.seed,
        "params": jsonio.dumps(cfg.params_record()).strip(),
        "release_date": cfg.release_date,
        "split": split,
        "label_names": list(LATTICE_NAMES),
    }


class _SplitWriter:
    """The HDF5 file and the npz of one split (or the HDF5 shard ``name``), filled block by block.

    ``first_block`` is the file's first block: a shard's chunk of block b sits at row
    ``(b - first_block) * chunk_rows``.
    """

    def __init__(self, tmp: Path, cfg: AtomicConfig, split: str, rows: int, chunk_rows: int,
                 *, name: str | None = None, first_block: int = 0, attrs: Mapping[str, Any] | None = None) -> None:
        self.rows, self.chunk_rows, self.first_block = rows, chunk_rows, first_block
        self.h5 = hdf5.create_file(tmp / (name or f"{split}.h5"), _root_attrs(cfg, split) | dict(attrs or {}))
        self.images = hdf5.create_dataset(
            self.h5, "images", shape=(rows, GRID_SIZE, GRID_SIZE), dtype=np.uint8,
            chunks=(chunk_rows, GRID_SIZE, GRID_SIZE), deflate=DEFLATE_LEVEL,
            attrs={"axes": ["image", "y", "x"], "units": "intensity, 0-255 = full scale"},
        )
        # Shards have no npz: a second full copy is what sharding avoids (load_corpus reads the shards).
        self.npz = None if name else NpzWriter(tmp / f"{split}.npz", level=DEFLATE_LEVEL)
        if self.npz is not None:
            self.npz_images = self.npz.begin_array("images", np.dtype(np.uint8), (rows, GRID_SIZE, GRID_SIZE))
        self.labels: list[np.ndarray] = []
        self.index: list[np.ndarray] = []

    def add(self, block: int, part: SplitPart) -> None:
        if part.labels.size:
            segments = [part.segment, part.pad_segment] if part.pad_segment else [part.segment]
            offset = ((block - self.first_block) * self.chunk_rows, 0, 0)
            hdf5.write_chunk(self.images, offset, deflate.zlib_stream(segments, part.chunk_adler))
            if self.npz is not None:
                self.npz_images.write(part.raw, part.segment)
        self.labels.append(part.labels)
        self.index.append(part.index)

    def close(self) -> None:
        labels = np.concatenate(self.labels) if self.labels else np.zeros(0, np.uint8)
        index = np.concatenate(self.index) if self.index else np.zeros(0, np.uint64)
        chunk = (max(1, min(65536, self.rows)),)
        hdf5.create_dataset(
            self.h5, "labels", shape=labels.shape, dtype=np.uint8, chunks=chunk, deflate=DEFLATE_LEVEL,
            data=labels, attrs={"axes": ["image"], "label_names": list(LATTICE_NAMES)},
        )
        hdf5.create_dataset(
            self.h5, "index", shape=index.shape, dtype=np.uint64, chunks=chunk, deflate=DEFLATE_LEVEL,
            data=index, attrs={"axes": ["image"], "description": "global item index (block * block_size + position)"},
        )
        self.h5.close()
        if self.npz is not None:
            self.npz.end_array(self.npz_images)
            self.npz.add_array("labels", labels)
            self.npz.close()


def build(
    cfg: AtomicConfig, output_dir: Path, *, workers: int = 1, scheduler: str | None = None, shard_blocks: int = 1,
    progress: bool = False,
) -> dict[str, int]:
    """Generate the dataset into ``output_dir`` (replaced only when complete).

    With ``cfg.shard_images`` 0, workers return compressed segments and this process
    writes one HDF5 file and one npz per split; otherwise every worker writes its own
    shard files (:mod:`~synthbank.families.atomic.shard_writer`). ``workers``/``scheduler``
    say where the tasks run and never change a byte.

    Returns
    -------
    dict
        Items per split.
    """
    counts = block_split_counts(cfg.splits)
    sizes = split_sizes(cfg.seed, cfg.num_images, counts)
    backend = {"workers": workers, "scheduler": scheduler}
    with staged_dir(output_dir, "atomic") as tmp:
        if cfg.shard_images:
            from synthbank.families.atomic.shard_writer import write_shards

            record = metadata(cfg, sizes) | write_shards(cfg, tmp, backend, progress)
            (tmp / "metadata.json").write_text(jsonio.dumps(record), "utf-8")
            return {s: int(n) for s, n in zip(SPLIT_NAMES, sizes, strict=True)}
        writers = [_SplitWriter(tmp, cfg, s, int(sizes[i]), int(counts[i])) for i, s in enumerate(SPLIT_NAMES)]
        bar = tqdm(total=cfg.num_images, desc="Generating images", unit="img", disable=not progress)
        shards = plan_shards(cfg, shard_blocks)
        for shard, results in zip(shards, parallel.run_ordered(generate_shard, shards, **backend), strict=True):
            for task, parts in zip(shard, results, strict=True):
                for writer, part in zip(writers, parts, strict=True):
                    writer.add(task.block, part)
                bar.update(task.n_items)
        bar.close()
        for writer in writers:
            writer.close()
        # Inside the staged directory: the rename of the whole directory is the atomic step.
        (tmp / "metadata.json").write_text(jsonio.dumps(metadata(cfg, sizes)), "utf-8")
    return {s: int(n) for s, n in zip(SPLIT_NAMES, sizes, strict=True)}
