"""Reliability of the scanner (issue 12): every carrier, every unreadable file, our own writers' files."""

from __future__ import annotations

import gzip
import io
import json
import struct
import zlib
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import tally
from conftest import VENV_BIN
from phi.helpers import (
    dicom_element,
    dicom_file,
    hdf5_bytes,
    labelled,
    nifti2_header,
    nifti_header,
    nifti_with_extension,
    npz_bytes,
    npz_project_writer,
    png_with,
    scan_bytes,
    zip_bytes,
)
from PIL import Image

from synthbank import jsonio, phi
from synthbank.families.public.nifti import NiftiImage, encode_nifti, encode_nifti_gz
from synthbank.io import hdf5
from synthbank.io.npz import npy_header
from synthbank.io.png import encode_png
from synthbank.phi.containers import MAX_STRING_DATASET
from synthbank.phi.png import PNG_SIGNATURE


# --- reliability: every carrier, every unreadable file (issue 12) ---------------------------
#
# Three tables, each case a file built in memory: identifiers planted in every carrier the
# scanner reads (each must be found where it was put), harmless look-alikes in the same
# carriers (none may be flagged), and files that claim a format they do not hold (each must
# be one `unscannable` finding and fail `verify-no-phi` with one line). Counts go to tally.


#: carrier -> builder(field, value) -> (file name, bytes, where the value must be found). Filler
#: values are "n/a" (a placeholder), so a field named like an identifier flags only the value.
CARRIERS: dict[str, Any] = {
    "PNG tEXt": lambda k, v: ("c.png", png_with("tEXt", k, v), f"tEXt[{k}]"),
    "PNG zTXt": lambda k, v: ("c.png", png_with("zTXt", k, v), f"zTXt[{k}]"),
    "PNG iTXt": lambda k, v: ("c.png", png_with("iTXt", k, v), f"iTXt[{k}]"),
    "JSON": lambda k, v: ("c.json", json.dumps({"seed": 42, "meta": {k: v}}).encode(), f"$.meta.{k}"),
    # json.loads keeps a repeated key's last value: the first must not hide behind it
    "JSON repeated key": lambda k, v: ("c.json", f'{{"{k}": {json.dumps(v)}, "{k}": "n/a"}}'.encode(), f"$.{k}[0]"),
    "gzip JSON": lambda k, v: ("c.json.gz", gzip.compress(json.dumps({k: v}).encode(), mtime=0), f"$.{k}"),
    "HDF5 attribute": lambda k, v: ("c.h5", hdf5_bytes(lambda f: f.attrs.__setitem__(k, v)), f"/@{k}"),
    "HDF5 dataset attribute": lambda k, v: ("c.h5", hdf5_bytes(
        lambda f: f.create_dataset("images", data=np.zeros(2, np.uint8)).attrs.__setitem__(k, v)), f"/images@{k}"),
    "HDF5 string dataset": lambda k, v: ("c.h5", hdf5_bytes(lambda f: f.create_dataset(k, data=[v.encode()])), f"/{k}"),
    "NIfTI-1 descrip": lambda k, v: ("c.nii", nifti_header(descrip=labelled(k, v).encode()) + bytes(4), "header.descrip"),
    "NIfTI-1 extension": lambda k, v: ("c.nii", nifti_with_extension(labelled(k, v).encode()), "extension[0] code 6"),
    "NIfTI-2 descrip": lambda k, v: ("c.nii", nifti2_header(descrip=labelled(k, v).encode()) + bytes(4), "header.descrip"),
    "gzip NIfTI-1": lambda k, v: ("c.nii.gz", gzip.compress(nifti_header(descrip=labelled(k, v).encode()) + bytes(4), mtime=0),
                                  "header.descrip"),
    "DICOM": lambda k, v: ("c.dcm", dicom_file(dicom_element(0x0008, 0x103E, "LO", labelled(k, v).encode())), "(0008,103E)"),
    "text": lambda k, v: ("c.txt", f"synthbank notes\n{labelled(k, v)}\n".encode(), "line 2"),
    "npz bytes member": lambda k, v: ("c.npz", npz_bytes(**{k: np.array([b"n/a", v.encode()])}), f"{k}[1]"),
    "npz unicode member (deflated)": lambda k, v: ("c.npz", npz_bytes(True, **{k: np.array(["n/a", v])}), f"{k}[1]"),
    "npz 2-D member": lambda k, v: ("c.npz", npz_bytes(**{k: np.array([["n/a", "n/a"], ["n/a", v]])}), f"{k}[1,1]"),
    "npz 0-d member": lambda k, v: ("c.npz", npz_bytes(**{k: np.array(v)}), k),
    "npz structured field": lambda k, v: ("c.npz", npz_bytes(table=np.array(
        [(1, "n/a"), (2, v)], dtype=[("id", "<i4"), (k, "<U48")])), f"table[1].{k}"),
    "npz project writer": lambda k, v: ("c.npz", npz_project_writer(images=np.zeros((2, 4), np.uint8), **{k: np.array([v])}),
                                        f"{k}[0]"),
}


#: (field, value, kind): one of each kind of identifier the scanner's rules know, planted as a
#: field's value (the field's name labels it, as a JSON key or an npz member name does).
PLANTED = [
    ("patient_name", "Jane Doe", "person_name"),
    ("comment", "MRN: 55667788", "medical_record_number"),
    ("comment", "DOB: 1950-03-14", "birth_date"),
    ("contact", "jane.doe@example.org", "email"),
    ("comment", "call 555-123-4567", "phone"),
    ("comment", "SSN 123-45-6789", "ssn"),
    ("comment", "Doe^John", "person_name"),
    ("comment", "seen at 12 Main Street", "address"),
]
#: (field, value): look-alikes of identifiers in project metadata: none may be flagged.
HARMLESS = [
    ("release_date", "2026-11-22"),
    ("version", "numpy 2.4.6"),
    ("transfer_syntax", "1.2.840.10008.1.2.1"),
    ("checksum", "sha256 b90956c775a41001"),
    ("licence", "CC0-1.0"),
    ("citation", "Fonov et al., NeuroImage 2009"),
    ("note", "slice 94 of 189, 1411 x 1411"),
    ("units", "m^2, percentage: 95 %"),
]


@pytest.mark.parametrize("carrier", CARRIERS)
@pytest.mark.parametrize(("field", "value", "kind"), PLANTED, ids=[f"{k}-{v[:12]}" for _, v, k in PLANTED])
def test_planted_identifier_is_found_in_every_carrier(tmp_path: Path, carrier: str, field: str, value: str, kind: str) -> None:
    name, data, where = CARRIERS[carrier](field, value)
    found = {(f.location, f.kind) for f in scan_bytes(tmp_path, name, data)} - {("preamble", "dicom_header")}
    tally.record("phi: planted identifiers", 1, int((where, kind) in found), "found")
    assert found == {(where, kind)}


@pytest.mark.parametrize("carrier", CARRIERS)
@pytest.mark.parametrize(("field", "value"), HARMLESS, ids=[v[:16] for _, v in HARMLESS])
def test_harmless_look_alike_is_not_flagged(tmp_path: Path, carrier: str, field: str, value: str) -> None:
    name, data, _ = CARRIERS[carrier](field, value)
    found = [f for f in scan_bytes(tmp_path, name, data) if f.location != "preamble"]
    tally.record("phi: harmless look-alikes", 1, int(found == []), "not flagged")
    assert found == []


def _flip(data: bytes, at: int) -> bytes:
    return data[:at] + bytes([data[at] ^ 0xFF]) + data[at + 1:]


def _npy(header_shape: tuple[int, ...], data: bytes) -> bytes:
    return npy_header(np.dtype(np.uint8), header_shape) + data


PNG = encode_png(np.arange(64, dtype=np.uint8).reshape(8, 8))
NPZ = npz_bytes(arr_0=np.full(64, 7, np.uint8))
NPZ_DEFLATED = npz_bytes(True, arr_0=np.arange(4096, dtype=np.uint16))
NII = nifti_header(descrip=b"synthbank") + bytes(4)
JSON_GZ = gzip.compress(b'{"seed": 42}', mtime=0)
RNG = np.random.default_rng(12)

#: case -> (file name, bytes): each claims a format (by suffix or signature) it does not hold.
UNSCANNABLE: dict[str, tuple[str, bytes]] = {
    # the five of issue 12
    "empty .png": ("e.png", b""),
    "PNG signature then zeros": ("z.png", PNG_SIGNATURE + bytes(64)),
    "JSON cut after a key": ("a.json", b'{"a": '),
    "gzip header then garbage as .nii.gz": ("g.nii.gz", b"\x1f\x8b\x08\x00" + bytes(6) + RNG.bytes(200)),
    # a stored block announcing 255 bytes, then fewer: zlib waits for more instead of failing
    "gzip header then a cut block as .nii.gz": ("k.nii.gz", b"\x1f\x8b\x08\x00" + bytes(6) + b"\x00\xff\x00\x00\xff" + RNG.bytes(200)),
    "348 random bytes as .nii": ("r.nii", RNG.bytes(348)),
    # PNG
    "truncated PNG": ("t.png", PNG[:-20]),
    "PNG without IEND": ("n.png", PNG[:-12]),
    "PNG with a bad IDAT CRC": ("c.png", _flip(PNG, PNG.index(b"IDAT") + 6)),
    "PNG not starting with IHDR": ("i.png", PNG_SIGNATURE + PNG[-12:]),
    "PNG chunk type not letters": ("l.png", PNG[:33] + struct.pack(">I4s", 0, b"t3Xt") + struct.pack(">I", zlib.crc32(b"t3Xt")) + PNG[33:]),
    ".png holding text": ("x.png", b"Name: Jane Doe\n"),
    ".png holding HDF5": ("h.png", b"\x89HDF\r\n\x1a\n" + bytes(64)),
    # JSON
    "empty .json": ("e.json", b""),
    ".json not UTF-8": ("u.json", b'{"a": "\xff\xfe"}'),
    ".json holding a PNG": ("p.json", PNG),
    ".json with text after the value": ("t.json", b'{"a": 1} trailing'),
    # NIfTI
    "empty .nii": ("e.nii", b""),
    "Analyze header (no magic) as .nii": ("a.nii", NII[:344] + bytes(4) + NII[348:]),
    "NIfTI header without its voxels": ("v.nii", NII[:352]),
    "NIfTI header with dim[0] = 0": ("d.nii", NII[:40] + bytes(2) + NII[42:]),
    "NIfTI vox_offset inside the header": ("o.nii", NII[:108] + struct.pack("<f", 100.0) + NII[112:]),
    "NIfTI extension running past the voxels": ("x.nii", NII[:108] + struct.pack("<f", 368.0) + NII[112:348] + b"\x01"
                                                 + NII[349:352] + struct.pack("<ii", 4096, 6) + bytes(12)),
    "NIfTI-2 with a bad end-of-line check": ("b.nii", nifti2_header()[:8] + b"\n\n\x1a\n" + nifti2_header()[12:] + bytes(4)),
    "NIfTI-2 header cut short": ("s.nii", nifti2_header()[:500]),
    # gzip
    "empty .gz": ("e.json.gz", b""),
    "truncated gzip": ("t.json.gz", JSON_GZ[:-12]),
    "gzip with a bad CRC": ("c.json.gz", JSON_GZ[:-8] + b"\x00\x00\x00\x00" + JSON_GZ[-4:]),
    "gzip with trailing garbage": ("g.json.gz", JSON_GZ + b"garbage"),
    "gzip holding cut JSON": ("j.json.gz", gzip.compress(b'{"a": ', mtime=0)),
    "gzip holding no NIfTI as .nii.gz": ("n.nii.gz", gzip.compress(b'{"seed": 42}', mtime=0)),
    "truncated .nii.gz": ("t.nii.gz", gzip.compress(NII, mtime=0)[:-10]),
    "gzip inside gzip": ("d.gz", gzip.compress(JSON_GZ, mtime=0)),
    "HDF5 inside gzip": ("h.h5.gz", gzip.compress(hdf5_bytes(lambda f: None), mtime=0)),
    # HDF5
    "empty .h5": ("e.h5", b""),
    "HDF5 signature then garbage": ("g.h5", b"\x89HDF\r\n\x1a\n" + RNG.bytes(600)),
    ".hdf5 holding text": ("t.hdf5", b"patient: Jane Doe\n"),
    "truncated HDF5": ("t.h5", hdf5_bytes(lambda f: f.attrs.__setitem__("a", "b"))[:300]),
    # npz
    "empty .npz": ("e.npz", b""),
    ".npz holding text": ("t.npz", b"not a zip"),
    "truncated npz": ("c.npz", NPZ[: len(NPZ) // 2]),
    "npz member with a corrupt byte (stored)": ("m.npz", _flip(NPZ, NPZ.index(bytes([7] * 64)) + 32)),
    "npz member with a corrupt byte (deflated)": ("d.npz", _flip(NPZ_DEFLATED, len(NPZ_DEFLATED) // 3)),
    "npz member needing pickle": ("p.npz", npz_bytes(arr_0=np.array([{"patient": "Jane Doe"}], dtype=object))),
    "npz member that is not .npy": ("n.npz", zip_bytes({"notes.txt": b"MRN 12345"})),
    "npz member with a bad npy header": ("h.npz", zip_bytes({"arr_0.npy": b"garbage bytes"})),
    "npz member shorter than its header says": ("s.npz", zip_bytes({"arr_0.npy": _npy((10,), bytes(5))})),
    "npz member longer than its header says": ("l.npz", zip_bytes({"arr_0.npy": _npy((10,), bytes(15))})),
    "npz text member too large to read": ("b.npz", npz_bytes(arr_0=np.zeros(MAX_STRING_DATASET + 1, "S1"))),
    # DICOM
    "empty .dcm": ("e.dcm", b""),
    "DICOM element running past the end": ("b.dcm", b"\x00" * 128 + b"DICM" + b"\x02\x00\x10\x00\x01\x02"),
}


@pytest.mark.parametrize("case", UNSCANNABLE)
def test_unreadable_file_is_reported_unscannable(tmp_path: Path, case: str, capsys: pytest.CaptureFixture[str]) -> None:
    """One `unscannable` finding, and `synthbank verify-no-phi <path>` fails with one line."""
    from synthbank.cli import main

    name, data = UNSCANNABLE[case]
    path = tmp_path / name
    path.write_bytes(data)
    found = [(f.location, f.kind) for f in phi.scan([path])]
    tally.record("phi: unscannable files", 1, int(found == [("(file)", "unscannable")]), "reported unscannable, scan failed")
    assert found == [("(file)", "unscannable")]
    with pytest.raises(SystemExit) as exit_:
        main(["verify-no-phi", str(path)])
    out, err = capsys.readouterr()
    assert exit_.value.code == 1
    assert len(out.splitlines()) == 1 and out.startswith(f"PHI {path}: (file): unscannable: ")
    assert err == "synthbank: error: verify-no-phi found 1 identifier(s) in 1 of 1 file(s)\n"


def test_unscannable_messages_name_the_fault(tmp_path: Path) -> None:
    """The line says what is wrong, so a reader can tell a broken file from a scanner bug."""
    expected = {
        "empty .png": "ValueError: empty file named *.png: not PNG",
        "PNG signature then zeros": "ValueError: PNG chunk type b'\\x00\\x00\\x00\\x00' at byte 8 is not 4 letters",
        "JSON cut after a key": "JSONDecodeError: Expecting value: line 1 column 7 (char 6)",
        "348 random bytes as .nii": "ValueError: NIfTI header: sizeof_hdr is",
        "PNG with a bad IDAT CRC": "ValueError: PNG chunk b'IDAT' at byte 33 has a bad CRC",
        ".png holding HDF5": "ValueError: named *.png but its content is HDF5",
        "NIfTI header without its voxels": "ValueError: NIfTI file is 352 bytes; its header announces 356",
        "gzip with a bad CRC": "BadGzipFile: CRC check failed",
        "npz member with a corrupt byte (stored)": "BadZipFile: Bad CRC-32 for file 'arr_0.npy'",
        "npz member needing pickle": "ValueError: npz member 'arr_0.npy' holds Python objects: not read (it needs pickle)",
        "npz member shorter than its header says": "ValueError: npz member 'arr_0.npy' holds 5 data bytes; its header announces 10",
        "HDF5 inside gzip": "ValueError: HDF5 inside gzip is not read",
    }
    for case, start in expected.items():
        name, data = UNSCANNABLE[case]
        (found,) = scan_bytes(tmp_path, name, data)
        assert found.text.startswith(start), (case, found.text)


def test_unscannable_files_fail_the_real_command_one_line_each(run, tmp_path: Path) -> None:
    """The console script over all the cases at once: exit 1, exactly one line per file."""
    for n, (name, data) in enumerate(UNSCANNABLE.values()):
        (tmp_path / f"{n:02d}-{name}").write_bytes(data)
    proc = run([VENV_BIN / "synthbank", "verify-no-phi", "."], tmp_path, check=False)
    assert proc.returncode == 1, proc.stderr
    lines = proc.stdout.splitlines()
    assert [line.split(":")[0] for line in lines] == [f"PHI {n:02d}-{name}" for n, (name, _) in enumerate(UNSCANNABLE.values())]
    assert all(": (file): unscannable: " in line for line in lines)
    assert proc.stderr.endswith(f"found {len(UNSCANNABLE)} identifier(s) in {len(UNSCANNABLE)} of {len(UNSCANNABLE)} file(s)\n")


def own_writers_files() -> dict[str, bytes]:
    image = NiftiImage(np.arange(24, dtype=np.int16).reshape(2, 3, 4), (1.0, 1.0, 2.0), sform_code=1,
                       srow=((1.0, 0, 0, -1), (0, 1.0, 0, -2), (0, 0, 2.0, -3)))
    pil = io.BytesIO()
    Image.fromarray(np.arange(768, dtype=np.uint8).reshape(16, 16, 3)).save(pil, format="PNG")
    h5 = io.BytesIO()
    with hdf5.create_file(h5, {"family": "chromatic", "params": {"seed": 42, "name": "blobs"}}) as f:
        hdf5.create_dataset(f, "images", shape=(4, 8, 8), dtype="u1", data=np.zeros((4, 8, 8), np.uint8),
                            attrs={"units": "counts"})
    return {
        "encode_png.png": PNG,
        "pillow.png": pil.getvalue(),
        "hdf5.h5": h5.getvalue(),
        "npz_writer.npz": npz_project_writer(images=np.arange(4096, dtype=np.uint8).reshape(16, 16, 16),
                                             labels=np.arange(16, dtype=np.int64)),
        "savez_compressed.npz": npz_bytes(True, Y=np.ones((4, 8), np.complex64), xcoords=np.linspace(0, 1, 9)),
        "empty.npz": npz_bytes(),
        "encode_nifti.nii": encode_nifti(image),
        "encode_nifti_gz.nii.gz": encode_nifti_gz(image, 6),
        "canonical.json": jsonio.dumps({"family": "atomic", "seed": 42, "release": {"date": "2026-11-22"}}).encode(),
        "signal.float32": np.linspace(-1, 1, 4096, dtype=np.float32).tobytes(),
        "empty.txt": b"",
    }


def test_files_from_our_own_writers_scan_clean(tmp_path: Path) -> None:
    """No false `unscannable` (or any finding) on the kinds of file the families write."""
    files = own_writers_files()
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    found = phi.scan([tmp_path])
    tally.record("phi: own writers' files", len(files), len(files) - len({f.path for f in found}), "scanned clean")
    assert found == []
