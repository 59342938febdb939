"""``energy``: an atlas of physics-style energy density maps (docs/families/energy.md), with its loader.

Five domains of perturbed sequences of non-negative maps, stored in The Well's HDF5 format
with multiscale pyramids and gradients; validated for energy conservation and entropy.

VERSION follows the rule in :class:`synthbank.family.Family`.
"""

VERSION = "4.0.0"

RELEASE_NOTES = {
    "4.0.0": (
        "A layout The Well's own loaders read as they are (WellDataset, WellDataModule, to_xarray; "
        "issue 15). Each domain's output holds one Well dataset per scale, synthbank_energy_<domain>_<h>/ "
        "(the prefix keeps names like active_matter apart from the Well's datasets), with "
        "data/{train,valid,test}/ holding a seeded split by sequence (energy.split, 3/1/1 of the default 5 "
        "sequences) and a stats.yaml (mean, std, rms and their deltas, from the train split as the Well "
        "computes them). Constant scalars are 0-d datasets (shape (1,) broke the Well's to_xarray); "
        "/dimensions/time carries time_varying; n_steps is at least 2. 'synthbank energy check' takes "
        "dataset directories and refuses what the Well refuses: several resolutions in one directory, a "
        "missing stats.yaml or split, empty splits, (1,) constant scalars, fewer than 2 steps. The maps "
        "themselves do not change; the loader, catalog (split and dataset per file) and metrics follow."
        " HDF5 files are written for HDF5 1.8 readers and later (libver earliest..v108: superblock 0, v1 "
        "B-tree chunk indexes; docs/hdf5.md), so their container bytes change too."
    ),
    "3.0.0": (
        "Portable numerics: vortex, laminar and turbulent patterns, rotation shears, the blur's heat "
        "kernel and the entropies from synthbank.numerics (the vortex maps were numpy's float64 exp, "
        "which has its own AVX-512 code: fluid_dynamics and active_matter differed between AVX-512 and "
        "AVX2 hosts); normal draws with portable tails. Every domain's maps change in their last digits, "
        "and the catalog with them."
    ),
    "2.0.0": "Rotation is three periodic shears (exact quarter/half turns): it conserves energy to rounding "
    "without renormalising and never lowers the entropy. Resampling along rotated axes on the periodic grid "
    "read some cells twice and others never (up to +/-40% of a vortex map's energy, hidden by renormalising) "
    "and lowered the entropy of 1 in ~22 blur steps. Maps of steps that rotate change. Noise still lowers the "
    "entropy of near-uniform maps, by design and without a threshold (see validate.py). Vortex maps are "
    "evaluated separably and entropies as log S - sum E log E / S and pyramids zoomed map by map (last-digit changes; 1.6x and 3x faster).",
    "1.0.0": "First release: turbulent, laminar, vortex and random base patterns; rotation, noise, "
    "thermal blur, translation and scaling; five domains in The Well's HDF5 format with pyramids "
    "(256/128/64) and gradients; metrics, catalog, manifest and EnergyAtlasLoader.",
}

# The family contract (synthbank.family): what the core needs to run this family.
from pathlib import Path  # noqa: E402

from synthbank.family import Family, Option  # noqa: E402
from synthbank.thresholds import Rule  # noqa: E402

FAMILY = Family(
    name="energy",
    version=VERSION,
    release_notes=RELEASE_NOTES,
    summary="energy density map sequences in The Well's HDF5 format with pyramids, one output per domain",
    config="synthbank.families.energy.build:DomainConfig",
    items="domains",
    item_flag="--domain",
    item_verbs=("generate",),
    output="data/energy/{item}",
    data="data/energy",  # validate and finalize read every domain's folder below it
    stream_id=6,
    parallel=("generate", "validate"),
    omit={"generate": ("progress",), "finalize": ("metrics", "report_dir", "reports_manifest")},
    cli="synthbank.families.energy.cli",
    hooks=("estimate", "generate", "validate", "finalize"),  # functions of hooks.py
    records="synthbank.families.energy.records:records",  # what its files hold (synthbank describe)
    options={
        "finalize": (
            Option("--catalog", "Catalog JSON to write (every map file, sha256, energy statistics); listed in the manifest.",
                   kind="path", default=Path("data/catalogs/catalog.json")),
        ),
    },
    # metrics/energy.json nests each domain's metrics under "domains".
    rules=(
        Rule("domains.*.format_problems", "equals", bound=0, note="The Well's HDF5 format"),
        Rule("domains.*.negative_cells", "equals", bound=0),
        Rule("domains.*.nonfinite_cells", "equals", bound=0),
        Rule("domains.*.conservation_error_max.*", "below", key="conservation_tolerance"),
        Rule("domains.*.pyramid_conservation_error_max", "below", key="pyramid_tolerance"),
        Rule("domains.*.entropy_rise_fraction.blur", "min", key="blur_entropy_rise_fraction_min",
             note="blur is doubly stochastic: the entropy cannot fall"),
        Rule("domains.*.entropy_rise_fraction.blur_steps", "min", key="step_entropy_rise_fraction_min"),
    ),
)
