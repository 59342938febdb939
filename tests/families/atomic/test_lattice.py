"""Tests of the atomic lattice parameters: mappings, schema defaults, round trips."""

from __future__ import annotations

import pytest

from synthbank.families.atomic.lattice import LatticeParams


def test_from_mapping_accepts_lists():
    d = {
        "spacing_px": [3.5, 6.0],
        "width_fraction": [0.16, 0.24],
        "contrast": [0.5, 1.0],
        "background": [0.0, 0.2],
        "vacancy_rate": 0.05,
        "noise_std": 0.03,
    }
    assert LatticeParams.from_mapping(d) == LatticeParams.default()
    assert LatticeParams.default(noise_std=0).noise_std == 0.0
    with pytest.raises(ValueError, match="spacing"):
        LatticeParams.from_mapping({**d, "spacing": [3, 4]})
    with pytest.raises(ValueError, match=r"lattice lacks keys \['noise_std'\]"):
        LatticeParams.from_mapping({k: v for k, v in d.items() if k != "noise_std"})
    with pytest.raises(ValueError, match="lattice.contrast"):
        LatticeParams.from_mapping({**d, "contrast": [0.5]})


def test_defaults_are_the_schema_defaults_and_round_trip():
    from synthbank import params as params_mod

    schema = params_mod.params_schema()["properties"]["atomic"]["properties"]["lattice"]["properties"]
    assert LatticeParams.default().as_mapping() == {k: node["default"] for k, node in schema.items()}
    assert LatticeParams.from_mapping(LatticeParams.default().as_mapping()) == LatticeParams.default()
