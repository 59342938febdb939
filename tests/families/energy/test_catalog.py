"""The catalog lists every map file with its sha256 and statistics, and its schema bites."""

import copy
import hashlib
import json

import h5py
import numpy as np
import pytest

from synthbank.families.energy.catalog import build_catalog, schema_problems, write_catalog

DOMAINS = ["active_matter", "astrophysics", "fluid_dynamics", "plasma_physics", "turbulent_radiative_layer"]


@pytest.fixture(scope="module")
def catalog(atlas):
    return build_catalog(atlas.parent, atlas, DOMAINS, 42, "2026-11-22")


def test_every_file_and_map_is_listed_with_true_checksums_and_statistics(atlas, catalog, where):
    assert schema_problems(catalog) == []
    paths = sorted(p.relative_to(atlas.parent).as_posix() for p in atlas.rglob("*.h5"))
    assert [f["path"] for f in catalog["files"]] == paths
    for entry in catalog["files"]:
        assert entry["sha256"] == hashlib.sha256((atlas.parent / entry["path"]).read_bytes()).hexdigest()
    assert catalog["stats"]["total_maps"] == len(catalog["maps"]) == 5 * 18
    [m] = [x for x in catalog["maps"] if x["domain"] == "fluid_dynamics" and x["map_id"] == "s001_t02"]
    path, row = where(atlas, "fluid_dynamics", 128, 1)
    with h5py.File(path) as f:
        e = f["t0_fields/energy"][row, 2].astype(np.float64)
        assert m["split"] == f.attrs["split"] and m["path"] == path.relative_to(atlas.parent).as_posix()
    assert m["energy_total"] == pytest.approx(e.sum(), rel=1e-6)
    assert m["energy_variance"] == pytest.approx(e.var(), rel=1e-6)
    agg = catalog["domains"]["fluid_dynamics"]
    assert agg["pattern"] == "vortex" and agg["n_files"] == 6 and agg["scales"] == [128, 64] and agg["n_maps"] == 18
    assert [(x["sequence"], x["step"]) for x in catalog["maps"] if x["domain"] == "fluid_dynamics"] == [
        (s, t) for s in range(3) for t in range(6)]
    entries = [f for f in catalog["files"] if f["domain"] == "fluid_dynamics" and f["scale"] == 128]
    assert sorted(f["split"] for f in entries) == ["test", "train", "valid"]
    assert sorted(s for f in entries for s in f["sequences"]) == [0, 1, 2]
    assert {f["dataset"] for f in entries} == {"synthbank_energy_fluid_dynamics_128"}


def test_catalog_is_deterministic_and_written_canonically(atlas, catalog, tmp_path):
    write_catalog(catalog, tmp_path / "a.json")
    write_catalog(build_catalog(atlas.parent, atlas, DOMAINS, 42, "2026-11-22"), tmp_path / "b.json")
    assert (tmp_path / "a.json").read_bytes() == (tmp_path / "b.json").read_bytes()
    text = (tmp_path / "a.json").read_text()
    assert str(atlas.parent) not in text and json.loads(text)["release_date"] == "2026-11-22"


@pytest.mark.parametrize("mutate, where", [
    (lambda c: c["files"][0].update(sha256="xyz"), "files/0/sha256"),
    (lambda c: c["files"][0].pop("energy"), "files/0"),
    (lambda c: c["maps"][0].update(energy_total=-1.0), "maps/0/energy_total"),
    (lambda c: c["domains"]["astrophysics"].update(pattern="spiral"), "domains/astrophysics/pattern"),
    (lambda c: c.update(family="atomic"), "family"),
])
def test_schema_rejects_a_broken_catalog_naming_the_json_path(catalog, tmp_path, mutate, where):
    bad = copy.deepcopy(catalog)
    mutate(bad)
    problems = schema_problems(bad)
    assert any(p.startswith(where + ":") for p in problems), problems
    with pytest.raises(ValueError, match="refusing to write an invalid catalog"):
        write_catalog(bad, tmp_path / "bad.json")
    assert not (tmp_path / "bad.json").exists()


def test_schemacheck_judges_mutated_catalogs_as_jsonschema_does(catalog):
    import jsonschema
    from test_schemacheck import assert_agrees, mutations

    from synthbank import jsonio, schemacheck
    from synthbank.families.energy.catalog import SCHEMA
    from synthbank.params import load_schema

    schema = load_schema(SCHEMA)
    small = jsonio.canonical({**catalog, "files": catalog["files"][:2], "maps": catalog["maps"][:2]})
    small["domains"] = {k: small["domains"][k] for k in list(small["domains"])[:1]}
    valid, invalid = assert_agrees(lambda doc: schemacheck.is_valid(schema, doc),
                                   jsonschema.Draft202012Validator(schema).is_valid, mutations(small, per_path=4))
    assert valid > 10 and invalid > 100
