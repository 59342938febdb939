"""Static imports are immutable: the same bytes under another description are refused too."""

import numpy as np
import pytest
import yaml

from synthbank.errors import UsageError
from synthbank.families.signals.static import SPEC_NAME, import_static


@pytest.fixture
def imported(tmp_path):
    rec = tmp_path / "rec.float32"
    np.random.default_rng(1).standard_normal((320, 8)).astype("<f4").tofile(rec)
    out = tmp_path / "static" / "rec"
    spec, created = import_static(rec, out, "rec", "float32", 8, 160.0, 42, "2026-11-22")
    assert created and spec["format"]["channels"] == 8 and spec["recordings"][0]["samples_per_channel"] == 320
    return rec, out


def test_the_same_bytes_and_description_again_is_a_no_op(imported, tmp_path):
    rec, out = imported
    before = (out / SPEC_NAME).read_bytes()
    renamed = tmp_path / "copy_of_rec.float32"  # the source's own file name may differ
    renamed.write_bytes(rec.read_bytes())
    spec, created = import_static(renamed, out, "rec", "float32", 8, 160.0, 42, "2026-11-22")
    assert not created and spec == yaml.safe_load(before) and (out / SPEC_NAME).read_bytes() == before


@pytest.mark.parametrize(("channels", "rate", "words"), [
    (4, 160.0, "channels=8 (now 4)"),  # 320 x 8 samples read as 640 x 4: same bytes, another dataset
    (8, 250.0, "sample_rate_hz=160 (now 250)"),
])
def test_the_same_bytes_described_differently_are_refused(imported, channels, rate, words):
    rec, out = imported
    before = sorted((p.relative_to(out), p.read_bytes()) for p in out.rglob("*") if p.is_file())
    with pytest.raises(UsageError, match="static datasets are immutable") as info:
        import_static(rec, out, "rec", "float32", channels, rate, 42, "2026-11-22")
    assert words in str(info.value) and "content" not in str(info.value)
    assert sorted((p.relative_to(out), p.read_bytes()) for p in out.rglob("*") if p.is_file()) == before


def test_different_bytes_are_refused(imported):
    rec, out = imported
    rec.write_bytes(rec.read_bytes()[:-4] + b"\0\0\0\0")
    with pytest.raises(UsageError, match=r"exists with different content: static datasets are immutable"):
        import_static(rec, out, "rec", "float32", 8, 160.0, 42, "2026-11-22")
