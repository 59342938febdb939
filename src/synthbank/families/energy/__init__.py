"""``energy``: an atlas of physics-style energy density maps (seed 004), with its loader.

Five domains of perturbed sequences of non-negative maps, stored in The Well's HDF5 format
with multiscale pyramids and gradients; validated for energy conservation and entropy.

Versioning follows TensorFlow Datasets: MAJOR when bytes of existing items change,
MINOR when items or fields are added, PATCH when bytes are unchanged.
"""

VERSION = "3.0.0"

RELEASE_NOTES = {
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
