"""Convert the raw sources into ``data/public/<demo>/``: PNG, NIfTI, LICENSE.txt, provenance.json.

Every demo directory holds its images, ``LICENSE.txt`` (SPDX identifier, attribution and
the licence text) and ``provenance.json`` (source package, version, path and sha256, the
SPDX identifier, and the pixel sha256 of every written array). Only pixel values (and the
voxel geometry: spacing, orientation, rescale to physical units) are carried over.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from synthbank import jsonio, parallel
from synthbank.errors import UsageError
from synthbank.families.public import DEMOS, VERSION
from synthbank.families.public.convert import array_sha256, decode_rgb, plane_slices, window_to_uint8
from synthbank.families.public.dicom import read_pixels
from synthbank.families.public.geometry import XFORM_SCANNER, Geometry, slice_geometry
from synthbank.families.public.nifti import NiftiImage, encode_nifti_gz, read_nifti
from synthbank.families.public.sources import Source, license_text, load_source
from synthbank.io.dicom import DicomError
from synthbank.io.png import encode_png
from synthbank.io.staging import staged_dir

GENERATOR = "synthbank.families.public"
LICENSE_FILE = "LICENSE.txt"
#: The SPDX tags written into LICENSE.txt (spelt in two parts so that REUSE tools reading
#: this source file do not take them for this file's own licence).
SPDX_LICENSE_TAG = "SPDX-" + "License-Identifier:"
SPDX_COPYRIGHT_TAG = "SPDX-" + "FileCopyrightText:"
PROVENANCE_FILE = "provenance.json"
#: Bytes of each demo's folder in sources/public (the raw file and its provenance.json): fixed
#: for this VERSION, whose sources are pinned by sha256 (a test checks the folders), so an
#: estimate needs no sources.
SOURCE_BYTES = {"mri_brain_demo": 1_619_259, "retina_example": 270_715, "xray_chest_demo": 40_843}


@dataclass(frozen=True)
class PublicConfig:
    """The byte-shaping settings of the ``public`` section of params.yaml."""

    demos: tuple[str, ...]
    window_hu: tuple[float, float]
    planes: tuple[str, ...]
    slice_fraction: float
    gzip_level: int

    @classmethod
    def from_params(cls, seed: int, release_date: str, section: Mapping[str, Any]) -> PublicConfig:
        """Build from a params section (validated by its schema; checked again here).

        The seed and the release date shape no byte of a converted demo (the family
        contract passes them to every config).
        """
        demos = tuple(section["demos"])
        unknown = sorted(set(demos) - set(DEMOS))
        if unknown or not demos or len(set(demos)) != len(demos):
            raise ValueError(f"demos={list(demos)} is invalid: allowed distinct names from {list(DEMOS)}")
        low, high = (float(v) for v in section["xray_chest_demo"]["window_hu"])
        if not low < high:
            raise ValueError(f"xray_chest_demo.window_hu={[low, high]} is invalid: allowed [low, high] with low < high")
        mri = section["mri_brain_demo"]
        return cls(demos=tuple(sorted(demos)), window_hu=(low, high), planes=tuple(mri["planes"]),
                   slice_fraction=float(mri["slice_fraction"]), gzip_level=int(section["nifti_gzip_level"]))


#: How a written array relates to the source's reference pixel array (validate.py checks it).
SOURCE_PIXELS = {"identical": lambda a: a, "transposed": lambda a: a.T}


def _array_record(array: np.ndarray, content: str) -> dict[str, Any]:
    return {"content": content, "dtype": str(array.dtype), "shape": list(array.shape), "pixel_sha256": array_sha256(array)}


def geometry_record(geo: Geometry) -> dict[str, Any]:
    """What provenance.json states about a NIfTI's placement (sform = qform; the header holds them as float32)."""
    return {"xform_code": geo.code, "xform": "scanner (RAS, mm)" if geo.code == XFORM_SCANNER else "unknown (pixdim only)",
            "pixdim_mm": list(geo.pixdim), "affine_ras": [list(row) for row in geo.affine], "from": list(geo.source)}


def convert_xray(source: Source, cfg: PublicConfig) -> tuple[dict[str, bytes], dict[str, Any]]:
    """CT slice: a windowed PNG and the stored values as NIfTI (scl_* give Hounsfield units)."""
    try:
        px = read_pixels(source.data)
        geo = slice_geometry(px.pixel_spacing_mm, px.image_position, px.image_orientation, px.slice_thickness_mm,
                             px.spacing_between_slices_mm, px.imager_pixel_spacing_mm)
    except DicomError as exc:
        raise UsageError(f"{source.demo}: {exc}") from None
    if px.array.ndim != 2:
        raise UsageError(f"{source.demo}: expected one 2-D slice, got pixel array {px.array.shape}")
    hu = px.array.astype(np.float64) * px.rescale_slope + px.rescale_intercept
    png = window_to_uint8(hu, *cfg.window_hu)
    # DICOM (row, col) -> NIfTI (x = column, y = row); sform and qform give the same RAS affine.
    image = NiftiImage(data=px.array.T, pixdim=geo.pixdim, sform_code=geo.code, srow=geo.affine,
                       qform_code=geo.code, quatern=geo.quatern, qfac=geo.qfac,
                       scl_slope=px.rescale_slope, scl_inter=px.rescale_intercept)
    name = source.demo
    files = {f"{name}_001.png": encode_png(png), f"{name}_001.nii.gz": encode_nifti_gz(image, cfg.gzip_level)}
    records = {
        f"{name}_001.png": _array_record(png, f"Hounsfield units windowed to {list(cfg.window_hu)} -> 0..255"),
        f"{name}_001.nii.gz": {**_array_record(image.data, "stored values (x = column, y = row); HU = value * scl_slope + scl_inter"),
                               "scl_slope": px.rescale_slope, "scl_inter": px.rescale_intercept,
                               "source_pixels": "transposed", "geometry": geometry_record(geo)},
    }
    return files, records


def convert_retina(source: Source, cfg: PublicConfig) -> tuple[dict[str, bytes], dict[str, Any]]:
    """Fundus photograph: the decoded RGB pixels as PNG."""
    rgb = decode_rgb(source.data)
    name = f"{source.demo}_001.png"
    record = {**_array_record(rgb, "RGB pixels decoded from the source JPEG"), "source_pixels": "identical"}
    return {name: encode_png(rgb)}, {name: record}


def convert_mri(source: Source, cfg: PublicConfig) -> tuple[dict[str, bytes], dict[str, Any]]:
    """T1 template: the volume as NIfTI (fresh header, no text) and one PNG per plane."""
    src = read_nifti(source.data)
    volume = src.data
    affine = np.array(src.srow)
    if volume.ndim != 3 or not np.allclose(affine[:, :3], np.diag(np.diag(affine[:, :3]))) or np.any(np.diag(affine[:, :3]) <= 0):
        raise UsageError(f"{source.demo}: expected a 3-D RAS-aligned volume (positive diagonal sform), got shape {volume.shape}, sform {affine.tolist()}")
    image = NiftiImage(data=volume, pixdim=src.pixdim, sform_code=src.sform_code, srow=src.srow,
                       qform_code=src.qform_code, quatern=src.quatern, qfac=src.qfac,
                       scl_slope=src.scl_slope, scl_inter=src.scl_inter)
    name = source.demo
    files = {f"{name}_001.nii.gz": encode_nifti_gz(image, cfg.gzip_level)}
    records: dict[str, Any] = {f"{name}_001.nii.gz": {**_array_record(volume, "stored voxel values, shape (x, y, z), RAS"),
                                                      "source_pixels": "identical"}}
    low, high = float(volume.min()), float(volume.max())
    for plane, (index, sl) in plane_slices(volume, cfg.planes, cfg.slice_fraction).items():
        png = window_to_uint8(sl, low, high) if high > low else np.zeros(sl.shape, np.uint8)
        fname = f"{name}_001_{plane}.png"
        files[fname] = encode_png(png)
        records[fname] = {**_array_record(png, f"{plane} slice {index} of the volume, value range [{low:g}, {high:g}] -> 0..255"), "slice_index": index}
    return files, records


CONVERTERS = {"xray_chest_demo": convert_xray, "retina_example": convert_retina, "mri_brain_demo": convert_mri}


def license_file(source: Source, text: str) -> str:
    """``LICENSE.txt`` of a demo: SPDX tag, attribution, source, then the licence text."""
    p = source.provenance
    pkg = p["package"]
    return (
        f"{source.demo}: converted by synthbank from {pkg['name']} {pkg['version']}, {pkg['path']}\n"
        f"{SPDX_LICENSE_TAG} {p['spdx_license_identifier']}\n"
        f"{SPDX_COPYRIGHT_TAG} {p['attribution']}\n\n"
        "Only pixel values (and voxel geometry) of the source were carried over; no file header or metadata.\n\n"
        f"----- {p['spdx_license_identifier']} -----\n\n{text.rstrip()}\n"
    )


def provenance_record(source: Source, records: Mapping[str, Any]) -> dict[str, Any]:
    """``provenance.json`` of a demo."""
    p = source.provenance
    return {
        "demo": source.demo,
        "spdx_license_identifier": p["spdx_license_identifier"],
        "attribution": p["attribution"],
        "license_file": LICENSE_FILE,
        "license_evidence": p["license_evidence"],
        "origin": p["origin"],
        "description": p["description"],
        "source": {"package": p["package"], "file": p["file"], "bytes": p["bytes"], "sha256": p["sha256"],
                   "reference_pixels": {k: p["pixels"][k] for k in ("reader", "dtype", "shape", "sha256")}},
        "generator": GENERATOR,
        "generator_version": VERSION,
        "files": dict(records),
    }


def convert_demo(source: Source, cfg: PublicConfig, licence: str) -> dict[str, bytes]:
    """Every file of one demo directory, name -> bytes."""
    files, records = CONVERTERS[source.demo](source, cfg)
    files[LICENSE_FILE] = license_file(source, licence).encode("utf-8")
    files[PROVENANCE_FILE] = jsonio.dumps(provenance_record(source, records)).encode("utf-8")
    return files


def source_bytes(cfg: PublicConfig) -> int:
    """Bytes of the source folders of the demos ``cfg`` converts (:data:`SOURCE_BYTES`)."""
    return sum(SOURCE_BYTES[demo] for demo in cfg.demos)


def estimate_bytes(cfg: PublicConfig) -> int:
    """Upper bound of the bytes :func:`build` writes: the demos' decoded pixels come out
    at most about three times the size of their source folders (measured 1.6x), plus 1 MB
    for licences and provenance."""
    return 3 * source_bytes(cfg) + 1_000_000


@dataclass(frozen=True)
class DemoTask:
    """One demo to convert: what a worker needs, as plain values (absolute paths)."""

    cfg: PublicConfig
    demo: str
    sources_dir: str
    licenses_dir: str


def convert_task(task: DemoTask) -> dict[str, bytes]:
    """Worker: load and check one demo's source, convert it; name -> bytes (about 2 MB at most)."""
    source = load_source(Path(task.sources_dir), task.demo)
    return convert_demo(source, task.cfg, license_text(Path(task.licenses_dir), source.spdx))


def build(cfg: PublicConfig, sources_dir: Path, licenses_dir: Path, out: Path, *, workers: int = 1,
          scheduler: str | None = None) -> dict[str, Sequence[str]]:
    """Write every demo into ``out`` (all or nothing); return demo -> file names.

    Each demo is converted as its own task (:func:`synthbank.parallel.run_ordered`); the
    files are written here, in demo order, so the bytes do not depend on the backend.
    """
    tasks = [DemoTask(cfg, demo, str(Path(sources_dir).resolve()), str(Path(licenses_dir).resolve())) for demo in cfg.demos]
    written: dict[str, Sequence[str]] = {}
    with staged_dir(out, "public") as tmp:
        results = parallel.run_ordered(convert_task, tasks, workers=workers, scheduler=scheduler)
        for task, files in zip(tasks, results, strict=True):
            folder = tmp / task.demo
            folder.mkdir()
            for name in sorted(files):
                (folder / name).write_bytes(files[name])
            written[task.demo] = sorted(files)
    return written
