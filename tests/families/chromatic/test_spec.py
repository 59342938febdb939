"""The chromatic parameters: refusals name the params key and its value; bounds and defaults are the schema's."""

import dataclasses

import numpy as np
import pytest

from synthbank import params
from synthbank.families.chromatic.spec import KEYS, ChromaticParams, validate_params

from families.chromatic.helpers import SECTION

P = ChromaticParams.default(height=96, width=96, cells_per_side=12)


@pytest.mark.parametrize(
    "change, message",
    [
        ({"noise_level": -0.1}, "noise_level=-0.1 is invalid: allowed >= 0"),
        ({"cells_per_side": 17}, "regions.cells_per_side=17 is invalid: allowed <= 16"),
        ({"jitter": 0.9}, "regions.jitter=0.9 is invalid: allowed <= 0.65"),
        ({"hue": (0.5, 0.2)}, "color_distribution.hue=[0.5, 0.2] is invalid: allowed [low, high] with low <= high"),
        ({"sampling": "sobol"}, 'color_distribution.sampling="sobol" is invalid: allowed one of'),
        ({"wavelengths_nm": (700.0, 400.0)},
         "spectral_profile.wavelengths_nm=[700.0, 400.0] is invalid: allowed [low, high] with low < high"),
        ({"bands": 1}, "spectral_profile.bands=1 is invalid: allowed >= 2"),
        ({"widths_nm": (35.0, 0.0, 30.0)}, "spectral_profile.widths_nm.1=0.0 is invalid: allowed > 0"),
        ({"height": 4}, "shape.0=4 is invalid: allowed >= 8"),
        ({"width": 5000}, "shape.1=5000 is invalid: allowed <= 4096"),
        ({"amplitudes": (6.0, 6.0, 4.0)}, "spectral_profile.amplitudes.1=6.0 is invalid: allowed <= 5"),
        ({"height": 96.0}, "shape.0=96.0 is invalid: allowed an int"),
        ({"centres_nm": (610.0, float("nan"), 465.0)}, "spectral_profile.centres_nm.1=NaN is invalid: allowed a finite number"),
        # rules between keys, stated in code
        ({"cells_per_side": 13, "height": 12}, "regions.cells_per_side=13 is invalid: allowed at most min(height, width) = 12"),
    ],
)
def test_bad_parameters_are_refused_with_key_value_and_rule(change, message):
    with pytest.raises(ValueError) as info:
        validate_params(dataclasses.replace(P, **change))
    assert message in str(info.value) and "\n" not in str(info.value)


def test_the_bounds_are_the_schema_s():
    """A value is refused exactly where params.yaml's schema refuses it (one source of bounds)."""
    for value, ok in ((0.65, True), (0.6500001, False), (0, True), (-1e-9, False)):
        if ok:
            validate_params(dataclasses.replace(P, jitter=value))
        else:
            with pytest.raises(ValueError, match=r"^regions\.jitter="):
                validate_params(dataclasses.replace(P, jitter=value))
    low, high = params.key_limits("chromatic", "spectral_profile", "bands")
    validate_params(dataclasses.replace(P, bands=low))
    validate_params(dataclasses.replace(P, bands=high))
    validate_params(dataclasses.replace(P, bands=np.int64(31), hue=np.array([0.2, 0.3])))  # numpy values too
    for bad in (low - 1, high + 1):
        with pytest.raises(ValueError, match=rf"^spectral_profile\.bands={bad} is invalid"):
            validate_params(dataclasses.replace(P, bands=bad))


def test_defaults_are_the_schema_s():
    schema = params.params_schema()["properties"]["chromatic"]
    d = ChromaticParams.default()
    for name, keys in KEYS.items():
        node = schema
        for key in keys:
            node = node["properties"][key]
        value = getattr(d, name)
        assert (list(value) if isinstance(value, tuple) else value) == node["default"], name
    assert [d.height, d.width, 3] == schema["properties"]["shape"]["default"]
    assert ChromaticParams.default(bands=8).bands == 8
    validate_params(d)


def test_from_section_checks_the_params_values():
    """A section built in Python meets the schema's bounds (an integral float such as 96.0 converts, as from YAML)."""
    section = {**SECTION, "shape": [96.0, 96, 3]}
    assert ChromaticParams.from_section(section).height == 96
    with pytest.raises(ValueError, match=r"^shape\.0=96\.5 is invalid: allowed an integer from 8 to 4096$"):
        ChromaticParams.from_section({**SECTION, "shape": [96.5, 96, 3]})
    with pytest.raises(ValueError, match=r"^shape\.2=4 is invalid: allowed exactly 3$"):
        ChromaticParams.from_section({**SECTION, "shape": [96, 96, 4]})
    with pytest.raises(ValueError, match=r"^regions\.cells_per_side=12 is invalid: allowed at most min\(height, width\) = 8"):
        ChromaticParams.from_section({**SECTION, "shape": [8, 64, 3]})
