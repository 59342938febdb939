"""Pure conversions: windowing, slice choice and display orientation."""

from __future__ import annotations

import numpy as np
import pytest

from synthbank.families.public.convert import plane_slices, slice_index, window_to_uint8


def test_window_maps_ends_and_clips() -> None:
    hu = np.array([-1000, -160, 40, 240, 3000])
    np.testing.assert_array_equal(window_to_uint8(hu, -160, 240), [0, 0, 128, 255, 255])  # 127.5 rounds up
    with pytest.raises(ValueError, match="low < high"):
        window_to_uint8(hu, 10, 10)


@pytest.mark.parametrize(("length", "fraction", "index"), [(189, 0.5, 94), (233, 0.5, 116), (10, 0.0, 0), (10, 1.0, 9), (4, 0.5, 2)])
def test_slice_index(length: int, fraction: float, index: int) -> None:
    assert slice_index(length, fraction) == index


def test_slice_index_refuses_outside_unit_interval() -> None:
    with pytest.raises(ValueError, match="allowed 0..1"):
        slice_index(10, 1.5)


def test_orientation_anterior_and_superior_up_right_on_right() -> None:
    vol = np.zeros((5, 6, 7), np.uint8)  # x right, y anterior, z superior
    vol[4, 5, 3] = 1   # right, anterior, mid-z
    vol[4, 3, 6] = 2   # right, mid-y, superior
    vol[2, 5, 6] = 3   # mid-x, anterior, superior
    s = plane_slices(vol, ["axial", "coronal", "sagittal"], 0.5)
    assert s["axial"][0] == 3 and s["axial"][1].shape == (6, 5)
    assert s["axial"][1][0, 4] == 1            # top row = most anterior, right column = right
    assert s["coronal"][0] == 3 and s["coronal"][1].shape == (7, 5)
    assert s["coronal"][1][0, 4] == 2          # top row = most superior
    assert s["sagittal"][0] == 2 and s["sagittal"][1].shape == (7, 6)
    assert s["sagittal"][1][0, 5] == 3         # superior at the top, anterior on the right


def test_unknown_plane_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown"):
        plane_slices(np.zeros((2, 2, 2)), ["oblique"], 0.5)
