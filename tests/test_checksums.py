import hashlib
import os

import numpy as np
import pytest

from synthbank import checksums


def test_check_value_of_the_catalogue():
    assert checksums.crc64(b"123456789") == 0xB90956C775A41001
    assert checksums.crc64_hex(checksums.crc64(b"123456789")) == "b90956c775a41001"
    assert checksums.crc64_reference(b"123456789") == 0xB90956C775A41001
    checksums.self_check()


def test_crcmod_runs_its_c_extension():
    import crcmod.crcmod

    assert crcmod.crcmod._usingExtension is True


@pytest.mark.parametrize("size", [0, 1, 7, 8, 9, 255, 4096, 1_000_003])
def test_fast_crc_equals_crcmod_bit_for_bit(size):
    data = np.random.default_rng(size).integers(0, 256, size, dtype=np.uint8).tobytes()
    assert checksums.crc64(data) == checksums.crc64_reference(data)


def test_chained_crc_equals_one_shot():
    data = np.random.default_rng(1).integers(0, 256, 100_000, dtype=np.uint8).tobytes()
    crc = 0
    for start in range(0, len(data), 7_777):
        crc = checksums.crc64(data[start : start + 7_777], crc)
    assert crc == checksums.crc64(data) == checksums.crc64_reference(data)


def _spy_reads(monkeypatch) -> list[int]:
    """Sizes of the buffers digest_file reads into (os.preadv), in order."""
    sizes: list[int] = []
    real = os.preadv

    def preadv(fd, buffers, offset):
        sizes.append(sum(len(b) for b in buffers))
        return real(fd, buffers, offset)

    monkeypatch.setattr(checksums.os, "preadv", preadv)
    return sizes


def test_digest_file_streams_over_chunks(tmp_path, monkeypatch):
    data = np.random.default_rng(2).integers(0, 256, 3_000_001, dtype=np.uint8).tobytes()
    path = tmp_path / "f.bin"
    path.write_bytes(data)
    monkeypatch.setattr(checksums, "READ_SIZE", 65_536)  # force many chunks
    reads = _spy_reads(monkeypatch)
    d = checksums.digest_file(path)
    assert len(reads) == -(-len(data) // 65_536) and max(reads) == 65_536
    assert d.bytes == len(data)
    assert d.sha256 == hashlib.sha256(data).hexdigest()
    assert d.crc64 == f"{checksums.crc64_reference(data):016x}"


def test_a_small_file_is_read_with_a_buffer_of_its_size(tmp_path, monkeypatch):
    data = np.random.default_rng(4).integers(0, 256, 100, dtype=np.uint8).tobytes()
    (tmp_path / "small").write_bytes(data)
    reads = _spy_reads(monkeypatch)
    assert checksums.digest_file(tmp_path / "small").sha256 == hashlib.sha256(data).hexdigest()
    assert reads == [100]  # not READ_SIZE: a manifest of many small files stays small


def test_empty_file(tmp_path):
    (tmp_path / "e").write_bytes(b"")
    d = checksums.digest_file(tmp_path / "e")
    assert (d.bytes, d.crc64) == (0, f"{checksums.crc64_reference(b''):016x}")


def test_stream_digest_equals_digest_of_the_written_file(tmp_path):
    data = np.random.default_rng(3).integers(0, 256, 200_003, dtype=np.uint8).tobytes()
    digest = checksums.StreamDigest()
    with open(tmp_path / "w.bin", "wb") as f:
        for start in range(0, len(data), 65_537):  # uneven pieces, as a writer would feed them
            f.write(data[start : start + 65_537])
            digest.update(data[start : start + 65_537])
    assert digest.result() == checksums.digest_file(tmp_path / "w.bin")


def test_crc64_each_and_all_combines_the_parts_into_the_whole():
    rng = np.random.default_rng(5)
    arrays = [rng.random((7, 5)).astype(">f4"), np.zeros(0, np.uint8), rng.integers(0, 255, 1001, dtype=np.uint8),
              np.asfortranarray(rng.random((3, 4)))]
    parts, whole = checksums.crc64_each_and_all(arrays)
    assert parts == [checksums.crc64_arrays([a]) for a in arrays]
    # the reference: crcmod over the concatenated canonical bytes
    data = b"".join(np.ascontiguousarray(a, dtype=a.dtype.newbyteorder("<")).tobytes() for a in arrays)
    assert whole == f"{checksums.crc64_reference(data):016x}" == checksums.crc64_arrays(arrays)


def test_crc64_arrays_is_the_crc_of_little_endian_c_order_bytes():
    a = np.arange(12, dtype=np.float32).reshape(3, 4)
    b = np.arange(5, dtype=np.uint8)
    expected = f"{checksums.crc64_reference(a.astype('<f4').tobytes() + b.tobytes()):016x}"
    assert checksums.crc64_arrays([a, b]) == expected
    # the same content in another layout or byte order has the same CRC
    assert checksums.crc64_arrays([np.asfortranarray(a).astype(">f4"), b]) == expected
    assert checksums.crc64_arrays([a[:, ::-1], b]) != expected


def _spliced_file(path, arrays):
    """A file of random gaps around ``arrays``' bytes; returns its (offset, array) pairs."""
    rng, known, pos = np.random.default_rng(len(arrays)), [], 0
    with open(path, "wb") as f:
        for a in arrays:
            gap = rng.integers(0, 256, int(rng.integers(0, 5000)), dtype=np.uint8).tobytes()
            f.write(gap)
            pos += len(gap)
            known.append((pos, a))
            f.write(a.tobytes())
            pos += a.nbytes
        f.write(b"tail" * 3)
    return known


def test_spliced_digest_equals_reading_the_whole_file(tmp_path, monkeypatch):
    monkeypatch.setattr(checksums, "READ_SIZE", 1000)  # gaps read in several pieces
    rng = np.random.default_rng(3)
    arrays = [rng.random((50, 7)).astype(np.float32), rng.integers(0, 9, 333, dtype=np.uint8), rng.random(2048)]
    known = _spliced_file(tmp_path / "f", arrays)
    data = (tmp_path / "f").read_bytes()  # the reference: the whole file's bytes, hashed by hashlib and crcmod
    expected = checksums.FileDigest(len(data), f"{checksums.crc64_reference(data):016x}", hashlib.sha256(data).hexdigest())
    assert checksums.digest_file_spliced(tmp_path / "f", reversed(known)) == expected  # any order given
    assert checksums.digest_file_spliced(tmp_path / "f") == expected  # nothing known: all read


def test_spliced_digest_hashes_the_known_ranges_from_memory(tmp_path):
    """It trusts the caller's arrays: other bytes in memory give another digest (no read-back)."""
    a = np.arange(1000, dtype=np.float32)
    known = _spliced_file(tmp_path / "f", [a])
    b = a.copy()
    b[500] = -1
    assert checksums.digest_file_spliced(tmp_path / "f", [(known[0][0], b)]) != checksums.digest_file(tmp_path / "f")


@pytest.mark.parametrize("offset, size", [(10, 4000), (8, 4), (-1, 4), (3990, 40)])
def test_spliced_digest_refuses_ranges_outside_the_file_or_overlapping(tmp_path, offset, size):
    """Overlapping the first range, before the file's start, past its end."""
    (tmp_path / "f").write_bytes(bytes(4000))
    known = [(0, np.zeros(16, np.uint8)), (offset, np.zeros(size, np.uint8))]
    with pytest.raises(ValueError, match="overlap another range or the file's end"):
        checksums.digest_file_spliced(tmp_path / "f", known)
