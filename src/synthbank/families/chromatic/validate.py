"""Read what build.py wrote, compute metrics/chromatic.json and the spectral CSV, check thresholds.

The generation settings come from the manifest (what produced the files), the thresholds
from params.yaml. The metrics file is written before thresholds are checked, so
``dvc metrics diff`` shows a failing dataset too; the caller then exits 1.
"""

from __future__ import annotations

import csv
import io
import json
import math
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from synthbank import checksums, jsonio, parallel, scratch
from synthbank import manifest as manifest_mod
from synthbank.errors import UsageError
from synthbank.families.chromatic import FAMILY
from synthbank.families.chromatic import metrics as m
from synthbank.families.chromatic.build import ChromaticConfig, block_samples
from synthbank.families.chromatic.files import write_sample
from synthbank.families.chromatic.layout import BLOCK_SIZE, CHROMATIC_DIR, chromatic_file, sample_name, spectral_file
from synthbank.families.chromatic.spectral import quantised_kernel
from synthbank.io.staging import write_file_atomic
from synthbank.thresholds import check

PROFILE_CSV = "spectral_profile.csv"
#: Files per PHI-scan task (small enough that the scan spreads over the workers).
PHI_SLICE = 8
#: Attributes of /spectral that define the bridge kernel.
KERNEL_ATTRS = (
    "wavelengths_nm", "kernel_matrix", "kernel_centres_nm", "kernel_widths_nm", "kernel_amplitudes", "kernel_quantum",
)


def _read_manifest(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise UsageError(f"manifest {path} does not exist: run 'synthbank generate chromatic' first")
    try:
        return json.loads(path.read_text("utf-8"))
    except ValueError as exc:
        raise UsageError(f"manifest {path} is not valid JSON: {exc}") from None


def manifest_problems(manifest_path: Path, cfg: ChromaticConfig) -> list[str]:
    """Schema, presence and digests (:func:`synthbank.manifest.verify`), then the sample pairs.

    Reads the manifest itself (a task carries its path, not its entries).

    Every sample 0 .. num_samples - 1 must have a chromatic and a spectral entry named by
    the chromatic source document's convention (docs/families/chromatic.md), each
    ``paired_with`` the other's path.
    """
    problems = list(manifest_mod.verify(manifest_path, None).problems)
    if problems:
        return problems
    by_uid = {e["uid"]: e for e in _read_manifest(manifest_path)["entries"]}
    for i in range(cfg.num_samples):
        chrom = by_uid.get(sample_name("chromatic", cfg.seed, i))
        spec = by_uid.get(sample_name("spectral", cfg.seed, i))
        if chrom is None or spec is None:
            problems.append(f"sample {i}: chromatic or spectral entry missing")
        elif chrom.get("paired_with") != spec["path"] or spec.get("paired_with") != chrom["path"]:
            problems.append(f"sample {i}: paired_with does not link {chrom['path']} and {spec['path']}")
        elif chrom.get("index") != i or spec.get("index") != i:
            problems.append(f"sample {i}: entry index differs")
    samples = [u for u in by_uid if u.startswith("synthetic_chromatic_") or u.startswith("synthetic_spectral_")]
    if len(samples) != 2 * cfg.num_samples:
        problems.append(f"{len(samples)} sample entries, expected {2 * cfg.num_samples}")
    return problems


def reseed_indices(num_samples: int, k: int) -> list[int]:
    """``k`` evenly spaced sample indices, the first and last included (all if k >= n)."""
    if k >= num_samples:
        return list(range(num_samples))
    if k <= 1:
        return [0][:k]
    return sorted({round(j * (num_samples - 1) / (k - 1)) for j in range(k)})


def regenerate_block(cfg: ChromaticConfig, block: int, indices: tuple[int, ...]) -> list[tuple[str, int, str, str]]:
    """Worker: regenerate one block and rewrite the files of ``indices`` (inside it) in a
    temporary directory.

    Returns
    -------
    list of (kind, index, file CRC-64, content CRC-64)
    """
    rows = []
    samples = block_samples(cfg.seed, block, cfg.params, keep=tuple(i - block * BLOCK_SIZE for i in indices))
    with tempfile.TemporaryDirectory(prefix="chromatic-reseed-") as tmp:
        out = Path(tmp)
        (out / "chromatic").mkdir()
        (out / "spectral").mkdir()
        for j, i in enumerate(indices):
            record, _ = write_sample(cfg, out, i, samples, j)  # the files are read back below
            rows.append(("chromatic", i, checksums.digest_file(out / chromatic_file(cfg.seed, i)).crc64, record.chromatic_crc64))
            rows.append(("spectral", i, checksums.digest_file(out / spectral_file(cfg.seed, i)).crc64, record.spectral_crc64))
    return rows


def reseed_tasks(cfg: ChromaticConfig, indices: list[int]) -> list[partial[list[tuple[str, int, str, str]]]]:
    """One :func:`regenerate_block` call per block holding any of ``indices``."""
    blocks = sorted({i // BLOCK_SIZE for i in indices})
    return [partial(regenerate_block, cfg, b, tuple(i for i in indices if i // BLOCK_SIZE == b)) for b in blocks]


def reseed_problems(cfg: ChromaticConfig, manifest: Mapping[str, Any], rows: list[tuple[str, int, str, str]]) -> list[str]:
    """Compare regenerated CRC-64s (file and content) with the manifest entries."""
    by_uid = {e["uid"]: e for e in manifest["entries"]}
    problems = []
    for kind, i, file_crc, content in rows:
        entry = by_uid.get(sample_name(kind, cfg.seed, i))
        if entry is None:
            problems.append(f"{sample_name(kind, cfg.seed, i)}: no manifest entry")
        elif entry["crc64"] != file_crc or entry.get("content_crc64") != content:
            problems.append(f"{entry['path']}: regenerated bytes differ (crc64 {file_crc})")
    return problems


def _sample_files(data_dir: Path) -> list[Path]:
    files = sorted((data_dir / CHROMATIC_DIR).glob("*.h5"))
    if not files:
        raise UsageError(f"{data_dir / CHROMATIC_DIR} holds no .h5 files: run 'synthbank generate chromatic' first")
    return files


@dataclass(frozen=True)
class FileTask:
    data_dir: str
    chromatic_path: str
    regions: int


@dataclass(frozen=True)
class FileStats:
    """What one sample contributes to the metrics (``error`` set: the pair cannot be read)."""

    roundtrip: float
    count: np.ndarray
    total: np.ndarray
    total_sq: np.ndarray
    spectrum_sum: np.ndarray
    pixels: int
    kernel_attrs: dict[str, Any]
    error: str | None = None


def file_stats(task: FileTask) -> FileStats:
    """Worker: read one chromatic file and its spectral partner and reduce them.

    A pair that cannot be read (file, dataset or attribute missing) gives an infinite
    round-trip error and ``error``, so the stage still writes its metrics and fails.
    """
    try:
        return _file_stats(task)
    except (OSError, KeyError) as exc:
        empty = np.zeros((0, 3))
        return FileStats(math.inf, np.zeros(0), empty, empty, np.zeros(0), 0, {},
                         f"{Path(task.chromatic_path).name}: sample unreadable: {exc}")


def _file_stats(task: FileTask) -> FileStats:
    with h5py.File(task.chromatic_path, "r") as f:
        chrom, mask = f["chromatic"][...], f["mask"][...]
        partner = Path(task.data_dir) / str(f.attrs["paired_with"])
    with h5py.File(partner, "r") as f:
        ds = f["spectral"]
        attrs = {k: ds.attrs[k] for k in KERNEL_ATTRS}
        spec = scratch.buffer("chromatic.validate.spectral", ds.shape, np.float32)  # no page faults per file
        ds.read_direct(spec)
    count, total, total_sq = m.region_sums(chrom[None], mask[None], task.regions)
    spec64 = scratch.buffer("chromatic.validate.spectral64", (spec.shape[0] * spec.shape[1], spec.shape[2]), np.float64)
    np.copyto(spec64, spec.reshape(spec64.shape))  # converted once, used twice
    # The mapping must be recomputable from the file alone: the stored matrix and the one
    # rebuilt from the stored wavelengths and Gaussian parameters must both map it back.
    rebuilt = quantised_kernel(attrs["wavelengths_nm"], attrs["kernel_centres_nm"], attrs["kernel_widths_nm"],
                               attrs["kernel_amplitudes"], float(attrs["kernel_quantum"]))
    kernels = [rebuilt] if np.array_equal(rebuilt, attrs["kernel_matrix"]) else [rebuilt, attrs["kernel_matrix"]]
    return FileStats(
        roundtrip=max(m.roundtrip_error(chrom, spec64, k) for k in kernels),
        count=count, total=total, total_sq=total_sq,
        spectrum_sum=np.ones(spec64.shape[0]) @ spec64,
        pixels=spec64.shape[0], kernel_attrs=attrs,
    )


def call(task: Callable[[], Any]) -> Any:
    """Worker: run one prepared task (a ``functools.partial`` of a module-level function)."""
    return task()


def file_tasks(data_dir: Path, cfg: ChromaticConfig) -> list[FileTask]:
    return [FileTask(str(data_dir), str(p), cfg.params.regions) for p in _sample_files(data_dir)]


def reduce_stats(stats: list[FileStats], expected: Mapping[str, float]) -> tuple[dict[str, Any], str]:
    """Metrics from the per-file stats: round trip, colour balance, noise, kernel energy.

    ``expected``: :func:`metrics.expected_colour_means` of the claimed distribution. The
    kernel energy and the profile use the first readable sample's kernel attributes.

    Returns
    -------
    metrics : dict
    profile : str
        :func:`profile_csv` of the mean spectrum over all pixels and the stored kernel.
    """
    readable = [s for s in stats if s.error is None]
    if not readable:
        raise UsageError(f"no sample can be read: {stats[0].error}")
    attrs = readable[0].kernel_attrs
    kernel = np.asarray(attrs["kernel_matrix"], dtype=np.float32)
    count = np.concatenate([s.count for s in stats])
    total = np.concatenate([s.total for s in stats])
    total_sq = np.concatenate([s.total_sq for s in stats])
    observed, regions = m.observed_colour_means(count, total)
    energy = m.kernel_energy_db(
        attrs["wavelengths_nm"], kernel, attrs["kernel_centres_nm"], attrs["kernel_widths_nm"], attrs["kernel_amplitudes"]
    )
    noise = m.noise_std_estimate(count, total, total_sq)
    out = {
        "samples": len(stats),
        "roundtrip_error": max(s.roundtrip for s in stats),
        "color_balance_drift": m.colour_balance(observed, expected),
        "color_balance": {"observed": observed, "expected": expected, "regions": regions},
        "fft_energy_balance_db": energy["max_abs"],
        "fft_energy_db": {k: energy[k] for k in ("r", "g", "b", "sum")},
        "noise_std_estimate": noise if math.isfinite(noise) else -1.0,
    }
    mean_spectrum = sum(s.spectrum_sum for s in readable) / sum(s.pixels for s in readable)
    return out, profile_csv(attrs["wavelengths_nm"], mean_spectrum, kernel)


def phi_findings(paths: list[Path]) -> int:
    """Findings of the no-PHI scanner (:mod:`synthbank.phi`) over ``paths``."""
    from synthbank import phi  # a core module; imported here so a broken scanner names itself

    return len(phi.scan(paths))


def profile_csv(wavelengths_nm: np.ndarray, mean_spectrum: np.ndarray, kernel: np.ndarray) -> str:
    """CSV text: wavelength_nm, mean_spectrum, kernel_r, kernel_g, kernel_b (one row per band)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["wavelength_nm", "mean_spectrum", "kernel_r", "kernel_g", "kernel_b"])
    for k, lam in enumerate(wavelengths_nm):
        writer.writerow([f"{lam:.6f}", f"{mean_spectrum[k]:.6f}", *(f"{kernel[c, k]:.6f}" for c in range(3))])
    return buf.getvalue()


def _finite(metrics: dict[str, Any]) -> dict[str, Any]:
    """Replace infinities (a degenerate kernel) by a large finite number JSON can hold."""
    def fix(v: Any) -> Any:
        if isinstance(v, dict):
            return _finite(v)
        return 1e9 if isinstance(v, float) and not math.isfinite(v) else v

    return {k: fix(v) for k, v in metrics.items()}


def validate(
    data_dir: Path,
    manifest_path: Path,
    metrics_path: Path,
    report_dir: Path,
    thresholds: Mapping[str, Any],
    *,
    reseed_samples: int = 2,
    workers: int = 1,
    scheduler: str | None = None,
) -> list[str]:
    """Write the metrics JSON and the spectral-profile CSV; return violated thresholds."""
    # tasks carry absolute paths: a worker's cwd is not ours
    data_dir, manifest_path = Path(data_dir).resolve(), Path(manifest_path).resolve()
    manifest = _read_manifest(manifest_path)
    if manifest.get("family") != "chromatic":
        raise UsageError(f"manifest {manifest_path} is of family {manifest.get('family')!r}: allowed 'chromatic'")
    try:
        cfg = ChromaticConfig.from_params(manifest["seed"], manifest["release_date"], manifest["params"])
    except (KeyError, TypeError, ValueError) as exc:
        raise UsageError(f"manifest {manifest_path} has unusable params: {exc}") from None
    root = (manifest_path.parent / manifest["base"]).resolve()
    scanned = [manifest_path] + [root / e["path"] for e in manifest["entries"] if (root / e["path"]).is_file()]
    # Every task (manifest digests, PHI scan in slices, expected colours, reseed blocks,
    # per-file stats) is independent: with workers > 1 they share the pool in slices small
    # enough to balance, so re-reading and regenerating overlap the data metrics.
    indices = reseed_indices(cfg.num_samples, reseed_samples)
    regen = reseed_tasks(cfg, indices)
    phi_slices = [tuple(scanned[i : i + PHI_SLICE]) for i in range(0, len(scanned), PHI_SLICE)]
    tasks = [
        partial(manifest_problems, manifest_path, cfg),
        partial(m.expected_colour_means, cfg.params.hsl_box, cfg.params.noise_level),
        *(partial(phi_findings, list(paths)) for paths in phi_slices),
        *regen,
        *(partial(file_stats, t) for t in file_tasks(data_dir, cfg)),
    ]
    # every result is small (counts, per-region sums, one spectrum sum per file)
    results = list(parallel.run_ordered(call, tasks, workers=workers, scheduler=scheduler))
    problems, expected = results[0], results[1]
    after_phi = 2 + len(phi_slices)
    phi_count = sum(results[2:after_phi])
    unstable = reseed_problems(cfg, manifest, [r for rows in results[after_phi : after_phi + len(regen)] for r in rows])
    stats = results[after_phi + len(regen) :]
    unreadable = [s.error for s in stats if s.error is not None]
    metrics, profile = reduce_stats(stats, expected)
    metrics["phi_findings"] = phi_count
    metrics["manifest_valid"] = not problems
    metrics["manifest_problems"] = len(problems)
    metrics["reseed_stability"] = not unstable and bool(indices)
    metrics["reseed_samples_checked"] = len(indices)
    metrics = _finite(metrics)
    failures = check(metrics, FAMILY.rules, thresholds)
    failures += [f"manifest: {p}" for p in problems[:5]] + [f"reseed: {p}" for p in unstable[:5]]
    failures += [f"data: {e}" for e in unreadable[:5]]
    metrics["thresholds_met"] = not failures
    write_file_atomic(metrics_path, jsonio.dumps(metrics).encode())
    write_file_atomic(Path(report_dir) / PROFILE_CSV, profile.encode())
    return failures
