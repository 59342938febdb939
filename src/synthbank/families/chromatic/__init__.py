"""``chromatic``: synthetic chromatic (RGB) tensors, their masks and their spectral pairs.

VERSION follows the rule in :class:`synthbank.family.Family`.
"""

from synthbank.family import HDF5_1_8_NOTE, SHARD_BLOCKS, Family, Option
from synthbank.thresholds import Rule

VERSION = "3.0.0"

RELEASE_NOTES = {
    "3.0.0": HDF5_1_8_NOTE,
    "2.0.0": (
        "Portable numerics: the noise's ziggurat-tail draws (|z| >= 3.654, about 1 in 3,700, stored from "
        "libm log1pf) are redrawn with synthbank.numerics, and the bridge kernel's Gaussians use "
        "numerics.exp before rounding to 1e-6. Pixels that held a tail draw change (and so every file's "
        "bytes); the kernel is unchanged."
    ),
    "1.0.0": "First release: Voronoi-cell chromatic tensors (colours uniform in HSL, Latin-hypercube "
    "spread per sample, Gaussian noise), uint8 region masks, spectral pairs by the Gaussian bridge "
    "kernel, one HDF5 file per sample and kind, PNG previews, per-sample manifest entries with "
    "paired_with and content CRC-64, validation metrics (roundtrip, colour balance, FFT kernel "
    "energy, manifest, reseed stability, no PHI).",
}

# The family contract (synthbank.family): what the core needs to run this family.
FAMILY = Family(
    name="chromatic",
    version=VERSION,
    release_notes=RELEASE_NOTES,
    summary="RGB Voronoi-cell tensors, their masks and spectral pairs, one HDF5 file per sample and kind",
    config="synthbank.families.chromatic.build:ChromaticConfig",
    output="datasets/{today}-chromatic",  # a standalone dataset; the pipeline passes data/chromatic
    reported=("{reports}/spectral_profile.csv", "{metrics}"),  # reports/chromatic/previews is generate's
    manifest="{output}/manifest.json",
    parallel=("generate", "validate"),
    extra_outputs=("preview_dir",),
    stream_id=2,
    hooks=("estimate", "generate", "validate"),  # functions of hooks.py
    records="synthbank.families.chromatic.records:records",  # what its files hold (synthbank describe)
    options={
        "generate": (
            Option("--num-samples", "Number of samples, a positive integer (default: chromatic.num_samples in params).",
                   kind="int", key="num_samples", metavar="N"),
            Option("--preview-dir", "Directory of the PNG previews (default: OUTPUT_DIR/previews).", kind="path"),
            Option("--shard-blocks", "Blocks (of 4 samples) per worker task (>= 1). Output bytes do not depend on it.",
                   kind="int", bounds=SHARD_BLOCKS, default=1, metavar="K"),
        ),
        "validate": (
            Option("--manifest", "The dataset's manifest (default: manifests/chromatic.json).", kind="path",
                   default="manifests/chromatic.json"),
            Option("--reseed-samples", "Samples regenerated to check reseed stability (>= 1).", kind="int",
                   limits_of="num_samples", default=2, metavar="K"),  # at most every sample
        ),
    },
    rules=(
        Rule("roundtrip_error", "max", key="roundtrip_error_max", note="chromatic -> spectral -> chromatic"),
        Rule("color_balance_drift", "max", key="color_balance_drift_max"),
        Rule("fft_energy_balance_db", "max", key="fft_energy_balance_db_max"),
        Rule("phi_findings", "max", key="phi_findings_max"),
        Rule("manifest_valid", "equals", bound=True),
        Rule("reseed_stability", "equals", bound=True),
    ),
)
