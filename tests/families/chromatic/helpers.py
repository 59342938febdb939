"""Small chromatic datasets for the tests: real files through the family's own build."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from synthbank import params
from synthbank.families.chromatic.build import ChromaticConfig, build, write_manifest

MAIN = Path(__file__).resolve().parents[3]
#: The repository's own section: its thresholds are the stage's pass/fail rules under test.
SECTION = params.thaw(params.load(MAIN / "params.yaml").family("chromatic"))
THRESHOLDS = SECTION["thresholds"]


def section(**changes: Any) -> dict[str, Any]:
    """The repository's section, small (64 x 64, 8 x 8 cells, 6 samples), with ``changes``.

    ``changes`` keys are dotted paths, e.g. ``{"spectral_profile.centres_nm": [...]}``
    passed as ``section(**{"spectral_profile.centres_nm": [...]})``.
    """
    s = copy.deepcopy(SECTION)
    s.update({"num_samples": 6, "previews": 2, "shape": [64, 64, 3]})
    s["regions"]["cells_per_side"] = 8
    for key, value in changes.items():
        node = s
        *path, last = key.split(".")
        for part in path:
            node = node[part]
        node[last] = value
    return s


def config(seed: int = 42, **changes: Any) -> ChromaticConfig:
    return ChromaticConfig.from_params(seed, "2026-11-22", section(**changes))


def make_dataset(root: Path, cfg: ChromaticConfig, workers: int = 1, shard_blocks: int = 1) -> tuple[Path, Path]:
    """Build ``root/data`` with previews and ``manifest.json`` inside; return (data, manifest)."""
    out = root / "data"
    records = build(cfg, out, workers=workers, shard_blocks=shard_blocks)
    write_manifest(cfg, records, out, out / "previews", out / "manifest.json")
    return out, out / "manifest.json"


def rewrite_manifest(out: Path, cfg: ChromaticConfig) -> Path:
    """Rewrite ``out/manifest.json`` for the files as they are now, claiming ``cfg``.

    The per-sample content CRCs are taken from the files' ``content_crc64`` attributes,
    so a test can change a file (or the claimed params) and keep a manifest whose
    digests match: only the check under test then fails.
    """
    import h5py

    from synthbank.families.chromatic.build import SampleRecord
    from synthbank.families.chromatic.layout import chromatic_file, spectral_file

    records = []
    for i in range(cfg.num_samples):
        with h5py.File(out / chromatic_file(cfg.seed, i)) as c, h5py.File(out / spectral_file(cfg.seed, i)) as s:
            records.append(SampleRecord(i, str(c.attrs["content_crc64"]), str(s.attrs["content_crc64"])))
    write_manifest(cfg, records, out, out / "previews", out / "manifest.json")
    return out / "manifest.json"
