"""What the toy family's files hold (:mod:`synthbank.recordsets`): one HDF5 file per set."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from synthbank.recordsets import Field, Records, RecordSet

from toy import VERSION


def records(section: Mapping[str, Any], read: Callable[[str], Any]) -> Records:
    """One record set per set of ``toy.sets``: its samples, ``toy.samples`` of them."""
    del read
    n = int(section["samples"])
    return Records(
        record_sets=tuple(
            RecordSet(f"{name}", f"set {name}: N({spec['mean']}, {spec['std']}^2) samples", (f"data/toy/{name}/samples.h5",),
                      "hdf5", (Field("values", "the samples", "float64", (n,), unit="arbitrary", key="/values"),))
            for name, spec in sorted(section["sets"].items())
        ),
        license=("CC0-1.0",),
        title=f"synthbank toy {VERSION}: Gaussian samples",
        description="Gaussian samples, one HDF5 file per set (the suite's seventh family).",
        keywords=("synthetic data", "test"),
        intended_use="Tests of the family contract.",
        limitations="Nothing but Gaussian draws.",
        collection="Synthetic: drawn from the root seed and each set's rank.",
        item_metrics=tuple(sorted(section["sets"])),
    )
