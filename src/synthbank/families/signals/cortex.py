"""``spec.yaml``: a signals dataset directory as a CORTEX dataset primitive.

CORTEX (github.com/WestonVoglesonger/CORTEX) reads a dataset directory through its
``spec.yaml`` (``src/cortex/commands/calibrate.py``, ``_read_dataset_spec``): the data file
is ``recordings[0].path`` (default ``data.float32``) relative to the directory, the channel
count ``format.channels`` and the rate ``format.sample_rate_hz``; a directory without
``spec.yaml`` or without ``recordings`` is refused, and a bare ``.float32`` is read as 64
channels. Its replayer streams the file as float32 ``[sample][channel]`` (interleaved,
little-endian), which its dataset specs state as ``format.type``, ``endian`` and
``layout``. A ``dataset.type`` of ``generator`` would make it look for a ``generator.py``
(``src/cortex/generators/integration.py``, ``is_generator_dataset``), so ours is
``generated`` (made by synthbank) or ``static`` (imported).

Both writers use :func:`dataset_spec`: ``synthbank generate signals`` and
``synthbank signals generate`` (beside ``signal.float32``) and ``synthbank signals import``
(beside ``converted/<name>.float32``). :func:`check` reads a directory back with CORTEX's
rules plus what CORTEX assumes without checking (type, byte order, layout, whole samples).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from synthbank.families.signals import layout

SPEC_NAME = "spec.yaml"
#: The only sample format both writers produce and CORTEX's replayer reads.
FORMAT = {"type": "float32", "endian": "little", "layout": "interleaved"}
BYTES_PER_SAMPLE = 4
#: What CORTEX reads when ``recordings[0].path`` is absent, and its channel count for a bare file.
CORTEX_DEFAULT_PATH = "data.float32"
CORTEX_BARE_FILE_CHANNELS = 64
UNITS = "microvolts (uV)"
#: Licence of generated data (REUSE.toml: data/** is CC0-1.0); an import's is the user's to state.
GENERATED_LICENSE = "CC0-1.0"


def rate_value(sample_rate_hz: float) -> int | float:
    """The rate as CORTEX's own specs write it: an integer when whole (its tools take ``int(rate)``)."""
    rate = float(sample_rate_hz)
    return int(rate) if rate.is_integer() else rate


def dataset_spec(
    *,
    name: str,
    description: str,
    kind: str,
    channels: int,
    sample_rate_hz: float,
    n_samples: int,
    path: str,
    sha256: str,
    license_id: str | None = None,
) -> dict[str, Any]:
    """The ``spec.yaml`` mapping of one recording (keys in the order written).

    Parameters
    ----------
    name, description : the dataset's name and a one-line summary.
    kind : ``"generated"`` or ``"static"`` (CORTEX's ``dataset.type``; never ``generator``).
    channels : channels per sample (``format.channels``).
    sample_rate_hz : samples per second per channel.
    n_samples : samples per channel in the file.
    path : the interleaved float32 file, relative to the directory (POSIX separators).
    sha256 : hex digest of that file (written as CORTEX's optional ``checksum: sha256:<hex>``).
    license_id : SPDX identifier, written when given.
    """
    dataset: dict[str, Any] = {"name": name, "description": description, "type": kind}
    if license_id is not None:
        dataset["license"] = license_id
    return {
        "dataset": dataset,
        "format": {"type": FORMAT["type"], "channels": int(channels), "sample_rate_hz": rate_value(sample_rate_hz),
                   "endian": FORMAT["endian"], "layout": FORMAT["layout"]},
        "recordings": [{
            "id": Path(path).stem,
            "path": path,
            "file": path,  # CORTEX's guide names the key `file`, its reader `path`: both, the same
            "duration_seconds": n_samples / float(sample_rate_hz),
            "samples_per_channel": int(n_samples),
            "units": UNITS,
            "checksum": f"sha256:{sha256}",
        }],
    }


def generated_spec(spec: Any, sha256: str) -> dict[str, Any]:
    """The ``spec.yaml`` mapping of a generated dataset (``spec``: its :class:`~.spec.SignalSpec`)."""
    description = (f"synthbank signals generator {spec.version}: {spec.signal_type}, {spec.channels} channels "
                   f"at {spec.sample_rate_hz:g} Hz, {spec.n_samples} samples per channel")
    return dataset_spec(name=spec.name, description=description, kind="generated", channels=spec.channels,
                        sample_rate_hz=spec.sample_rate_hz, n_samples=spec.n_samples, path=layout.FLOAT32_NAME,
                        sha256=sha256, license_id=GENERATED_LICENSE)


def dumps(spec: Mapping[str, Any]) -> str:
    """Deterministic YAML text: keys in the order given, block style, ASCII, no line wrapping."""
    return yaml.safe_dump(dict(spec), sort_keys=False, default_flow_style=False, allow_unicode=False, width=1000)


def check(directory: Path, channels: int | None = None, sample_rate_hz: float | None = None) -> list[str]:
    """What CORTEX would refuse or misread in ``directory`` (empty when it reads it as intended).

    CORTEX's rules (``_read_dataset_spec``): ``spec.yaml`` present, ``recordings`` non-empty,
    the file of ``recordings[0].path`` present. Then what it assumes: float32, little-endian,
    interleaved, a positive integer ``format.channels`` and a positive rate, whole samples
    (file size a multiple of ``4 * channels``), ``samples_per_channel`` as stated; and, when
    given, the expected ``channels`` and ``sample_rate_hz``.
    """
    path = directory / SPEC_NAME
    try:
        spec = yaml.safe_load(path.read_text("utf-8"))
    except FileNotFoundError:
        return [f"{path} is missing: CORTEX refuses a dataset directory without it"]
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        return [f"{path} is not readable YAML: {type(exc).__name__}"]
    if not isinstance(spec, dict) or not spec.get("recordings") or not isinstance(spec["recordings"], list):
        return [f"{path}: 'recordings' is missing or empty: CORTEX refuses it"]
    fmt, first = spec.get("format") or {}, spec["recordings"][0]
    if not isinstance(fmt, dict) or not isinstance(first, dict):
        return [f"{path}: 'format' and recordings[0] must be mappings"]
    problems = [f"{path}: format.{key}={fmt.get(key)!r}: allowed {value!r}" for key, value in FORMAT.items() if fmt.get(key) != value]
    n_channels, rate = fmt.get("channels"), fmt.get("sample_rate_hz")
    if isinstance(n_channels, bool) or not isinstance(n_channels, int) or n_channels < 1:
        return [*problems, f"{path}: format.channels={n_channels!r}: allowed a positive integer (CORTEX reads 64 otherwise)"]
    if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not rate > 0:
        problems.append(f"{path}: format.sample_rate_hz={rate!r}: allowed a positive number")
    if (spec.get("dataset") or {}).get("type") == "generator":
        problems.append(f"{path}: dataset.type='generator' makes CORTEX run a generator.py: allowed 'generated' or 'static'")
    data = directory / str(first.get("path", CORTEX_DEFAULT_PATH))
    if not data.is_file():
        return [*problems, f"{path}: recordings[0].path: {data} does not exist"]
    size, frame = data.stat().st_size, BYTES_PER_SAMPLE * n_channels
    if size == 0 or size % frame:
        problems.append(f"{data}: {size} bytes is not a whole number of {n_channels}-channel float32 samples")
    elif first.get("samples_per_channel") not in (None, size // frame):
        problems.append(f"{path}: samples_per_channel={first['samples_per_channel']!r}, the file holds {size // frame}")
    if channels is not None and n_channels != channels:
        problems.append(f"{path}: format.channels={n_channels}, the dataset has {channels}")
    if sample_rate_hz is not None and rate != rate_value(sample_rate_hz):
        problems.append(f"{path}: format.sample_rate_hz={rate!r}, the dataset has {sample_rate_hz:g}")
    return problems
