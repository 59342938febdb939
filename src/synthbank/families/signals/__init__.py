"""``signals``: versioned generators of multichannel neural signals (seed 002).

A *generator dataset* is ``(generator version, parameters) -> bytes``: the generator code
under ``v1/`` or ``v2/`` never changes once released (a test pins the checksums of v1
outputs), and new signal types or algorithms go into a new version. A *static dataset*
is an existing ``.float32`` recording imported with ``synthbank signals import``.

Versioning of the family package follows TensorFlow Datasets: MAJOR when bytes of
existing items change, MINOR when items or fields are added, PATCH when bytes are
unchanged. The generator versions ``v1``/``v2`` are separate and frozen.
"""

VERSION = "1.0.0"

RELEASE_NOTES = {
    "1.0.0": "First release: generator v1 (sine_wave, pink_noise) and v2 (adds white_noise, "
    "chirp, dc_offset_uv, nan_rate); HDF5 + interleaved .float32 + generation_manifest.yaml "
    "per dataset; static import; per-dataset validation with PSD curves.",
}
