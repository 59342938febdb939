"""``toy``: a seventh family that lives only in the tests, to show what adding a family takes.

One folder (this one: ``__init__.py`` with ``FAMILY``, ``params.schema.json``, ``generate.py``,
``hooks.py``, ``records.py``), a ``toy:`` block in params.yaml, and nothing else: the core gives it
``synthbank generate|validate|estimate|finalize toy`` with the shared options, the
transaction, the manifests, the threshold engine and ``synthbank verify``. The suite
registers it through ``SYNTHBANK_EXTRA_FAMILIES=toy`` (a family inside ``src/synthbank/families``
needs not even that).
"""

from synthbank.family import Family, Option
from synthbank.thresholds import Rule

VERSION = "1.0.0"
RELEASE_NOTES = {"1.0.0": "Gaussian samples per set: the smallest family that runs every step."}

FAMILY = Family(
    name="toy",
    version=VERSION,
    release_notes=RELEASE_NOTES,
    summary="Gaussian samples, one HDF5 file per set (tests only)",
    config="toy.hooks:ToyConfig",
    items="sets",
    item_flag="--set",
    item_verbs=("generate", "validate"),
    output="data/toy/{item}",
    data="data/toy/{item}",
    metrics="reports/toy/{item}/metrics.json",
    reports="reports/toy/{item}",
    stream_id=99,
    hooks=("estimate", "generate", "validate", "finalize"),  # functions of hooks.py
    records="toy.records:records",  # what its files hold (synthbank describe)
    options={"generate": (Option("--samples", "Samples per set (default: toy.samples).", kind="int", key="samples", metavar="N"),)},
    rules=(
        Rule("mean_z", "abs_max", key="mean_z_max", note="standard errors from the set's mean"),
        Rule("std_rel_error", "max", key="std_rel_error_max"),
        Rule("finite", "equals", bound=True),
    ),
)
