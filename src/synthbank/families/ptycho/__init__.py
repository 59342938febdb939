"""``ptycho``: a simulated ptychography dose sweep (docs/families/ptycho.md, issue 5).

Per dose: simulate (detector-native counts) -> canonicalise (DATA-001 contract) ->
patch (K-nearest-neighbour groups) -> split (spatial halves along y) -> views (dense and
sparse groups by minimum centre spacing) -> validate. A final stage aggregates the
per-dose metrics into ``metrics/ptycho.json`` and writes ``manifests/ptycho.json``.

VERSION follows the rule in :class:`synthbank.family.Family`.
"""

VERSION = "2.0.0"

RELEASE_NOTES = {
    "2.0.0": (
        "Portable numerics: object fields, probe and scan jitter from synthbank.numerics (exp, sincos, "
        "ndtr, portable normal tails), and the exit wave's complex product part by part (numpy's "
        "complex64 multiply uses FMA where the CPU has it: every dose's simulate/raw.h5 changed under "
        "NPY_DISABLE_CPU_FEATURES=X86_V3). Every dose's files change; the Poisson statistics do not."
    ),
    "1.0.0": "First release: dose sweep with simulate, canonicalise, patch, split, dense/sparse "
    "views and validation per dose; HDF5 + NPZ exports, aggregated metrics and one manifest.",
}

# The family contract (synthbank.family): what the core needs to run this family.
from synthbank.family import Family  # noqa: E402
from synthbank.thresholds import Rule  # noqa: E402

FAMILY = Family(
    name="ptycho",
    version=VERSION,
    release_notes=RELEASE_NOTES,
    summary="simulated ptychography dose sweep: diffraction, probe, object, groups, train/test split, views",
    config="synthbank.families.ptycho.config:SweepConfig",
    items="doses",
    item_flag="--dose",
    item_verbs=("generate", "validate"),
    output="data/{family}/dose_{item}/simulate",  # generate is the simulate stage
    data="data/{family}/dose_{item}",  # finalize reads data/ptycho, every dose below it
    metrics="{data}/validate/metrics.json",  # finalize nests them in metrics/ptycho.json
    stream_id=5,
    parallel=("generate", "validate"),
    omit={"generate": ("progress",), "validate": ("metrics", "report_dir", "reports_manifest"), "finalize": ("report_dir",)},
    cli="synthbank.families.ptycho.cli",  # the stages after simulate, and the whole sweep in one process
    hooks=("estimate", "generate", "validate", "finalize"),  # functions of hooks.py
    rules=(
        Rule("photons.mean_total_z", "abs_max", key="count_z_max", note="standard errors sqrt(dose / n) from the dose"),
        Rule("photons.dispersion_z", "abs_max", key="dispersion_z_max", note="standard errors from Poisson's 1"),
        Rule("photons.expected_total_rel_error", "max", key="expected_total_rel_error_max",
             note="noise-free totals vs the dose, relative"),
        Rule("views.*.groups", "min", key="view_groups_min"),
    ),
)
