"""What a family's files hold, declared as data: record sets, fields, licence, citation.

Each family declares the structure of its outputs beside its generator, in
``families/<f>/records.py``, a function named by :attr:`synthbank.family.Family.records`
(``"module:function"``)::

    def records(section: Mapping[str, Any], read: Callable[[str], Any]) -> Records

``section`` is the family's params section (plain mappings and lists), so shapes follow
the config (``chromatic.shape``, ``energy.scales``, a signals dataset's channels);
``read(path)`` returns the parsed JSON of a repository file the declaration needs (the
public family's ``sources/public/<demo>/provenance.json``: its licences and source
shapes). The function does no I/O of its own and imports no numpy.

:mod:`synthbank.describe` turns a declaration, the family's manifests and metrics into
Croissant JSON-LD and a dataset card (``synthbank describe``). A record set reads one file
or a group of files (``files``, glob patterns relative to the repository root, matched
against the manifests); a *record* is one file and its fields are what the file holds,
with their full shapes: an HDF5 dataset (``key="/images"``), an NPZ member
(``key="images"``), a CSV column, a JSON value (``key="$.path"``), a PNG's pixels
(``key="content"``) or a part of the file name (``key="filename"`` with ``regex``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from synthbank.thresholds import Rule

#: File formats a record set may read, with the media type Croissant records for them.
FORMATS: dict[str, str] = {
    "hdf5": "application/x-hdf5",
    "npz": "application/x-npz",
    "png": "image/png",
    "json": "application/json",
    "csv": "text/csv",
    "nifti": "application/x-nifti",  # gzip-compressed NIfTI-1 (.nii.gz)
    "float32": "application/octet-stream",  # raw little-endian float32, no header
}
#: Element types a field may declare: numpy's names, plus ``str`` (text) and ``image`` (PNG pixels, uint8).
DTYPES = ("bool", "uint8", "uint16", "uint32", "uint64", "int8", "int16", "int32", "int64",
          "float32", "float64", "complex64", "complex128", "str", "image")


@dataclass(frozen=True)
class Field:
    """One value of every record (file) of a record set.

    Parameters
    ----------
    name : str
        The field's name, unique in its record set.
    description : str
        What it is, in one sentence.
    dtype : str
        The element type, one of :data:`DTYPES` (``str`` for text, ``image`` for PNG pixels).
    shape : tuple of int or str
        The array's shape in the file (``()``: one value). A ``str`` names a size that the
        data decides, not the config (``"n"``: the images of a split).
    unit : str
        The physical unit or scale of the values (``""``: none, such as an index).
    key : str
        Where it lives in the file: an HDF5 dataset path (``"/images"``), an NPZ member or a
        CSV column (``"images"``), a JSONPath (``"$.dataset_info.total_count"``), ``"content"``
        (the file's pixels or bytes) or ``"filename"`` (with ``regex``).
    regex : str
        With ``key="filename"``: the regular expression whose first group is the value.
    """

    name: str
    description: str
    dtype: str
    shape: tuple[int | str, ...] = ()
    unit: str = ""
    key: str = ""
    regex: str = ""

    def __post_init__(self) -> None:
        if self.dtype not in DTYPES:
            raise ValueError(f"field {self.name}: dtype={self.dtype!r} is invalid: allowed one of {', '.join(DTYPES)}")
        if (self.key == "filename") != bool(self.regex):
            raise ValueError(f"field {self.name}: give regex= exactly when key='filename'")


@dataclass(frozen=True)
class RecordSet:
    """Files of one layout and the fields each holds.

    Parameters
    ----------
    name : str
        Unique in the family (``"splits"``, ``"dose_1000/simulate"``).
    description : str
        What one record (file) is.
    files : tuple of str
        Paths or glob patterns relative to the repository root (``*`` and ``?`` within one
        path component, ``**/`` any leading ones); every one must match a manifest entry.
    format : str
        One of :data:`FORMATS`.
    fields : tuple of Field
    """

    name: str
    description: str
    files: tuple[str, ...]
    format: str
    fields: tuple[Field, ...]

    def __post_init__(self) -> None:
        if self.format not in FORMATS:
            raise ValueError(f"record set {self.name}: format={self.format!r} is invalid: allowed one of {', '.join(FORMATS)}")
        names = [f.name for f in self.fields]
        if len(set(names)) != len(names):
            raise ValueError(f"record set {self.name}: field names repeat: {sorted(names)}")


@dataclass(frozen=True)
class Source:
    """A real-world origin of some of a family's files (the public family's images)."""

    name: str
    description: str
    license: str  # SPDX identifier
    attribution: str
    origin: str  # where it came from (package, version, path; or a URL)
    sha256: str = ""
    files: tuple[str, ...] = ()  # the outputs made from it (glob patterns): they keep its licence


@dataclass(frozen=True)
class Records:
    """Everything a family declares about its published files (see the module docstring).

    Parameters
    ----------
    record_sets : tuple of RecordSet
    license : tuple of str
        SPDX identifiers of the family's files (several when sources bring their own).
    title : str
        The dataset's title (its citation's title too).
    description : str
        What the dataset is, a paragraph.
    keywords : tuple of str
    intended_use, limitations : str
        For the card and Croissant's Responsible-AI fields.
    collection : str
        How the values came to be (synthetic: the generator; public: the sources).
    sensitive : str
        Personal or sensitive information (synthetic: none by construction).
    sources : tuple of Source
        Real-world origins, with their licences and attributions (empty: fully synthetic).
    references : tuple of str
        Works to cite besides the dataset itself.
    counts : Mapping[str, str]
        Split or group name -> dotted path of its item count in the family's metrics.
    item_metrics : tuple of str
        Keys of the merged metrics under which each item's metrics (and its threshold rules) live
        (``("dose_1000", ...)``); empty when the rules apply to the metrics as a whole.
    item_rules : Mapping[str, tuple of Rule]
        The rules validation applied to an item, where they are not all the family's (a
        signals sine has no PSD slope rule).
    """

    record_sets: tuple[RecordSet, ...]
    license: tuple[str, ...]
    title: str
    description: str
    keywords: tuple[str, ...]
    intended_use: str
    limitations: str
    collection: str
    sensitive: str = "None: every value is computed from the seed and the params; no person is represented."
    sources: tuple[Source, ...] = ()
    references: tuple[str, ...] = ()
    counts: Mapping[str, str] = field(default_factory=dict)
    item_metrics: tuple[str, ...] = ()
    item_rules: Mapping[str, tuple[Rule, ...]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        names = [r.name for r in self.record_sets]
        if len(set(names)) != len(names):
            raise ValueError(f"record set names repeat: {sorted(names)}")
        if not self.license:
            raise ValueError("a family declares at least one licence (SPDX identifier)")


def dims(shape: tuple[int | str, ...]) -> str:
    """A shape for people: ``(n, 16, 16)``, ``(5000, 64)``, ``()`` for one value."""
    return "(" + ", ".join(str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"


def check(records: Any) -> Records:
    """``records`` if it is a :class:`Records`, else a TypeError naming what it is."""
    if not isinstance(records, Records):
        raise TypeError(f"a family's records function returned {type(records).__name__}: allowed synthbank.recordsets.Records")
    return records
