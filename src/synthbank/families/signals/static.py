"""Static datasets: an existing interleaved float32 recording brought into the registry.

The static primitive of the signals source document (docs/families/signals.md) is
``path -> data`` (immutable): the file is copied
byte for byte into ``<output>/converted/<name>.float32`` (read-only), described by
``spec.yaml`` in CORTEX's dataset format (:mod:`.cortex`, as generated datasets) and listed with its CRC-64 and sha256 in ``manifest.json``. Importing the
same bytes again is a no-op; different bytes under an existing name are refused (a new
recording is a new name or a new ``vN`` directory), and so are the same bytes with another
channel count or sample rate. Track it with ``dvc add <output>``.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from synthbank import checksums, manifest
from synthbank.errors import UsageError
from synthbank.families.signals import VERSION, cortex
from synthbank.families.signals.spec import check_dataset_value
from synthbank.io.staging import staged_dir

FORMATS = {"float32": np.dtype("<f4")}
SPEC_NAME = cortex.SPEC_NAME
MANIFEST_NAME = "manifest.json"


def check_request(source: Path, fmt: str, channels: int, sample_rate_hz: float) -> int:
    """Validate the import request before anything is written; return the sample count."""
    if fmt not in FORMATS:
        raise UsageError(f"--format={fmt!r} is invalid: allowed one of {sorted(FORMATS)}")
    check_dataset_value("", channels, "channels")  # the bounds of a dataset's keys (params schema)
    check_dataset_value("", sample_rate_hz, "sample_rate_hz")
    if not source.is_file():
        raise UsageError(f"FILE={source} does not exist or is not a file: allowed an existing {fmt} recording")
    size = source.stat().st_size
    frame = FORMATS[fmt].itemsize * channels
    if size == 0 or size % frame:
        raise UsageError(
            f"FILE={source} has {size:,} bytes, not a positive multiple of {frame} "
            f"({channels} channels x {FORMATS[fmt].itemsize} bytes): check --channels and --format"
        )
    return size // frame


def _existing_spec(output_dir: Path) -> dict[str, Any] | None:
    """The spec.yaml of an existing import, or None if it is missing or unreadable."""
    try:
        data = yaml.safe_load((output_dir / SPEC_NAME).read_text("utf-8"))
    except (OSError, yaml.YAMLError):
        return None
    return data if isinstance(data, dict) else None


def description(spec: Mapping[str, Any]) -> dict[str, Any]:
    """What identifies an import in its spec.yaml: name, format, channels, rate, file, samples, checksum."""
    def get(*keys: str) -> Any:
        node: Any = spec
        for key in keys:
            node = node.get(key) if isinstance(node, Mapping) else None
        return node

    recordings = spec.get("recordings") if isinstance(spec, Mapping) else None
    first = recordings[0] if isinstance(recordings, list) and recordings else {}
    return {"name": get("dataset", "name"), "format": get("format", "type"), "channels": get("format", "channels"),
            "sample_rate_hz": get("format", "sample_rate_hz"), "path": first.get("path"),
            "samples": first.get("samples_per_channel"), "checksum": first.get("checksum")}


def import_static(
    source: Path, output_dir: Path, name: str, fmt: str, channels: int, sample_rate_hz: float, seed: int, release_date: str
) -> tuple[dict[str, Any], bool]:
    """Copy ``source`` into ``output_dir`` as static dataset ``name``.

    Returns
    -------
    (spec, created) : the spec.yaml contents (CORTEX's format, :func:`.cortex.dataset_spec`)
        and False when the same bytes were already there.
    """
    n_samples = check_request(source, fmt, channels, sample_rate_hz)
    digest = checksums.digest_file(source)
    target = output_dir / "converted" / f"{name}.float32"
    spec = cortex.dataset_spec(
        name=name, description=f"{source.name} imported by synthbank signals import: static, immutable",
        kind="static", channels=channels, sample_rate_hz=sample_rate_hz, n_samples=n_samples,
        path=f"converted/{name}.float32", sha256=digest.sha256,
    )
    if output_dir.exists():
        existing = _existing_spec(output_dir) or {}
        # Same bytes described differently (channels, rate) are a different dataset too;
        # only the source file's own name (in the description) may differ.
        old, new = description(existing), description(spec)
        changed = sorted(k for k in new if old.get(k) != new[k])
        if not changed and target.is_file() and checksums.digest_file(target).sha256 == digest.sha256:
            return existing, False
        what = [f"{k}={old.get(k)!r} (now {new[k]!r})" for k in changed if k not in ("checksum", "samples")]
        if "checksum" in changed or not what:
            what.insert(0, "content")
        raise UsageError(
            f"static dataset {output_dir} exists with different {', '.join(what)}: static datasets are "
            "immutable; allowed a new name (--name) or a new version directory"
        )
    with staged_dir(output_dir, "signals") as tmp:
        copied = tmp / "converted" / target.name
        copied.parent.mkdir()
        shutil.copyfile(source, copied)
        if checksums.digest_file(copied).sha256 != digest.sha256:
            raise UsageError(f"FILE={source} changed while it was copied: import it again")
        os.chmod(copied, 0o444)
        (tmp / SPEC_NAME).write_text(cortex.dumps(spec), "utf-8")
        record = manifest.build(
            family="signals", generator="static", generator_version=VERSION, seed=seed,
            params={"name": name, "format": fmt, "channels": channels, "sample_rate_hz": sample_rate_hz},
            release_date=release_date, root=tmp, manifest_path=tmp / MANIFEST_NAME, outputs=[tmp],
        )
        manifest.write(record, tmp / MANIFEST_NAME)
    return spec, True
