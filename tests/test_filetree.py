"""filetree.digest_written: a writer's own digests, used only while the file is unchanged."""

from __future__ import annotations

import os
from pathlib import Path

from synthbank import checksums, filetree


def test_a_remembered_digest_is_used_until_the_file_changes(tmp_path: Path) -> None:
    (tmp_path / "staged").mkdir()
    path = tmp_path / "staged" / "f.bin"
    path.write_bytes(b"abc" * 1000)
    claimed = checksums.FileDigest(bytes=3000, crc64="0" * 16, sha256="f" * 64)  # not the file's: shows which was used
    filetree.remember(filetree.file_key(path), claimed)
    os.rename(tmp_path / "staged", tmp_path / "final")  # the commit's rename of its directory keeps it
    moved = tmp_path / "final" / "f.bin"
    assert filetree.digest_written([moved]) == [claimed]
    with open(moved, "r+b") as f:  # same size, new bytes: read again
        f.write(b"x")
    assert filetree.digest_written([moved]) == [checksums.digest_file(moved)]
    assert filetree.digest_written([moved])[0].sha256 != claimed.sha256
