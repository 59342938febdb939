"""The whole default energy atlas, and load_map from a cold open.

Targets (issue 6): the five domains (5 sequences x 10 steps at 256 x 256, pyramids
256/128/64, gradients), validation (metrics + montages) and the catalog + manifest in
under 30 s; ``load_map`` of one map at any scale in under 5 ms from a cold open (the file
opened, one chunk read, closed). Baselines in the same run: the same stages as separate
``synthbank`` processes (what ``dvc repro`` runs; adds interpreter start-up), and reading
the whole file to get one map (what a non-lazy loader does).

Usage: PYTHONPATH=src python benchmarks/bench_energy_atlas.py
"""

from __future__ import annotations

import shutil
import statistics
import tempfile
import time
from pathlib import Path

import h5py

from _common import BIN, REPO, run_tree, table
from synthbank import params
from synthbank.families.energy.build import DomainConfig, build
from synthbank.families.energy.catalog import build_catalog, write_catalog
from synthbank.families.energy.loader import EnergyAtlasLoader
from synthbank.families.energy.validate import validate


def in_process(tmp: Path) -> dict[str, float]:
    p = params.load(REPO / "params.yaml")
    section = p.family("energy")
    times = {}
    t = time.perf_counter()
    for d in section["domains"]:
        build(DomainConfig.from_params(p.seed, p.release_date, section, d), tmp / "data/energy" / d)
    times["generate (5 domains)"] = time.perf_counter() - t
    t = time.perf_counter()
    failures = validate(tmp / "data/energy", list(section["domains"]), tmp / "metrics.json", tmp / "reports", section["thresholds"])
    assert not failures, failures
    times["validate"] = time.perf_counter() - t
    t = time.perf_counter()
    write_catalog(build_catalog(tmp, tmp / "data/energy", list(section["domains"]), p.seed, p.release_date), tmp / "catalog.json")
    times["catalog"] = time.perf_counter() - t
    return times


def cli(tmp: Path) -> tuple[float, float]:
    shutil.copy(REPO / "params.yaml", tmp / "params.yaml")
    sb = str(BIN / "synthbank")
    total, peak = 0.0, 0.0
    domains = list(params.load(tmp / "params.yaml").family("energy")["domains"])
    for cmd in [[sb, "generate", "energy", "--domain", d] for d in domains] + [[sb, "validate", "energy"], [sb, "energy", "catalog"]]:
        s, mb = run_tree(cmd, cwd=tmp)
        total, peak = total + s, max(peak, mb)
    return total, peak


def load_times(data: Path) -> list[tuple]:
    loader = EnergyAtlasLoader(data)
    rows = []
    for scale in (256, 128, 64):
        lazy = []
        for i in range(50):
            t = time.perf_counter()
            loader.load_map("plasma_physics", i, scale)
            lazy.append(time.perf_counter() - t)
        whole = []
        for i in range(5):
            t = time.perf_counter()
            with h5py.File(data / "plasma_physics" / f"plasma_physics_{scale}.h5") as f:
                _ = f["t0_fields/energy"][...][i // 10, i % 10]
            whole.append(time.perf_counter() - t)
        med = statistics.median(lazy) * 1e3
        rows.append((f"load_map, scale {scale}", med, max(lazy) * 1e3, 5.0, "yes" if med < 5 else "NO", statistics.median(whole) / statistics.median(lazy)))
    return rows


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        t = time.perf_counter()
        parts = in_process(tmp / "a")
        total = time.perf_counter() - t
        size = sum(p.stat().st_size for p in (tmp / "a/data/energy").rglob("*.h5"))
        (tmp / "b").mkdir()
        cli_s, cli_mb = cli(tmp / "b")
        rows = [(k, v, "", "") for k, v in parts.items()]
        rows.append(("whole atlas, in process", total, 30.0, "yes" if total < 30 else "NO"))
        rows.append(("whole atlas, 7 synthbank processes (as dvc runs it)", cli_s, 30.0, "yes" if cli_s < 30 else "NO"))
        table(f"default energy atlas: 250 maps at 256x256 + pyramids + gradients ({size / 1e6:,.0f} MB), peak RSS {cli_mb:,.0f} MB",
              ["step", "seconds", "target", "met"], rows)
        table("load_map from a cold open (file opened, one map read, closed)",
              ["what", "median ms", "max ms", "target ms", "met", "x faster than reading the file"], load_times(tmp / "a/data/energy"))


if __name__ == "__main__":
    main()
