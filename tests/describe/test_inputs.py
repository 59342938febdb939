"""File matching and the consistency check describe applies before writing anything."""

from __future__ import annotations

from dataclasses import replace

from describe.helpers import make_inputs
from synthbank.describe.inputs import glob_match, metric, problems
from synthbank.recordsets import Field, RecordSet


def test_glob_semantics() -> None:
    assert glob_match("data/x/a.h5", "data/x/*.h5") and not glob_match("data/x/sub/a.h5", "data/x/*.h5")
    assert glob_match("data/x/sub/a.h5", "data/**/a.h5") and glob_match("data/a.h5", "data/**/a.h5")
    assert glob_match("data/x/a1.h5", "data/x/a?.h5") and not glob_match("data/x/a.h5x", "data/x/*.h5")
    assert not glob_match("data/x/a+h5", "data/x/a.h5")  # a dot is a dot


def test_urls_are_relative_to_the_docs_directory_and_groups_match() -> None:
    inputs = make_inputs()
    assert inputs.url("data/x/a.h5") == "../../../data/x/a.h5" and inputs.docs_dir == "docs/datasets/x"
    maps = inputs.records.record_sets[0]
    assert [f.path for f in inputs.matched(maps)] == ["data/x/a.h5", "data/x/b.h5"]
    assert [rs.name for rs in inputs.record_sets] == ["maps", "one", "files", "report_files"]


def test_a_declared_file_no_manifest_lists_is_a_problem() -> None:
    inputs = make_inputs()
    assert problems(inputs) == []
    extra = RecordSet("extra", "missing", ("data/x/*.npz",), "npz", (Field("k", "k", "uint8", key="k"),))
    records = replace(inputs.records, record_sets=inputs.records.record_sets + (extra,))
    assert problems(replace(inputs, records=records)) == [
        "x: record set 'extra' reads data/x/*.npz, which no manifest of x lists"]


def test_metric_paths() -> None:
    assert metric({"a": {"b": 3}}, "a.b") == 3 and metric({"a": {}}, "a.b") is None and metric({"a": 1}, "a.b") is None
