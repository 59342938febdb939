"""Generate a dataset block by block and write it: HDF5, interleaved .float32, CORTEX spec.yaml, manifest.

Memory stays bounded whatever the channel count: channels are generated in blocks of
``block_channels`` (a multiple of the HDF5 chunk width, chosen from a memory budget),
each block is written as whole HDF5 chunks at once (a worker generates it
:data:`SUB_BLOCK` channels at a time and lays it out as chunks itself), and the
interleaved ``.float32`` file is then written sequentially from the HDF5 file's chunks
(:mod:`.interleave`). Working memory is at most
``(workers + 1) * block_channels * n_samples * bytes_per_sample``,
kept under ``memory_budget`` by the choice of ``block_channels``: it does not grow with
the channel count. Only when one channel alone exceeds the budget (pink noise needs a
whole channel for its FFT: 14 bytes per sample) does it grow, with ``n_samples``.

Chunks are always written in the same order (chunk column by chunk column, time chunk
by time chunk), so the HDF5 bytes do not depend on the block size or worker count.

Nothing is read twice that need not be, and the disk works while the CPU does: the HDF5
file's writing to disk starts as soon as it is closed (the commit's ``fsync`` then finds
most of it done), the ``.float32`` copy is hashed as it is written and its writing to
disk started every few MiB, and with ``workers > 1`` a thread hashes
the HDF5 file (hashlib and file reads release the GIL) while the copy is made.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from synthbank import checksums, jsonio, manifest
from synthbank.families.signals import VERSION, cortex, layout
from synthbank.families.signals.generate import FAMILY, channel_block, generator_module, work_bytes_per_sample
from synthbank.families.signals.interleave import write_float32
from synthbank.families.signals.spec import SignalSpec
from synthbank.io import hdf5
from synthbank.io.durable import start_flush
from synthbank.io.staging import staged_dir
from synthbank.parallel import run_ordered

#: Working memory allowed for the blocks in flight (bytes); see the module docstring.
DEFAULT_MEMORY_BUDGET = 24 * 1024 * 1024
#: Channels a worker generates at once inside a block of whole chunk columns (its
#: temporaries' size; as fast as 16 at 1024 x 19,200, measured).
SUB_BLOCK = 8
assert layout.CHUNK_CHANNELS % SUB_BLOCK == 0  # generate_chunk_columns: a sub-block never straddles two chunk columns

def block_channels(spec: SignalSpec, workers: int = 1, memory_budget: int = DEFAULT_MEMORY_BUDGET) -> int:
    """Channels per generated block: a multiple of the chunk width when it fits the budget.

    ``workers + 1`` blocks can be alive at once (one per worker thread and one being
    written), so each gets ``memory_budget / (workers + 1)``.
    """
    per_channel = spec.n_samples * work_bytes_per_sample(spec)
    fits = max(1, memory_budget // (workers + 1) // per_channel)
    width = layout.chunk_shape(spec.n_samples, spec.channels)[1]
    if fits >= width:
        fits -= fits % width
    return int(min(fits, spec.channels))


@dataclass(frozen=True)
class ChannelBlock:
    """Channels ``first .. stop - 1`` of the dataset of ``spec``: one generation task (picklable)."""

    spec: SignalSpec
    first: int
    stop: int


def generate_channels(task: ChannelBlock) -> np.ndarray:
    """Worker: the (stop - first, n_samples) float32 block of :class:`ChannelBlock` (see :func:`channel_block`)."""
    return channel_block(task.spec, task.first, task.stop)


def generate_chunk_columns(task: ChannelBlock) -> np.ndarray:
    """Worker: the block of :class:`ChannelBlock` already laid out as HDF5 chunks.

    The channels are generated :data:`SUB_BLOCK` at a time (a channel's bytes do not depend
    on the channels generated with it), so the generator's temporaries (14 bytes a sample
    for pink noise) cover 8 channels, not the block's 16 or more; each piece is transposed
    into its chunk column here, beside the generation, not on the writing thread.

    Returns
    -------
    ndarray, shape (n_columns, n_time_chunks * chunk_samples, chunk_channels), float32:
        column ``j`` holds channels ``first + j * chunk_channels ...`` as (time, channel),
        zero past the last sample and the last channel, so chunk ``(t, j)`` is the
        contiguous slice ``[j, t * chunk_samples : (t + 1) * chunk_samples]``.
    """
    spec, first, stop = task.spec, task.first, task.stop
    tc, cc = layout.chunk_shape(spec.n_samples, spec.channels)
    n = spec.n_samples
    n_cols, padded = -(-(stop - first) // cc), -(-n // tc) * tc
    out = np.empty((n_cols, padded, cc), dtype=np.float32)
    out[:, n:] = 0.0
    out[-1, :n, (stop - first) - (n_cols - 1) * cc :] = 0.0  # channels past the last one
    for a in range(first, stop, SUB_BLOCK):
        # ``first`` starts a chunk column and SUB_BLOCK divides its width: one column per sub-block
        b = min(stop, a + SUB_BLOCK)
        j, lo = divmod(a - first, cc)
        out[j, :n, lo : lo + b - a] = channel_block(spec, a, b).T
    return out


def root_attrs(spec: SignalSpec, release_date: str) -> dict[str, Any]:
    """Root attributes of the HDF5 file (every file describes itself)."""
    return {
        "family": FAMILY,
        "family_version": VERSION,
        "generator_path": generator_module(spec).PATH,
        "generator_version": spec.version,
        "seed": spec.seed,
        "params": jsonio.dumps(spec.record()).strip(),
        "release_date": release_date,
        "dataset_name": spec.name,
    }


def signal_attrs(spec: SignalSpec) -> dict[str, Any]:
    """Attributes of the ``signal`` dataset."""
    return {
        "axes": ["time", "channel"],
        "units": layout.UNITS,
        "sample_rate_hz": float(spec.sample_rate_hz),
        "channel_names": layout.channel_names(spec.channels),
        "generator_version": spec.version,
        "signal_type": spec.signal_type,
    }


def _write_chunk_columns(ds: Any, first: int, columns: np.ndarray, chunks: tuple[int, int]) -> None:
    """Write the chunks of :func:`generate_chunk_columns`' result (channels from ``first``), column by column."""
    tc = chunks[0]
    n = ds.shape[0]
    for j, column in enumerate(columns):
        for t0 in range(0, n, tc):
            hdf5.write_chunk(ds, (t0, first + j * chunks[1]), column[t0 : t0 + tc])


def _preallocate(ds: Any, chunks: tuple[int, int]) -> None:
    """Allocate every chunk (zeros) in the order :func:`_write_chunk_columns` uses.

    HDF5 places a chunk in the file when it is first written; partial writes go through
    its chunk cache, whose eviction order would otherwise decide the file layout.
    """
    n, c = ds.shape
    zeros = np.zeros(chunks, dtype=np.float32)
    for col in range(0, c, chunks[1]):
        for t0 in range(0, n, chunks[0]):
            hdf5.write_chunk(ds, (t0, col), zeros)


def write_hdf5(
    path: Path,
    spec: SignalSpec,
    release_date: str,
    *,
    workers: int = 1,
    scheduler: str | None = None,
    memory_budget: int = DEFAULT_MEMORY_BUDGET,
    on_block: Callable[[int], None] | None = None,
) -> int:
    """Generate every channel into ``path`` (dataset ``/signal``, (n_samples, n_channels) float32).

    Each block of channels is a task (:class:`ChannelBlock`) of
    :func:`synthbank.parallel.run_ordered`: on local threads (numpy releases the GIL and
    the blocks are large arrays, cheaper shared than piped) or on a Dask cluster.

    Returns
    -------
    int
        The block size used (channels), for information.
    """
    n, c = spec.n_samples, spec.channels
    chunks = layout.chunk_shape(n, c)
    per_block = block_channels(spec, workers, memory_budget)
    starts = list(range(0, c, per_block))
    attrs = signal_attrs(spec)  # channel_names of 4096 channels need dense attribute storage (io/hdf5.py)
    with hdf5.create_file(path, root_attrs(spec, release_date), object_attrs=[attrs]) as f:
        ds = hdf5.create_dataset(f, layout.DATASET, shape=(n, c), dtype=np.float32, chunks=chunks, attrs=attrs)
        whole_columns = per_block % chunks[1] == 0 or per_block == c
        if not whole_columns:
            _preallocate(ds, chunks)
        tasks = [ChannelBlock(spec, first, min(c, first + per_block)) for first in starts]
        # locally workers + 1 blocks in flight (the memory budget); a cluster keeps them on its workers
        window = None if scheduler else workers + 1
        blocks = run_ordered(generate_chunk_columns if whole_columns else generate_channels, tasks, workers=workers,
                             window=window, scheduler=scheduler, backend="threads")
        for task, block in zip(tasks, blocks, strict=True):
            if whole_columns:
                _write_chunk_columns(ds, task.first, block, chunks)
            else:  # narrower than a chunk: HDF5 rewrites the preallocated chunks in place
                ds[:, task.first : task.stop] = block.T
            if on_block is not None:
                on_block(task.stop - task.first)
            del block
    return per_block


def generation_manifest(
    spec: SignalSpec, release_date: str, directory: Path, hdf5_digest: checksums.FileDigest,
    float32_digest: checksums.FileDigest,
) -> dict[str, Any]:
    """The generation manifest of the signals source document (docs/families/signals.md):
    generator path and version, every parameter, output
    characteristics, checksums. No timestamp: ``release_date`` comes from params.yaml.

    The data files' digests come from the writer (:func:`build`), which takes them while
    it writes; ``spec.yaml`` is read here.
    """
    names = (layout.HDF5_NAME, layout.FLOAT32_NAME, cortex.SPEC_NAME)
    digests = [hdf5_digest, float32_digest, checksums.digest_file(directory / cortex.SPEC_NAME)]
    files = {name: {"bytes": d.bytes, "crc64": d.crc64, "sha256": d.sha256} for name, d in zip(names, digests, strict=True)}
    files[layout.HDF5_NAME] |= {"dataset": f"/{layout.DATASET}", "shape": [spec.n_samples, spec.channels],
                                "chunks": list(layout.chunk_shape(spec.n_samples, spec.channels))}
    files[layout.FLOAT32_NAME] |= {"layout": "interleaved, sample-major (n_samples, n_channels)", "byte_order": "little"}
    files[cortex.SPEC_NAME] |= {"describes": f"{layout.FLOAT32_NAME} as a CORTEX dataset directory"}
    module = generator_module(spec)
    return {
        "generator": {"path": module.PATH, "version": spec.version, "family": FAMILY, "family_version": VERSION},
        "dataset": {
            "name": spec.name,
            "channels": spec.channels,
            "sample_rate_hz": spec.sample_rate_hz,
            "params": {"signal_type": spec.signal_type, "duration_s": spec.duration_s, "seed": spec.seed, **dict(spec.params)},
        },
        "release_date": release_date,
        "output": {
            "channels": spec.channels,
            "samples": spec.n_samples,
            "duration_s": spec.n_samples / spec.sample_rate_hz,
            "dtype": "float32",
            "units": layout.UNITS,
            "channel_names": f"{layout.channel_names(1)[0]}..{layout.channel_names(spec.channels)[-1]}",
            "bytes": sum(v["bytes"] for v in files.values()),
            "files": files,
        },
        "static_dataset": {
            "path": layout.FLOAT32_NAME, "format": "float32",
            "channels": spec.channels, "sample_rate_hz": spec.sample_rate_hz,
        },
        "software": manifest.software_versions(),
    }


def dump_yaml(data: dict[str, Any]) -> str:
    """Deterministic YAML: keys in the order given, block style."""
    return yaml.safe_dump(data, sort_keys=False, default_flow_style=False, allow_unicode=True, width=1000)


def build(
    spec: SignalSpec,
    output_dir: Path,
    release_date: str,
    *,
    workers: int = 1,
    scheduler: str | None = None,
    memory_budget: int = DEFAULT_MEMORY_BUDGET,
    on_block: Callable[[int], None] | None = None,
) -> dict[str, Any]:
    """Write ``signal.h5``, ``signal.float32``, ``spec.yaml`` (:mod:`.cortex`) and
    ``generation_manifest.yaml`` into ``output_dir`` (replaced only when all four are complete).

    Returns
    -------
    dict
        The generation manifest.
    """
    with staged_dir(output_dir, "signals") as tmp:
        h5_path = tmp / layout.HDF5_NAME
        write_hdf5(h5_path, spec, release_date, workers=workers, scheduler=scheduler,
                   memory_budget=memory_budget, on_block=on_block)
        start_flush(h5_path)  # the disk writes the closed HDF5 file while the copy is made
        if workers > 1:  # hash the HDF5 file on a second core while the copy is made
            from concurrent.futures import ThreadPoolExecutor

            with ThreadPoolExecutor(max_workers=1) as pool:
                h5_future = pool.submit(checksums.digest_file, h5_path)
                digest = write_float32(h5_path, tmp / layout.FLOAT32_NAME)
                h5 = h5_future.result()
        else:
            digest = write_float32(h5_path, tmp / layout.FLOAT32_NAME)
            h5 = checksums.digest_file(h5_path)
        (tmp / cortex.SPEC_NAME).write_text(cortex.dumps(cortex.generated_spec(spec, digest.sha256)), "utf-8")
        record = generation_manifest(spec, release_date, tmp, h5, digest)
        (tmp / layout.MANIFEST_NAME).write_text(dump_yaml(record), "utf-8")
    return record


def build_with_progress(spec: SignalSpec, output_dir: Path, release_date: str, progress: bool, *, workers: int = 1,
                        scheduler: str | None = None) -> dict[str, Any]:
    """:func:`build` with a progress bar of the channels written (when ``progress``; tqdm loads only then)."""
    if not progress:
        return build(spec, output_dir, release_date, workers=workers, scheduler=scheduler)
    from tqdm import tqdm

    with tqdm(total=spec.channels, desc=f"Generating {spec.signal_type}", unit="ch") as bar:
        return build(spec, output_dir, release_date, workers=workers, scheduler=scheduler, on_block=bar.update)


def estimate_bytes(spec: SignalSpec) -> int:
    """Disk bytes of a dataset: the HDF5 file (whole chunks) plus the .float32 copy, with slack (spec.yaml, manifest)."""
    tc, cc = layout.chunk_shape(spec.n_samples, spec.channels)
    chunked = -(-spec.n_samples // tc) * tc * -(-spec.channels // cc) * cc * 4
    return chunked + spec.n_samples * spec.channels * 4 + 1_000_000 + 64 * spec.channels
