"""Small chromatic datasets for the tests: real files through the family's own build."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from synthbank import manifest, params
from synthbank.families.chromatic.build import ChromaticConfig, build, manifest_entry_fields
from synthbank.families.chromatic.files import SampleRecord

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
    return out, write_manifest(cfg, records, out)


def write_manifest(cfg: ChromaticConfig, records: list[SampleRecord], out: Path) -> Path:
    """``out/manifest.json`` as ``synthbank generate chromatic`` writes it for a standalone dataset."""
    from synthbank.families.chromatic import FAMILY

    path = out / "manifest.json"
    record = manifest.build(
        family="chromatic", generator="synthbank.families.chromatic", generator_version=FAMILY.version, seed=cfg.seed,
        params=cfg.section, release_date=cfg.release_date, root=out, manifest_path=path, outputs=[out],
        extra_entry_fields=manifest_entry_fields(cfg, records, out, out / "previews", out),
    )
    manifest.write(record, path)
    return path


def rewrite_manifest(out: Path, cfg: ChromaticConfig) -> Path:
    """Rewrite ``out/manifest.json`` for the files as they are now, claiming ``cfg``.

    The per-sample content CRCs are taken from the files' ``content_crc64`` attributes,
    so a test can change a file (or the claimed params) and keep a manifest whose
    digests match: only the check under test then fails.
    """
    import h5py

    from synthbank.families.chromatic.layout import chromatic_file, spectral_file

    records = []
    for i in range(cfg.num_samples):
        with h5py.File(out / chromatic_file(cfg.seed, i)) as c, h5py.File(out / spectral_file(cfg.seed, i)) as s:
            records.append(SampleRecord(i, str(c.attrs["content_crc64"]), str(s.attrs["content_crc64"])))
    return write_manifest(cfg, records, out)
