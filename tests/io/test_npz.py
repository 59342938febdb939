import zipfile

import numpy as np

from synthbank.io import deflate
from synthbank.io.npz import NpzWriter


def _write(path, images, labels, piece):
    with NpzWriter(path) as npz:
        member = npz.begin_array("images", images.dtype, images.shape)
        for start in range(0, len(images), piece):
            raw = images[start : start + piece].tobytes()
            member.write(raw, deflate.segment(raw, 1))
        npz.end_array(member)
        npz.add_array("labels", labels)


def test_numpy_reads_it_and_zip_crc_checks(tmp_path):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 30, (5000, 16, 16), dtype=np.uint8)
    labels = rng.integers(0, 5, 5000).astype(np.uint8)
    _write(tmp_path / "a.npz", images, labels, 777)
    with np.load(tmp_path / "a.npz", allow_pickle=False) as z:
        assert sorted(z.files) == ["images", "labels"]
        assert np.array_equal(z["images"], images) and np.array_equal(z["labels"], labels)
    with zipfile.ZipFile(tmp_path / "a.npz") as zf:
        assert zf.testzip() is None
        assert all(info.date_time == (1980, 1, 1, 0, 0, 0) for info in zf.infolist())
        assert all(info.compress_type == zipfile.ZIP_DEFLATED for info in zf.infolist())


def test_bytes_depend_on_content_not_time(tmp_path):
    images = np.arange(256 * 10, dtype=np.uint8).reshape(10, 16, 16)
    labels = np.arange(10, dtype=np.uint8)
    _write(tmp_path / "a.npz", images, labels, 3)
    _write(tmp_path / "b.npz", images, labels, 3)
    assert (tmp_path / "a.npz").read_bytes() == (tmp_path / "b.npz").read_bytes()
