"""Simulation throughput of 64 x 64 diffraction patterns next to the batched FFT alone.

Run: ``PYTHONPATH=src python benchmarks/bench_ptycho_simulate.py [--repeats 5]``

On the default design (384 px object, 64 px probe, 1089 positions), one core, best of
``--repeats``. Rows, all in patterns/s:

- ``FFT floor``: ``scipy.fft.fft2`` of the same (n, 64, 64) complex64 exit waves;
- ``forward model``: patch gather x probe, FFT, fftshift, |.|^2 and dose scaling
  (:func:`expected_intensity`), the target being within 2x of the floor;
- ``Poisson sampling alone``: numpy's ``Generator.poisson`` on the same intensities
  (exact; its cost depends on the dose), the floor of the noise step;
- ``simulate (full)``: forward model + Poisson per noise block (:func:`simulate`),
  compared with the FFT floor and with the sum of the two floors.
"""

from __future__ import annotations

import os

os.environ["OPENBLAS_NUM_THREADS"] = "1"
os.environ["OMP_NUM_THREADS"] = "1"

import argparse  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import scipy.fft  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import best_of, table  # noqa: E402

from synthbank import params  # noqa: E402
from synthbank.families.ptycho.config import SimulationConfig  # noqa: E402
from synthbank.families.ptycho.simulate import design, expected_intensity, object_patches, simulate  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    p = params.load(Path(__file__).resolve().parents[1] / "params.yaml")
    section = params.thaw(p.family("ptycho"))
    rows, ratios = [], []
    for dose in section["doses"]:
        cfg = SimulationConfig.from_params(p.seed, dose, section)
        obj, probe, pos = design(cfg)
        n = len(pos)
        waves = object_patches(obj, pos, probe.shape[0]) * probe
        fft = best_of(lambda: scipy.fft.fft2(waves), args.repeats)  # noqa: B023
        forward = best_of(lambda: expected_intensity(obj, probe, pos, dose), args.repeats)  # noqa: B023
        lam = expected_intensity(obj, probe, pos, dose)
        rng = np.random.default_rng(0)
        pois = best_of(lambda: rng.poisson(lam), args.repeats)  # noqa: B023
        full = best_of(lambda: simulate(cfg), args.repeats)  # noqa: B023
        rows += [
            (f"{dose:,}", "FFT floor (scipy.fft.fft2, complex64)", n / fft, 1.0, "-"),
            (f"{dose:,}", "forward model (gather, probe, FFT, |.|^2, scale)", n / forward, forward / fft, "<= 2x floor"),
            (f"{dose:,}", "Poisson sampling alone (numpy, exact)", n / pois, pois / fft, "-"),
            (f"{dose:,}", "simulate (full, incl. Poisson)", n / full, full / fft, f"{full / (fft + pois):.2f}x FFT+Poisson floors"),
        ]
        ratios.append(forward / fft)
    table(f"ptycho simulation, {n} patterns of 64 x 64 per dose, best of {args.repeats}, one core",
          ["dose", "what", "patterns/s", "x FFT floor", "target / note"], rows)
    print(f"\nforward model / FFT floor: worst {max(ratios):.2f}x (target <= 2x): {'met' if max(ratios) <= 2 else 'NOT met'}")


if __name__ == "__main__":
    main()
