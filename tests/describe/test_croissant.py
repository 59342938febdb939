"""The Croissant builder on a hand-made family: distribution, FileSets, fields, licences, determinism."""

from __future__ import annotations

import json
import subprocess
import sys

from describe.helpers import make_inputs
from synthbank.describe import croissant


def _by_id(items: list[dict]) -> dict[str, dict]:
    return {item["@id"]: item for item in items}


def test_every_manifest_file_is_a_file_object_relative_to_the_croissant_file() -> None:
    doc = croissant.build(make_inputs())
    files = _by_id([d for d in doc["distribution"] if d["@type"] == "cr:FileObject"])
    assert sorted(files) == ["data/x/a.h5", "data/x/b.h5", "data/x/one.png", "manifests/x.json", "manifests/x.reports.json", "metrics/x.json"]
    a = files["data/x/a.h5"]
    # docs/datasets/x/croissant.json -> ../../../data/x/a.h5 (a clone's root, three levels up)
    assert (a["contentUrl"], a["contentSize"], a["sha256"], a["encodingFormat"]) == ("../../../data/x/a.h5", "10 B", "0" * 64, "application/x-hdf5")
    assert files["manifests/x.json"]["description"] == "the manifest of these files"
    assert files["data/x/one.png"]["encodingFormat"] == "image/png"


def test_a_group_of_files_is_a_file_set_of_its_file_objects_and_one_file_is_read_directly() -> None:
    doc = croissant.build(make_inputs())
    sets = _by_id([d for d in doc["distribution"] if d["@type"] == "cr:FileSet"])
    assert list(sets) == ["files:maps"]
    assert sets["files:maps"]["containedIn"] == [{"@id": "data/x/a.h5"}, {"@id": "data/x/b.h5"}] and sets["files:maps"]["includes"] == "*"
    record_sets = _by_id(doc["recordSet"])
    maps = _by_id(record_sets["maps"]["field"])
    assert maps["maps/split"]["source"] == {"fileSet": {"@id": "files:maps"}, "extract": {"fileProperty": "filename"},
                                            "transform": {"regex": r"^(a|b)\.h5$"}}
    assert maps["maps/maps"]["source"]["extract"] == {"column": "/maps"}
    assert _by_id(record_sets["one"]["field"])["one/image"]["source"] == {"fileObject": {"@id": "data/x/one.png"},
                                                                         "extract": {"fileProperty": "content"}}
    # the manifest's file listing is a record set of its own (JSONPath over the entries); there is no reports listing field set
    listing = _by_id(record_sets["files"]["field"])
    assert listing["files/sha256"]["source"] == {"fileObject": {"@id": "manifests/x.json"}, "extract": {"jsonPath": "$.entries[*].sha256"}}
    assert "report_files" in record_sets


def test_fields_carry_data_types_array_shapes_and_units() -> None:
    fields = _by_id(_by_id(croissant.build(make_inputs())["recordSet"])["maps"]["field"])
    maps, count, split = fields["maps/maps"], fields["maps/count"], fields["maps/split"]
    assert maps["dataType"] == ["cr:Float32", croissant.COMPLEX]  # complex64: float32 pairs
    assert (maps["isArray"], maps["arrayShape"], maps["unitText"]) == (True, "-1,4,4", "volts")  # n: decided by the data
    assert count["dataType"] == "cr:UInt32" and "isArray" not in count and "unitText" not in count
    assert split["dataType"] == "sc:Text"
    assert "complex64 (n, 4, 4), volts" in maps["description"]


def test_licences_citation_version_date_and_responsible_ai() -> None:
    inputs = make_inputs()
    doc = croissant.build(inputs)
    assert doc["license"][0] == "https://spdx.org/licenses/CC0-1.0.html"
    assert doc["license"][1]["@type"] == "sc:CreativeWork" and doc["license"][1]["name"] == "LicenseRef-Mine"
    png = _by_id(doc["distribution"])["data/x/one.png"]
    assert png["license"] == "https://spdx.org/licenses/MIT.html" and "license" not in _by_id(doc["distribution"])["data/x/a.h5"]
    assert doc["isBasedOn"] == [{"@type": "sc:CreativeWork", "name": "pic", "description": "a picture. From pkg 1.0, pic.png.",
                                 "license": "https://spdx.org/licenses/MIT.html", "creditText": "Someone"}]
    assert (doc["version"], doc["datePublished"], doc["conformsTo"]) == ("1.2.3", "2026-01-02", "http://mlcommons.org/croissant/1.1")
    assert doc["citeAs"].startswith("@misc{synthbank_x_1_2_3,") and "year = {2026}" in doc["citeAs"]
    assert doc["rai:personalSensitiveInformation"] == [inputs.records.sensitive]
    assert "pic: pkg 1.0, pic.png, sha256 " + "ab" * 32 in doc["rai:dataCollectionRawData"]
    assert "url" not in doc
    assert croissant.build(make_inputs(registry_url="https://example.org/registry.git"))["url"] == "https://example.org/registry.git"


def test_the_bytes_are_canonical_and_the_same_every_time() -> None:
    first = croissant.dumps(croissant.build(make_inputs()))
    assert first == croissant.dumps(croissant.build(make_inputs()))
    assert first.endswith(b"}\n") and json.loads(first) == croissant.build(make_inputs())
    assert list(json.loads(first)) == sorted(json.loads(first))


def test_the_builders_import_no_numpy() -> None:
    code = ("import sys\nimport synthbank.describe.croissant, synthbank.describe.card, synthbank.describe.writer\n"
            "from synthbank import registry\n"
            "for name in registry.names():\n    registry.get(name).records and __import__(registry.get(name).records.split(':')[0])\n"
            "assert 'numpy' not in sys.modules, sorted(m for m in sys.modules if m.startswith('numpy'))[:3]\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
