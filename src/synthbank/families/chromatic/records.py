"""What chromatic's files hold (:mod:`synthbank.recordsets`), for ``synthbank describe``.

Pure data from the params section: shapes follow ``chromatic.shape``,
``regions.cells_per_side`` and ``spectral_profile.bands``; names follow
:mod:`synthbank.families.chromatic.layout`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from synthbank.families.chromatic import VERSION
from synthbank.families.chromatic.layout import CHROMATIC_DIR, KINDS, SPECTRAL_DIR
from synthbank.recordsets import Field, Records, RecordSet

DATA = "data/chromatic"
PREVIEWS = "reports/chromatic/previews"  #: the preview directory of the DVC stage (--preview-dir)


def _uid(kind: str) -> Field:
    return Field("uid", f"the sample's identity synthetic_{kind}_<seed>_<index> (from the file name)", "str", key="filename",
                 regex=rf"^(synthetic_{kind}_\d+_\d+)\.(?:h5|png)$")


def records(section: Mapping[str, Any], read: Callable[[str], Any]) -> Records:
    """chromatic's record sets: chromatic and spectral HDF5 files per sample, PNG previews, the spectral profile."""
    del read  # nothing beyond the params
    h, w, c = (int(v) for v in section["shape"])
    regions = int(section["regions"]["cells_per_side"]) ** 2
    profile = section["spectral_profile"]
    bands = int(profile["bands"])
    lo, hi = (float(v) for v in profile["wavelengths_nm"])
    sets = [
        RecordSet("chromatic", "one sample's RGB image of Voronoi regions, its region mask and region colours",
                  (f"{DATA}/{CHROMATIC_DIR}/*.h5",), "hdf5", (
                      _uid("chromatic"),
                      Field("chromatic", "the RGB image (axes y, x, channel R G B), Gaussian noise added and clipped",
                            "float32", (h, w, c), unit="linear RGB, full scale = 1, quantised to 1e-6", key="/chromatic"),
                      Field("mask", "the region label of each pixel (axes y, x)", "uint8", (h, w),
                            unit=f"region label 0 .. {regions - 1}", key="/mask"),
                      Field("region_hsl", "each region's colour drawn in HSL (columns hue, saturation, lightness)", "float32",
                            (regions, 3), unit="fraction of a turn (hue), fraction (saturation, lightness)", key="/region_hsl"),
                  )),
        RecordSet("spectral", "one sample's spectral pair: the RGB image through the Gaussian bridge kernel",
                  (f"{DATA}/{SPECTRAL_DIR}/*.h5",), "hdf5", (
                      _uid("spectral"),
                      Field("spectral", f"the spectral image, {bands} bands from {lo:g} to {hi:g} nm (axes y, x, band); "
                            "spectral[y, x, k] = sum_c chromatic[y, x, c] * kernel[c, k], the kernel in the file's attributes",
                            "float32", (h, w, bands), unit="arbitrary spectral units (chromatic full scale 1 times the kernel)",
                            key="/spectral"),
                  )),
    ]
    if int(section["previews"]) > 0:
        shapes = {"chromatic": (h, w, 3), "mask": (h, w), "spectral": (h, w, 3)}
        what = {"chromatic": "the RGB image", "mask": "the region mask as grey levels",
                "spectral": "the spectral image in false colour (band groups as R, G, B)"}
        for kind in KINDS:
            sets.append(RecordSet(
                f"previews_{kind}", f"a PNG preview of {what[kind]}, for the first chromatic.previews samples",
                (f"{PREVIEWS}/synthetic_{kind}_*.png",), "png",
                (_uid(kind), Field("image", what[kind], "image", shapes[kind], unit="8-bit display levels", key="content")),
            ))
    sets.append(RecordSet(
        "spectral_profile", "the mean spectrum over all pixels and the bridge kernel, per band (validation report)",
        ("reports/chromatic/spectral_profile.csv",), "csv",
        (Field("wavelength_nm", "band centre", "float64", unit="nm", key="wavelength_nm"),
         Field("mean_spectrum", "mean spectral value over every pixel of every sample", "float64",
               unit="arbitrary spectral units", key="mean_spectrum"),
         *(Field(f"kernel_{ch}", f"the kernel of channel {ch.upper()}", "float64", unit="per unit of chromatic", key=f"kernel_{ch}")
           for ch in ("r", "g", "b"))),
    ))
    return Records(
        record_sets=tuple(sets),
        license=("CC0-1.0",),
        title=f"synthbank chromatic {VERSION}: RGB region images, masks and their spectral pairs",
        description=(
            f"{int(section['num_samples']):,} samples, each a {h} x {w} RGB float32 image of {regions} Voronoi regions "
            f"(one colour each, uniform in HSL, spread by {section['color_distribution']['sampling']} sampling), Gaussian noise "
            f"of sigma {float(section['noise_level']):g}, its uint8 region mask, and its {bands}-band spectral pair "
            f"({lo:g}-{hi:g} nm) computed through a known Gaussian bridge kernel; one HDF5 file per sample and kind."
        ),
        keywords=("synthetic data", "colour", "hyperspectral", "spectral imaging", "segmentation mask", "HDF5"),
        intended_use=(
            "Testing colour and spectral processing: the exact RGB <-> spectral mapping (the kernel is in every spectral "
            "file) lets a conversion, a segmentation or a colour statistic be checked against known truth."
        ),
        limitations=(
            "Flat-coloured polygons with white-ish Gaussian noise, not natural scenes or measured spectra; the spectral "
            "image lies in the 3-dimensional span of the kernel, so it has no spectral detail beyond RGB."
        ),
        collection="Synthetic: every sample is drawn by the chromatic generator from the root seed, its index and the "
        "params (docs/families/chromatic.md); masks are the generating regions, not annotations.",
    )
