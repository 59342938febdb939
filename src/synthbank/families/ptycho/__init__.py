"""``ptycho``: a simulated ptychography dose sweep (docs/families/ptycho.md, issue 5).

Per dose: simulate (detector-native counts) -> canonicalise (DATA-001 contract) ->
patch (K-nearest-neighbour groups) -> split (spatial halves along y) -> views (dense and
sparse groups by minimum centre spacing) -> validate. A final stage aggregates the
per-dose metrics into ``metrics/ptycho.json`` and writes ``manifests/ptycho.json``.

VERSION follows the rule in :class:`synthbank.family.Family`.
"""

VERSION = "4.0.0"

RELEASE_NOTES = {
    "4.0.0": (
        "Photon counts from synthbank.numerics.discrete.poisson instead of numpy's Generator.poisson: the same exact "
        "Poisson law (no approximation), drawn for a whole noise block at once (a table-guided inversion "
        "below 16 expected photons, Hormann's PTRS above, portable exp/log only), from the same per-block "
        "streams, so a block's counts still do not depend on the workers. The counts of every dose change "
        "(simulate/raw.h5 counts and every later stage's files); the expected intensities, object, probe "
        "and positions keep their bytes, and so do the validation's thresholds. 'synthbank generate ptycho "
        "--dose D' now runs simulate, canonicalise, patch, split and views in one process (one DVC stage per "
        "dose instead of five; each step is still a command of its own)."
    ),
    "3.0.0": (
        "Physics: one photon scale per dose instead of one per pattern. The scale makes the mean expected "
        "total over the scan equal the dose (PtychoPINN's scale_nphotons rule), so each pattern's total now "
        "follows the object's transmission under the probe; before, every pattern was scaled to the dose and "
        "the object's absorption was removed from the data. raw.h5, canonical.h5 and the split files record "
        "photon_scale and probe_photons; validate recomputes each pattern's expected total with its own "
        "float64 forward model and checks the stored totals, the recorded scale and the spread of the observed "
        "totals (new metrics spread_z, photon_scale_rel_error, threshold spread_z_max). Export: each split's "
        "NPZ also carries PtychoPINN's raw-NPZ keys (diff3d = sqrt(counts), xcoords_start, ycoords_start, "
        "scan_index = 0, pattern_index, _metadata JSON with nphotons), read as they are by RawData.from_file "
        "and load_data. New params key ptycho.base_npz (and --base-npz): object, probe and positions from a "
        "PtychoPINN-style NPZ below sources/ptycho/, its sha256 in raw.h5 and the manifest. Every dose's "
        "files change."
        " HDF5 files are written for HDF5 1.8 readers and later (libver earliest..v108: superblock 0, v1 "
        "B-tree chunk indexes; docs/hdf5.md), so their container bytes change too."
        " The NPZ _metadata JSON keeps photon_scale and probe_photons at full precision (shortest float repr, "
        "not rounded to 1e-6), equal to raw.h5's attributes. A base NPZ that is not a zip file, or whose object "
        "transmits nothing under the probe at the scan positions, is refused up front (exit 2)."
    ),
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
from synthbank.family import Family, Option  # noqa: E402
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
    output="data/{family}/dose_{item}/simulate",  # generate writes it, then the later steps beside it
    siblings=("canonical", "patch", "split", "views"),
    data="data/{family}/dose_{item}",  # finalize reads data/ptycho, every dose below it
    metrics="{data}/validate/metrics.json",  # finalize nests them in metrics/ptycho.json
    stream_id=5,
    parallel=("generate", "validate"),
    omit={"generate": ("progress",), "validate": ("metrics", "report_dir", "reports_manifest"), "finalize": ("report_dir",)},
    cli="synthbank.families.ptycho.cli",  # the stages after simulate, and the whole sweep in one process
    hooks=("estimate", "generate", "validate", "finalize"),  # functions of hooks.py
    records="synthbank.families.ptycho.records:records",  # what its files hold (synthbank describe)
    options={
        "generate": (
            Option("--base-npz", "A PtychoPINN-style NPZ below sources/ptycho/ (objectGuess, probeGuess, optional "
                   "xcoords/ycoords): its object, probe and positions replace the synthetic ones (ptycho.base_npz).",
                   kind="path", key="base_npz", metavar="NPZ"),
        ),
    },
    rules=(
        Rule("photons.mean_total_z", "abs_max", key="count_z_max", note="standard errors sqrt(dose / n) from the dose"),
        Rule("photons.dispersion_z", "abs_max", key="dispersion_z_max", note="standard errors from Poisson's 1"),
        Rule("photons.expected_total_rel_error", "max", key="expected_total_rel_error_max",
             note="stored noise-free totals vs the forward model of object x probe at one scale, relative"),
        Rule("photons.photon_scale_rel_error", "max", key="expected_total_rel_error_max",
             note="recorded photon scale vs dose / mean forward-model total, relative"),
        Rule("photons.spread_z", "abs_max", key="spread_z_max",
             note="variance of pattern totals vs the object's predicted variance plus Poisson's"),
        Rule("views.*.groups", "min", key="view_groups_min"),
    ),
)
