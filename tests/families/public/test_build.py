"""The conversion: expected pixels, no DICOM header bytes, licences, determinism, refusals."""

from __future__ import annotations

import copy
import gzip
import io
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from conftest import tree_bytes
from PIL import Image

from synthbank.errors import UsageError
from synthbank.families.public import DEMOS
from synthbank.families.public.build import SPDX_LICENSE_TAG, PublicConfig, build
from synthbank.families.public.convert import decode_rgb, window_to_uint8
from synthbank.families.public.dicom import read_pixels
from synthbank.families.public.nifti import read_nifti
from synthbank.io.dicom import parse_dicom
from synthbank.phi.png import png_text_chunks

MAIN = Path(__file__).resolve().parents[3]
SOURCES = MAIN / "sources" / "public"
LICENSES = MAIN / "LICENSES"
EXPECTED_FILES = {
    "mri_brain_demo": ["LICENSE.txt", "mri_brain_demo_001.nii.gz", "mri_brain_demo_001_axial.png",
                       "mri_brain_demo_001_coronal.png", "mri_brain_demo_001_sagittal.png", "provenance.json"],
    "retina_example": ["LICENSE.txt", "provenance.json", "retina_example_001.png"],
    "xray_chest_demo": ["LICENSE.txt", "provenance.json", "xray_chest_demo_001.nii.gz", "xray_chest_demo_001.png"],
}


def png(path: Path) -> np.ndarray:
    with Image.open(path) as im:
        assert set(im.info) <= {"dpi"} and not getattr(im, "text", {})  # no text chunks
        return np.asarray(im)


def test_layout(built: Path) -> None:
    data = built / "data" / "public"
    assert (data / ".synthbank-output.json").is_file()
    assert {d.name: sorted(p.name for p in d.iterdir()) for d in data.iterdir() if d.is_dir()} == EXPECTED_FILES


def test_xray_pixels(built: Path, section: dict) -> None:
    px = read_pixels((SOURCES / "xray_chest_demo/CT_small.dcm").read_bytes())
    folder = built / "data/public/xray_chest_demo"
    nii = read_nifti((folder / "xray_chest_demo_001.nii.gz").read_bytes())
    np.testing.assert_array_equal(nii.data.T, px.array)               # stored values, x = column
    assert (nii.scl_slope, nii.scl_inter) == (1.0, -1024.0)          # -> Hounsfield units
    assert nii.pixdim == pytest.approx((0.661468, 0.661468, 5.0))        # pixdim[3]: SliceThickness
    assert (nii.sform_code, nii.qform_code) == (1, 1)                   # test_geometry.py: the affine
    hu = px.array.astype(float) - 1024
    np.testing.assert_array_equal(png(folder / "xray_chest_demo_001.png"), window_to_uint8(hu, *section["xray_chest_demo"]["window_hu"]))


def test_retina_pixels(built: Path) -> None:
    expected = decode_rgb((SOURCES / "retina_example/retina.jpg").read_bytes())
    assert expected.shape == (1411, 1411, 3)
    np.testing.assert_array_equal(png(built / "data/public/retina_example/retina_example_001.png"), expected)


def test_mri_pixels_and_slices(built: Path) -> None:
    source = read_nifti((SOURCES / "mri_brain_demo/mni_icbm152_t1_tal_nlin_sym_09a_converted.nii.gz").read_bytes())
    folder = built / "data/public/mri_brain_demo"
    out = read_nifti((folder / "mri_brain_demo_001.nii.gz").read_bytes())
    np.testing.assert_array_equal(out.data, source.data)
    assert out.srow == source.srow and out.sform_code == source.sform_code and out.pixdim == source.pixdim
    assert out.text == {"db_name": "", "descrip": "", "aux_file": "", "intent_name": ""}
    v = source.data
    assert v.min() == 0 and v.max() == 255  # so the PNG slices are the voxels themselves
    np.testing.assert_array_equal(png(folder / "mri_brain_demo_001_axial.png"), v[:, ::-1, 94].T)
    np.testing.assert_array_equal(png(folder / "mri_brain_demo_001_coronal.png"), v[:, 116, ::-1].T)
    np.testing.assert_array_equal(png(folder / "mri_brain_demo_001_sagittal.png"), v[98, :, ::-1].T)


#: Byte strings of the CT source's header that must never reach an output.
HEADER_BYTES = [b"DICM", b"CompressedSamples", b"JFK IMAGING", b"1CT1", b"1.3.6.1.4.1.5962", b"GEMS_", b"1.2.840.10008"]


#: Text value representations of DICOM (the header values a reader could copy as text).
TEXT_VRS = {"AE", "AS", "CS", "DA", "DS", "DT", "IS", "LO", "LT", "PN", "SH", "ST", "TM", "UC", "UI", "UR", "UT"}
#: Header elements whose values are carried over on purpose (pixel geometry and rescale).
CARRIED = {0x00280030, 0x00281052, 0x00281053, 0x00200032, 0x00200037, 0x00180050, 0x00180088}


def test_no_dicom_header_value_in_any_output(built: Path) -> None:
    """Every text value of the CT header (4+ characters) is absent from every output's bytes."""
    source = (SOURCES / "xray_chest_demo/CT_small.dcm").read_bytes()
    values = {e.value.strip(b"\x00 ") for e in parse_dicom(source).elements if e.vr in TEXT_VRS and e.tag not in CARRIED}
    values = {v for v in values if len(v) >= 4}
    # the probes are real: the header's identifiers are among them
    assert {b"CompressedSamples^CT1", b"1CT1", b"ABCD1234", b"JFK IMAGING CENTER", b"20040119"} <= values
    assert len(values) > 50 and all(b in source for b in HEADER_BYTES)
    outputs = sorted(p for p in (built / "data").rglob("*") if p.is_file())
    assert len(outputs) == 14  # 13 files and the output marker
    for path in outputs:
        data = path.read_bytes()
        if path.name.endswith(".gz"):
            data = gzip.decompress(data)
        if path.suffix == ".png":
            assert list(png_text_chunks(data)) == [], path
        leaked = sorted(v for v in values | set(HEADER_BYTES) if v in data)
        assert leaked == [], (path, leaked)


def test_licence_and_provenance_per_demo(built: Path) -> None:
    spdx = {"xray_chest_demo": "MIT", "retina_example": "CC0-1.0", "mri_brain_demo": "LicenseRef-MNI-ICBM152"}
    for demo, ident in spdx.items():
        folder = built / "data/public" / demo
        text = (folder / "LICENSE.txt").read_text("utf-8")
        assert f"{SPDX_LICENSE_TAG} {ident}\n" in text
        assert (LICENSES / f"{ident}.txt").read_text("utf-8").strip() in text
        record = json.loads((folder / "provenance.json").read_text("utf-8"))
        source = json.loads((SOURCES / demo / "provenance.json").read_text("utf-8"))
        assert record["spdx_license_identifier"] == ident == source["spdx_license_identifier"]
        assert record["source"]["sha256"] == source["sha256"] and record["source"]["package"] == source["package"]
        assert record["attribution"] in text


def test_same_bytes_on_rebuild(built: Path, section: dict, tmp_path: Path) -> None:
    out = tmp_path / "again"
    build(PublicConfig.from_params(0, "2026-11-22", section), SOURCES, LICENSES, out)
    assert tree_bytes(out) == tree_bytes(built / "data/public")


def test_params_change_the_bytes_they_should(section: dict, tmp_path: Path) -> None:
    changed = copy.deepcopy(section)
    changed["demos"] = ["xray_chest_demo"]
    changed["xray_chest_demo"]["window_hu"] = [-1000, 1000]
    out = tmp_path / "narrow"
    build(PublicConfig.from_params(0, "2026-11-22", changed), SOURCES, LICENSES, out)
    assert sorted(p.name for p in out.iterdir()) == [".synthbank-output.json", "xray_chest_demo"]
    img = png(out / "xray_chest_demo/xray_chest_demo_001.png")
    px = read_pixels((SOURCES / "xray_chest_demo/CT_small.dcm").read_bytes())
    np.testing.assert_array_equal(img, window_to_uint8(px.array - 1024.0, -1000, 1000))


@pytest.mark.parametrize(("key", "value", "message"), [
    ("demos", ["brain"], "demos"),
    ("demos", [], "demos"),
    ("window_hu", [300, 100], "window_hu"),
])
def test_bad_params_are_refused(section: dict, key: str, value, message: str) -> None:
    bad = copy.deepcopy(section)
    if key == "window_hu":
        bad["xray_chest_demo"]["window_hu"] = value
    else:
        bad[key] = value
    with pytest.raises(ValueError, match=message):
        PublicConfig.from_params(0, "2026-11-22", bad)


def test_tampered_source_is_refused_and_nothing_written(section: dict, tmp_path: Path) -> None:
    sources = tmp_path / "sources"
    shutil.copytree(SOURCES, sources)
    target = sources / "retina_example/retina.jpg"
    target.write_bytes(target.read_bytes()[:-1] + b"\x00")
    out = tmp_path / "out"
    with pytest.raises(UsageError, match="sha256"):
        build(PublicConfig.from_params(0, "2026-11-22", section), sources, LICENSES, out)
    assert not out.exists()


def test_missing_licence_text_is_refused(section: dict, tmp_path: Path) -> None:
    licenses = tmp_path / "LICENSES"
    shutil.copytree(LICENSES, licenses)
    (licenses / "MIT.txt").unlink()
    with pytest.raises(UsageError, match="MIT.txt"):
        build(PublicConfig.from_params(0, "2026-11-22", section), SOURCES, licenses, tmp_path / "out")


def test_source_bytes_are_the_source_folders() -> None:
    from synthbank.families.public.build import SOURCE_BYTES

    measured = {demo: sum(f.stat().st_size for f in (SOURCES / demo).rglob("*") if f.is_file()) for demo in DEMOS}
    assert measured == SOURCE_BYTES


def test_every_demo_is_built_by_default(section: dict) -> None:
    assert tuple(section["demos"]) == DEMOS


def test_png_decodes_without_pillow_metadata(built: Path) -> None:
    data = (built / "data/public/retina_example/retina_example_001.png").read_bytes()
    with Image.open(io.BytesIO(data)) as im:
        assert im.mode == "RGB" and im.size == (1411, 1411)
