"""A family's Croissant 1.1 JSON-LD (https://docs.mlcommons.org/croissant/docs/croissant-spec-1.1.html).

:func:`build` returns the document as a dict, :func:`dumps` its bytes (sorted keys, no
timestamp: a re-run gives identical bytes). Paths are relative to the Croissant file's own
directory (``docs/datasets/<f>/``), so in a clone after ``dvc pull`` every ``contentUrl``
names the real file (mlcroissant resolves a relative ``contentUrl`` against the folder of
the JSON-LD file). Where the Croissant vocabulary has no term, schema.org's is used:
``unitText`` for a field's unit, ``license`` on a FileObject whose licence differs from
the dataset's, ``isBasedOn`` for the sources of real images.

A record is one file: its fields are what the file holds, with the full array shape
(``arrayShape``, ``-1`` where the data decides a size). HDF5 datasets and NPZ members are
named by ``extract.column`` (mlcroissant cannot read these formats; the JSON, CSV and PNG
record sets it reads).
"""

from __future__ import annotations

import json
from typing import Any

from synthbank.describe.card import bibtex
from synthbank.describe.inputs import FileEntry, Inputs, glob_match, is_glob
from synthbank.recordsets import FORMATS, Field, RecordSet, dims

CONFORMS_TO = "http://mlcommons.org/croissant/1.1"
#: The @context mlcroissant 1.1.1 writes for Croissant 1.1 (any other gives a warning).
CONTEXT: dict[str, Any] = {
    "@language": "en", "@vocab": "https://schema.org/", "arrayShape": "cr:arrayShape", "citeAs": "cr:citeAs",
    "column": "cr:column", "conformsTo": "dct:conformsTo", "containedIn": "cr:containedIn",
    "cr": "http://mlcommons.org/croissant/", "data": {"@id": "cr:data", "@type": "@json"},
    "dataType": {"@id": "cr:dataType", "@type": "@vocab"}, "dct": "http://purl.org/dc/terms/",
    "description": {"@container": "@language"}, "equivalentProperty": "cr:equivalentProperty",
    "examples": {"@id": "cr:examples", "@type": "@json"}, "extract": "cr:extract", "field": "cr:field",
    "fileObject": "cr:fileObject", "fileProperty": "cr:fileProperty", "fileSet": "cr:fileSet", "format": "cr:format",
    "includes": "cr:includes", "isArray": "cr:isArray", "isLiveDataset": "cr:isLiveDataset", "jsonPath": "cr:jsonPath",
    "key": "cr:key", "md5": "cr:md5", "name": {"@container": "@language"}, "parentField": "cr:parentField",
    "path": "cr:path", "rai": "http://mlcommons.org/croissant/RAI/", "recordSet": "cr:recordSet",
    "references": "cr:references", "regex": "cr:regex", "repeated": "cr:repeated", "replace": "cr:replace",
    "samplingRate": "cr:samplingRate", "sc": "https://schema.org/", "separator": "cr:separator", "source": "cr:source",
    "subField": "cr:subField", "transform": "cr:transform",
}
COMPLEX = "https://www.wikidata.org/wiki/Q11567"  #: complex number: stored as (real, imaginary) pairs
#: Croissant data types of the declared dtypes (complex: the component type, then "complex number").
DATA_TYPES: dict[str, list[str]] = {
    "bool": ["sc:Boolean"], "uint8": ["cr:UInt8"], "uint16": ["cr:UInt16"], "uint32": ["cr:UInt32"], "uint64": ["cr:UInt64"],
    "int8": ["cr:Int8"], "int16": ["cr:Int16"], "int32": ["cr:Int32"], "int64": ["cr:Int64"], "float32": ["cr:Float32"],
    "float64": ["cr:Float64"], "complex64": ["cr:Float32", COMPLEX], "complex128": ["cr:Float64", COMPLEX],
    "str": ["sc:Text"], "image": ["sc:ImageObject"],
}
#: Media types by file name ending (the longest match wins).
SUFFIXES = {".h5": FORMATS["hdf5"], ".npz": FORMATS["npz"], ".png": FORMATS["png"], ".json": FORMATS["json"],
            ".csv": FORMATS["csv"], ".nii.gz": FORMATS["nifti"], ".float32": FORMATS["float32"], ".yaml": "application/yaml",
            ".txt": "text/plain"}
CREATOR = {"@type": "sc:Organization", "name": "synthbank developers"}


def spdx(identifier: str) -> str | dict[str, str]:
    """A licence as Croissant takes it: the SPDX page's URL, or for a ``LicenseRef-`` a named CreativeWork."""
    if identifier.startswith("LicenseRef-"):
        return {"@type": "sc:CreativeWork", "name": identifier,
                "description": f"{identifier}: the licence text is LICENSES/{identifier}.txt in the registry and LICENSE.txt "
                "beside each file it covers"}
    return f"https://spdx.org/licenses/{identifier}.html"


def media_type(path: str) -> str:
    ends = [s for s in SUFFIXES if path.endswith(s)]
    return SUFFIXES[max(ends, key=len)] if ends else "application/octet-stream"


def _file_object(inputs: Inputs, f: FileEntry, licences: dict[str, str]) -> dict[str, Any]:
    where = f"listed in {f.listed_in}" if f.listed_in else "the manifest of these files"
    out: dict[str, Any] = {
        "@type": "cr:FileObject", "@id": f.path, "name": f.path, "description": where,
        "contentUrl": inputs.url(f.path), "contentSize": f"{f.bytes} B", "encodingFormat": media_type(f.path),
        "sha256": f.sha256,
    }
    if f.path in licences:
        out["license"] = spdx(licences[f.path])
    return out


def _fileset_id(rs: RecordSet) -> str:
    return f"files:{rs.name}"


def _needs_fileset(inputs: Inputs, rs: RecordSet) -> bool:
    return len(rs.files) > 1 or is_glob(rs.files[0]) or len(inputs.matched(rs)) != 1


def _source(inputs: Inputs, rs: RecordSet, field: Field) -> dict[str, Any]:
    ref = {"fileSet": {"@id": _fileset_id(rs)}} if _needs_fileset(inputs, rs) else {"fileObject": {"@id": inputs.matched(rs)[0].path}}
    if field.key == "filename":
        return {**ref, "extract": {"fileProperty": "filename"}, "transform": {"regex": field.regex}}
    if field.key == "content":
        return {**ref, "extract": {"fileProperty": "content"}}
    if field.key.startswith("$"):
        return {**ref, "extract": {"jsonPath": field.key}}
    return {**ref, "extract": {"column": field.key}}


def _field(inputs: Inputs, rs: RecordSet, field: Field) -> dict[str, Any]:
    what = f"{field.description}; {field.dtype} {dims(field.shape)}" + (f", {field.unit}" if field.unit else "")
    out: dict[str, Any] = {
        "@type": "cr:Field", "@id": f"{rs.name}/{field.name}", "name": field.name, "description": what,
        "dataType": DATA_TYPES[field.dtype] if len(DATA_TYPES[field.dtype]) > 1 else DATA_TYPES[field.dtype][0],
        "source": _source(inputs, rs, field),
    }
    # A whole file's content (a PNG image, a NIfTI or raw float32 file) is one value whose layout the
    # description gives; an array shape would declare an array *of* such values.
    if field.shape and field.dtype != "image" and field.key != "content":
        out["isArray"] = True
        out["arrayShape"] = ",".join(str(d) if isinstance(d, int) else "-1" for d in field.shape)
    if field.unit:
        out["unitText"] = field.unit
    return out


def _record_set(inputs: Inputs, rs: RecordSet) -> dict[str, Any]:
    return {"@type": "cr:RecordSet", "@id": rs.name, "name": rs.name, "description": rs.description,
            "field": [_field(inputs, rs, f) for f in rs.fields]}


def _file_set(inputs: Inputs, rs: RecordSet) -> dict[str, Any]:
    """The union of the record set's FileObjects (Croissant: several ``containedIn``, the union of their
    contents), so a reader fetches and checks each by its sha256; ``includes`` keeps them all."""
    patterns = ", ".join(rs.files)
    return {"@type": "cr:FileSet", "@id": _fileset_id(rs), "name": _fileset_id(rs),
            "description": f"the files of record set {rs.name}: {patterns} (relative to the repository root)",
            "containedIn": [{"@id": f.path} for f in inputs.matched(rs)],
            "encodingFormat": FORMATS[rs.format], "includes": "*"}


def _file_licences(inputs: Inputs) -> dict[str, str]:
    """Files made from a source keep its licence (the public images)."""
    return {f.path: s.license for s in inputs.records.sources for f in inputs.files
            if any(glob_match(f.path, pattern) for pattern in s.files)}


def _rai(inputs: Inputs) -> dict[str, Any]:
    r = inputs.records
    raw = ("; ".join(f"{s.name}: {s.origin}, sha256 {s.sha256}, {s.license}, {s.attribution}" for s in r.sources)
           if r.sources else "None: no value is measured or collected; every file is computed from the seed and the params.")
    return {
        "rai:dataCollection": r.collection,
        "rai:dataCollectionType": ["Secondary data (openly licensed example files of software packages)"] if r.sources
        else ["Synthetic data (simulation)"],
        "rai:dataCollectionRawData": raw,
        "rai:dataPreprocessingProtocol": [
            f"Written by synthbank {inputs.family} {inputs.version} (seed {inputs.seed}, params.yaml section "
            f"{inputs.family}), written deterministically: a re-run gives the same bytes, recorded with CRC-64 and sha256 in "
            f"manifests/{inputs.family}.json.",
            f"Validated by synthbank validate {inputs.family}: {len(inputs.rules)} threshold rule(s) over metrics/"
            f"{inputs.family}.json (see the dataset card).",
        ],
        "rai:dataUseCases": [r.intended_use],
        "rai:dataLimitations": [r.limitations],
        "rai:personalSensitiveInformation": [r.sensitive],
        "rai:dataReleaseMaintenancePlan": (
            "Versioned in a DVC data registry: each release is a git tag; the generator's VERSION follows SemVer (MAJOR when "
            "bytes of existing items change) and its release notes are in the dataset card."
        ),
    }


def build(inputs: Inputs) -> dict[str, Any]:
    """The Croissant JSON-LD of one family (see the module docstring)."""
    r = inputs.records
    licences = _file_licences(inputs)
    distribution = [_file_object(inputs, f, licences) for f in inputs.files]
    distribution += [_file_set(inputs, rs) for rs in inputs.record_sets if _needs_fileset(inputs, rs)]
    doc: dict[str, Any] = {
        "@context": CONTEXT,
        "@type": "sc:Dataset",
        "conformsTo": CONFORMS_TO,
        "name": f"synthbank-{inputs.family}",
        "alternateName": r.title,
        "description": f"{inputs.summary}. {r.description}",
        "version": inputs.version,
        "datePublished": inputs.release_date,
        "license": [spdx(x) for x in r.license],
        "citeAs": bibtex(inputs),
        "creator": CREATOR,
        "keywords": list(r.keywords),
        "distribution": distribution,
        "recordSet": [_record_set(inputs, rs) for rs in inputs.record_sets],
        **_rai(inputs),
    }
    if inputs.registry_url:
        doc["url"] = inputs.registry_url
    if r.sources:
        doc["isBasedOn"] = [
            {"@type": "sc:CreativeWork", "name": s.name, "description": f"{s.description.rstrip('.')}. From {s.origin}.",
             "license": spdx(s.license), "creditText": s.attribution}
            for s in r.sources
        ]
    return doc


def dumps(doc: dict[str, Any]) -> bytes:
    """Canonical bytes: sorted keys, indent 2, UTF-8, a trailing newline."""
    return (json.dumps(doc, sort_keys=True, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
