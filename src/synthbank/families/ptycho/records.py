"""What ptycho's files hold (:mod:`synthbank.recordsets`), for ``synthbank describe``.

Pure data from the params section: per dose, one record set per stage directory. Sizes
follow the config: N = ``probe.size_px``, S = ``object.size_px``, n = the scan's positions
(:attr:`synthbank.families.ptycho.config.SweepConfig.n_positions`: a raster's per-axis
``len(range(N // 2, S - N // 2 + 1, step_px))`` squared, or ``scan.n_positions``), C =
``patch.gridsize`` squared, K = ``patch.neighbours``. With ``ptycho.base_npz`` the object,
probe and positions come from that file, so N, (H, W) and n are named, not numbers. The
split halves (m patterns, g groups) and the views (v_train, v_test groups) depend on the positions.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from synthbank.families.ptycho import VERSION
from synthbank.recordsets import Field, Records, RecordSet

SPLITS = ("train", "test")
VIEWS = ("dense", "sparse")
TRANSMISSION = "transmission (unitless)"
CENTRE = "object pixels (patch centre)"
ROW = "row index"


def sizes(section: Mapping[str, Any]) -> tuple[int | str, tuple[int | str, int | str], int | str]:
    """(N, (H, W), n): probe side, object shape and scan positions, or their names with a base NPZ."""
    if section.get("base_npz") is not None:
        return "N", ("H", "W"), "n"
    n, side = int(section["probe"]["size_px"]), int(section["object"]["size_px"])
    scan = section["scan"]
    if scan["pattern"] == "random":
        positions = int(scan["n_positions"])
    else:
        positions = len(range(n // 2, side - n // 2 + 1, int(scan["step_px"]))) ** 2
    return n, (side, side), positions


def _coords(n: int | str, what: str) -> tuple[Field, ...]:
    return (Field("xcoords", f"x of each {what}'s patch centre", "float64", (n,), unit=CENTRE, key="/xcoords"),
            Field("ycoords", f"y of each {what}'s patch centre", "float64", (n,), unit=CENTRE, key="/ycoords"))


def _dose_sets(dose: int, section: Mapping[str, Any]) -> list[RecordSet]:
    n_px, obj, n = sizes(section)
    c = int(section["patch"]["gridsize"]) ** 2
    k = int(section["patch"]["neighbours"])
    d = f"data/ptycho/dose_{dose}"
    name = f"dose_{dose}"
    guesses = (Field("objectGuess", "the complex object (axes y, x)", "complex64", obj, unit=TRANSMISSION, key="/objectGuess"),
               Field("probeGuess", "the complex probe (axes detector y, x)", "complex64", (n_px, n_px), unit="unitless",
                     key="/probeGuess"))
    split_of = Field("split", "the spatial half (from the file name)", "str", key="filename", regex=r"^(train|test)\.(?:h5|npz)$")
    npz = tuple(Field(f.name, f.description, f.dtype, f.shape, unit=f.unit, key=f.name) for f in (
        Field("diffraction", "sqrt(counts) of each pattern (axes frame, detector y, x)", "float32", ("m", n_px, n_px),
              unit="sqrt(photons) (amplitude)"),
        Field("diff3d", "the same amplitudes under PtychoPINN's raw-NPZ name", "float32", ("m", n_px, n_px),
              unit="sqrt(photons) (amplitude)"),
        Field("Y", "the ground-truth object patch at each position", "complex64", ("m", n_px, n_px), unit=TRANSMISSION),
        Field("objectGuess", "the complex object", "complex64", obj, unit=TRANSMISSION),
        Field("probeGuess", "the complex probe", "complex64", (n_px, n_px), unit="unitless"),
        Field("xcoords", "x of each patch centre", "float64", ("m",), unit=CENTRE),
        Field("ycoords", "y of each patch centre", "float64", ("m",), unit=CENTRE),
        Field("xcoords_start", "x of each patch centre (PtychoPINN's start coordinates)", "float64", ("m",), unit=CENTRE),
        Field("ycoords_start", "y of each patch centre (PtychoPINN's start coordinates)", "float64", ("m",), unit=CENTRE),
        Field("scan_index", "PtychoPINN's scan index (0: one scan)", "int64", ("m",)),
        Field("pattern_index", "the pattern's row in canonical.h5", "int64", ("m",), unit=ROW),
        Field("_metadata", "JSON text: dose, nphotons, photon_scale, probe_photons, split", "str", ()),
    ))
    views = tuple(
        Field(f"{split}_{part}", f"{split} split: {what}", dtype, shape, unit=unit, key=f"/{split}/{part}")
        for split in SPLITS for v in [f"v_{split}"] for part, what, dtype, shape, unit in (
            ("centres", "the kept groups' centres (y, x)", "float64", (v, 2), "object pixels"),
            ("group_index", "the kept groups' rows in groups.h5", "int64", (v,), ROW),
            ("groups", "the kept groups' members, rows of the split file", "int64", (v, c), ROW),
            ("split_group", "the kept groups' rows in /groups of the split file", "int64", (v,), ROW),
        )
    )
    return [
        RecordSet(f"{name}/simulate", f"dose {dose}: the detector-native scan (n patterns of N x N, frame axis last)",
                  (f"{d}/simulate/raw.h5",), "hdf5", (
                      Field("counts", "Poisson photon counts (axes detector y, x, frame)", "uint32", (n_px, n_px, n),
                            unit="photons", key="/counts"),
                      Field("intensity_expected", "the noise-free expected counts", "float32", (n_px, n_px, n),
                            unit="photons (expected, noise-free)", key="/intensity_expected"),
                      Field("object", "the complex object (axes y, x)", "complex64", obj, unit=TRANSMISSION, key="/object"),
                      Field("probe", "the complex probe", "complex64", (n_px, n_px),
                            unit="unitless (photons: photon_scale x N^2 x sum |probe|^2)", key="/probe"),
                      Field("positions", "scan positions (y, x)", "float64", (n, 2), unit=CENTRE, key="/positions"),
                  )),
        RecordSet(f"{name}/canonical", f"dose {dose}: the canonical contract (frames first, amplitudes)",
                  (f"{d}/canonical/canonical.h5",), "hdf5", (
                      Field("diffraction", "sqrt(counts) of each pattern (axes frame, detector y, x)", "float32",
                            (n, n_px, n_px), unit="sqrt(photons) (amplitude)", key="/diffraction"),
                      *guesses,
                      Field("scan_index", "the pattern's row in raw.h5", "int64", (n,), unit=ROW, key="/scan_index"),
                      *_coords(n, "pattern"),
                  )),
        RecordSet(f"{name}/patch", f"dose {dose}: K-nearest-neighbour groups of C = gridsize^2 positions",
                  (f"{d}/patch/groups.h5",), "hdf5", (
                      Field("group_centres", "each group's centre (y, x)", "float64", (n, 2), unit="object pixels",
                            key="/group_centres"),
                      Field("groups", "each group: its anchor, then C-1 seeded picks of its neighbours", "int64", (n, c),
                            unit="row index into canonical.h5", key="/groups"),
                      Field("neighbours", "the K nearest positions, the position itself first", "int64", (n, k),
                            unit="row index into canonical.h5", key="/neighbours"),
                      *_coords(n, "position"),
                  )),
        RecordSet(f"{name}/split", f"dose {dose}: a spatial half along y (m patterns, g groups whose members all lie in it)",
                  tuple(f"{d}/split/{s}.h5" for s in SPLITS), "hdf5", (
                      split_of,
                      Field("Y", "the ground-truth object patch at each position", "complex64", ("m", n_px, n_px),
                            unit=TRANSMISSION, key="/Y"),
                      Field("diffraction", "sqrt(counts) of each pattern", "float32", ("m", n_px, n_px),
                            unit="sqrt(photons) (amplitude)", key="/diffraction"),
                      Field("group_index", "each group's row in groups.h5", "int64", ("g",), unit=ROW, key="/group_index"),
                      Field("groups", "each group's members, rows of this file", "int64", ("g", c), unit=ROW, key="/groups"),
                      *guesses,
                      Field("scan_index", "the pattern's row in canonical.h5 and raw.h5", "int64", ("m",), unit=ROW,
                            key="/scan_index"),
                      *_coords("m", "pattern"),
                  )),
        RecordSet(f"{name}/split_npz", f"dose {dose}: each half as PtychoPINN's NPZ (RawData.from_file, load_data)",
                  tuple(f"{d}/split/{s}.npz" for s in SPLITS), "npz", (split_of, *npz)),
        RecordSet(f"{name}/views", f"dose {dose}: groups of each split whose centres keep a minimum spacing (v_train, v_test groups)",
                  tuple(f"{d}/views/{v}.h5" for v in VIEWS), "hdf5", (
                      Field("view", "dense or sparse (from the file name)", "str", key="filename", regex=r"^(dense|sparse)\.h5$"),
                      *views,
                  )),
        RecordSet(f"{name}/validate", f"dose {dose}: the dose's validation metrics", (f"{d}/validate/metrics.json",), "json", (
            Field("dose", "the dose", "int64", unit="photons per pattern (mean over the scan)", key="$.dose"),
            Field("mean_total", "mean total counts per pattern", "float64", unit="photons", key="$.photons.mean_total"),
            Field("thresholds_met", "every threshold held", "bool", key="$.thresholds_met"),
        )),
    ]


def records(section: Mapping[str, Any], read: Callable[[str], Any]) -> Records:
    """ptycho's record sets: every stage's files for every dose."""
    del read  # nothing beyond the params
    doses = [int(d) for d in section["doses"]]
    sets: list[RecordSet] = []
    for dose in doses:
        sets += _dose_sets(dose, section)
    n_px, obj, n = sizes(section)
    return Records(
        record_sets=tuple(sets),
        license=("CC0-1.0",),
        title=f"synthbank ptycho {VERSION}: a simulated ptychography dose sweep",
        description=(
            f"A simulated ptychography scan of one complex object ({' x '.join(str(s) for s in obj)} pixels) by an apodised "
            f"{n_px} x {n_px} disc probe at {n} positions, with Poisson counts at {len(doses)} doses "
            f"({', '.join(f'{d:,}' for d in doses)} mean photons per pattern); per dose the detector-native counts, the "
            "canonical amplitudes, K-nearest-neighbour groups, a train/test split into spatial halves and dense/sparse views, "
            "in HDF5 and PtychoPINN's NPZ."
        ),
        keywords=("synthetic data", "ptychography", "phase retrieval", "coherent diffraction imaging", "photon noise", "HDF5"),
        intended_use=(
            "Training and testing ptychographic reconstruction and phase-retrieval models (PtychoPINN-style) across photon "
            "doses, with the ground-truth object, probe and patches known."
        ),
        limitations=(
            "Idealised forward model: far-field diffraction of a thin object, a known probe, no partial coherence, detector "
            "gaps, background, position errors beyond the raster jitter, or multiple scattering. The object is a smooth random "
            "field, not a real sample."
        ),
        collection="Synthetic: object, probe and scan from the root seed and the params (or a base NPZ named by "
        "ptycho.base_npz), photon counts drawn per dose (docs/families/ptycho.md).",
        counts={f"{s} patterns (dose {d})": f"dose_{d}.patterns.{s}" for d in doses for s in SPLITS},
        item_metrics=tuple(f"dose_{d}" for d in doses),
    )
