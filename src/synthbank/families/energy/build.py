"""Generate one domain and write its Well datasets, one per pyramid scale (layout.py).

``<out>/synthbank_energy_<domain>_<h>/`` for every scale h of the pyramid: ``stats.yaml``
(wellstats.py, from the train split) and ``data/<split>/<name>_<split>.h5`` holding the
split's sequences in ascending order: ``t0_fields/energy``
(trajectories, steps, y, x) float32 energy per cell; ``t1_fields/energy_gradient``
(trajectories, steps, y, x, 2) float32, (dE/dy, dE/dx) per unit length (the map height);
``scalars/`` the per-step records (perturbations applied and their parameters, energy and
entropy, per-kind energy ratio and entropy change) and the domain's settings (0-d).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from synthbank import jsonio, parallel
from synthbank.params import thaw
from synthbank.families.energy import VERSION, layout, patterns, pyramid, wellformat, wellstats
from synthbank.families.energy.sequence import FAMILY, RECORD_NAMES, PatternParams, PerturbationConfig, generate_domain
from synthbank.families.energy.thermo import entropy
from synthbank.io.staging import staged_dir

ENERGY_UNITS = "energy units per cell (each base map sums to total_energy)"


@dataclass(frozen=True)
class DomainConfig:
    """Everything that determines the bytes of one domain's files."""

    seed: int
    release_date: str
    domain: str
    pattern: str
    shape: tuple[int, int]
    n_sequences: int
    n_steps: int
    total_energy: float
    scales: tuple[int, ...]
    patterns: PatternParams
    perturbations: PerturbationConfig
    split: tuple[float, float]  # (valid, test) fractions, layout.split_counts
    params_json: str  # the family's generation params, recorded in every file

    @classmethod
    def from_params(cls, seed: int, release_date: str, section: Mapping[str, Any], domain: str) -> DomainConfig:
        domains = section["domains"]
        if domain not in domains:
            raise ValueError(f"domain={domain!r} is unknown: allowed one of {sorted(domains)}")
        d = domains[domain]
        shape = patterns.check_shape(tuple(section["shape"]))
        return cls(
            seed=int(seed), release_date=release_date, domain=domain, pattern=str(d["pattern"]), shape=shape,
            n_sequences=int(section["n_sequences"]), n_steps=int(section["n_steps"]),
            total_energy=float(section["total_energy"]),
            scales=pyramid.check_scales(shape[0], section["scales"]),
            patterns=PatternParams.from_mapping(section["patterns"]),
            perturbations=PerturbationConfig.from_mapping(section["probability"], d),
            split=(float(section["split"]["valid"]), float(section["split"]["test"])),
            params_json=jsonio.dumps({k: thaw(v) for k, v in section.items() if k != "thresholds"}).strip(),
        )


def estimate_bytes(cfg: DomainConfig) -> int:
    """Upper bound of one domain's files: energy + 2 gradient components, float32, every scale."""
    aspect = cfg.shape[1] / cfg.shape[0]
    cells = sum(int(s * s * aspect) for s in cfg.scales)
    return cfg.n_sequences * cfg.n_steps * cells * 4 * 3 + 1_000_000


def split_of(cfg: DomainConfig) -> dict[str, tuple[int, ...]]:
    """The domain's sequence numbers per split (train, valid, test), ascending."""
    return layout.assign(cfg.seed, cfg.domain, cfg.n_sequences, {"valid": cfg.split[0], "test": cfg.split[1]})


def simulation_parameters(cfg: DomainConfig) -> dict[str, float]:
    """The domain's settings, as root attributes and constant scalars."""
    p = cfg.perturbations
    return {
        "total_energy_initial": cfg.total_energy,
        "rotation_max_deg": p.rotation_max_deg,
        "noise_sigma": p.noise_sigma,
        "blur_sigma_px": p.blur_sigma,
        "translation_max_px": float(p.translation_max_px),
        "scaling_min": p.scale_range[0],
        "scaling_max": p.scale_range[1],
    }


@dataclass(frozen=True)
class Level:
    """One pyramid scale of some sequences: what its file holds for them.

    Attributes
    ----------
    maps : (b, T, h, w) float32, energy per cell.
    grad : (b, T, h, w, 2) float32, (dE/dy, dE/dx) per unit length (the map height).
    total_energy, entropy : (b, T) float64, of the stored float32 maps.
    """

    maps: np.ndarray
    grad: np.ndarray
    total_energy: np.ndarray
    entropy: np.ndarray

    @classmethod
    def of(cls, maps: np.ndarray) -> Level:
        """The level of float32 maps (b, T, h, w): their gradients, totals and entropies (row by row)."""
        gx, gy = pyramid.compute_gradients(maps, spacing=1.0 / maps.shape[2])
        grad = np.empty((*maps.shape, 2), dtype=np.float32)  # (dE/dy, dE/dx), each rounded to float32
        grad[..., 0], grad[..., 1] = gy, gx
        return cls(maps, grad, maps.sum(axis=(2, 3), dtype=np.float64), entropy(maps))

    def rows(self, rows: np.ndarray) -> Level:
        """The level of sequences ``rows`` (indices into this one)."""
        return Level(self.maps[rows], self.grad[rows], self.total_energy[rows], self.entropy[rows])

    @classmethod
    def empty(cls, b: int, like: Level) -> Level:
        """Room for ``b`` sequences shaped like ``like``'s, filled by :meth:`put`."""
        return cls(*(np.empty((b, *a.shape[1:]), a.dtype) for a in (like.maps, like.grad, like.total_energy, like.entropy)))

    def put(self, row: int, part: Level) -> None:
        """Copy ``part`` (its sequences) into rows ``row ...``."""
        for mine, theirs in ((self.maps, part.maps), (self.grad, part.grad),
                             (self.total_energy, part.total_energy), (self.entropy, part.entropy)):
            mine[row : row + len(theirs)] = theirs


def well_content(cfg: DomainConfig, scale: int, level: Level, records: Mapping[str, np.ndarray], split: str,
                 splits: Mapping[str, Sequence[int]]) -> wellformat.WellContent:
    """The Well file of one split at one scale: the level and records (:data:`RECORD_NAMES`) of its sequences."""
    b, t, h, w = level.maps.shape
    recs = {**records, "total_energy": level.total_energy, "entropy": level.entropy}
    sim = simulation_parameters(cfg)
    scalars: dict[str, tuple[np.ndarray, bool, bool]] = {n: (np.asarray(recs[n]), True, True) for n in RECORD_NAMES}
    assert not set(sim) & set(scalars), "simulation parameter names must differ from record names"
    scalars.update({n: (np.array(v), False, False) for n, v in sim.items()})  # 0-d, as the Well writes them
    return wellformat.WellContent(
        dataset_name=layout.dataset_name(cfg.domain, scale),
        time=np.arange(t, dtype=np.float32),
        coords={"y": ((np.arange(h) + 0.5) / h).astype(np.float32), "x": ((np.arange(w) + 0.5) / h).astype(np.float32)},
        fields={
            0: {"energy": (level.maps, {"units": ENERGY_UNITS, "axes": wellformat.names(["trajectory", "step", "y", "x"])})},
            1: {"energy_gradient": (level.grad, {"units": "energy units per cell per unit length (unit = map height)",
                                                 "axes": wellformat.names(["trajectory", "step", "y", "x", "component"]),
                                                 "components": wellformat.names(["d/dy", "d/dx"])})},
        },
        scalars=scalars,
        simulation_parameters=sim,
        boundary={"y_periodic": ("y", "periodic"), "x_periodic": ("x", "periodic")},
        root_attrs={
            "family": FAMILY, "generator_version": VERSION, "seed": np.int64(cfg.seed), "params": cfg.params_json,
            "release_date": cfg.release_date, "domain": cfg.domain, "pattern": cfg.pattern, "scale": np.int64(scale),
            "scales": np.array(cfg.scales, dtype=np.int64), "split": split,
            "sequences": np.array(splits[split], dtype=np.int64),
            "split_counts": np.array([len(splits[s]) for s in layout.SPLITS], dtype=np.int64),
        },
    )


@dataclass(frozen=True)
class SequenceTask:
    """One worker task: sequence ``sequence`` of the domain (its streams are keyed by that number)."""

    cfg: DomainConfig
    sequence: int


def generate_sequence(task: SequenceTask) -> tuple[dict[int, Level], dict[str, np.ndarray]]:
    """One sequence: its level at every scale ``{h: Level}`` and its per-step records (1, T)."""
    cfg = task.cfg
    maps, records = generate_domain(
        cfg.seed, cfg.domain, cfg.pattern, cfg.shape, 1, cfg.n_steps,
        cfg.total_energy, cfg.patterns, cfg.perturbations, first=task.sequence,
    )
    levels = pyramid.precompute_pyramids(maps, cfg.scales)
    return {s: Level.of(np.asarray(m, dtype=np.float32)) for s, m in levels.items()}, records


def generate(cfg: DomainConfig, backend: Mapping[str, Any] | None = None) -> tuple[dict[int, Level], dict[str, np.ndarray]]:
    """Every scale's level ``{h: Level}`` and the per-step records of the whole domain.

    Each sequence is a task (:func:`synthbank.parallel.run_ordered` with ``backend``);
    results are copied in sequence order, so the bytes do not depend on the workers.
    """
    tasks = (SequenceTask(cfg, s) for s in range(cfg.n_sequences))
    levels: dict[int, Level] = {}
    records = {n: np.empty((cfg.n_sequences, cfg.n_steps)) for n in RECORD_NAMES}
    for s, (parts, recs) in enumerate(parallel.run_ordered(generate_sequence, tasks, **dict(backend or {}))):
        for scale, part in parts.items():
            levels.setdefault(scale, Level.empty(cfg.n_sequences, part)).put(s, part)
        for name in RECORD_NAMES:
            records[name][s] = recs[name][0]
    return levels, records


def stats_of(level: Level) -> dict[str, dict[str, Any]]:
    """The Well's normalisation statistics of a level (the train split's)."""
    return wellstats.field_stats({"energy": (level.maps, 0, True), "energy_gradient": (level.grad, 1, True)})


def build(cfg: DomainConfig, output_dir: Path, backend: Mapping[str, Any] | None = None) -> list[Path]:
    """Write the domain's datasets into ``output_dir`` (replaced only when complete); ``backend`` as :func:`generate`.

    Returns every file written (the split files and each dataset's stats.yaml), as paths under ``output_dir``.
    """
    levels, records = generate(cfg, backend)
    splits = split_of(cfg)
    written = []
    with staged_dir(output_dir, "energy") as tmp:
        for scale, level in levels.items():
            name = layout.dataset_name(cfg.domain, scale)
            for split, seqs in splits.items():
                if not seqs:  # too few sequences for this split: no directory (docs/families/energy.md)
                    continue
                rows = np.array(seqs, dtype=np.int64)
                path = layout.split_file(tmp / name, split)
                path.parent.mkdir(parents=True)
                wellformat.write(path, well_content(cfg, scale, level.rows(rows), {n: r[rows] for n, r in records.items()},
                                                    split, splits))
                written.append(output_dir / path.relative_to(tmp))
            train = level.rows(np.array(splits["train"], dtype=np.int64))
            (tmp / name / layout.STATS).write_bytes(wellstats.dumps(stats_of(train)))
            written.append(output_dir / name / layout.STATS)
    return written
