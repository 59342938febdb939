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
        (("seed",), 1.5, "seed=1.5 is invalid: allowed an integer from 0 to 9223372036854775807"),
        (("release", "date"), "yesterday", 'release.date="yesterday" is invalid'),
        (("release", "registry_url"), "/srv/synthbank", 'release.registry_url="/srv/synthbank" is invalid'),
        (("release", "registry_url"), 7, "release.registry_url=7 is invalid"),
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


def test_ranges_and_doses_must_be_ordered():
    """`x-order` in the schema: ranges ascending, strict ranges and the ptycho doses strictly."""
    with pytest.raises(UsageError, match=r"^params.yaml: ptycho.doses=\[10000, 1000\] is invalid: allowed strictly ascending"):
        params.validate(_mutated(("ptycho", "doses"), [10000, 1000]))
    with pytest.raises(UsageError, match=r"^params.yaml: atomic.lattice.spacing_px=\[6.0, 3.5\] is invalid: allowed \[low, high\]"):
        params.validate(_mutated(("atomic", "lattice", "spacing_px"), [6.0, 3.5]))
    # a sampling range may be a point (a constant); a window may not
    assert params.validate(_mutated(("atomic", "lattice", "spacing_px"), [4.0, 4.0])).family("atomic")["lattice"]["spacing_px"] == (4.0, 4.0)
    with pytest.raises(UsageError, match=r"window_hu=\[0, 0\] is invalid: allowed \[low, high\] with low < high"):
        params.validate(_mutated(("public", "xray_chest_demo", "window_hu"), [0, 0]))


def _schema_nodes(node, path=()):
    if isinstance(node, dict):
        yield path, node
        for key, value in node.items():
            yield from _schema_nodes(value, (*path, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _schema_nodes(value, (*path, i))


def test_every_pair_of_numbers_in_the_schema_is_an_ordered_range():
    """Every [low, high]-shaped array of numbers states its order (x-order, via range or strict_range)."""
    schema = params.params_schema()
    unordered = []
    for path, node in _schema_nodes(schema):
        if node.get("minItems") == node.get("maxItems") == 2 and node.get("type") == "array" and "x-order" not in node:
            unordered.append(".".join(map(str, path)))
    # energy.shape is (height, width), not a range
    assert unordered == ["properties.energy.properties.shape"]


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf"), 10**400])
@pytest.mark.parametrize(
    "path",
    [("atomic", "lattice", "noise_std"), ("ptycho", "probe", "defocus_rad"), ("energy", "total_energy"),
     ("chromatic", "thresholds", "roundtrip_error_max"), ("signals", "thresholds", "corr_z_max")],
)
def test_non_finite_numbers_are_refused_everywhere(path, value):
    with pytest.raises(UsageError, match=r"is invalid: allowed a finite number"):
        params.validate(_mutated(path, value))


def test_duplicate_keys_dates_and_encodings(tmp_path):
    text = (REPO / "params.yaml").read_text("utf-8")
    dup = tmp_path / "dup.yaml"
    dup.write_text(text + "\nseed: 7\n", "utf-8")
    with pytest.raises(UsageError, match=r"malformed at line \d+, column 1: duplicate key 'seed' \(first at line \d+\)"):
        params.load(dup)
    nested = tmp_path / "nested.yaml"
    nested.write_text(text.replace("    noise_std: 0.03", "    noise_std: 0.03\n    noise_std: 0.04"), "utf-8")
    with pytest.raises(UsageError, match=r"duplicate key 'noise_std'"):
        params.load(nested)
    unquoted = tmp_path / "date.yaml"
    unquoted.write_text(text.replace('date: "2026-11-22"', "date: 2026-02-30"), "utf-8")
    with pytest.raises(UsageError, match=r'release.date="2026-02-30" is invalid: allowed a real calendar date'):
        params.load(unquoted)
    latin1 = tmp_path / "latin1.yaml"
    latin1.write_bytes(text.encode("utf-8") + "# caf\u00e9\n".encode("latin-1"))
    with pytest.raises(UsageError, match=r"is not UTF-8 text: byte 0xe9 at line \d+"):
        params.load(latin1)
    empty = tmp_path / "empty.yaml"
    empty.write_text("# nothing\n", "utf-8")
    with pytest.raises(UsageError, match=r"is empty"):
        params.load(empty)


def test_every_family_ships_a_params_schema_section():
    from synthbank.registry import names

    AVAILABLE = names()

    schema = params.params_schema()
    assert sorted(f for f in AVAILABLE if f in schema["properties"]) == sorted(AVAILABLE)
    assert sorted(k for k in BASE if k not in ("seed", "release")) == sorted(AVAILABLE)


def test_key_limits_and_check_value_reach_every_key_of_the_schema():
    """Array items, ``$ref``s and user-chosen names (``signals.datasets.<name>``) included."""
    assert params.key_limits("seed") == (0, 2**63 - 1)
    assert params.key_limits("ptycho", "doses", "items") == (1, 10**12)
    assert params.key_limits("signals", "datasets", "any_name", "channels") == (1, 4096)
    assert params.key_limits("signals", "datasets", "any_name", "params", "duration_s") == (0.01, 3600)
    params.check_value(64, "ptycho", "probe", "size_px")
    with pytest.raises(ValueError, match=r"^ptycho\.probe\.size_px=63 is invalid: allowed a multiple of 2$"):
        params.check_value(63, "ptycho", "probe", "size_px")
    with pytest.raises(ValueError, match=r"^signals\.datasets\.x\.channels=5000 is invalid: allowed <= 4096$"):
        params.check_value(5000, "signals", "datasets", "x", "channels")
    with pytest.raises(ValueError, match=r"^dose=0 is invalid: allowed >= 1$"):  # a caller's own name for the value
        params.check_value(0, "ptycho", "doses", "items", name="dose")
    with pytest.raises(ValueError, match=r"^probe\.edge_px=-1 is invalid: allowed >= 0$"):
        params.check_value({"size_px": 64, "radius_px": 14.0, "edge_px": -1, "defocus_rad": 0}, "ptycho", "probe", name="probe")
    with pytest.raises(KeyError, match="nosuch"):
        params.key_limits("ptycho", "nosuch")


@pytest.mark.parametrize("url, expected", [(None, ""), ("https://example.org/synthbank.git", "https://example.org/synthbank.git"),
                                           ("git@example.org:lab/synthbank.git", "git@example.org:lab/synthbank.git")])
def test_registry_url_is_optional(tmp_path, url, expected):
    d = copy.deepcopy(BASE)
    d["release"]["registry_url"] = url
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump(d))
    assert params.load(path).registry_url == expected
    del d["release"]["registry_url"]
    path.write_text(yaml.safe_dump(d))
    assert params.load(path).registry_url == ""
