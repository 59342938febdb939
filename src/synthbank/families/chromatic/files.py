"""One sample's files: what they hold and how they are written.

A sample is two HDF5 files, each written straight from its arrays and renamed into
place once whole (:func:`write_hdf5`), and for the first samples three PNG previews
(:func:`preview_images`, :func:`write_digested`). Every file's digest is taken from the
bytes in memory (beside the file's own header bytes, read back), so the manifest need
not read the file again (:data:`Written`).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from synthbank import checksums, filetree
from synthbank.families.chromatic import VERSION
from synthbank.families.chromatic.layout import FAMILY, chromatic_file, sample_name, spectral_file
from synthbank.families.chromatic.quantum import QUANTUM
from synthbank.families.chromatic.spec import CHANNELS, ChromaticParams
from synthbank.families.chromatic.spectral import bridge_kernel, wavelengths
from synthbank.io import durable, hdf5

if TYPE_CHECKING:
    from synthbank.families.chromatic.build import ChromaticConfig
    from synthbank.families.chromatic.generate import ChromaticBlock

KERNEL_FORMULA = (
    "spectral[y, x, k] = sum_c chromatic[y, x, c] * kernel_matrix[c, k]; "
    "kernel_matrix[c, k] = round(kernel_amplitudes[c] * exp(-(wavelengths_nm[k] - kernel_centres_nm[c])**2 "
    "/ (2 * kernel_widths_nm[c]**2)) / kernel_quantum) * kernel_quantum; "
    "float32 products summed in channel order R, G, B, then rounded to kernel_quantum"
)
#: Grey level of region label L in the mask preview: (L * MASK_PREVIEW_STEP) mod 256, so
#: neighbouring labels get distant grey levels.
MASK_PREVIEW_STEP = 73


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
    renamed into place once closed; the build starts its writing to disk (validation's
    regenerated files, deleted once hashed, never need the disk). No copy of the file is
    built in memory: the arrays go from memory to the file once.

    Parameters
    ----------
    final : Path
        The file to create (inside the staging directory); its parent exists.
    root : mapping
        Attributes of the root group.
    datasets : sequence of (str, numpy.ndarray, mapping)
        Each dataset's name, array (any shape and dtype, written contiguous and
        uncompressed) and attributes, in the order they are written.

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
    return known


def digest_hdf5(final: Path, known: Sequence[tuple[int, np.ndarray]]) -> Written:
    """The :data:`Written` of a file :func:`write_hdf5` wrote (its arrays hashed from memory)."""
    return filetree.file_key(final), checksums.digest_file_spliced(final, known)


def write_sample(
    cfg: ChromaticConfig, data_dir: Path, index: int, block: ChromaticBlock, j: int,
) -> tuple[SampleRecord, list[tuple[Path, list[tuple[int, np.ndarray]]]]]:
    """Write sample ``index`` (position ``j`` of ``block``): its chromatic and spectral files.

    Each file is written straight from the arrays (:func:`write_hdf5`).

    Returns
    -------
    SampleRecord
        Without ``written``: the caller digests the files (:func:`digest_hdf5`) or reads them.
    list of (Path, list of (offset, array))
        Each file and where it holds which of ``block``'s arrays: ``block`` must stay
        unchanged until they are digested.
    """
    chrom_rel, spec_rel = chromatic_file(cfg.seed, index), spectral_file(cfg.seed, index)
    chrom, mask, hsl, spec = block.chromatic[j], block.mask[j], block.region_hsl[j], block.spectral[j]
    (chrom_part, mask_part, hsl_part), chrom_crc = checksums.crc64_each_and_all([chrom, mask, hsl])
    spec_crc = checksums.crc64_arrays([spec])
    chrom_sets = (
        ("chromatic", chrom, {
            "axes": ["y", "x", "channel"], "channels": list(CHANNELS),
            "units": "linear RGB, full scale = 1, quantised to 1e-6",
            "crc64": chrom_part,
        }),
        ("mask", mask, {
            "axes": ["y", "x"], "units": "region label 0 .. regions - 1",
            "regions": cfg.params.regions, "crc64": mask_part,
        }),
        ("region_hsl", hsl, {
            "axes": ["region", "hsl"], "columns": ["hue_turns", "saturation", "lightness"],
            "units": "fraction of a turn (hue), fraction (saturation, lightness)", "crc64": hsl_part,
        }),
    )
    # one array: file CRC = dataset CRC
    spec_sets = (("spectral", spec, spectral_attrs(cfg.params) | {"crc64": spec_crc}),)
    files = [(data_dir / rel, write_hdf5(data_dir / rel, root, sets)) for rel, root, sets in (
        (chrom_rel, _root_attrs(cfg, "chromatic", index, spec_rel, chrom_crc), chrom_sets),
        (spec_rel, _root_attrs(cfg, "spectral", index, chrom_rel, spec_crc), spec_sets),
    )]
    return SampleRecord(index, chrom_crc, spec_crc), files


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
