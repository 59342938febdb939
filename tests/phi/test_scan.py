"""The walk (synthbank.phi.scan): gzip content, sorted directories, unscannable files, the verify-no-phi command."""

from __future__ import annotations

import dataclasses
import gzip
import struct
from pathlib import Path

import numpy as np
import pytest
from conftest import MAIN, VENV_BIN
from phi.helpers import dicom_element, dicom_file, kinds

from synthbank import phi
from synthbank.io.png import encode_png
from synthbank.phi.png import PNG_SIGNATURE


@pytest.mark.parametrize(("name", "content", "expected"), [
    ("study.dcm.gz", dicom_file(dicom_element(0x0010, 0x0010, "PN", b"Doe^John")), {"dicom_header", "person_name"}),
    ("meta.json.gz", b'{"subject": {"ssn": "123-45-6789"}}', {"ssn"}),
    ("notes.txt.gz", b"contact jane.doe@example.org\n", {"email"}),
    ("clean.json.gz", b'{"seed": 42}', set()),
    ("inner.h5.gz", b"\x89HDF\r\n\x1a\n" + bytes(100), {"unscannable"}),
])
def test_gzip_content_is_scanned(tmp_path: Path, name: str, content: bytes, expected: set[str]) -> None:
    """Gzip other than NIfTI is read, not passed unread."""
    path = tmp_path / name
    path.write_bytes(gzip.compress(content, mtime=0))
    assert kinds(phi.scan([path])) == expected


def test_shipped_provenance_records_are_clean() -> None:
    """Real metadata with attributions (authors' names, years, URLs, hashes) is not flagged."""
    records = sorted((MAIN / "sources/public").glob("*/provenance.json"))
    assert len(records) == 3 and "Mikael" in records[1].read_text("utf-8")
    assert phi.scan(records) == []


# --- the walk and the result --------------------------------------------------------------


def test_directories_are_walked_in_sorted_order(tmp_path: Path) -> None:
    for name in ("b/2.txt", "a/1.txt", "b/1.txt"):
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text("contact me@example.org\n")
    found = phi.scan([tmp_path])
    assert [f.path.relative_to(tmp_path).as_posix() for f in found] == ["a/1.txt", "b/1.txt", "b/2.txt"]
    assert found[0] == phi.Finding(tmp_path / "a/1.txt", "line 1", "email", "me@example.org")
    with pytest.raises(dataclasses.FrozenInstanceError):
        found[0].kind = "x"  # type: ignore[misc]


def test_missing_path_raises(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        phi.scan([tmp_path / "nope"])


def test_corrupt_known_format_is_unscannable(tmp_path: Path) -> None:
    png = encode_png(np.zeros((4, 4), np.uint8))
    path = tmp_path / "cut.png"
    path.write_bytes(png[:8] + struct.pack(">I4s", 1000, b"tEXt") + b"short")
    assert kinds(phi.scan([path])) == {"unscannable"}
    bad = tmp_path / "bad.dcm"
    bad.write_bytes(b"\x00" * 128 + b"DICM" + b"\x02\x00\x10\x00\x01\x02")
    assert "unscannable" in kinds(phi.scan([bad]))
    body = b"Comment\x00"  # an iTXt chunk cut after its keyword: reported, not a crash
    itxt = tmp_path / "itxt.png"
    itxt.write_bytes(png[:33] + struct.pack(">I4s", len(body), b"iTXt") + body + b"\x00" * 4 + png[33:])
    assert [(f.location, f.kind) for f in phi.scan([itxt])] == [("(file)", "unscannable")]


# --- the command --------------------------------------------------------------------------


def test_verify_no_phi_command(run, tmp_path: Path) -> None:
    for d in ("data", "manifests", "metrics", "reports"):
        (tmp_path / d).mkdir()
    (tmp_path / "data" / "ok.json").write_text('{"seed": 42}\n')
    ok = run([VENV_BIN / "synthbank", "verify-no-phi"], tmp_path, check=False)
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.startswith("OK no PHI found in 1 file(s)")
    (tmp_path / "reports" / "r.csv").write_text("kind,count\nscan,1\n")  # metrics/ and reports/ are outputs too
    (tmp_path / "metrics" / "m.json").write_text('{"contact": "jane.doe@example.org"}\n')
    by_default = run([VENV_BIN / "synthbank", "verify-no-phi"], tmp_path, check=False)
    assert by_default.returncode == 1 and "PHI metrics/m.json: $.contact: email" in by_default.stdout
    assert "in 1 of 3 file(s)" in by_default.stderr
    (tmp_path / "metrics" / "m.json").unlink()
    (tmp_path / "data" / "bad.json").write_text('{"patient": {"email": "jane.doe@example.org"}}\n')
    (tmp_path / "data" / "cut.png").write_bytes(PNG_SIGNATURE + struct.pack(">I4s", 1000, b"tEXt") + b"short")
    bad = run([VENV_BIN / "synthbank", "verify-no-phi"], tmp_path, check=False)
    assert bad.returncode == 1
    assert bad.stdout.splitlines() == [  # one line each, naming file and key path; parse errors in full
        "PHI data/bad.json: $.patient.email: email: e*** (26 chars)",
        "PHI data/cut.png: (file): unscannable: ValueError: PNG chunk b'tEXt' at byte 8 is truncated",
    ]
    assert "found 2 identifier(s) in 2 of 4 file(s)" in bad.stderr  # with reports/r.csv
    shown = run([VENV_BIN / "synthbank", "verify-no-phi", "data/bad.json", "--show-text"], tmp_path, check=False)
    assert "email=jane.doe@example.org" in shown.stdout
    missing = run([VENV_BIN / "synthbank", "verify-no-phi", "nope"], tmp_path, check=False)
    assert missing.returncode == 2 and "nope" in missing.stderr


def test_atomic_family_outputs_are_clean(run, tmp_path: Path, params_snapshot: Path) -> None:
    """Another family's real outputs (HDF5 attributes, npz, metadata.json, manifest) pass."""
    out = tmp_path / "atomic"
    run([VENV_BIN / "synthbank", "generate", "atomic", "--params", params_snapshot, "--num-images", "5000",
         "--output-dir", out, "--yes"], tmp_path)
    assert {"manifest.json", "metadata.json", "train.h5", "train.npz"} <= {p.name for p in out.iterdir()}
    assert phi.scan([out]) == []
