"""Single-core throughput of the atomic generator vs a naive per-image Python loop.

Run: ``PYTHONPATH=src python benchmarks/bench_atomic_generate.py [--repeats 3]``

Prints images/s of :func:`generate_block` for block sizes 1024, the family's BLOCK_SIZE (5000) and 16384, next to a
naive baseline in the style of the original seed script (``for _ in range(n):
grid, label = generate_atomic_image()``, each image a 16x16 meshgrid sum over its atoms)
measured in the same run on fewer images, and the ratio.
"""

from __future__ import annotations

import os

# One core: set before numpy is imported so BLAS and OpenMP pools start single-threaded.
os.environ["OPENBLAS_NUM_THREADS"] = "1"
os.environ["OMP_NUM_THREADS"] = "1"
os.environ["MKL_NUM_THREADS"] = "1"

import argparse  # noqa: E402
import math  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

from synthbank.families.atomic.generate import generate_block  # noqa: E402
from synthbank.families.atomic.lattice import GRID_SIZE, LatticeParams  # noqa: E402
from synthbank.families.atomic.layout import BLOCK_SIZE  # noqa: E402


def generate_atomic_image(rng: np.random.Generator, lattice: LatticeParams) -> tuple[np.ndarray, int]:
    """Naive reference: one image, atoms enumerated in Python, meshgrid sum per atom."""
    label = int(rng.integers(0, 5))
    a = rng.uniform(*lattice.spacing_px)
    theta = rng.uniform(0.0, 2.0 * math.pi)
    sigma = a * rng.uniform(*lattice.width_fraction)
    contrast = rng.uniform(*lattice.contrast)
    background = rng.uniform(*lattice.background)
    rho, gamma = [(1.0, 90.0), (1.5, 90.0), (1.0, 75.0), (1.0, 60.0), (1.3, 78.0)][label]
    a1 = a * np.array([math.cos(theta), math.sin(theta)])
    g = theta + math.radians(gamma)
    a2 = a * rho * np.array([math.cos(g), math.sin(g)])
    origin = np.array([7.5, 7.5]) + (rng.random() - 0.5) * a1 + (rng.random() - 0.5) * a2
    yy, xx = np.meshgrid(np.arange(GRID_SIZE), np.arange(GRID_SIZE), indexing="ij")
    grid = np.full((GRID_SIZE, GRID_SIZE), background)
    reach = int(math.ceil((GRID_SIZE / math.sqrt(2) + 4 * sigma) / (a * math.sin(math.radians(gamma))))) + 1
    for i in range(-reach, reach + 1):
        for j in range(-reach, reach + 1):
            x0, y0 = origin + i * a1 + j * a2
            if not (-4 * sigma - 0.5 <= x0 <= GRID_SIZE - 0.5 + 4 * sigma):
                continue
            if not (-4 * sigma - 0.5 <= y0 <= GRID_SIZE - 0.5 + 4 * sigma):
                continue
            if rng.random() < lattice.vacancy_rate:
                continue
            grid += contrast * np.exp(-((xx - x0) ** 2 + (yy - y0) ** 2) / (2 * sigma**2))
    grid += rng.normal(0.0, lattice.noise_std, grid.shape)
    return np.round(np.clip(grid, 0, 1) * 255).astype(np.uint8), label


def images_per_s(fn, n: int, repeats: int) -> float:
    best = math.inf
    for r in range(repeats):
        t0 = time.perf_counter()
        fn(np.random.default_rng(r), n)
        best = min(best, time.perf_counter() - t0)
    return n / best


def naive_block(rng: np.random.Generator, n: int, lattice: LatticeParams) -> None:
    for _ in range(n):
        generate_atomic_image(rng, lattice)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="best of this many runs")
    parser.add_argument("--naive-images", type=int, default=500, help="images for the naive baseline")
    args = parser.parse_args()
    lattice = LatticeParams()
    generate_block(np.random.default_rng(0), 256, lattice)  # warm caches (candidate sites, BLAS)
    naive = images_per_s(lambda rng, n: naive_block(rng, n, lattice), args.naive_images, args.repeats)
    print(f"numpy {np.__version__}, OPENBLAS_NUM_THREADS=1, best of {args.repeats}")
    print(f"{'block':>7} {'vectorised img/s':>17} {'naive img/s':>12} {'ratio':>7}")
    for n in (1024, BLOCK_SIZE, 16384):
        fast = images_per_s(lambda rng, n: generate_block(rng, n, lattice), n, args.repeats)
        print(f"{n:>7} {fast:>17,.0f} {naive:>12,.0f} {fast / naive:>6.0f}x")


if __name__ == "__main__":
    main()
