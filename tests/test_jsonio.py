import json

import numpy as np
import pytest

from synthbank import jsonio


def test_sorted_indented_trailing_newline_and_rounded():
    text = jsonio.dumps({"b": np.float32(0.1234567891), "a": [np.int64(3), np.bool_(True)], "c": -0.0000001})
    assert text.endswith("}\n")
    assert list(json.loads(text)) == ["a", "b", "c"]
    assert json.loads(text) == {"a": [3, True], "b": 0.123457, "c": 0.0}
    assert '"c": 0.0' in text  # no -0.0
    assert text == jsonio.dumps(json.loads(text))  # canonical form is a fixed point


def test_non_finite_refused():
    with pytest.raises(ValueError, match="non-finite"):
        jsonio.dumps({"x": float("nan")})
