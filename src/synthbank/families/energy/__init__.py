"""``energy``: an atlas of physics-style energy density maps (seed 004), with its loader.

Five domains of perturbed sequences of non-negative maps, stored in The Well's HDF5 format
with multiscale pyramids and gradients; validated for energy conservation and entropy.

Versioning follows TensorFlow Datasets: MAJOR when bytes of existing items change,
MINOR when items or fields are added, PATCH when bytes are unchanged.
"""

VERSION = "1.0.0"

RELEASE_NOTES = {
    "1.0.0": "First release: turbulent, laminar, vortex and random base patterns; rotation, noise, "
    "thermal blur, translation and scaling; five domains in The Well's HDF5 format with pyramids "
    "(256/128/64) and gradients; metrics, catalog, manifest and EnergyAtlasLoader.",
}
