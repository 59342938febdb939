"""``stats.yaml`` of a Well dataset: the statistics The Well's normalisation reads.

The Well (``the_well/data/normalization.py``) reads ``mean``, ``std``, ``mean_delta`` and
``std_delta`` (``ZScoreNormalization``) or ``rms`` and ``rms_delta`` (``RMSNormalization``),
each a mapping field name -> value: a number for a t0 field, a list of D numbers for a t1
field, D lists of D for a t2 field. They are computed here as the Well's
``scripts/compute_statistics.py`` computes them from the train split: in float64, over
every axis but the tensor components (samples, steps, cells), population variance,
``std = sqrt(var)``, ``rms = sqrt(var + mean**2)``; the deltas from ``x[:, 1:] - x[:, :-1]``
(consecutive steps of one trajectory) of time-varying fields. Scalars have no statistics
there, so none here.

The YAML is written with sorted keys and Python's shortest round-trip float text, so the
same arrays give the same bytes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import yaml

#: The keys the Well's normalisations read (ZScore: the first four; RMS: rms, rms_delta).
KEYS = ("mean", "std", "rms", "mean_delta", "std_delta", "rms_delta")

HEADER = ("# The Well's normalisation statistics of this dataset, from its train split (as the Well's\n"
          "# scripts/compute_statistics.py: float64, population, over samples, steps and cells;\n"
          "# delta = x[:, t + 1] - x[:, t]). Written by synthbank (docs/families/energy.md).\n")


def _moments(x: np.ndarray, order: int, scratch: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(mean, std, rms) of ``x`` over every axis but its last ``order`` (the tensor components).

    ``scratch``: ``x`` (C-contiguous) may be overwritten, which spares a copy of it.
    """
    axes = tuple(range(x.ndim - order))
    mean = x.mean(axis=axes)
    dev = np.subtract(x, mean, out=x if scratch else None)
    var = np.square(dev, out=dev).mean(axis=axes)
    return mean, np.sqrt(var), np.sqrt(var + np.square(mean))


def _plain(v: np.ndarray) -> Any:
    """A float or nested lists of floats (what yaml.safe_dump writes and the Well's torch.as_tensor reads)."""
    return float(v) if np.ndim(v) == 0 else [_plain(x) for x in v]


def field_stats(fields: Mapping[str, tuple[np.ndarray, int, bool]]) -> dict[str, dict[str, Any]]:
    """The six statistics of every field.

    Parameters
    ----------
    fields : name -> (array, tensor order, time_varying); arrays (B, T, *cells, D**order)
        when time-varying (B, *cells, D**order otherwise), as stored (float32).

    Returns
    -------
    dict
        ``{key: {field: value}}`` for the keys of :data:`KEYS`; the delta keys only list
        time-varying fields (the Well fills constant fields' deltas itself).
    """
    out: dict[str, dict[str, Any]] = {k: {} for k in KEYS}
    for name, (data, order, time_varying) in fields.items():
        x = np.asarray(data, dtype=np.float64)
        if time_varying:
            if x.shape[1] < 2:
                raise ValueError(f"field {name!r} has {x.shape[1]} step(s): allowed at least 2 for the delta statistics")
            delta = x[:, 1:] - x[:, :-1]
            for key, v in zip(("mean_delta", "std_delta", "rms_delta"), _moments(delta, order, scratch=True), strict=True):
                out[key][name] = _plain(v)
        # x is overwritten when it is a float64 copy made here (not the caller's array)
        for key, v in zip(("mean", "std", "rms"), _moments(x, order, scratch=x is not data and x.flags.c_contiguous),
                          strict=True):
            out[key][name] = _plain(v)
    return out


def dumps(stats: Mapping[str, Any]) -> bytes:
    """The YAML bytes of ``stats`` (sorted keys, block style, a header comment)."""
    return (HEADER + yaml.safe_dump(dict(stats), sort_keys=True, default_flow_style=False)).encode("utf-8")
