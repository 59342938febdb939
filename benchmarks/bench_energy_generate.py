"""Energy maps generated and perturbed per second at 256 x 256, one core.

Target (issue 17; issue 6 asked 200): at least 500 maps/s. Measured: :func:`generate_domain` (base maps and
sequences, vectorised over the sequences of a domain, every perturbation with its
per-kind energy and entropy bookkeeping) for each pattern, in float64, output float32.
Baseline in the same run: the source document's style, one map at a time with
``scipy.ndimage.rotate``, ``gaussian_filter``, ``np.roll`` and a Python loop over steps
and sequences, on the same turbulent base maps. Each row is its best of ``--repeats``
rounds, the rows measured in turn within a round (the host's slow spells then hit every
row alike).

Usage: PYTHONPATH=src python benchmarks/bench_energy_generate.py [--repeats 5]
"""

from __future__ import annotations

import os

os.environ["OPENBLAS_NUM_THREADS"] = "1"
os.environ["OMP_NUM_THREADS"] = "1"

import argparse  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
from scipy import ndimage  # noqa: E402

from _common import summary, table  # noqa: E402
from synthbank.families.energy import perturb  # noqa: E402
from synthbank.families.energy.sequence import PatternParams, PerturbationConfig, base_maps, generate_domain  # noqa: E402

PROB = {"rotation": 0.3, "noise": 0.5, "blur": 0.5, "translation": 0.3, "scaling": 0.2}
CFG = PerturbationConfig(probability=PROB, rotation_max_deg=15, noise_sigma=0.1, blur_sigma=2.0,
                         translation_max_px=16, scale_range=(0.95, 1.05))
N_SEQ, N_STEPS = 5, 10
TARGET = 500  # maps/s (issue 17)
PATTERNS = ("turbulent", "laminar", "vortex", "random")


def ours(pattern: str) -> float:
    t = time.perf_counter()
    generate_domain(42, "bench", pattern, (256, 256), N_SEQ, N_STEPS, 1000.0, PatternParams(), CFG)
    return N_SEQ * N_STEPS / (time.perf_counter() - t)


def seed_style() -> float:
    rng = np.random.default_rng(0)
    t = time.perf_counter()
    base = base_maps("turbulent", (256, 256), 1000.0, PatternParams(), [np.random.default_rng(i) for i in range(N_SEQ)])
    for s in range(N_SEQ):
        m = base[s]
        for _ in range(1, N_STEPS):
            e0 = m.sum()
            if rng.random() < PROB["rotation"]:
                m = ndimage.rotate(m, rng.uniform(-15, 15), reshape=False, order=1, mode="grid-wrap")
                m = np.maximum(m, 0) * e0 / np.maximum(m, 0).sum()
            if rng.random() < PROB["noise"]:
                m = np.maximum(m + 0.1 * m.mean() * rng.standard_normal(m.shape), 0)
                m *= e0 / m.sum()
            if rng.random() < PROB["blur"]:
                m = ndimage.gaussian_filter(m, 2.0, mode="wrap")
            if rng.random() < PROB["translation"]:
                m = np.roll(m, tuple(rng.integers(-16, 17, 2)), axis=(0, 1))
            if rng.random() < PROB["scaling"]:
                m = m * rng.uniform(0.95, 1.05)
            p = m / m.sum()
            _ = -(p[p > 0] * np.log(p[p > 0])).sum()
    return N_SEQ * N_STEPS / (time.perf_counter() - t)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    # Rounds of one run each, in turn: a slow spell of the shared host hits every row
    # alike instead of the one measured during it; each row keeps its best round.
    runs: dict[str, list[float]] = {name: [] for name in (*PATTERNS, "seed")}
    ours(PATTERNS[0])  # untimed: the first runs build tables and scratch buffers
    seed_style()
    for _ in range(args.repeats):
        for pattern in PATTERNS:
            runs[pattern].append(ours(pattern))
        runs["seed"].append(seed_style())
    base = max(runs["seed"])
    rows = []
    for pattern in PATTERNS:
        rate = max(runs[pattern])
        rows.append((pattern, rate, TARGET, "yes" if rate >= TARGET else "NO", rate / base))
    rows.append(("seed-style loop (turbulent)", base, "", "", 1.0))
    slowest = min(r[1] for r in rows[:-1])
    summary("energy maps generated + perturbed, 256x256, slowest pattern", f"{slowest:,.0f} maps/s",
            f"seed-style loop {base:,.0f} maps/s", f">= {TARGET} maps/s", slowest >= TARGET)
    table(f"energy maps generated + perturbed per second, 256x256, {N_SEQ} sequences x {N_STEPS} steps, one core",
          ["pattern", "maps/s", "target", "met", "x baseline"], rows)
    one = np.random.default_rng(0).random((N_SEQ, 256, 256))
    t = time.perf_counter()
    for _ in range(20):
        perturb.rotate(one, np.full(N_SEQ, 10.0))
    print(f"\nrotation alone: {20 * N_SEQ / (time.perf_counter() - t):,.0f} maps/s")


if __name__ == "__main__":
    main()
