"""Read what build.py wrote, compute metrics/public.json, check thresholds.

Checks: the manifest matches the files (CRC-64 and sha256, no file missing or extra), no
PHI anywhere in the data or the manifest (:func:`synthbank.phi.scan`), every demo carries
its licence (LICENSE.txt with the SPDX identifier of its provenance record), every image
decodes to the pixels its provenance records, the arrays that copy the source equal the
source's reference pixels (pydicom / nibabel / Pillow, sha256 in sources/public), and no
PNG is blank (pixel std above a threshold). The metrics file is written before thresholds
are checked, so ``dvc metrics diff`` shows a failing dataset too.
"""

from __future__ import annotations

import io
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from synthbank import jsonio, parallel, phi
from synthbank import manifest as manifest_mod
from synthbank.errors import UsageError
from synthbank.families.public import FAMILY
from synthbank.families.public.build import LICENSE_FILE, PROVENANCE_FILE, SOURCE_PIXELS, SPDX_LICENSE_TAG
from synthbank.families.public.convert import array_sha256
from synthbank.families.public.nifti import read_nifti
from synthbank.families.public.sources import LICENSE_IDS
from synthbank.io.staging import write_file_atomic
from synthbank.thresholds import check


def decode(path: Path) -> np.ndarray:
    """The pixel array of a written PNG or NIfTI file."""
    data = path.read_bytes()
    if path.name.endswith((".nii", ".nii.gz")):
        return read_nifti(data).data
    from PIL import Image

    with Image.open(io.BytesIO(data)) as im:
        return np.asarray(im)


def image_stats(array: np.ndarray) -> dict[str, Any]:
    """Shape and intensity statistics of one image (floats rounded by jsonio)."""
    a = array.astype(np.float64)
    return {"height": int(array.shape[0]), "width": int(array.shape[1]),
            "channels": int(array.shape[2]) if array.ndim == 3 else 1,
            "mean": float(a.mean()), "std": float(a.std()), "min": float(a.min()), "max": float(a.max())}


def _license_ok(folder: Path, spdx: str, problems: list[str]) -> bool:
    path = folder / LICENSE_FILE
    if not path.is_file():
        problems.append(f"{path} is missing")
        return False
    text = path.read_text("utf-8")
    if spdx not in LICENSE_IDS or f"{SPDX_LICENSE_TAG} {spdx}\n" not in text or len(text) < 500:
        problems.append(f"{path} does not carry the SPDX identifier {spdx!r} and its licence text")
        return False
    return True


@dataclass(frozen=True)
class FileTask:
    """One written image to check against its provenance record (plain values, absolute path)."""

    path: str
    label: str  # the path as the messages name it (relative to the driver's --data-dir)
    pixel_sha256: str
    source_pixels: str | None  # a key of SOURCE_PIXELS, or None: not a copy of the source
    reference_sha256: str
    reader: str


@dataclass(frozen=True)
class FileCheck:
    """What one file contributes: found, pixels as recorded, the problems, PNG statistics."""

    exists: bool
    pixels_ok: bool
    problems: tuple[str, ...]
    stats: dict[str, Any] | None


def check_file(task: FileTask) -> FileCheck:
    """Worker: decode one image, compare its pixels with its record and the source's (a few hundred bytes back)."""
    path = Path(task.path)
    if not path.is_file():
        return FileCheck(False, False, (f"{task.label} (listed in {PROVENANCE_FILE}) is missing",), None)
    array = decode(path)
    problems = []
    if array_sha256(array) != task.pixel_sha256:
        problems.append(f"{task.label}: pixels differ from the pixel_sha256 in {PROVENANCE_FILE}")
    how = task.source_pixels
    if how is not None and array_sha256(SOURCE_PIXELS[how](array)) != task.reference_sha256:
        problems.append(f"{task.label}: pixels differ from the source's reference pixels ({task.reader})")
    stats = image_stats(array) if path.name.endswith(".png") else None
    return FileCheck(True, not problems, tuple(problems), stats)


def compute_metrics(data_dir: Path, manifest_path: Path, *, workers: int = 1,
                    scheduler: str | None = None) -> tuple[dict[str, Any], list[str]]:
    """Metrics of a written ``public`` dataset and the problems found (hard checks).

    Provenance records and licences are read here; every image is checked as its own task
    (:func:`check_file`), merged in record order (demo, then file name).
    """
    if not manifest_path.is_file():
        raise UsageError(f"{manifest_path} does not exist: run 'synthbank generate public' first")
    manifest = json.loads(manifest_path.read_text("utf-8"))
    demos = manifest.get("params", {}).get("demos", [])
    problems: list[str] = []
    report = manifest_mod.verify(manifest_path)
    problems += [f"manifest: {p}" for p in report.problems]

    licenses_ok = pixels_ok = True
    tasks: list[tuple[str, FileTask]] = []  # (demo, task)
    counts = {"demos": 0, "files": 0, "png": 0, "nifti": 0, "bytes": 0}
    for demo in demos:
        folder = data_dir / demo
        record_path = folder / PROVENANCE_FILE
        if not folder.is_dir():  # counted by demos_complete
            continue
        if not record_path.is_file():
            problems.append(f"{record_path} is missing")
            licenses_ok = pixels_ok = False
            continue
        counts["demos"] += 1
        try:
            record = json.loads(record_path.read_text("utf-8"))
            reference = record["source"]["reference_pixels"]
            reference_sha256, reader = reference["sha256"], str(reference.get("reader"))
            files = {name: (info["pixel_sha256"], info.get("source_pixels")) for name, info in dict(record["files"]).items()}
        except (ValueError, KeyError, TypeError) as exc:
            problems.append(f"{record_path} is not a provenance record: {type(exc).__name__} {exc}")
            licenses_ok = pixels_ok = False
            continue
        licenses_ok &= _license_ok(folder, record.get("spdx_license_identifier", ""), problems)
        tasks += [(demo, FileTask(str((folder / name).resolve()), str(folder / name), sha, how, reference_sha256, reader))
                  for name, (sha, how) in sorted(files.items())]
    images: dict[str, Any] = {}
    checks = parallel.run_ordered(check_file, [t for _, t in tasks], workers=workers, scheduler=scheduler)
    for (demo, task), result in zip(tasks, checks, strict=True):
        problems += result.problems
        pixels_ok &= result.pixels_ok
        if not result.exists:
            continue
        if result.stats is not None:
            counts["png"] += 1
            images[f"{demo}/{Path(task.label).name}"] = result.stats
        else:
            counts["nifti"] += 1
    for path in sorted(p for p in data_dir.rglob("*") if p.is_file()):
        counts["files"] += 1
        counts["bytes"] += path.stat().st_size
    present = sorted(p.name for p in data_dir.iterdir() if p.is_dir())
    demos_complete = bool(demos) and present == sorted(demos) and counts["demos"] == len(demos)
    if not demos_complete:
        problems.append(f"{data_dir}: demo directories {present} differ from the manifest's demos {sorted(demos)}")

    findings = phi.scan([data_dir, manifest_path])
    problems += [f"PHI: {f.path}: {f.location}: {f.kind}" for f in findings]
    metrics = {
        "counts": counts,
        "phi_findings": len(findings),
        "phi_files_scanned": counts["files"] + 1,
        "checksums_verified": report.ok,
        "demos_complete": demos_complete,
        "licenses_present": licenses_ok,
        "pixels_verified": pixels_ok,
        "images": images,
    }
    return metrics, problems


def validate(data_dir: Path, manifest_path: Path, metrics_path: Path, thresholds: Mapping[str, Any], *,
             workers: int = 1, scheduler: str | None = None) -> list[str]:
    """Write the metrics; return the violated thresholds and failed checks (empty when all pass)."""
    if not data_dir.is_dir():
        raise UsageError(f"{data_dir} does not exist: run 'synthbank generate public' first")
    metrics, problems = compute_metrics(data_dir, manifest_path, workers=workers, scheduler=scheduler)
    failures = check(metrics, FAMILY.rules, thresholds)
    metrics["thresholds_met"] = not failures
    write_file_atomic(metrics_path, jsonio.dumps(metrics).encode())
    return failures + problems[:20] if failures else []
