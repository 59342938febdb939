"""Simulation throughput of 64 x 64 diffraction patterns next to the batched FFT alone.

Run: ``PYTHONPATH=src python benchmarks/bench_ptycho_simulate.py [--repeats 7]``

On the default design (384 px object, 64 px probe, 1089 positions), one core. Every
figure of a dose is timed in the same rounds, one call of each per round in turn
(so a busy shared host slows them alike), and the median over ``--repeats`` rounds is
given. Rows, in patterns/s and as a ratio:

- ``FFT floor``: ``scipy.fft.fft2`` of the same (n, 64, 64) complex64 exit waves;
- ``forward model``: patch gather x probe, FFT, fftshift, |.|^2 and dose scaling
  (:func:`expected_intensity`, per noise block as :func:`simulate` runs it);
- ``numpy Generator.poisson``: the old noise step, per noise block on the same intensities;
- ``numerics.discrete.poisson``: the exact, portable sampler the family uses (and its ratio to numpy's);
- ``simulate (full)``: forward model + counts per noise block (:func:`simulate`), the
  target being <= 2x the FFT floor.
"""

from __future__ import annotations

import os

os.environ["OPENBLAS_NUM_THREADS"] = "1"
os.environ["OMP_NUM_THREADS"] = "1"

import argparse  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import scipy.fft  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import summary, table  # noqa: E402

from synthbank import params  # noqa: E402
from synthbank.families.ptycho.config import SimulationConfig  # noqa: E402
from synthbank.families.ptycho.layout import NOISE_BLOCK  # noqa: E402
from synthbank.families.ptycho.simulate import design, expected_intensity, object_patches, simulate  # noqa: E402
from synthbank.numerics.discrete import poisson  # noqa: E402


def rounds(fns: dict[str, Callable[[], object]], repeats: int) -> dict[str, float]:
    """Median wall seconds of each function, timed in turn within each round."""
    times: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            t = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - t)
    return {name: statistics.median(v) for name, v in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    p = params.load(Path(__file__).resolve().parents[1] / "params.yaml")
    section = params.thaw(p.family("ptycho"))
    rows, worst = [], 0.0
    for dose in section["doses"]:
        cfg = SimulationConfig.from_params(p.seed, dose, section)
        d = design(cfg)
        n = len(d.positions)
        starts = range(0, n, NOISE_BLOCK)
        waves = object_patches(d.object, d.positions, d.probe.shape[0]) * d.probe
        lam = expected_intensity(d.object, d.probe, d.positions, d.scale(dose))
        blocks = [lam[s : s + NOISE_BLOCK] for s in starts]
        rng = np.random.default_rng(0)
        poisson(rng, blocks[0])  # the sampler's tables, once per process
        t = rounds({
            "fft": lambda: scipy.fft.fft2(waves),  # noqa: B023
            "forward": lambda: [expected_intensity(d.object, d.probe, d.positions[s : s + NOISE_BLOCK], d.scale(dose)) for s in starts],  # noqa: B023
            "numpy": lambda: [rng.poisson(b) for b in blocks],  # noqa: B023
            "ours": lambda: [poisson(rng, b) for b in blocks],  # noqa: B023
            "full": lambda: simulate(cfg),  # noqa: B023
        }, args.repeats)
        fft = t["fft"]
        rows += [
            (f"{dose:,}", "FFT floor (scipy.fft.fft2, complex64)", n / fft, 1.0, "-"),
            (f"{dose:,}", "forward model (gather, probe, FFT, |.|^2, scale)", n / t["forward"], t["forward"] / fft, "-"),
            (f"{dose:,}", "numpy Generator.poisson (exact, libm)", n / t["numpy"], t["numpy"] / fft, "-"),
            (f"{dose:,}", "numerics.discrete.poisson (exact, portable)", n / t["ours"], t["ours"] / fft,
             f"{t['numpy'] / t['ours']:.2f}x numpy's speed"),
            (f"{dose:,}", "simulate (full, incl. counts)", n / t["full"], t["full"] / fft, "<= 2x floor"),
        ]
        worst = max(worst, t["full"] / fft)
    table(f"ptycho simulation, {n} patterns of 64 x 64 per dose, median of {args.repeats} interleaved rounds, one core",
          ["dose", "what", "patterns/s", "x FFT floor", "target / note"], rows)
    print(f"\nsimulate (full) / FFT floor: worst {worst:.2f}x (target <= 2x): {'met' if worst <= 2 else 'NOT met'}")
    summary("ptycho simulate (exact Poisson), worst dose", f"{worst:.2f}x the FFT floor", "batched FFT, same run", "<= 2x",
            worst <= 2)


if __name__ == "__main__":
    main()
