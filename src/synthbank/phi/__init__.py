"""No-PHI check: find personal identifiers in the metadata of files (HIPAA Safe Harbor kinds).

:func:`scan` walks files and directories and reads every metadata carrier it knows. What a
file is, is decided by what it claims to be: its content's signature (magic bytes) and its
name's suffix (:data:`SUFFIX_FORMATS`):

========================  ==========================================================
carrier                   what is read (``Finding.location``)
========================  ==========================================================
PNG                       tEXt / zTXt / iTXt chunks (``tEXt[Keyword]``), eXIf text
HDF5                      every attribute of every group and dataset
                          (``/group/dataset@attr``), object names, string datasets
JSON                      every key and string/number value (``$.key[0].sub``); a key
                          given twice is read with both values
NIfTI-1/2 (.nii, .nii.gz) header text fields ``db_name`` (NIfTI-1), ``descrip``,
                          ``aux_file``, ``intent_name`` (``header.descrip``) and
                          header extensions (``extension[0] code 6``)
DICOM                     every element, nested sequences too (``(0010,0010) PatientName``)
npz                       every member (``arr_0``): string, bytes and structured arrays
                          element by element (``arr_0[3]``, ``table[2].name``), the
                          first numbers of a numeric member named like an identifier
                          field, and DICOM signatures in the raw member bytes
                          (``arr_0 byte 512``)
text files                every line (``line 12``)
gzip                      the content, read as any of the above (at most 64 MB held;
                          a NIfTI's header and extensions only)
any binary file           DICOM header remnants: the ``DICM`` preamble magic, or the
                          explicit-VR encoding of a PatientName element
========================  ==========================================================

Two kinds of rule find identifiers. A *field rule* looks at the name of a structured field
(JSON key, HDF5 attribute, PNG keyword, DICOM keyword, npz member or record field):
``PatientName``, ``dob``, ``mrn``, ``email``... with a non-empty value (a nested object
too). *Text rules* look at any text: DICOM person names ``LAST^FIRST``, labelled values
(``Name: Jane Doe``, ``DOB: 1950-01-02``, ``MRN: 12345``, quoted labels too), e-mail
addresses, SSNs, phone numbers, street addresses, IPv4 addresses, URLs whose query names a
person or record. A field's text value is read with its name as the label (``patient: John
Smith``); a value holding JSON text is walked like a JSON file. A plain date, a licence
text or an attribution line is not a finding: only dates labelled as a person's (birth,
admission, discharge, death, visit) are.

The scanner is deliberately conservative about what it cannot read: a file that claims a
format and does not parse as it is reported as ``unscannable``, never passed. A ``.png``
must be a PNG whose chunks are complete with good CRCs up to IEND; ``.json`` must parse
as JSON (UTF-8); ``.nii`` must hold a valid NIfTI-1 or NIfTI-2 header (sizeof_hdr 348 or
540, its magic, dimensions, complete extensions and voxels); ``.gz`` must decompress
completely (CRC and length checked); ``.h5``/``.hdf5`` must open with h5py; ``.npz``
must be a zip of ``.npy`` members that numpy reads without pickle; ``.dcm`` must parse as
DICOM. An empty file with one of these suffixes, a suffix that contradicts the signature
(``.png`` holding HDF5), and content too large to read are unscannable too. Files that
claim nothing (no known signature or suffix) are read as text when they are, otherwise
searched for DICOM signatures.

The package: :mod:`.rules` (what counts as an identifier: text and field rules,
:class:`Finding`), one module per carrier (:mod:`.png`, :mod:`.dicom`, :mod:`.nifti`,
:mod:`.containers` for HDF5 and npz) and :mod:`.scan` (what a file claims to be, the
walk). DICOM structure is read by the core reader :mod:`synthbank.io.dicom`, which
production code shares and which holds no rule.
"""

from __future__ import annotations

from synthbank.phi.rules import (
    FIELD_KINDS,
    KINDS,
    MAX_TEXT,
    PLACEHOLDERS,
    TEXT_RULES,
    Finding,
    load_json,
    normalise_field,
    scan_field,
    scan_text,
)
from synthbank.phi.scan import SUFFIX_FORMATS, claimed_format, iter_files, scan, scan_file, sniffed_format

__all__ = [
    "FIELD_KINDS",
    "KINDS",
    "MAX_TEXT",
    "PLACEHOLDERS",
    "SUFFIX_FORMATS",
    "TEXT_RULES",
    "Finding",
    "claimed_format",
    "iter_files",
    "load_json",
    "normalise_field",
    "scan",
    "scan_field",
    "scan_file",
    "scan_text",
    "sniffed_format",
]
