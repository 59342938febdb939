"""``signals``: versioned generators of multichannel neural signals (docs/families/signals.md).

A *generator dataset* is ``(generator version, parameters) -> bytes``: the generator code
under ``v1/``, ``v2/`` or ``v3/`` never changes its bytes once released (tests pin the
checksums of each version's outputs), and new signal types or algorithms go into a new
version. ``v3`` is ``v2`` on portable numerics (the same bytes on every CPU). A *static dataset*
is an existing ``.float32`` recording imported with ``synthbank signals import``.

VERSION follows the rule in :class:`synthbank.family.Family`; the generator versions
``v1``/``v2``/``v3`` are separate and frozen.
"""

VERSION = "3.0.0"

RELEASE_NOTES = {
    "3.0.0": (
        "Every dataset directory is a CORTEX dataset: a spec.yaml in CORTEX's format (dataset name, description, "
        "type generated, licence; format.type float32, channels, sample_rate_hz, endian little, layout interleaved; "
        "recordings[0] with path/file signal.float32, duration, samples per channel, units, sha256 checksum), "
        "written by generate and pregenerate and listed in generation_manifest.yaml and the family manifest. "
        "Without it CORTEX refused the directory, and read the bare .float32 as 64 channels. "
        "synthbank signals import writes the same format (type static) instead of its own flat spec.yaml, so an "
        "import made by 2.x is refused as different: import it again into a new directory. Validation adds "
        "cortex_spec_valid. The generators' sample bytes are unchanged (v1, v2, v3)."
        " HDF5 files are written for HDF5 1.8 readers and later (libver earliest..v108: superblock 0, v1 "
        "B-tree chunk indexes; docs/hdf5.md), so their container bytes change too."
    ),
    "2.0.0": (
        "Generator v3: v2's types and parameters on synthbank.numerics (sincos, 1/sqrt(k) pink weights, "
        "normal draws whose ziggurat tail is redrawn portably), so its bytes are the same on every CPU; "
        "the default datasets move to v3 (their bytes change: sine and chirp only where a float32 "
        "rounding moved, white noise at the tail draws, pink noise through the spectra holding one). "
        "v1 and v2 are unchanged. The chirp's instantaneous-frequency metric is computed in float64; "
        "manifests record the numerics and scipy versions."
    ),
    "1.0.0": "First release: generator v1 (sine_wave, pink_noise) and v2 (adds white_noise, "
    "chirp, dc_offset_uv, nan_rate); HDF5 + interleaved .float32 + generation_manifest.yaml "
    "per dataset; static import; per-dataset validation with PSD curves.",
}

# The family contract (synthbank.family): what the core needs to run this family.
from synthbank.family import Family  # noqa: E402
from synthbank.thresholds import Rule  # noqa: E402

#: Rules of every dataset; those of one signal type only are optional (their metric is absent otherwise).
RULES = (
    Rule("rms_rel_error", "max", key="rms_rel_error_max"),
    Rule("dc_offset_rel_error", "max", key="dc_offset_rel_error_max",
         note="the bound is the larger of the threshold and 5 standard errors of the mean"),
    Rule("nan_rate_z", "max", key="nan_rate_z_max", note="binomial standard errors from the requested nan_rate"),
    Rule("float32_matches_hdf5", "equals", bound=True, note="signal.float32 must hold the samples of signal.h5"),
    Rule("cortex_spec_valid", "equals", bound=True,
         note="spec.yaml must describe signal.float32 as CORTEX reads it (channels, rate, float32 interleaved little-endian)"),
    Rule("spectral_flatness", "min", key="spectral_flatness_min", optional=True),
    Rule("peak_freq_error_hz", "max", key="peak_freq_error_hz_max", optional=True),
    Rule("chirp_if_error_hz", "max", key="chirp_if_error_hz_max", optional=True),
)
#: Rules of the noise types (pink, white) only: sines and chirps are correlated across channels
#: by design and have no expected slope; a noise without a fitted slope (fewer than 2 bins in
#: psd_slope_band_hz) fails.
NOISE_RULES = (
    Rule("psd_slope_error", "max", key="psd_slope_tolerance",
         note="|slope - expected| (-1 pink, 0 white), fitted over psd_slope_band_hz"),
    Rule("corr_z_max", "max", key="corr_z_max", note="channels must be uncorrelated"),
)

FAMILY = Family(
    name="signals",
    version=VERSION,
    release_notes=RELEASE_NOTES,
    summary="versioned multichannel neural signals (HDF5 + interleaved float32), one output per dataset",
    items="datasets",
    item_flag="--dataset",
    item_verbs=("generate", "validate"),
    output="data/signals/{item}",
    data="data/signals/{item}",
    metrics="{reports}/metrics.json",  # beside psd.csv in --report-dir
    reports="reports/signals/{item}",
    parallel=("generate", "validate"),
    stream_id=4,
    cli="synthbank.families.signals.cli",
    hooks=("estimate", "generate", "validate", "finalize"),  # functions of hooks.py
    records="synthbank.families.signals.records:records",  # what its files hold (synthbank describe)
    rules=RULES + NOISE_RULES,
)
