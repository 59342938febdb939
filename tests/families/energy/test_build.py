"""Build: byte-deterministic Well files that describe themselves; params are validated."""

import copy
import json

import h5py
import pytest

from synthbank import params
from synthbank.errors import UsageError
from synthbank.families.energy import VERSION
from synthbank.families.energy.build import DomainConfig, build


def test_same_params_give_the_same_bytes_and_files_describe_themselves(tmp_path, make_section):
    section = make_section(n_sequences=2, n_steps=3)
    cfg = DomainConfig.from_params(42, "2026-11-22", section, "active_matter")
    a = build(cfg, tmp_path / "a" / "active_matter")
    b = build(cfg, tmp_path / "b" / "active_matter")
    # 2 sequences: train and valid get one each, test none (docs/families/energy.md), so no test directory.
    assert [p.relative_to(tmp_path / "a").as_posix() for p in a] == [
        f"active_matter/synthbank_energy_active_matter_{h}/{rest}" for h in (128, 64) for rest in (
            f"data/train/synthbank_energy_active_matter_{h}_train.h5", f"data/valid/synthbank_energy_active_matter_{h}_valid.h5",
            "stats.yaml")]
    assert sorted(p for p in (tmp_path / "a").rglob("*") if p.is_file() and p.name != ".synthbank-output.json") == sorted(a)
    assert all(x.read_bytes() == y.read_bytes() for x, y in zip(a, b, strict=True))
    with h5py.File(a[0]) as f:
        assert f.attrs["family"] == "energy" and f.attrs["generator_version"] == VERSION and f.attrs["seed"] == 42
        assert json.loads(f.attrs["params"])["domains"]["active_matter"]["pattern"] == "vortex"
        assert "thresholds" not in json.loads(f.attrs["params"])
        assert f["t0_fields/energy"].attrs["units"].startswith("energy units")
        assert f["t0_fields/energy"].chunks == (1, 1, 128, 128)
    other = build(DomainConfig.from_params(43, "2026-11-22", section, "active_matter"), tmp_path / "c" / "active_matter")
    assert other[0].read_bytes() != a[0].read_bytes()


@pytest.mark.parametrize("key, value, message", [
    ("shape", [100, 64], "energy.shape.0=100 is invalid: allowed one of"),
    ("n_steps", 1, "energy.n_steps=1 is invalid: allowed >= 2"),
    ("split", {"valid": 0.5, "test": 0.1}, "energy.split.valid=0.5 is invalid: allowed <= 0.45"),
    ("split", {"valid": 0.1}, "is missing under energy.split"),
    ("probability", {"rotation": 0.3}, "is missing under energy.probability"),
    ("total_energy", -1.0, "energy.total_energy=-1.0 is invalid: allowed > 0"),
])
def test_bad_params_are_one_line_naming_the_key(raw_params, key, value, message):
    data = copy.deepcopy(raw_params())
    data["energy"][key] = value
    with pytest.raises(UsageError, match=message.replace("[", "\\[").replace(".", "\\.")):
        params.validate(data)


def test_inconsistent_scales_and_unknown_domain_are_refused(make_section):
    small_section = make_section
    with pytest.raises(ValueError, match="scales=\\[256, 128\\] is invalid"):
        DomainConfig.from_params(42, "2026-11-22", small_section(scales=[256, 128]), "active_matter")
    with pytest.raises(ValueError, match="domain='weather' is unknown"):
        DomainConfig.from_params(42, "2026-11-22", small_section(), "weather")
