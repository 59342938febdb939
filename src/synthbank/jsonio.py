"""Canonical JSON: sorted keys, indent 2, trailing newline, data floats rounded to 1e-6."""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np

FLOAT_DECIMALS = 6


def canonical(obj: Any) -> Any:
    """Convert numpy scalars/arrays to Python types and round floats to 1e-6.

    Raises ``ValueError`` for NaN or infinity: JSON has no place for them.
    """
    if isinstance(obj, dict):
        return {str(k): canonical(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [canonical(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return canonical(obj.tolist())
    if isinstance(obj, (bool, np.bool_)):
        return bool(obj)
    if isinstance(obj, (int, np.integer)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        value = float(obj)
        if not math.isfinite(value):
            raise ValueError(f"non-finite float {value!r} cannot be written to JSON")
        rounded = round(value, FLOAT_DECIMALS)
        return 0.0 if rounded == 0 else rounded  # no "-0.0"
    return obj


def dumps(obj: Any) -> str:
    """Canonical JSON text of ``obj`` (see module docstring)."""
    return json.dumps(canonical(obj), sort_keys=True, indent=2, ensure_ascii=False) + "\n"
