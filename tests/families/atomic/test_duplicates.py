"""Tests for synthbank.families.atomic.duplicates: byte-identical images, hash collisions."""

from __future__ import annotations

import numpy as np
import pytest

from synthbank.families.atomic import duplicates
from synthbank.families.atomic.duplicates import duplicate_rate


def test_duplicate_rate_planted_duplicates():
    rng = np.random.default_rng(3)
    n = 2000
    x = rng.integers(0, 256, size=(n, 16, 16), dtype=np.uint8)
    assert duplicate_rate(x) == 0.0
    # plant 7 duplicates: adjacent, far apart, and a triple (counts twice)
    x[1] = x[0]
    x[1999] = x[5]  # far apart
    x[1500] = x[10]
    x[1600] = x[10]  # third copy of image 10
    x[800] = x[400]
    x[1998] = x[2]
    x[1200] = x[3]
    # near-duplicates differing in a single byte (or a single bit) do NOT count
    x[50] = x[20]
    x[50, 15, 15] ^= 1
    x[60] = x[21]
    x[60, 0, 0] = (int(x[60, 0, 0]) + 128) % 256
    assert duplicate_rate(x) == pytest.approx(7 / n, abs=0)
    assert duplicate_rate(x[:1]) == 0.0
    assert duplicate_rate(np.zeros((5, 16, 16), np.uint8)) == pytest.approx(4 / 5)


def test_duplicate_rate_confirms_hash_collisions(monkeypatch):
    rng = np.random.default_rng(4)
    x = rng.integers(0, 256, size=(100, 16, 16), dtype=np.uint8)
    x[99] = x[0]
    # every image gets the same hash: exact byte comparison must still decide
    monkeypatch.setattr(duplicates, "row_hashes", lambda images, chunk=65536: np.zeros(len(images), np.uint64))
    assert duplicate_rate(x) == pytest.approx(1 / 100, abs=0)


def test_duplicate_rate_odd_byte_sizes():
    rng = np.random.default_rng(5)
    x = rng.integers(0, 256, size=(30, 5, 3), dtype=np.uint8)  # 15 bytes per image
    x[29] = x[3]
    y = x.copy()
    y[28] = x[4]
    y[28, 4, 2] ^= 0x80  # differs only in the last (padded-word) byte
    assert duplicate_rate(y) == pytest.approx(1 / 30, abs=0)
