"""Validation: metrics of a good dataset, and each check failing on data made to violate it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from PIL.PngImagePlugin import PngInfo

from synthbank import jsonio
from synthbank.errors import UsageError
from synthbank.families.public.validate import validate


def run_validation(root: Path, thresholds: dict) -> tuple[list[str], dict]:
    metrics = root / "metrics" / "public.json"
    failures = validate(root / "data/public", root / "manifests/public.json", metrics, thresholds)
    return failures, json.loads(metrics.read_text("utf-8"))


def test_good_dataset_passes(built_copy: Path, section: dict) -> None:
    failures, m = run_validation(built_copy, section["thresholds"])
    assert failures == []
    assert m["thresholds_met"] is True and m["phi_findings"] == 0
    assert m["checksums_verified"] and m["licenses_present"] and m["pixels_verified"] and m["demos_complete"]
    assert m["counts"] == {"demos": 3, "files": 14, "png": 5, "nifti": 2, "bytes": m["counts"]["bytes"]}
    assert set(m["images"]) == {"mri_brain_demo/mri_brain_demo_001_axial.png", "mri_brain_demo/mri_brain_demo_001_coronal.png",
                                "mri_brain_demo/mri_brain_demo_001_sagittal.png", "retina_example/retina_example_001.png",
                                "xray_chest_demo/xray_chest_demo_001.png"}
    assert m["images"]["retina_example/retina_example_001.png"]["channels"] == 3
    assert all(s["std"] > 20 for s in m["images"].values())


def _plant_json(root: Path) -> None:
    path = root / "data/public/retina_example/provenance.json"
    record = json.loads(path.read_text("utf-8"))
    record["contact"] = "a.b@example.org"
    path.write_text(jsonio.dumps(record))


def _plant_png_text(root: Path) -> None:
    path = root / "data/public/xray_chest_demo/xray_chest_demo_001.png"
    with Image.open(path) as im:
        pixels = np.asarray(im)
    info = PngInfo()
    info.add_text("PatientName", "Doe^Jane")
    Image.fromarray(pixels).save(path, pnginfo=info)  # same pixels, one text chunk more


def _break_licence(root: Path) -> None:
    path = root / "data/public/retina_example/LICENSE.txt"
    path.write_text("\n".join(l for l in path.read_text("utf-8").splitlines() if "License-Identifier" not in l))


def _change_pixels(root: Path) -> None:
    path = root / "data/public/mri_brain_demo/mri_brain_demo_001_axial.png"
    with Image.open(path) as im:
        pixels = np.asarray(im).copy()
    pixels[0, 0] ^= 1
    Image.fromarray(pixels).save(path)


def _replace_retina_consistently(root: Path) -> None:
    """Other pixels with their provenance record updated: only the source reference can tell."""
    from synthbank.families.public.convert import array_sha256
    from synthbank.io.png import encode_png

    folder = root / "data/public/retina_example"
    with Image.open(folder / "retina_example_001.png") as im:
        pixels = np.asarray(im).copy()
    pixels[0, 0, 0] ^= 1
    (folder / "retina_example_001.png").write_bytes(encode_png(pixels))
    record = json.loads((folder / "provenance.json").read_text("utf-8"))
    record["files"]["retina_example_001.png"]["pixel_sha256"] = array_sha256(pixels)
    (folder / "provenance.json").write_text(jsonio.dumps(record))


def _drop_demo(root: Path) -> None:
    shutil.rmtree(root / "data/public/retina_example")


# (tamper, rewrite manifest afterwards?, metric that must fail)
CASES = {
    "phi_in_png_text": (_plant_png_text, True, ("phi_findings", 1)),
    "phi_in_provenance_json": (_plant_json, True, ("phi_findings", 1)),
    "checksum_mismatch": (lambda r: (r / "data/public/xray_chest_demo/LICENSE.txt").open("a").write("\n"), False, ("checksums_verified", False)),
    "extra_file": (lambda r: (r / "data/public/xray_chest_demo/notes.txt").write_text("clean\n"), False, ("checksums_verified", False)),
    "licence_without_spdx": (_break_licence, True, ("licenses_present", False)),
    "pixels_changed": (_change_pixels, True, ("pixels_verified", False)),
    "pixels_differ_from_source": (_replace_retina_consistently, True, ("pixels_verified", False)),
    "demo_missing": (_drop_demo, True, ("demos_complete", False)),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_each_check_fails_on_data_made_to_violate_it(built_copy: Path, section: dict, rewrite_manifest, case: str) -> None:
    tamper, remanifest, (metric, bad_value) = CASES[case]
    tamper(built_copy)
    if remanifest:  # a consistent manifest, so that only the targeted check can fail
        rewrite_manifest(built_copy)
    failures, m = run_validation(built_copy, section["thresholds"])
    assert failures, case
    assert m["thresholds_met"] is False
    if metric == "phi_findings":
        assert m[metric] >= bad_value
    else:
        assert m[metric] is bad_value
    others = {"checksums_verified", "licenses_present", "pixels_verified", "demos_complete"} - {metric}
    assert all(m[k] for k in others), {k: m[k] for k in others}
    if metric != "phi_findings":
        assert m["phi_findings"] == 0
    if case == "pixels_differ_from_source":
        assert any("source's reference pixels" in f for f in failures), failures


def test_blank_image_threshold(built_copy: Path, section: dict) -> None:
    path = built_copy / "data/public/xray_chest_demo/xray_chest_demo_001.png"
    with Image.open(path) as im:
        std = float(np.asarray(im).std())
    failures, m = run_validation(built_copy, {**section["thresholds"], "image_std_min": std + 1})
    assert any(f.startswith("images.xray_chest_demo/xray_chest_demo_001.png.std = ") for f in failures), failures
    assert m["thresholds_met"] is False


def test_phi_threshold_is_the_limit(built_copy: Path, section: dict, rewrite_manifest) -> None:
    _plant_png_text(built_copy)
    rewrite_manifest(built_copy)
    failures, m = run_validation(built_copy, {**section["thresholds"], "phi_findings_max": 5})
    assert m["phi_findings"] >= 1 and failures == []


GOOD = {"phi_findings": 0, "checksums_verified": True, "demos_complete": True, "licenses_present": True,
        "pixels_verified": True, "images": {"a/a_001.png": {"std": 40.0}, "b/b_001.png": {"std": 30.0}}}


@pytest.mark.parametrize(("metric", "change", "message"), [
    ("phi_findings", {"phi_findings": 1}, "phi_findings = 1: allowed <= 0 (thresholds.phi_findings_max)"),
    ("checksums_verified", {"checksums_verified": False}, "checksums_verified = false: allowed true"),
    ("demos_complete", {"demos_complete": False}, "demos_complete = false: allowed true"),
    ("licenses_present", {"licenses_present": False}, "licenses_present = false: allowed true"),
    ("pixels_verified", {"pixels_verified": False}, "pixels_verified = false: allowed true"),
    ("image std", {"images": {"a/a_001.png": {"std": 40.0}, "b/b_001.png": {"std": 2.5}}},
     "images.b/b_001.png.std = 2.5: allowed >= 5 (thresholds.image_std_min)"),
])
def test_each_rule_gives_one_message_naming_metric_value_and_bound(metric: str, change: dict, message: str) -> None:
    from synthbank.families.public import FAMILY
    from synthbank.thresholds import check

    bounds = {"phi_findings_max": 0, "image_std_min": 5.0}
    assert check(GOOD, FAMILY.rules, bounds) == []
    lines = check(GOOD | change, FAMILY.rules, bounds)
    assert len(lines) == 1 and lines[0].startswith(message), lines


def test_missing_data_is_a_usage_error(tmp_path: Path, section: dict) -> None:
    with pytest.raises(UsageError, match="generate public"):
        validate(tmp_path / "nope", tmp_path / "m.json", tmp_path / "metrics.json", section["thresholds"])
