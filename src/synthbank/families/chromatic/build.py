"""Plan blocks, generate them (in parallel if asked), write one HDF5 file per sample and kind.

Layout of a data directory::

    chromatic/synthetic_chromatic_<seed>_<index>.h5   /chromatic (H, W, 3) float32,
                                                      /mask (H, W) uint8, /region_hsl (R, 3) float32
    spectral/synthetic_spectral_<seed>_<index>.h5     /spectral (H, W, K) float32, the bridge
                                                      kernel's wavelengths and parameters as attributes

and PNG previews ``synthetic_{chromatic,mask,spectral}_<seed>_<index>.png`` of the first
``previews`` samples in the preview directory. Workers write whole files; a file's bytes
depend only on (seed, index, params), so any worker count or shard size gives the same tree.
What a sample's files hold and how each is written: :mod:`.files`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from tqdm import tqdm

from synthbank import filetree, jsonio, parallel, seeding
from synthbank.families.chromatic.files import SampleRecord, digest_hdf5, preview_images, write_digested, write_sample
from synthbank.families.chromatic.generate import ChromaticBlock, generate_block
from synthbank.families.chromatic.layout import (
    BLOCK_SIZE, FAMILY, PREVIEW_DIR, chromatic_file, n_blocks, sample_name, spectral_file,
)
from synthbank.families.chromatic.spec import ChromaticParams, check_key
from synthbank.families.chromatic.spectral import bridge_kernel
from synthbank.io import durable
from synthbank.io.png import encode_png
from synthbank.io.staging import staged_dir
from synthbank.params import thaw

#: Section keys that size the dataset but never change a sample's bytes.
DATASET_KEYS = ("num_samples", "previews")


@dataclass(frozen=True)
class ChromaticConfig:
    """Everything that determines the bytes of a chromatic dataset."""

    seed: int
    num_samples: int
    previews: int
    params: ChromaticParams
    release_date: str
    section: Mapping[str, Any]  # the params.yaml section without thresholds, as recorded

    @classmethod
    def from_params(cls, seed: int, release_date: str, section: Mapping[str, Any]) -> ChromaticConfig:
        """From the ``chromatic`` section; ``thresholds`` are dropped.

        ``num_samples``, ``previews`` and the sample parameters (:class:`ChromaticParams`)
        are checked against the family's params schema (``ValueError``, one line naming the
        key): an option that overrides a key, or a section built in Python, meets the bounds
        params.yaml meets.
        """
        record = {k: thaw(v) for k, v in section.items() if k != "thresholds"}
        for key in DATASET_KEYS:
            check_key(record[key], key)
        num, previews = int(record["num_samples"]), int(record["previews"])
        return cls(int(seed), num, previews, ChromaticParams.from_section(record), release_date, record)

    def params_json(self) -> str:
        """The params that shape a sample's bytes (the section minus num_samples and
        previews), as JSON text: so a sample file is the same whatever the dataset size."""
        shaping = {k: v for k, v in self.section.items() if k not in DATASET_KEYS}
        return jsonio.dumps(shaping).strip()


@dataclass(frozen=True)
class BlockTask:
    cfg: ChromaticConfig
    block: int
    n_items: int  # < BLOCK_SIZE only for the last block
    data_dir: str
    preview_dir: str


def block_samples(seed: int, block: int, params: ChromaticParams, keep: tuple[int, ...] | None = None) -> ChromaticBlock:
    """The BLOCK_SIZE samples of one block (or the positions ``keep``), from the block's own stream."""
    return generate_block(seeding.stream(seed, FAMILY, block), BLOCK_SIZE, params, keep)


def generate_and_write(task: BlockTask) -> list[SampleRecord]:
    """Worker: generate one block and write its samples (and previews) as files.

    This thread writes each file; another hashes it (the arrays from memory) while this
    one writes the next: the task returns once every file of it is written and hashed.
    """
    cfg = task.cfg
    block = block_samples(cfg.seed, task.block, cfg.params)
    records = []
    with ThreadPoolExecutor(1, thread_name_prefix="chromatic-hasher") as hasher:
        for j in range(task.n_items):  # at most BLOCK_SIZE samples of ~9 MB each
            index = task.block * BLOCK_SIZE + j
            record, files = write_sample(cfg, Path(task.data_dir), index, block, j)
            for path, _ in files:  # the disk writes them while the next sample is generated
                durable.start_flush(path)
            record = replace(record, written=tuple(hasher.submit(digest_hdf5, *f) for f in files))
            if index < cfg.previews:
                images = preview_images(block.chromatic[j], block.mask[j], block.spectral[j], bridge_kernel(cfg.params))
                previews = tuple(
                    hasher.submit(write_digested, Path(task.preview_dir) / f"{sample_name(kind, cfg.seed, index)}.png",
                                  encode_png(image))
                    for kind, image in images.items()
                )
                record = replace(record, written=record.written + previews)
            records.append(record)
        return [replace(r, written=tuple(f.result() for f in r.written)) for r in records]  # raises a write's error


def generate_shard(shard: Sequence[BlockTask]) -> list[SampleRecord]:
    """Worker: every block of a shard, in block order."""
    return [r for task in shard for r in generate_and_write(task)]


def plan_shards(cfg: ChromaticConfig, data_dir: Path, preview_dir: Path, shard_blocks: int = 1) -> list[tuple[BlockTask, ...]]:
    """All blocks of the dataset, grouped into shards of ``shard_blocks`` blocks."""
    data, previews = str(Path(data_dir).resolve()), str(Path(preview_dir).resolve())  # a worker's cwd is not ours
    tasks = [
        BlockTask(cfg, b, min(BLOCK_SIZE, cfg.num_samples - b * BLOCK_SIZE), data, previews)
        for b in range(n_blocks(cfg.num_samples))
    ]
    return [tuple(tasks[i : i + shard_blocks]) for i in range(0, len(tasks), shard_blocks)]


def sample_bytes(params: ChromaticParams) -> int:
    """Array bytes of one sample (chromatic + mask + region colours + spectral)."""
    pixels = params.height * params.width
    return pixels * 3 * 4 + pixels + params.regions * 3 * 4 + pixels * params.bands * 4


def estimate(cfg: ChromaticConfig, workers: int = 1) -> dict[str, Any]:
    """Memory and disk a generation needs.

    Returns
    -------
    dict
        ``num_samples``, ``bytes_per_sample`` (array bytes), ``disk_bytes`` (upper bound:
        arrays, 16 KiB of HDF5 structure per file, previews as raw RGB) and
        ``memory_bytes`` (upper bound of the peak resident memory: an interpreter with
        numpy and h5py, about 80 MB, plus three copies of a block's arrays, per process;
        with workers > 1 the main process and each worker count).
    """
    per = sample_bytes(cfg.params)
    pixels = cfg.params.height * cfg.params.width
    disk = cfg.num_samples * (per + 2 * 16384) + min(cfg.previews, cfg.num_samples) * 3 * (pixels * 3 + 4096)
    interpreter, block = 80_000_000, 3 * BLOCK_SIZE * per
    memory = interpreter + block if workers <= 1 else interpreter + workers * (interpreter + block)
    return {
        "num_samples": cfg.num_samples,
        "bytes_per_sample": per,
        "disk_bytes": int(disk),
        "memory_bytes": int(memory),
    }


def _inside(child: Path, parent: Path) -> Path | None:
    try:
        return child.absolute().relative_to(parent.absolute())
    except ValueError:
        return None


def build(
    cfg: ChromaticConfig,
    output_dir: Path,
    preview_dir: Path | None = None,
    *,
    workers: int = 1,
    scheduler: str | None = None,
    shard_blocks: int = 1,
    progress: bool = False,
) -> list[SampleRecord]:
    """Generate the dataset into ``output_dir`` (and ``preview_dir``), each replaced only when complete.

    Parameters
    ----------
    preview_dir : where the PNG previews go (default ``output_dir/previews``); a directory
        outside ``output_dir`` is staged and replaced on its own.

    Returns
    -------
    list of SampleRecord
        One per sample, in index order.
    """
    preview_dir = Path(preview_dir) if preview_dir is not None else Path(output_dir) / PREVIEW_DIR
    inner = _inside(preview_dir, Path(output_dir))
    backend = {"workers": workers, "scheduler": scheduler}
    with staged_dir(output_dir, "chromatic") as tmp:
        if inner is not None:
            return _build_into(cfg, tmp, tmp / inner, backend, shard_blocks, progress)
        with staged_dir(preview_dir, "chromatic") as ptmp:
            return _build_into(cfg, tmp, ptmp, backend, shard_blocks, progress)


def _build_into(
    cfg: ChromaticConfig, data: Path, previews: Path, backend: Mapping[str, Any], shard_blocks: int, progress: bool
) -> list[SampleRecord]:
    for sub in (data / "chromatic", data / "spectral", previews):
        sub.mkdir(parents=True, exist_ok=True)
    shards = plan_shards(cfg, data, previews, shard_blocks)
    records: list[SampleRecord] = []
    with tqdm(total=cfg.num_samples, desc="Generating samples", unit="sample", disable=not progress) as bar:
        for result in parallel.run_ordered(generate_shard, shards, **backend):
            for record in result:
                for key, digest in record.written:
                    filetree.remember(key, digest)
            records += result
            bar.update(len(result))
    durable.remove_parts(data)  # a worker killed mid-sample leaves its private file; the task ran again
    return records


def manifest_entry_fields(
    cfg: ChromaticConfig, records: Sequence[SampleRecord], data_dir: Path, preview_dir: Path, root: Path
) -> dict[str, dict[str, Any]]:
    """Per-file manifest fields (keys: paths relative to ``root``), for ``manifest.build``.

    Sample files get the source document's uid ``synthetic_<kind>_<seed>_<index>``, ``paired_with``
    (chromatic <-> spectral, the partner's path), ``index`` and ``content_crc64``, the
    CRC-64 of the file's canonical array bytes (:func:`synthbank.checksums.crc64_arrays`).
    Previews get ``paired_with`` = the HDF5 file they show.
    """
    from synthbank.manifest import relative_posix

    def rel(path: Path) -> str:
        return relative_posix(path, root)

    fields: dict[str, dict[str, Any]] = {}
    for r in records:
        chrom = rel(data_dir / chromatic_file(cfg.seed, r.index))
        spec = rel(data_dir / spectral_file(cfg.seed, r.index))
        fields[chrom] = {
            "uid": sample_name("chromatic", cfg.seed, r.index), "paired_with": spec,
            "index": r.index, "content_crc64": r.chromatic_crc64,
        }
        fields[spec] = {
            "uid": sample_name("spectral", cfg.seed, r.index), "paired_with": chrom,
            "index": r.index, "content_crc64": r.spectral_crc64,
        }
        if r.index < cfg.previews:
            for kind, target in (("chromatic", chrom), ("mask", chrom), ("spectral", spec)):
                fields[rel(preview_dir / f"{sample_name(kind, cfg.seed, r.index)}.png")] = {"paired_with": target}
    return fields

