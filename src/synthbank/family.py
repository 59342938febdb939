"""The family contract: what a dataset family declares, and the run the core hands its hooks.

A family is one folder under ``families/`` whose ``__init__.py`` defines ``FAMILY``, a
:class:`Family`. The core (:mod:`synthbank.commands`, with a :class:`synthbank.run.Run` per command) turns every registered family into
the same commands, ``synthbank generate|validate|estimate|finalize FAMILY``, with the same
shared options; the family declares only what is its own:

* its config type, built from its params section (the bounds live in the JSON Schema);
* its items, when it has several outputs (energy domains, signals datasets, ptycho doses);
* its own options, as data (:class:`Option`), for example ``--num-images``;
* its hooks: functions of its ``hooks.py`` named after the verb, imported only when a
  command runs: ``estimate(run) -> Estimate``, ``generate(run, out) -> Output``,
  ``validate(run) -> list[str]`` (violations from :func:`synthbank.thresholds.check`),
  ``finalize(run) -> Finalized``;
* its threshold rules (:class:`synthbank.thresholds.Rule`);
* what its files hold, as data: ``records``, a function of its ``records.py`` returning
  :class:`synthbank.recordsets.Records` (record sets and fields with dtypes, shapes from
  the config, units and where each lives in its file; licence, citation, keywords), from
  which ``synthbank describe`` writes its Croissant metadata and dataset card.

The core owns the rest: reading params.yaml, parsing options with one message format,
refusing unknown items, the output guards and the disk check, the y/n question, the one
transaction every write goes through, the manifest and the reports manifest, and the exit
codes. Nothing here imports numpy.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from synthbank.errors import UsageError
from synthbank.thresholds import Rule

Verb = Literal["generate", "validate", "estimate", "finalize"]
VERBS: tuple[Verb, ...] = ("generate", "validate", "estimate", "finalize")
#: Bounds of ``--shard-blocks`` (blocks per worker task): a scheduling knob, no params key.
SHARD_BLOCKS = (1, 1_000_000)
#: The whole release note of a MAJOR version whose only change was issue 15's HDF5 1.8 layout
#: (atomic and chromatic 3.0.0): one text for one event. Released text: never edit it.
HDF5_1_8_NOTE = (
    "HDF5 files readable by HDF5 1.8 and later (issue 15): written with libver (earliest, v108), so "
    "superblock 0, version 1 object headers and v1 B-tree chunk indexes instead of the 1.10-only "
    "superblock 3 and fixed-array indexes (docs/hdf5.md). Names, attributes, dtypes, chunks, filters "
    "and values are unchanged; the container bytes of every HDF5 file change."
)
OptionKind = Literal["int", "float", "str", "path"]


@dataclass(frozen=True)
class Option:
    """A family-specific command-line option, declared as data.

    Parameters
    ----------
    flag : str
        As typed, ``"--num-images"``; the value reaches the hook as ``run.options["num_images"]``.
    help : str
        One sentence for ``--help``.
    kind : {"int", "float", "str", "path"}
        How the text is parsed; integers and numbers are range-checked with one message.
    default : Any
        The value when the option is not given (None: "not given", the hook decides).
    key : str or None
        The params key of the family's section this option overrides (``"num_images"``):
        its bounds come from the JSON Schema, so option and params cannot disagree.
    bounds : tuple or None
        Inclusive ``(minimum, maximum)`` when the option is no params key.
    limits_of : str or None
        A params key whose schema bounds the option shares without overriding it
        (``--reseed-samples`` takes ``num_samples``'s).
    metavar : str or None
        The placeholder in ``--help``.
    """

    flag: str
    help: str
    kind: OptionKind = "str"
    default: Any = None
    key: str | None = None
    bounds: tuple[Any, Any] | None = None
    limits_of: str | None = None
    metavar: str | None = None

    @property
    def dest(self) -> str:
        return self.flag.lstrip("-").replace("-", "_")


@dataclass(frozen=True)
class Estimate:
    """What a generation needs, before it starts (``synthbank estimate FAMILY`` prints it).

    Attributes
    ----------
    items : int
        Items the run produces (images, samples, maps, patterns, channels...).
    unit : str
        What one item is, for the plan printed before a run (``"images"``).
    memory_bytes : int
        Peak working memory of the generation (bytes), excluding the interpreter.
    disk_bytes : int
        Upper bound of the bytes written (the free-space check uses it).
    seconds : float
        Rough wall time on one worker of this machine class (an order of magnitude).
    detail : Mapping
        Family-specific figures printed with the rest (JSON-able).
    """

    items: int
    unit: str
    memory_bytes: int
    disk_bytes: int
    seconds: float
    detail: Mapping[str, Any] = field(default_factory=dict)

    def __add__(self, other: Estimate) -> Estimate:
        """Two items of one family: counts and bytes add, memory is the larger (one at a time)."""
        return Estimate(self.items + other.items, self.unit, max(self.memory_bytes, other.memory_bytes),
                        self.disk_bytes + other.disk_bytes, self.seconds + other.seconds, {})

    def record(self) -> dict[str, Any]:
        """The JSON ``synthbank estimate`` prints (sorted keys; the family's details inside)."""
        return {
            "items": self.items, "unit": self.unit, "memory_bytes": self.memory_bytes,
            "memory_readable": readable_bytes(self.memory_bytes), "disk_bytes": self.disk_bytes,
            "disk_readable": readable_bytes(self.disk_bytes), "seconds": round(self.seconds, 3),
            **dict(self.detail),
        }


def readable_bytes(n: int) -> str:
    """Bytes for people: ``512 bytes``, ``1.50 KB``, ``3.20 MB``, ``1.07 GB`` (powers of 1024)."""
    if n < 1024:
        return f"{n} bytes"
    power = 1 if n < 1024**2 else 2 if n < 1024**3 else 3
    return f"{n / 1024**power:.2f} {('KB', 'MB', 'GB')[power - 1]}"


@dataclass(frozen=True)
class Output:
    """What a generate hook wrote: the message for the user, and what the manifest records.

    Attributes
    ----------
    message : str
        One line for the user (stderr).
    params : Mapping or None
        The manifest's params record (default: the section's generation params).
    extra_outputs : tuple of Path
        Outputs written beside the output directory (previews), listed in the manifest too.
    entry_fields : Mapping or None
        Per-file manifest fields (``uid``, ``params``, ``paired_with``...), keyed by the
        path relative to ``run.manifest_root(out, extra_outputs)``.
    """

    message: str
    params: Mapping[str, Any] | None = None
    extra_outputs: tuple[Path, ...] = ()
    entry_fields: Mapping[str, Mapping[str, Any]] | None = None


@dataclass(frozen=True)
class Finalized:
    """What a finalize hook gathered: the core writes the manifest and the reports manifest from it.

    Attributes
    ----------
    outputs : tuple of Path
        The items' outputs the family manifest covers (every file below each).
    violations : tuple of str
        Thresholds violated by any item (exit 1 after everything is written).
    files : tuple of Path
        Single files the manifest lists too (written by the hook, for example a catalog).
    reports : tuple of Path
        What the reports manifest lists (``--reports-manifest``): metrics and report dirs.
    params : Mapping or None
        The manifest's params record (default: the section's generation params).
    entry_fields : Mapping or None
        Per-file manifest fields keyed by the path relative to the repository root.
    """

    outputs: tuple[Path, ...]
    violations: tuple[str, ...] = ()
    files: tuple[Path, ...] = ()
    reports: tuple[Path, ...] = ()
    params: Mapping[str, Any] | None = None
    entry_fields: Mapping[str, Mapping[str, Any]] | None = None


@dataclass(frozen=True)
class Family:
    """One dataset family, as the core sees it.

    Parameters
    ----------
    name : str
        The family's name: its params section, ``data/<name>``, ``metrics/<name>.json``.
    version, release_notes : str, Mapping[str, str]
        The generator's SemVer and the notes per version (TensorFlow Datasets' rule: MAJOR
        when bytes of existing items change, MINOR when items are added, PATCH otherwise).
    summary : str
        One line for ``synthbank families`` and ``--help``.
    config : str or None
        ``"module:Class"`` with ``from_params(seed, release_date, section)`` raising
        ``ValueError`` (one line naming the key, the value and what is allowed).
    items : str or None
        The key of the params section whose entries are the family's items (``"domains"``),
        or None for a family with one output.
    item_flag : str or None
        The option that names one item (``"--domain"``).
    item_verbs : tuple of str
        The verbs that work on one item and need ``item_flag`` (estimate takes it optionally).
    output : str
        Default output of ``generate``; ``{family}``, ``{item}`` and ``{today}`` are filled in.
    data, metrics, reports : str
        Defaults of ``--data-dir`` (what validate and finalize read), ``--metrics`` and
        ``--report-dir``, the same templates; ``metrics`` may also say ``{data}`` or
        ``{reports}`` (the directory the command uses).
    reported : tuple of str
        What validate's reports manifest lists (``--reports-manifest``): ``{reports}`` (the
        report directory), ``{metrics}``, or files below the report directory
        (``{reports}/profile.csv``, when generate writes into it too).
    manifest : str or None
        Default manifest written by ``generate`` (None: the family writes it at finalize,
        ``manifests/{family}.json``).
    stream_id : int
        The family's number in every random stream's spawn key (:mod:`synthbank.seeding`);
        never renumbered, unique.
    cli : str or None
        A module adding the verbs no other family has (imported with the CLI).
    parallel : tuple of str
        The verbs whose hooks use ``--workers`` (the others run in one process and say so).
    extra_outputs : tuple of str
        Generate options (by dest) that name another output directory (``preview_dir``): the
        core checks each like ``--output-dir``, before anything is planned or written.
    siblings : tuple of str
        Directories generate writes beside ``--output-dir`` (``"canonical"``: ptycho's later
        steps), checked the same way.
    omit : Mapping[str, tuple of str]
        ``verb -> shared options`` (by dest, ``"report_dir"``) that do not apply to this
        family, so they are not offered rather than accepted and ignored.
    hooks : tuple of str, or Mapping[str, str]
        The verbs the family has. A tuple names functions of the family's ``hooks`` module
        called after the verb (``("estimate", "generate")``: ``<package>.hooks:generate``...);
        a mapping gives ``verb -> "module:function"`` where another place fits better.
    options : Mapping[str, tuple of Option]
        ``verb -> its own options`` (the shared ones are the core's).
    rules : tuple of Rule
        Its thresholds, as data.
    records : str or None
        ``"module:function"``, ``function(section, read) -> Records``: what its files hold
        (:mod:`synthbank.recordsets`), for ``synthbank describe``; None: not described.
    """

    name: str
    version: str
    release_notes: Mapping[str, str]
    summary: str
    config: str | None = None
    items: str | None = None
    item_flag: str | None = None
    item_verbs: tuple[str, ...] = ("generate",)
    output: str = "data/{family}"
    data: str = "data/{family}"
    metrics: str = "metrics/{family}.json"
    reports: str = "reports/{family}"
    reported: tuple[str, ...] = ("{reports}", "{metrics}")
    manifest: str | None = None
    stream_id: int = 0
    cli: str | None = None
    parallel: tuple[str, ...] = ()
    omit: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    extra_outputs: tuple[str, ...] = ()
    siblings: tuple[str, ...] = ()
    hooks: tuple[str, ...] | Mapping[str, str] = ()
    options: Mapping[str, tuple[Option, ...]] = field(default_factory=dict)
    rules: tuple[Rule, ...] = ()
    records: str | None = None

    def __post_init__(self) -> None:
        unknown = set(self.hooks) - set(VERBS)
        if unknown:
            raise ValueError(f"family {self.name}: unknown hook verb(s) {sorted(unknown)}: allowed {', '.join(VERBS)}")
        if self.version not in self.release_notes:
            raise ValueError(f"family {self.name}: VERSION {self.version} has no RELEASE_NOTES entry")
        if (self.items is None) != (self.item_flag is None):
            raise ValueError(f"family {self.name}: give items= and item_flag= together")

    def options_of(self, verb: str) -> tuple[Option, ...]:
        """The family's own options of ``verb``; estimate takes generate's params-key options (the sizes)."""
        if verb == "estimate":
            sizes = tuple(o for o in self.options.get("generate", ()) if o.key is not None)
            return sizes + tuple(self.options.get("estimate", ()))
        return tuple(self.options.get(verb, ()))

    def help(self, verb: str) -> str:
        """The ``--help`` text of ``verb`` on this family."""
        what = {"generate": "Generate", "validate": "Validate (metrics, reports; exit 1 on a violated threshold)",
                "estimate": "Print the memory, disk and time a generation needs (JSON; writes nothing)",
                "finalize": "Write the manifest over every item and the merged metrics"}[verb]
        return f"{what}: {self.name} {self.version}, {self.summary}"

    def declared_records(self, section: Mapping[str, Any], read: Callable[[str], Any]) -> Any:
        """The :class:`~synthbank.recordsets.Records` of ``section`` (its ``records`` function, imported now)."""
        if self.records is None:
            raise UsageError(f"{self.name} declares no records: allowed a family whose FAMILY names records='module:function'")
        module, name = self.records.split(":")
        return getattr(importlib.import_module(module), name)(section, read)

    def hook(self, verb: str) -> Callable[..., Any]:
        """The function behind ``verb`` (imported now: the heavy modules load only when a command runs)."""
        if verb not in self.hooks:
            raise UsageError(f"{self.name} has no '{verb}' step: allowed {', '.join(v for v in VERBS if v in self.hooks)}")
        if isinstance(self.hooks, Mapping):
            module, name = self.hooks[verb].split(":")
        else:
            from synthbank import registry

            module, name = f"{registry.package(self.name)}.hooks", verb
        return getattr(importlib.import_module(module), name)
