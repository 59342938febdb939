"""``public``: a few real, openly licensed medical example images (the public examples of its
source document, docs/families/public.md).

Three demos, converted from raw files kept in ``sources/public/`` (extracted once from
packages by ``scripts/extract_public_sources.py``): ``xray_chest_demo`` (a thoracic X-ray
CT slice, pydicom, MIT), ``retina_example`` (a fundus photograph, scikit-image, CC0-1.0) and
``mri_brain_demo`` (the MNI ICBM152 2009a T1 template, nilearn, McGill notice). Only
pixels are carried over; every output directory holds its LICENSE.txt and SPDX tag.

VERSION follows the rule in :class:`synthbank.family.Family`.
"""

VERSION = "2.0.0"

RELEASE_NOTES = {
    "2.0.0": "xray_chest_demo_001.nii.gz is placed where the DICOM puts it: sform and qform (code 1, scanner) "
    "of one RAS affine from ImagePositionPatient, ImageOrientationPatient and PixelSpacing (LPS to RAS: x and y "
    "negated), pixdim[3] = SliceThickness (5 mm), xyzt_units mm; before, both codes were 0 and pixdim[3] 0, so "
    "viewers used a default affine and nibabel's header diagnostics complained. Its provenance record states the "
    "geometry. A slice without position or orientation (a bare projection radiograph) keeps codes 0 with pixdim "
    "from PixelSpacing or ImagerPixelSpacing. Other files unchanged.",
    "1.0.0": "First release: xray_chest_demo (PNG + NIfTI in HU), retina_example (PNG), "
    "mri_brain_demo (NIfTI + mid-plane PNG slices), licences, provenance, no-PHI validation.",
}

#: Every demo this version can build, in output order.
DEMOS = ("mri_brain_demo", "retina_example", "xray_chest_demo")

# The family contract (synthbank.family): what the core needs to run this family.
from synthbank.family import Family, Option  # noqa: E402
from synthbank.thresholds import Rule  # noqa: E402

FAMILY = Family(
    name="public",
    version=VERSION,
    release_notes=RELEASE_NOTES,
    summary="real, openly licensed medical example images as PNG and NIfTI, with licences and provenance",
    config="synthbank.families.public.build:PublicConfig",
    reported=("{metrics}",),  # no report of its own
    manifest="manifests/{family}.json",
    stream_id=3,
    parallel=("generate", "validate"),
    omit={"generate": ("progress",), "validate": ("report_dir",)},
    hooks=("estimate", "generate", "validate"),  # functions of hooks.py
    records="synthbank.families.public.records:records",  # what its files hold (synthbank describe)
    options={
        "generate": (
            Option("--sources", "The raw source files and their provenance.json records (default: sources/public).",
                   kind="path", default="sources/public"),
            Option("--licenses", "Directory of SPDX licence texts, <id>.txt (default: LICENSES).", kind="path",
                   default="LICENSES"),
        ),
        "validate": (
            Option("--manifest", "The dataset's manifest (default: manifests/public.json).", kind="path",
                   default="manifests/public.json"),
        ),
    },
    rules=(
        Rule("phi_findings", "max", key="phi_findings_max"),
        Rule("checksums_verified", "equals", bound=True),
        Rule("demos_complete", "equals", bound=True),
        Rule("licenses_present", "equals", bound=True),
        Rule("pixels_verified", "equals", bound=True),
        Rule("images.*.std", "min", key="image_std_min", note="pixel std, 0..255 scale: no blank image"),
    ),
)
