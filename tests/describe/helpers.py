"""A small, hand-made :class:`~synthbank.describe.inputs.Inputs` for the pure builders' tests."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from synthbank.describe.inputs import FileEntry, Inputs
from synthbank.recordsets import Field, Records, RecordSet, Source
from synthbank.thresholds import Rule

RULES = (Rule("m", "max", key="m_max", note="a note"), Rule("ok", "equals", bound=True), Rule("opt", "min", key="opt_min", optional=True))


def make_inputs(**changes: Any) -> Inputs:
    """Family ``x``: two HDF5 files read as a FileSet, one PNG from a source with its own licence, a manifest."""
    records = Records(
        record_sets=(
            RecordSet("maps", "one map file", ("data/x/*.h5",), "hdf5", (
                Field("split", "a or b", "str", key="filename", regex=r"^(a|b)\.h5$"),
                Field("maps", "complex maps", "complex64", ("n", 4, 4), unit="volts", key="/maps"),
                Field("count", "how many", "uint32", (), key="/count"),
            )),
            RecordSet("one", "the picture", ("data/x/one.png",), "png", (Field("image", "pixels", "image", (4, 4), key="content"),)),
        ),
        license=("CC0-1.0", "LicenseRef-Mine"),
        title="synthbank x 1.2.3: test maps",
        description="Maps for the tests.",
        keywords=("test", "maps"),
        intended_use="Testing.",
        limitations="None to speak of.",
        collection="Made up.",
        sources=(Source("pic", "a picture", "MIT", "Someone", "pkg 1.0, pic.png", "ab" * 32, files=("data/x/*.png",)),),
        counts={"a": "counts.a"},
    )
    files = (
        FileEntry("data/x/a.h5", 10, "0" * 64, "manifests/x.json"),
        FileEntry("data/x/b.h5", 20, "1" * 64, "manifests/x.json"),
        FileEntry("data/x/one.png", 5, "2" * 64, "manifests/x.json"),
        FileEntry("manifests/x.json", 700, "3" * 64, ""),
        FileEntry("metrics/x.json", 30, "4" * 64, "manifests/x.reports.json"),
        FileEntry("manifests/x.reports.json", 300, "5" * 64, ""),
    )
    inputs = Inputs(
        family="x", version="1.2.3", summary="test maps of x", release_notes={"1.2.3": "Third.", "1.10.0": "Tenth.", "1.0.0": "First."},
        rules=RULES, section={"size": 4, "thresholds": {"m_max": 2.0, "opt_min": 1}}, seed=7, release_date="2026-01-02",
        records=records, files=files, outputs=("data/x",), metrics={"m": 1.5, "ok": True, "counts": {"a": 12345}, "thresholds_met": True},
        software={"numpy": "2.4.6", "h5py": "3.16.0"},
    )
    return replace(inputs, **changes)
