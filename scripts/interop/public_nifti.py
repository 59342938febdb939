"""public: read each NIfTI under ``<data>/public`` with nibabel, and its source with pydicom/nibabel.

Per image: ``nib.load`` (shape, dtype, affine, qform/sform and their codes, pixdim, orientation),
nibabel's own header checks (``Nifti1Header.diagnose_binaryblock`` and ``header.check_fix``),
then the geometry against the source named in the image's ``provenance.json``: every source
pixel (a DICOM through pydicom: ImagePositionPatient, ImageOrientationPatient, PixelSpacing,
SliceThickness, LPS turned to RAS; a NIfTI through nibabel: its affine) is placed in the world
and looked up through the output's affine; the voxel found there must exist and hold the same
value. This is what a viewer does; it fails when the affine is the default one.
"""

from __future__ import annotations

import gzip
import io
import json
import logging
import sys
from pathlib import Path

import nibabel as nib
import numpy as np
import pydicom

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import Report, parse_args, rel  # noqa: E402

READER = f"nibabel {nib.__version__}"
LPS_TO_RAS = np.diag([-1.0, -1.0, 1.0, 1.0])
np.set_printoptions(precision=4, suppress=True, linewidth=120)


def fmt_matrix(m: np.ndarray) -> list[str]:
    """Rows of a 4 x 4 affine, fixed format."""
    return ["  [" + " ".join(f"{v:11.4f}" for v in row) + " ]" for row in np.asarray(m)]


def describe_nifti(path: Path) -> list[str]:
    """nib.load and the header's geometry fields."""
    img = nib.load(str(path))
    h = img.header
    qform, qcode = h.get_qform(coded=True)
    sform, scode = h.get_sform(coded=True)
    lines = [f"class={type(img).__name__} shape={img.shape} dtype={h.get_data_dtype()} "
             f"slope/inter={h.get_slope_inter()}",
             f"qform_code={int(h['qform_code'])} sform_code={int(h['sform_code'])} "
             f"(get_qform(coded=True) code {qcode}, get_sform(coded=True) code {scode})",
             f"pixdim={h['pixdim'].tolist()}",
             f"zooms={tuple(float(z) for z in h.get_zooms())} "
             f"orientation={''.join(nib.aff2axcodes(img.affine))}",
             "affine (img.affine):", *fmt_matrix(img.affine)]
    if qcode == 0 and scode == 0:
        lines.append("no qform/sform: img.affine is nibabel's default (pixdim only, centred)")
    return lines


def raw_header(path: Path) -> bytes:
    """The file's first 348 bytes as stored (nib.load fixes some fields while it reads)."""
    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "rb") as f:
        return f.read(348)


def diagnose(path: Path) -> list[str]:
    """nibabel's checks on the header as stored: diagnose_binaryblock and check_fix's log.

    ``nib.load`` itself logs (logger ``nibabel.global``) and repairs what check_fix repairs, so
    the checks run on the raw header bytes, and the load-time log is shown too.
    """
    block = raw_header(path)
    text = nib.Nifti1Header.diagnose_binaryblock(block).strip()
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    checker = logging.getLogger("interop.check_fix")
    checker.handlers[:] = [handler]
    checker.setLevel(logging.DEBUG)
    checker.propagate = False
    nib.Nifti1Header(binaryblock=block, check=False).check_fix(logger=checker, error_level=60)
    fixes = stream.getvalue().strip()
    at_load = io.StringIO()
    glob = logging.getLogger("nibabel.global")
    extra = logging.StreamHandler(at_load)
    glob.addHandler(extra)
    try:
        nib.load(str(path)).get_fdata()
    finally:
        glob.removeHandler(extra)
    loaded = at_load.getvalue().strip()
    lines = [f"diagnose_binaryblock: {text or '(nothing)'}".replace("\n", "; "),
             f"check_fix: {fixes or '(nothing to fix)'}".replace("\n", "; "),
             f"nib.load logs: {loaded or '(nothing)'}".replace("\n", "; ")]
    if text or fixes or loaded:
        raise AssertionError("nibabel's header checks report problems: "
                             + "; ".join(x for x in (text, fixes, loaded) if x).replace("\n", "; "))
    return lines


def source_of(path: Path, sources: Path) -> Path | None:
    """The raw source file named by the provenance.json beside ``path``, if it is present."""
    prov = path.parent / "provenance.json"
    if not prov.is_file():
        return None
    name = json.loads(prov.read_text()).get("source", {}).get("file")
    if not name:
        return None
    for candidate in (sources / "public" / path.parent.name / name, path.parent / name):
        if candidate.is_file():
            return candidate
    return None


def dicom_affine(dcm: Path) -> np.ndarray:
    """The RAS affine a converter should write for voxel (i = column, j = row, k = slice), 4 x 4."""
    return dicom_geometry(dcm)[2]


def dicom_geometry(dcm: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]:
    """(world RAS of each pixel (N, 3), values (N, 2), affine (4, 4), lines) from a DICOM's tags.

    The two value columns are the stored pixel and its rescaled value (HU for CT): a NIfTI may
    hold either.
    """
    ds = pydicom.dcmread(str(dcm))
    ipp = np.array(ds.ImagePositionPatient, dtype=float)
    iop = np.array(ds.ImageOrientationPatient, dtype=float)
    row_spacing, col_spacing = (float(v) for v in ds.PixelSpacing)
    along_row, along_col = iop[:3], iop[3:]  # direction of increasing column / row index
    normal = np.cross(along_row, along_col)
    thick = float(getattr(ds, "SliceThickness", 0) or 0)
    stored = ds.pixel_array.astype(float)
    pixels = stored * float(getattr(ds, "RescaleSlope", 1)) + float(getattr(ds, "RescaleIntercept", 0))
    r, c = np.indices(pixels.shape)
    lps = ipp + c.reshape(-1, 1) * col_spacing * along_row + r.reshape(-1, 1) * row_spacing * along_col
    ras = lps * np.array([-1.0, -1.0, 1.0])
    # The affine a converter would write for voxel (i = column, j = row, k = slice).
    m = np.eye(4)
    m[:3, 0], m[:3, 1], m[:3, 2], m[:3, 3] = along_row * col_spacing, along_col * row_spacing, \
        normal * (thick or 1.0), ipp
    lines = [f"pydicom {pydicom.__version__} dcmread({rel(dcm)!r}): rows x cols={pixels.shape}",
             f"ImagePositionPatient={ipp.tolist()} ImageOrientationPatient={iop.tolist()}",
             f"PixelSpacing=[{row_spacing}, {col_spacing}] SliceThickness={thick} "
             f"Rescale slope/intercept={getattr(ds, 'RescaleSlope', None)}/"
             f"{getattr(ds, 'RescaleIntercept', None)}",
             "affine from the DICOM tags, RAS, voxel (col, row, slice):",
             *fmt_matrix(LPS_TO_RAS @ m)]
    return ras, np.stack([stored.reshape(-1), pixels.reshape(-1)], 1), LPS_TO_RAS @ m, lines


def nifti_geometry(src: Path) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """(world RAS (N, 3), values (N, 1), lines) of every 7th voxel per axis of a source NIfTI."""
    img = nib.load(str(src))
    data = np.asanyarray(img.dataobj)
    sub = tuple(slice(0, n, 7) for n in data.shape[:3])
    ijk = np.stack(np.meshgrid(*[np.arange(n)[s] for n, s in zip(data.shape[:3], sub)],
                               indexing="ij"), -1).reshape(-1, 3)
    world = nib.affines.apply_affine(img.affine, ijk)
    # nibabel's dataobj already applies scl_slope/scl_inter: these are the real values.
    values = data[sub].reshape(-1, 1).astype(float)
    lines = [f"nib.load({rel(src)!r}): shape={img.shape}; affine:", *fmt_matrix(img.affine),
             f"compared on every 7th voxel per axis: {len(values)} voxels"]
    return world, values, lines


def compare(path: Path, src: Path) -> list[str]:
    """Look every source pixel up through the output's affine; the value there must match."""
    if src.suffix.lower() == ".dcm":
        world, values, _, lines = dicom_geometry(src)
    else:
        world, values, lines = nifti_geometry(src)
    img = nib.load(str(path))
    data = np.asanyarray(img.dataobj).astype(float)  # scl_slope/scl_inter applied by nibabel
    ijk = nib.affines.apply_affine(np.linalg.inv(img.affine), world)
    shape3 = (data.shape + (1, 1))[:3]
    data3 = data.reshape(shape3)
    off_grid = float(np.abs(ijk - np.round(ijk)).max())
    idx = np.round(ijk).astype(int)
    inside = np.all((idx >= 0) & (idx < np.array(shape3)), axis=1)
    # The output may hold the source's stored values or its rescaled ones: take the column that
    # matches best, and say which.
    found = np.full(len(values), np.nan)
    found[inside] = data3[tuple(idx[inside].T)]
    # Exact, up to the output's own quantisation when it stores scaled integers (half a step).
    slope = img.dataobj.slope if np.isfinite(img.dataobj.slope or np.nan) else 1.0
    tol = 0.5 * abs(slope) if np.issubdtype(img.get_data_dtype(), np.integer) and slope != 1 else 0.0
    hits = [np.abs(found - values[:, c]) <= tol for c in range(values.shape[1])]
    best = int(np.argmax([h.sum() for h in hits]))
    hit = hits[best]
    kind = ("stored pixel", "rescaled (slope/intercept)")[best] if values.shape[1] == 2 else "voxel"
    lines += [f"source pixels through inv(img.affine): max distance to a voxel centre "
              f"{off_grid:.3g} voxel; inside the image {int(inside.sum())}/{len(values)}; "
              f"same value ({kind}) {int(hit.sum())}/{len(values)}"]
    if off_grid > 1e-3 or not hit.all():
        corner = nib.affines.apply_affine(img.affine, [0, 0, 0])
        raise AssertionError(f"the output's affine does not place the source's pixels where the source "
                             f"does: {int(hit.sum())}/{len(values)} land on the same value "
                             f"(voxel 0 at RAS {np.round(corner, 3).tolist()}, source's first pixel at "
                             f"{np.round(world[0], 3).tolist()})")
    return lines


def main(argv: list[str] | None = None) -> int:
    """Read every NIfTI under ``<data>/public``; exit status 1 when one failed."""
    args = parse_args(__doc__.splitlines()[0], argv)
    rep = Report("public", strict=args.strict)
    files = sorted(p for p in (args.data / "public").rglob("*")
                   if p.name.endswith((".nii", ".nii.gz")))
    rep.say(f"{READER}, pydicom {pydicom.__version__} on {rel(args.data / 'public')}: "
            f"{[p.name for p in files] or 'no NIfTI files'}")
    for p in files:
        rep.call("nibabel.load", f"nib.load({rel(p)!r})", lambda p=p: describe_nifti(p))
        rep.call("nibabel Nifti1Header.diagnose_binaryblock / header.check_fix",
                 f"Nifti1Header.diagnose_binaryblock(<raw header of {p.name}>); "
                 f"Nifti1Header(<raw header>, check=False).check_fix(logger, error_level=60)", lambda p=p: diagnose(p))
        src = source_of(p, args.sources)
        if src is None:
            rep.say(f"{p.name}: no source file found (provenance.json, {rel(args.sources)}); "
                    "geometry not compared")
            continue
        reader = "pydicom.dcmread" if src.suffix.lower() == ".dcm" else "nibabel.load (source)"
        rep.call(f"{reader} + nibabel affine",
                 f"source pixels of {rel(src)} -> world -> inv(nib.load({p.name!r}).affine)",
                 lambda p=p, src=src: compare(p, src))
    return rep.finish()


if __name__ == "__main__":
    sys.exit(main())
