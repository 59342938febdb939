import copy
from pathlib import Path

import pytest
import yaml

from synthbank import params
from synthbank.errors import UsageError

REPO = Path(__file__).resolve().parents[1]
BASE = yaml.safe_load((REPO / "params.yaml").read_text())


def test_repository_params_are_valid_and_frozen():
    p = params.load(REPO / "params.yaml")
    assert p.seed == 42 and p.release_date == BASE["release"]["date"]
    atomic = p.family("atomic")
    assert atomic["num_images"] == BASE["atomic"]["num_images"]
    with pytest.raises(TypeError):
        atomic["num_images"] = 1  # read-only
    assert params.thaw(atomic) == BASE["atomic"]


def _mutated(path, value):
    d = copy.deepcopy(BASE)
    node = d
    for key in path[:-1]:
        node = node[key]
    if value is KeyError:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return d


@pytest.mark.parametrize(
    "path, value, expected",
    [
        (("atomic", "num_images"), 0, "atomic.num_images=0 is invalid: allowed >= 1"),
        (("atomic", "num_images"), -5, "atomic.num_images=-5 is invalid: allowed >= 1"),
        (("atomic", "num_images"), "abc", 'atomic.num_images="abc" is invalid: allowed a value of type integer'),
        (("atomic", "bogus"), 1, "unknown key atomic.bogus: allowed keys there are"),
        (("bogus",), 1, "unknown key bogus"),
        (("seed",), -1, "seed=-1 is invalid: allowed >= 0"),
        (("seed",), 1.5, "seed=1.5 is invalid: allowed a value of type integer"),
        (("release", "date"), "yesterday", 'release.date="yesterday" is invalid'),
        (("atomic", "lattice", "spacing_px"), [6, 3], "atomic.lattice.spacing_px=[6, 3] is invalid: allowed [low, high] with low <= high"),
        (("atomic", "lattice", "vacancy_rate"), 1.0, "atomic.lattice.vacancy_rate=1.0 is invalid: allowed < 1"),
        (("atomic", "lattice", "noise_std"), KeyError, "'noise_std' is missing under atomic.lattice"),
        (("atomic", "splits", "train"), 0.5, "sum to 0.7: allowed fractions that sum to 1"),
    ],
)
def test_bad_values_give_one_line_naming_key_value_and_rule(path, value, expected):
    with pytest.raises(UsageError) as info:
        params.validate(_mutated(path, value))
    message = str(info.value)
    assert expected in message
    assert "\n" not in message


def test_missing_and_malformed_files(tmp_path):
    with pytest.raises(UsageError, match="does not exist"):
        params.load(tmp_path / "nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("seed: [1,\n  release: {\n")
    with pytest.raises(UsageError, match=r"is malformed at line \d+"):
        params.load(bad)
    scalar = tmp_path / "scalar.yaml"
    scalar.write_text("42\n")
    with pytest.raises(UsageError, match="YAML mapping"):
        params.load(scalar)


def test_missing_family_section_is_named():
    d = copy.deepcopy(BASE)
    del d["atomic"]
    with pytest.raises(UsageError, match="has no 'atomic' section"):
        params.validate(d).family("atomic")


def test_only_schema_ranges_must_be_ordered():
    """A two-item list that is not a `range` (the ptycho doses) may come in any order."""
    assert params.validate(_mutated(("ptycho", "doses"), [10000, 1000])).family("ptycho")["doses"] == (10000, 1000)
    with pytest.raises(UsageError, match=r"^params.yaml: atomic.lattice.spacing_px=\[6.0, 3.5\] is invalid: allowed \[low, high\]"):
        params.validate(_mutated(("atomic", "lattice", "spacing_px"), [6.0, 3.5]))


def test_every_family_ships_a_params_schema_section():
    from synthbank.families import AVAILABLE

    schema = params.params_schema()
    assert sorted(f for f in AVAILABLE if f in schema["properties"]) == sorted(AVAILABLE)
    assert sorted(k for k in BASE if k not in ("seed", "release")) == sorted(AVAILABLE)
