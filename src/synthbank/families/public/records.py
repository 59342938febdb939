"""What public's files hold (:mod:`synthbank.recordsets`), for ``synthbank describe``.

Licences, attributions and the shapes of the images come from each demo's source record,
``sources/public/<demo>/provenance.json`` (read through ``read``), so they cannot drift
from what the conversion was given. One record set per image (they differ in shape,
modality and licence).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from synthbank.families.public import VERSION
from synthbank.recordsets import Field, Records, RecordSet, Source

DATA = "data/public"
#: (rows, columns) of each MRI plane's slice from the volume's (x, y, z): see convert.mid_slices.
PLANES = {"axial": (1, 0), "coronal": (2, 0), "sagittal": (2, 1)}


def provenance_path(demo: str) -> str:
    """The source record of ``demo`` (repository-relative)."""
    return f"sources/public/{demo}/provenance.json"


def _png(name: str, demo: str, file: str, description: str, shape: tuple[int, ...], unit: str, licence: str) -> RecordSet:
    return RecordSet(name, f"{description} (licence {licence})", (f"{DATA}/{demo}/{file}",), "png",
                     (Field("image", description, "image", shape, unit=unit, key="content"),))


def _demo_sets(demo: str, section: Mapping[str, Any], prov: Mapping[str, Any]) -> list[RecordSet]:
    shape = tuple(int(v) for v in prov["pixels"]["shape"])
    licence = str(prov["spdx_license_identifier"])
    if demo == "xray_chest_demo":
        lo, hi = section["xray_chest_demo"]["window_hu"]
        return [
            _png(demo, demo, f"{demo}_001.png", "the CT slice in a Hounsfield window (rows, columns)", shape,
                 f"8-bit grey levels: {lo} to {hi} HU mapped linearly onto 0-255", licence),
            RecordSet(f"{demo}_nifti", f"the CT slice as NIfTI-1, placed in scanner RAS millimetres (licence {licence})",
                      (f"{DATA}/{demo}/{demo}_001.nii.gz",), "nifti",
                      (Field("volume", "the stored values, axes x = column, y = row", str(prov["pixels"]["dtype"]),
                             (shape[1], shape[0]), unit="stored value; HU = value * scl_slope + scl_inter", key="content"),)),
        ]
    if demo == "retina_example":
        return [_png(demo, demo, f"{demo}_001.png", "the fundus photograph, RGB (rows, columns, channels)", shape,
                     "8-bit sRGB levels", licence)]
    if demo == "mri_brain_demo":
        planes = section["mri_brain_demo"]["planes"]
        volume = RecordSet(f"{demo}_nifti", f"the T1-weighted template volume as NIfTI-1, 1 mm voxels, RAS (licence {licence})",
                           (f"{DATA}/{demo}/{demo}_001.nii.gz",), "nifti",
                           (Field("volume", "the stored voxel values, axes x, y, z", str(prov["pixels"]["dtype"]), shape,
                                  unit="T1-weighted intensity, 0-255", key="content"),))
        return [volume] + [
            _png(f"{demo}_{plane}", demo, f"{demo}_001_{plane}.png",
                 f"the {plane} slice at slice_fraction {float(section['mri_brain_demo']['slice_fraction']):g} of the volume",
                 (shape[PLANES[plane][0]], shape[PLANES[plane][1]]), "T1-weighted intensity, 0-255", licence)
            for plane in planes
        ]
    raise ValueError(f"public.demos: demo {demo!r} has no record declaration: allowed xray_chest_demo, retina_example, mri_brain_demo")


def records(section: Mapping[str, Any], read: Callable[[str], Any]) -> Records:
    """public's record sets, licences and sources, from each demo's provenance record."""
    demos = sorted(section["demos"])
    provenance = {demo: read(provenance_path(demo)) for demo in demos}
    sets: list[RecordSet] = []
    for demo in demos:
        sets += _demo_sets(demo, section, provenance[demo])
    sources = tuple(
        Source(name=demo, description=str(p["description"]), license=str(p["spdx_license_identifier"]),
               attribution=str(p["attribution"]),
               origin=f"{p['package']['name']} {p['package']['version']}, {p['package']['path']} ({p['origin']})",
               sha256=str(p["sha256"]), files=(f"{DATA}/{demo}/*.png", f"{DATA}/{demo}/*.nii.gz"))
        for demo, p in provenance.items()
    )
    return Records(
        record_sets=tuple(sets),
        license=tuple(sorted({"CC0-1.0", *(s.license for s in sources)})),  # CC0-1.0: the records synthbank writes
        title=f"synthbank public {VERSION}: real, openly licensed medical example images",
        description=(
            f"{len(demos)} real example images from openly licensed software packages ({', '.join(demos)}), converted to "
            "PNG and NIfTI with only their pixels and geometry carried over, each with its licence text and a provenance "
            "record. Not synthetic."
        ),
        keywords=("medical imaging", "example images", "CT", "MRI", "fundus photograph", "PNG", "NIfTI", "open licence"),
        intended_use="User interfaces, visualisation and teaching notebooks that need a few real, legally reusable "
        "medical images with a known geometry and licence.",
        limitations=(
            "A handful of images, not a training or evaluation set: no labels, no population, no diagnostic value. The MRI "
            "is an average template (no single person), the CT slice is downsized to 128 x 128, the retina photograph is one "
            "normal eye. Each image keeps its upstream licence (see the sources)."
        ),
        collection="Converted, not generated: each image comes from a file distributed by a software package (see the "
        "sources); scripts/extract_public_sources.py copied the raw files into sources/public once, and the public generator "
        "converts their pixels (docs/families/public.md).",
        sensitive=(
            "Health images of real people, de-identified upstream and published as examples: the MRI is a template averaged "
            "over 152 adults (no single person); the CT slice is one patient's scan from the NEMA WG04 test set, whose "
            "distributor removed the names (its DICOM header still names the imaging centre and study date, neither carried "
            "over); the fundus photograph shows one real person's retina, a biometric trait, released into the public domain "
            "on Wikimedia Commons. Only pixels and geometry are carried over (no DICOM header byte, no name, date or "
            "institution), and validation scans every output for personal identifiers (phi_findings = 0). Do not try to "
            "re-identify anyone."
        ),
        sources=sources,
        references=tuple(
            "VS Fonov, AC Evans, K Botteron, CR Almli, RC McKinstry, DL Collins and BDCG, Unbiased average age-appropriate "
            "atlases for pediatric studies, NeuroImage 54(1), 2011, doi:10.1016/j.neuroimage.2010.07.033"
            for demo in demos if demo == "mri_brain_demo"
        ),
        counts={"demos": "counts.demos", "files": "counts.files"},
    )
