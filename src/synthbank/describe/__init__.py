"""Croissant metadata and dataset cards of every family (``synthbank describe``).

For each family, from its declared record structure (:mod:`synthbank.recordsets`), its
manifests (``manifests/<f>.json``, ``manifests/<f>.reports.json``), its metrics
(``metrics/<f>.json``), its threshold rules and params:

* ``docs/datasets/<f>/croissant.json``: Croissant 1.1 JSON-LD (:mod:`.croissant`): every
  manifest file as a FileObject with sha256 and size, FileSets where a record set reads a
  group of files, record sets with fields, data types, units and array shapes, licence,
  citation, version, date and the Responsible-AI fields that apply;
* ``docs/datasets/<f>/README.md``: the dataset card (:mod:`.card`);
* ``docs/datasets/README.md``: the index of the cards;
* ``manifests/describe.json``: the manifest of everything above (role ``docs``), so
  ``synthbank verify`` accounts for every file.

:mod:`.inputs`, :mod:`.croissant` and :mod:`.card` are pure functions building dicts and
strings (no numpy, no I/O); :mod:`.writer` reads the inputs and writes the outputs in one
transaction. Output bytes depend only on the inputs: keys sorted, no timestamp.
"""

from __future__ import annotations

#: What describe writes, relative to the repository root.
DOCS = "docs/datasets"
MANIFEST = "manifests/describe.json"
#: The ``family`` of its manifest and output marker (the command that writes them).
NAME = "describe"
#: Version of the describe output format (the manifest's ``generator_version``): MAJOR when
#: the meaning of a file changes, MINOR when something is added, PATCH otherwise.
VERSION = "1.0.0"
