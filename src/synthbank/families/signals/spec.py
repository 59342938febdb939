"""What a signals dataset is: its parameters, their bounds, and one-line refusals.

A dataset entry in params.yaml (or on the command line) mirrors the dataset config of the
signals source document (docs/families/signals.md)::

    pink_1024ch:
      version: v3                 # the generator version (v1, v2 or v3)
      channels: 1024              # dataset level only
      sample_rate_hz: 160
      params:                     # the generator's arguments
        signal_type: pink_noise
        duration_s: 120
        amplitude_uv_rms: 100.0

:func:`from_entry` turns it into a frozen :class:`SignalSpec`, refusing bad values with
one line that names the key, the value and what is allowed (UsageError, exit 2) before
anything is written. The bounds of each key are the family's params schema's
(``params.schema.json``, ``$defs/signals_dataset``), for params.yaml, the API and the CLI
options alike; the code states only the rules between keys (types of a generator
version, frequencies below Nyquist, enough samples).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from synthbank import params as params_mod
from synthbank.errors import UsageError

#: The params key path of a dataset entry, ``signals.datasets.<name>``: the schema is the
#: same for every name (``additionalProperties``), so a placeholder name stands for any.
DATASET_KEYS = ("signals", "datasets", "<name>")
#: The 1/f shaping needs a spectrum with a few bins to shape.
MIN_PINK_SAMPLES = 16

#: Parameters of each signal type and their defaults.
TYPE_PARAMS: dict[str, dict[str, float]] = {
    "sine_wave": {"amplitude_uv_peak": 100.0, "frequency_hz": 10.0},
    "pink_noise": {"amplitude_uv_rms": 100.0},
    "white_noise": {"amplitude_uv_rms": 100.0},
    "chirp": {"amplitude_uv_peak": 100.0, "chirp_start_hz": 1.0, "chirp_end_hz": 40.0},
}
#: Signal types and extra parameters of each generator version.
VERSION_TYPES = {
    "v1": ("sine_wave", "pink_noise"),
    "v2": ("sine_wave", "pink_noise", "white_noise", "chirp"),
    "v3": ("sine_wave", "pink_noise", "white_noise", "chirp"),
}
VERSION_EXTRAS: dict[str, dict[str, float]] = {
    "v1": {}, "v2": {"dc_offset_uv": 0.0, "nan_rate": 0.0}, "v3": {"dc_offset_uv": 0.0, "nan_rate": 0.0},
}
#: Name of a dataset made outside params.yaml (API, pregeneration) unless one is given;
#: fixed, so where the output goes never changes its bytes.
DEFAULT_NAME = "synthetic"
#: Dataset-level keys that users of the source document's tool also put into ``params``
#: (allowed only if equal).
DATASET_LEVEL_KEYS = ("channels", "sample_rate_hz")


@dataclass(frozen=True)
class SignalSpec:
    """Everything that determines the bytes of one signals dataset.

    Attributes
    ----------
    name : str
        Dataset name; part of every channel's random-stream key.
    version : str
        Generator version, ``"v1"``, ``"v2"`` or ``"v3"``.
    signal_type : str
        One of the version's types (see :data:`VERSION_TYPES`).
    channels : int
        Number of channels (bounds: the schema's, see :func:`dataset_limits`).
    sample_rate_hz : float
        Samples per second.
    duration_s : float
        Duration in seconds; ``n_samples = round(duration_s * sample_rate_hz)``.
    seed : int
        Root seed (params.yaml's ``seed`` unless the dataset's ``params.seed`` is given).
    params : dict
        The type's (and version's) generator arguments, defaults filled in.
    """

    name: str
    version: str
    signal_type: str
    channels: int
    sample_rate_hz: float
    duration_s: float
    seed: int
    params: Mapping[str, float] = field(default_factory=dict)

    @property
    def n_samples(self) -> int:
        """Samples per channel."""
        return int(round(self.duration_s * self.sample_rate_hz))

    def record(self) -> dict[str, Any]:
        """All parameters, as recorded in HDF5 attributes and generation manifests."""
        return {
            "dataset": self.name,
            "version": self.version,
            "signal_type": self.signal_type,
            "channels": self.channels,
            "sample_rate_hz": self.sample_rate_hz,
            "duration_s": self.duration_s,
            "n_samples": self.n_samples,
            "seed": self.seed,
            **{k: self.params[k] for k in sorted(self.params)},
        }


def dataset_limits(*keys: str) -> tuple[Any, Any]:
    """The inclusive ``(minimum, maximum)`` the schema gives a key of a dataset entry.

    For example ``dataset_limits("channels")`` or ``dataset_limits("params", "duration_s")``;
    the CLI options that set these keys take their bounds from here.
    """
    return params_mod.key_limits(*DATASET_KEYS, *keys)


def check_dataset_value(where: str, value: Any, *keys: str) -> None:
    """Check one value of a dataset entry against the schema (UsageError: ``{where}{key}=...``).

    ``keys`` is the path below ``signals.datasets.<name>``, for example ``("params", "seed")``.
    """
    try:
        params_mod.check_value(value, *DATASET_KEYS, *keys, name=".".join(keys))
    except ValueError as exc:
        raise UsageError(f"{where}{exc}") from None


def check_name(name: str, label: str) -> None:
    """Refuse a dataset name that is not a safe file name (it names directories and streams)."""
    if not name or not all(ch.isalnum() or ch in "_-" for ch in name):
        raise UsageError(f"{label}{name!r} is invalid: allowed letters, digits, '_' and '-'")


def make_spec(
    name: str,
    version: str,
    channels: Any,
    sample_rate_hz: Any,
    params: Mapping[str, Any],
    default_seed: int,
    where: str = "",
) -> SignalSpec:
    """Check every value and build a :class:`SignalSpec` (UsageError on the first problem).

    Each key's type and bounds are the schema's (:func:`check_dataset_value`); the code adds
    only the rules between keys: no conflicting repeat of a dataset-level key in ``params``,
    the signal types and parameters of the generator version, frequencies at most
    ``sample_rate_hz/2``, and enough samples.

    Parameters
    ----------
    name : dataset name (letters, digits, ``_``, ``-``).
    version : ``"v1"``, ``"v2"`` or ``"v3"``.
    channels, sample_rate_hz : the dataset-level values.
    params : the generator arguments; may repeat ``channels``/``sample_rate_hz`` only
        with the same value (the source document's "Channels mismatch" case).
    default_seed : used when ``params`` has no ``seed``.
    where : prefix of every message, for example ``"params.yaml: signals.datasets.x."``.
    """
    check_name(name, f"{where}dataset name ")
    for key, value in (("version", version), ("channels", channels), ("sample_rate_hz", sample_rate_hz)):
        check_dataset_value(where, value, key)
    n_channels, rate = int(channels), float(sample_rate_hz)
    params = dict(params)
    for key, level_value in zip(DATASET_LEVEL_KEYS, (channels, sample_rate_hz), strict=True):
        if key in params and params[key] != level_value:
            label = "Channels" if key == "channels" else "Sample rate"
            raise UsageError(
                f"{where}{label} mismatch: params.{key}={params[key]!r} != dataset.{key}={level_value!r}: "
                f"allowed {key} only at the dataset level (remove params.{key})"
            )
        params.pop(key, None)
    signal_type = params.pop("signal_type", None)
    types = VERSION_TYPES[version]
    if signal_type not in types:
        hint = " (white_noise and chirp need version v2 or v3)" if signal_type in TYPE_PARAMS else ""
        raise UsageError(f"{where}params.signal_type={signal_type!r} is invalid for generator {version}: allowed one of {list(types)}{hint}")
    check_dataset_value(where, params.get("duration_s"), "params", "duration_s")
    duration = float(params.pop("duration_s"))
    seed = params.pop("seed", default_seed)
    check_dataset_value(where, seed, "params", "seed")
    allowed = TYPE_PARAMS[signal_type] | VERSION_EXTRAS[version]
    unknown = sorted(set(params) - set(allowed))
    if unknown:
        extra = " (dc_offset_uv and nan_rate need version v2 or v3)" if set(unknown) & set(VERSION_EXTRAS["v2"]) and version == "v1" else ""
        raise UsageError(f"{where}params.{unknown[0]} is not a parameter of {signal_type} in {version}: allowed {sorted(allowed)}{extra}")
    values: dict[str, float] = {}
    for key, default in allowed.items():
        check_dataset_value(where, params.get(key, default), "params", key)
        values[key] = float(params.get(key, default))
    nyquist = rate / 2
    if "frequency_hz" in values and not 0 < values["frequency_hz"] < nyquist:
        raise UsageError(
            f"{where}params.frequency_hz={values['frequency_hz']:g} is invalid: allowed 0 < frequency_hz < sample_rate_hz/2 = {nyquist:g}"
        )
    for key in ("chirp_start_hz", "chirp_end_hz"):
        if key in values and not 0 <= values[key] <= nyquist:
            raise UsageError(f"{where}params.{key}={values[key]:g} is invalid: allowed 0 <= {key} <= sample_rate_hz/2 = {nyquist:g}")
    spec = SignalSpec(name, version, signal_type, n_channels, rate, duration, int(seed), values)
    minimum = MIN_PINK_SAMPLES if signal_type == "pink_noise" else 1
    if spec.n_samples < minimum:
        raise UsageError(
            f"{where}params.duration_s={duration:g} at sample_rate_hz={rate:g} gives {spec.n_samples} samples: "
            f"allowed at least {minimum} for {signal_type} (duration_s >= {minimum / rate:g})"
        )
    return spec


def from_entry(name: str, entry: Mapping[str, Any], default_seed: int, source: str = "params.yaml") -> SignalSpec:
    """The spec of one ``signals.datasets.<name>`` entry of params.yaml."""
    where = f"{source}: signals.datasets.{name}."
    for key in ("version", "channels", "sample_rate_hz", "params"):
        if key not in entry:
            raise UsageError(f"{where}{key} is missing: allowed keys are version, channels, sample_rate_hz, params")
    return make_spec(name, entry["version"], entry["channels"], entry["sample_rate_hz"], entry["params"], default_seed, where)


def all_specs(section: Mapping[str, Any], default_seed: int, source: str = "params.yaml") -> dict[str, SignalSpec]:
    """Every dataset of the ``signals`` section, in sorted name order."""
    datasets = section["datasets"]
    return {name: from_entry(name, datasets[name], default_seed, source) for name in sorted(datasets)}
