"""``public``: a few real, openly licensed medical example images (seed 000's public examples).

Three demos, converted from raw files kept in ``sources/public/`` (extracted once from
packages by ``scripts/extract_public_sources.py``): ``xray_chest_demo`` (a thoracic X-ray
CT slice, pydicom, MIT), ``retina_example`` (a fundus photograph, scikit-image, CC0-1.0) and
``mri_brain_demo`` (the MNI ICBM152 2009a T1 template, nilearn, McGill notice). Only
pixels are carried over; every output directory holds its LICENSE.txt and SPDX tag.

Versioning follows TensorFlow Datasets: MAJOR when bytes of existing items change,
MINOR when items or fields are added, PATCH when bytes are unchanged.
"""

VERSION = "1.0.0"

RELEASE_NOTES = {
    "1.0.0": "First release: xray_chest_demo (PNG + NIfTI in HU), retina_example (PNG), "
    "mri_brain_demo (NIfTI + mid-plane PNG slices), licences, provenance, no-PHI validation.",
}

#: Every demo this version can build, in output order.
DEMOS = ("mri_brain_demo", "retina_example", "xray_chest_demo")
