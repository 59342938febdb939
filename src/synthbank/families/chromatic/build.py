"""Plan blocks, generate them (in parallel if asked), write one HDF5 file per sample and kind.

Layout of a data directory::

    chromatic/synthetic_chromatic_<seed>_<index>.h5   /chromatic (H, W, 3) float32,
                                                      /mask (H, W) uint8, /region_hsl (R, 3) float32
    spectral/synthetic_spectral_<seed>_<index>.h5     /spectral (H, W, K) float32, the bridge
                                                      kernel's wavelengths and parameters as attributes

and PNG previews ``synthetic_{chromatic,mask,spectral}_<seed>_<index>.png`` of the first
``previews`` samples in the preview directory. Workers write whole files; a file's bytes
depend only on (seed, index, params), so any worker count or shard size gives the same tree.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from synthbank import checksums, filetree, jsonio, parallel, seeding
from synthbank.families.chromatic import VERSION
from synthbank.families.chromatic.generate import ChromaticBlock, generate_block
from synthbank.families.chromatic.layout import (
    BLOCK_SIZE, FAMILY, PREVIEW_DIR, chromatic_file, n_blocks, sample_name, spectral_file,
)
from synthbank.families.chromatic.quantum import QUANTUM
from synthbank.families.chromatic.spec import CHANNELS, ChromaticParams, check_key
from synthbank.families.chromatic.spectral import bridge_kernel, wavelengths
from synthbank.io import durable, hdf5
from synthbank.io.png import encode_png
from synthbank.io.staging import staged_dir
from synthbank.params import thaw

KERNEL_FORMULA = (
    "spectral[y, x, k] = sum_c chromatic[y, x, c] * kernel_matrix[c, k]; "
    "kernel_matrix[c, k] = round(kernel_amplitudes[c] * exp(-(wavelengths_nm[k] - kernel_centres_nm[c])**2 "
    "/ (2 * kernel_widths_nm[c]**2)) / kernel_quantum) * kernel_quantum; "
    "float32 products summed in channel order R, G, B, then rounded to kernel_quantum"
)
#: Section keys that size the dataset but never change a sample's bytes.
DATASET_KEYS = ("num_samples", "previews")
#: Grey level of region label L in the mask preview: (L * MASK_PREVIEW_STEP) mod 256, so
#: neighbouring labels get distant grey levels.
MASK_PREVIEW_STEP = 73


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


#: A file a worker wrote: its (device, inode) and state when complete, and the digest of
#: the bytes written (:func:`synthbank.filetree.remember`), so the manifest need not read it.
Written = tuple[tuple[tuple[int, int], filetree.FileState], checksums.FileDigest]


@dataclass(frozen=True)
class SampleRecord:
    """What the manifest records about one sample beyond the file digests."""

    index: int
    chromatic_crc64: str  # CRC-64/GO-ISO of the chromatic file's canonical array bytes
    spectral_crc64: str
    written: tuple[Written, ...] = field(default=(), compare=False)  # the sample's files and previews


def write_digested(final: Path, data: bytes | memoryview) -> Written:
    """Write ``data`` at ``final`` (whole, its writing to disk started) and digest it from memory."""
    digest = checksums.StreamDigest()
    digest.update(data)
    durable.write_whole(final, data)
    return filetree.file_key(final), digest.result()


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


def _root_attrs(cfg: ChromaticConfig, kind: str, index: int, paired_with: str, crc: str) -> dict[str, Any]:
    return {
        "family": FAMILY,
        "generator_version": VERSION,
        "seed": cfg.seed,
        "params": cfg.params_json(),
        "release_date": cfg.release_date,
        "index": index,
        "uid": sample_name(kind, cfg.seed, index),
        "kind": kind,
        "paired_with": paired_with,
        "content_crc64": crc,
        "quantum": QUANTUM,
        "license": "CC0-1.0",
    }


def spectral_attrs(params: ChromaticParams) -> dict[str, Any]:
    """Attributes of ``/spectral``: enough to recompute the mapping from the file alone."""
    return dict(_spectral_attrs(params))


@functools.lru_cache(maxsize=4)
def _spectral_attrs(params: ChromaticParams) -> dict[str, Any]:  # the same for every sample: built once
    return {
        "axes": ["y", "x", "band"],
        "units": "arbitrary spectral units: chromatic (full scale 1) times kernel",
        "wavelengths_nm": wavelengths(params),
        "kernel_channels": list(CHANNELS),
        "kernel_centres_nm": np.array(params.centres_nm, dtype=np.float64),
        "kernel_widths_nm": np.array(params.widths_nm, dtype=np.float64),
        "kernel_amplitudes": np.array(params.amplitudes, dtype=np.float64),
        "kernel_quantum": QUANTUM,
        "kernel_matrix": bridge_kernel(params),
        "kernel_formula": KERNEL_FORMULA,
    }


def write_hdf5(
    final: Path, root: Mapping[str, Any], datasets: Sequence[tuple[str, np.ndarray, Mapping[str, Any]]]
) -> list[tuple[int, np.ndarray]]:
    """Write an HDF5 file of ``datasets`` (name, array, attributes) at ``final``, whole.

    h5py writes it under a private name (:func:`synthbank.io.durable.written_whole`),
    renamed into place once closed, its writing to disk started. No copy of the file is
    built in memory: the arrays go from memory to the file once.

    Returns
    -------
    list of (offset, array)
        Where each dataset stored its array's bytes unchanged, for
        :func:`synthbank.checksums.digest_file_spliced` (hash them from memory).
    """
    known = []
    with durable.written_whole(final) as part:
        with hdf5.create_file(part, root) as f:
            for name, data, attrs in datasets:
                ds = hdf5.create_dataset(f, name, shape=data.shape, dtype=data.dtype, data=data, attrs=attrs)
                offset = hdf5.raw_offset(ds, data)
                if offset is not None:
                    known.append((offset, data))
        durable.start_flush(part)
    return known


def digest_hdf5(final: Path, known: Sequence[tuple[int, np.ndarray]]) -> Written:
    """The :data:`Written` of a file :func:`write_hdf5` wrote (its arrays hashed from memory)."""
    return filetree.file_key(final), checksums.digest_file_spliced(final, known)


def _now(fn: Callable[..., Any], *args: Any) -> Any:
    return fn(*args)


def write_sample(
    cfg: ChromaticConfig, data_dir: Path, index: int, block: ChromaticBlock, j: int,
    submit: Callable[..., Any] = _now,
) -> SampleRecord:
    """Write sample ``index`` (position ``j`` of ``block``): its chromatic and spectral files.

    Each file is written straight from the arrays (:func:`write_hdf5`); its digest is
    ``submit(digest_hdf5, path, ranges)``: computed now by default, or a hashing
    thread's ``submit`` (the record then holds its futures, and ``block`` must stay
    unchanged until they are done).
    """
    chrom_rel, spec_rel = chromatic_file(cfg.seed, index), spectral_file(cfg.seed, index)
    chrom, mask, hsl, spec = block.chromatic[j], block.mask[j], block.region_hsl[j], block.spectral[j]
    chrom_crc, spec_crc = checksums.crc64_arrays([chrom, mask, hsl]), checksums.crc64_arrays([spec])
    chrom_sets = (
        ("chromatic", chrom, {
            "axes": ["y", "x", "channel"], "channels": list(CHANNELS),
            "units": "linear RGB, full scale = 1, quantised to 1e-6",
            "crc64": checksums.crc64_arrays([chrom]),
        }),
        ("mask", mask, {
            "axes": ["y", "x"], "units": "region label 0 .. regions - 1",
            "regions": cfg.params.regions, "crc64": checksums.crc64_arrays([mask]),
        }),
        ("region_hsl", hsl, {
            "axes": ["region", "hsl"], "columns": ["hue_turns", "saturation", "lightness"],
            "units": "fraction of a turn (hue), fraction (saturation, lightness)", "crc64": checksums.crc64_arrays([hsl]),
        }),
    )
    # one array: file CRC = dataset CRC
    spec_sets = (("spectral", spec, spectral_attrs(cfg.params) | {"crc64": spec_crc}),)
    written = []
    for rel, root, sets in (
        (chrom_rel, _root_attrs(cfg, "chromatic", index, spec_rel, chrom_crc), chrom_sets),
        (spec_rel, _root_attrs(cfg, "spectral", index, chrom_rel, spec_crc), spec_sets),
    ):
        final = data_dir / rel
        written.append(submit(digest_hdf5, final, write_hdf5(final, root, sets)))
    return SampleRecord(index, chrom_crc, spec_crc, tuple(written))


def preview_images(chromatic: np.ndarray, mask: np.ndarray, spectral: np.ndarray, kernel: np.ndarray) -> dict[str, np.ndarray]:
    """uint8 previews of one sample: chromatic RGB, mask grey levels, false-colour spectral.

    The false-colour image shows bands ``5K/6``, ``K/2`` and ``K/6`` (long, middle, short
    wavelengths) as R, G, B, each scaled by the largest value that band can take
    (the band's kernel column sum), so previews of different samples compare directly.
    """
    k = spectral.shape[-1]
    bands = [min(k - 1, (5 * k) // 6), k // 2, k // 6]
    peak = np.maximum(kernel.astype(np.float64).sum(axis=0)[bands], QUANTUM)
    false = np.clip(spectral[..., bands] / peak, 0.0, 1.0)
    return {
        "chromatic": np.rint(chromatic.astype(np.float64) * 255.0).astype(np.uint8),
        "mask": ((mask.astype(np.uint16) * MASK_PREVIEW_STEP) % 256).astype(np.uint8),
        "spectral": np.rint(false * 255.0).astype(np.uint8),
    }


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
            record = write_sample(cfg, Path(task.data_dir), index, block, j, hasher.submit)
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

