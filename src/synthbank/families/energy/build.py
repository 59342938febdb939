"""Generate one domain and write its Well-format files, one per pyramid scale.

``<out>/<domain>_<h>.h5`` for every scale h of the pyramid: ``t0_fields/energy``
(trajectories, steps, y, x) float32 energy per cell; ``t1_fields/energy_gradient``
(trajectories, steps, y, x, 2) float32, (dE/dy, dE/dx) per unit length (the map height);
``scalars/`` the per-step records (perturbations applied and their parameters, energy and
entropy, per-kind energy ratio and entropy change) and the domain's settings.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from synthbank import jsonio
from synthbank.params import thaw
from synthbank.families.energy import VERSION, patterns, pyramid, wellformat
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
            params_json=jsonio.dumps({k: thaw(v) for k, v in section.items() if k != "thresholds"}).strip(),
        )


def estimate_bytes(cfg: DomainConfig) -> int:
    """Upper bound of one domain's files: energy + 2 gradient components, float32, every scale."""
    aspect = cfg.shape[1] / cfg.shape[0]
    cells = sum(int(s * s * aspect) for s in cfg.scales)
    return cfg.n_sequences * cfg.n_steps * cells * 4 * 3 + 1_000_000


def file_name(domain: str, scale: int) -> str:
    return f"{domain}_{scale}.h5"


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


def well_content(cfg: DomainConfig, scale: int, maps: np.ndarray, records: Mapping[str, np.ndarray]) -> wellformat.WellContent:
    """The Well file of one scale: maps (B, T, h, w) and the records of :data:`RECORD_NAMES`."""
    b, t, h, w = maps.shape
    gx, gy = pyramid.compute_gradients(maps, spacing=1.0 / h)
    grad = np.stack([gy, gx], axis=-1).astype(np.float32)
    recs = dict(records)
    recs["total_energy"] = maps.sum(axis=(2, 3), dtype=np.float64)
    recs["entropy"] = entropy(maps)
    sim = simulation_parameters(cfg)
    scalars: dict[str, tuple[np.ndarray, bool, bool]] = {n: (np.asarray(recs[n]), True, True) for n in RECORD_NAMES}
    assert not set(sim) & set(scalars), "simulation parameter names must differ from record names"
    scalars.update({n: (np.array([v]), False, False) for n, v in sim.items()})
    return wellformat.WellContent(
        dataset_name=f"energy_atlas_{cfg.domain}",
        time=np.arange(t, dtype=np.float32),
        coords={"y": ((np.arange(h) + 0.5) / h).astype(np.float32), "x": ((np.arange(w) + 0.5) / h).astype(np.float32)},
        fields={
            0: {"energy": (maps, {"units": ENERGY_UNITS, "axes": wellformat.names(["trajectory", "step", "y", "x"])})},
            1: {"energy_gradient": (grad, {"units": "energy units per cell per unit length (unit = map height)",
                                           "axes": wellformat.names(["trajectory", "step", "y", "x", "component"]),
                                           "components": wellformat.names(["d/dy", "d/dx"])})},
        },
        scalars=scalars,
        simulation_parameters=sim,
        boundary={"y_periodic": ("y", "periodic"), "x_periodic": ("x", "periodic")},
        root_attrs={
            "family": FAMILY, "generator_version": VERSION, "seed": np.int64(cfg.seed), "params": cfg.params_json,
            "release_date": cfg.release_date, "domain": cfg.domain, "pattern": cfg.pattern, "scale": np.int64(scale),
            "scales": np.array(cfg.scales, dtype=np.int64),
        },
    )


def generate(cfg: DomainConfig) -> tuple[dict[int, np.ndarray], dict[str, np.ndarray]]:
    """Maps of every scale ``{h: (B, T, h, w) float32}`` and the per-step records."""
    maps, records = generate_domain(
        cfg.seed, cfg.domain, cfg.pattern, cfg.shape, cfg.n_sequences, cfg.n_steps,
        cfg.total_energy, cfg.patterns, cfg.perturbations,
    )
    levels = pyramid.precompute_pyramids(maps, cfg.scales)
    return {s: np.asarray(m, dtype=np.float32) for s, m in levels.items()}, records


def build(cfg: DomainConfig, output_dir: Path) -> list[Path]:
    """Write the domain's files into ``output_dir`` (replaced only when complete)."""
    levels, records = generate(cfg)
    with staged_dir(output_dir, "energy") as tmp:
        for scale, maps in levels.items():
            wellformat.write(tmp / file_name(cfg.domain, scale), well_content(cfg, scale, maps, records))
    return [output_dir / file_name(cfg.domain, s) for s in cfg.scales]
