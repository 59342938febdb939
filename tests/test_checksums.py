import hashlib

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


def test_digest_file_streams_over_chunks(tmp_path, monkeypatch):
    data = np.random.default_rng(2).integers(0, 256, 3_000_001, dtype=np.uint8).tobytes()
    path = tmp_path / "f.bin"
    path.write_bytes(data)
    monkeypatch.setattr(checksums, "READ_SIZE", 65_536)  # force many chunks
    assert len(list(checksums._chunks(path))) == -(-len(data) // 65_536)
    d = checksums.digest_file(path)
    assert d.bytes == len(data)
    assert d.sha256 == hashlib.sha256(data).hexdigest()
    assert d.crc64 == f"{checksums.crc64_reference(data):016x}"


def test_digest_file_read_size_bounds_the_buffer_not_the_result(tmp_path):
    data = np.random.default_rng(4).integers(0, 256, 1_000_003, dtype=np.uint8).tobytes()
    (tmp_path / "big").write_bytes(data)
    (tmp_path / "small").write_bytes(data[:100])
    assert checksums.digest_file(tmp_path / "big", read_size=4096) == checksums.digest_file(tmp_path / "big")
    assert max(len(c.obj) for c in checksums._chunks(tmp_path / "big", 4096)) == 4096
    # a small file is read with a buffer of its size, not READ_SIZE (8 MiB of memory for a manifest)
    assert len(next(iter(checksums._chunks(tmp_path / "small"))).obj) == 101
    assert checksums.digest_file(tmp_path / "small").sha256 == hashlib.sha256(data[:100]).hexdigest()


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


def test_crc64_arrays_is_the_crc_of_little_endian_c_order_bytes():
    a = np.arange(12, dtype=np.float32).reshape(3, 4)
    b = np.arange(5, dtype=np.uint8)
    expected = f"{checksums.crc64_reference(a.astype('<f4').tobytes() + b.tobytes()):016x}"
    assert checksums.crc64_arrays([a, b]) == expected
    # the same content in another layout or byte order has the same CRC
    assert checksums.crc64_arrays([np.asfortranarray(a).astype(">f4"), b]) == expected
    assert checksums.crc64_arrays([a[:, ::-1], b]) != expected
