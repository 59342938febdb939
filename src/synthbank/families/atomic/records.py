"""What atomic's files hold (:mod:`synthbank.recordsets`), for ``synthbank describe``.

Pure data from the params section: no I/O, no numpy. The image side (16) is
:data:`synthbank.families.atomic.lattice.GRID_SIZE`, a constant of the generator version;
the items per split are drawn by the seed (``n``), their counts are in the metrics.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from synthbank.families.atomic import VERSION
from synthbank.recordsets import Field, Records, RecordSet

GRID = 16  #: lattice.GRID_SIZE of this VERSION (the suite checks the files' shapes)
SPLITS = ("train", "val", "test")
CLASSES = "0 square, 1 rectangular, 2 centred_rectangular, 3 hexagonal, 4 oblique"


def records(section: Mapping[str, Any], read: Callable[[str], Any]) -> Records:
    """atomic's record sets: one HDF5 file per split (or its shards), the same in NPZ, metadata.json, the label counts."""
    del read  # nothing beyond the params
    image = Field("images", "the lattice image patches; axes image, y, x", "uint8", ("n", GRID, GRID),
                  unit="intensity, 0-255 = full scale", key="/images")
    label = Field("labels", f"the lattice class of each image ({CLASSES})", "uint8", ("n",), unit="class index", key="/labels")
    sharded = int(section.get("shard_images", 0)) > 0
    split_of = Field("split", "the split the file holds (from its name)", "str", key="filename",
                     regex=r"^(train|val|test)(?:-\d{5}-of-\d{5})?\.h5$" if sharded else r"^(train|val|test)\.h5$")
    hdf5 = RecordSet(
        "splits", "one split's images, labels and global item indices (n = the split's items)"
        + (" in shards of atomic.shard_images items" if sharded else ""),
        ("data/atomic/*-of-*.h5",) if sharded else tuple(f"data/atomic/{s}.h5" for s in SPLITS), "hdf5",
        (split_of, image, label,
         Field("index", "the item's global index (block x 5000 + position in the block): its random stream", "uint64",
               ("n",), key="/index")),
    )
    sets = [hdf5]
    if not sharded:  # the sharded layout writes no npz (a second full copy)
        sets.append(RecordSet(
            "splits_npz", "the same images and labels as each split's HDF5 file, for numpy.load (no pickles)",
            tuple(f"data/atomic/{s}.npz" for s in SPLITS), "npz",
            (Field("split", "the split the file holds (from its name)", "str", key="filename", regex=r"^(train|val|test)\.npz$"),
             Field("images", image.description, "uint8", ("n", GRID, GRID), unit=image.unit, key="images"),
             Field("labels", label.description, "uint8", ("n",), unit="class index", key="labels")),
        ))
    sets.append(RecordSet(
        "metadata", "the dataset's description: counts per split, generation params, file format",
        ("data/atomic/metadata.json",), "json",
        tuple(Field(f"{s}_count", f"images in {s}", "int64", unit="images", key=f"$.dataset_info.{s}_count") for s in SPLITS)
        + (Field("total_count", "images in all splits", "int64", unit="images", key="$.dataset_info.total_count"),
           Field("grid_size", "image side", "int64", unit="pixels", key="$.generation_params.grid_size")),
    ))
    sets.append(RecordSet(
        "label_distribution", "images per class over all splits (validation report)", ("reports/atomic/label_distribution.csv",),
        "csv", (Field("class", "the lattice class", "str", key="class"), Field("count", "its images", "int64", unit="images", key="count")),
    ))
    fractions = ", ".join(f"{s} {float(section['splits'][s]):g}" for s in SPLITS)
    return Records(
        record_sets=tuple(sets),
        license=("CC0-1.0",),
        title=f"synthbank atomic {VERSION}: simulated atomic-resolution lattice image patches",
        description=(
            f"{int(section['num_images']):,} grey-level {GRID} x {GRID} patches of simulated atomic-resolution micrographs: atom "
            "columns as Gaussians on one of the five two-dimensional Bravais lattices (square, rectangular, centred "
            "rectangular, hexagonal, oblique), each image with its own spacing, column width, orientation, origin, "
            "contrast, background, vacancies and noise; the label is the lattice class. Split into train, val and test "
            f"({fractions} of the items, by a seeded permutation per block of 5,000)."
        ),
        keywords=("synthetic data", "image classification", "microscopy", "crystal lattice", "Bravais lattice", "HDF5"),
        intended_use=(
            "Pipeline tests and scaling experiments of small image classifiers: a large, cheap, balanced and learnable "
            "labelled corpus (a simple baseline classifier is checked to beat chance), regenerated bit for bit from params.yaml."
        ),
        limitations=(
            "Simulated images, not microscope data: no detector physics, drift, aberrations or real defects beyond random "
            "vacancies; 16 x 16 pixels only; classes are chosen well away from the boundaries between them, so the task is "
            "easier than telling real lattices apart."
        ),
        collection="Synthetic: every image is drawn by the atomic generator from the root seed and the params "
        "(docs/families/atomic.md); labels are the generating class, not annotations.",
        counts={s: f"counts.{s}" for s in SPLITS},
    )
