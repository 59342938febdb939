"""``signals``: versioned generators of multichannel neural signals (seed 002).

A *generator dataset* is ``(generator version, parameters) -> bytes``: the generator code
under ``v1/``, ``v2/`` or ``v3/`` never changes its bytes once released (tests pin the
checksums of each version's outputs), and new signal types or algorithms go into a new
version. ``v3`` is ``v2`` on portable numerics (the same bytes on every CPU). A *static dataset*
is an existing ``.float32`` recording imported with ``synthbank signals import``.

Versioning of the family package follows TensorFlow Datasets: MAJOR when bytes of
existing items change, MINOR when items or fields are added, PATCH when bytes are
unchanged. The generator versions ``v1``/``v2``/``v3`` are separate and frozen.
"""

VERSION = "2.0.0"

RELEASE_NOTES = {
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
