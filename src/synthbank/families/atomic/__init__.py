"""``atomic``: 16x16 uint8 patches of simulated atomic-resolution lattice micrographs.

VERSION follows the rule in :class:`synthbank.family.Family`.
"""

from synthbank.family import HDF5_1_8_NOTE, SHARD_BLOCKS, Family, Option
from synthbank.thresholds import Rule

VERSION = "3.0.0"

RELEASE_NOTES = {
    "3.0.0": HDF5_1_8_NOTE,
    "2.0.0": (
        "Portable numerics: the same bytes on every x86-64 CPU level, libm and BLAS kernel. Column "
        "profiles come from synthbank.numerics.exp by a two-multiply recurrence in float64 (they were "
        "numpy's float32 exp, whose SIMD code differs per CPU level: train/test images changed under "
        "NPY_DISABLE_CPU_FEATURES=X86_V3); lattice vectors and the centred-rectangular angle use "
        "numerics.sincos/arctan; the noise's rare ziggurat-tail draws (|z| >= 3.654, libm log1p) are "
        "redrawn portably. Every image's bytes change; the distributions do not (the clean images agree "
        "with 1.0.0's to 1.5e-6 of full scale)."
    ),
    "1.0.0": "First release: five Bravais lattice classes, train/val/test HDF5 and npz, "
    "metadata.json, manifest and validation metrics.",
}

# The family contract (synthbank.family): what the core needs to run this family.
FAMILY = Family(
    name="atomic",
    version=VERSION,
    release_notes=RELEASE_NOTES,
    summary="16x16 uint8 lattice images in five Bravais classes, train/val/test",
    config="synthbank.families.atomic.build:AtomicConfig",
    output="datasets/{today}-v1",  # the source document's dated default; the pipeline passes data/atomic
    manifest="{output}/manifest.json",
    parallel=("generate", "validate"),
    stream_id=1,
    hooks=("estimate", "generate", "validate"),  # functions of hooks.py
    records="synthbank.families.atomic.records:records",  # what its files hold (synthbank describe)
    options={
        "generate": (
            Option("--num-images", "Total number of images, a positive integer (default: atomic.num_images in params).",
                   kind="int", key="num_images", metavar="N"),
            Option("--shard-blocks", "Blocks (of 5,000 images) per worker task (>= 1). Output bytes do not depend on it.",
                   kind="int", bounds=SHARD_BLOCKS, default=1, metavar="K"),
        ),
    },
    rules=(
        Rule("labels.chi2_p", "min", key="label_chi2_p_min", note="uniform labels"),
        Rule("duplicate_rate", "max", key="duplicate_rate_max"),
        Rule("pixels.mean", "range", key="pixel_mean_range"),
        Rule("pixels.std", "min", key="pixel_std_min"),
        Rule("baseline.accuracy", "min", key="baseline_accuracy_min", note="chance is 0.2"),
    ),
)
