"""Base maps of a domain and their sequences by repeated perturbation (pure, vectorised).

Streams (the determinism contract): sequence ``s`` of domain ``d`` draws its base map from
``stream(seed, "energy", name_key(d), s, 0, BASE_STREAM)`` and step ``t >= 1`` draws its
perturbation choices from ``(…, s, t, CHOICE_STREAM)`` and its noise field from
``(…, s, t, NOISE_STREAM)``. So a sequence's maps never depend on how many sequences or
steps are generated. Work is vectorised over the sequences of a domain.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from synthbank import numerics, scratch, seeding
from synthbank.families.energy import patterns, perturb
from synthbank.families.energy.thermo import CONSERVATION_TOLERANCE, ThermodynamicViolation, conservation_error, entropy

FAMILY = "energy"
BASE_STREAM, CHOICE_STREAM, NOISE_STREAM = 0, 1, 2


@dataclass(frozen=True)
class PatternParams:
    """Settings of the base patterns (params.yaml ``energy.patterns``)."""

    spectral_index: float = -5.0 / 3.0
    vortices: tuple[int, int] = (4, 12)
    vortex_core: tuple[float, float] = (0.02, 0.08)
    shear_layers: tuple[int, int] = (1, 3)
    shear_thickness: tuple[float, float] = (0.03, 0.1)

    @classmethod
    def from_mapping(cls, m: Mapping[str, Any]) -> PatternParams:
        return cls(
            spectral_index=float(m["spectral_index"]),
            vortices=(int(m["vortices"][0]), int(m["vortices"][1])),
            vortex_core=(float(m["vortex_core"][0]), float(m["vortex_core"][1])),
            shear_layers=(int(m["shear_layers"][0]), int(m["shear_layers"][1])),
            shear_thickness=(float(m["shear_thickness"][0]), float(m["shear_thickness"][1])),
        )


@dataclass(frozen=True)
class PerturbationConfig:
    """One domain's perturbations: per-step probabilities and magnitudes.

    Attributes
    ----------
    probability : dict kind -> probability (0..1) that a step applies that kind.
    rotation_max_deg : angles are uniform in [-max, max] degrees.
    noise_sigma : noise std relative to the map's mean energy per cell.
    blur_sigma : diffusion length (Gaussian std) in cells.
    translation_max_px : shifts are integers uniform in [-max, max] cells on each axis.
    scale_range : energy scaling factors are uniform in [low, high].
    """

    probability: Mapping[str, float]
    rotation_max_deg: float
    noise_sigma: float
    blur_sigma: float
    translation_max_px: int
    scale_range: tuple[float, float]

    def __post_init__(self) -> None:
        # The bounds are the params schema's (energy.probability, energy.domains.<name>), stated once.
        from synthbank import params

        params.check_value({k: float(v) for k, v in self.probability.items()}, "energy", "probability", name="probability")
        for name in DOMAIN_KEYS:
            value = getattr(self, name)
            params.check_value([float(v) for v in value] if name == "scale_range" else value,
                               "energy", "domains", "domain", name, name=name)

    @classmethod
    def from_mapping(cls, probability: Mapping[str, float], domain: Mapping[str, Any]) -> PerturbationConfig:
        return cls(
            probability={k: float(probability[k]) for k in perturb.KINDS},
            rotation_max_deg=float(domain["rotation_max_deg"]),
            noise_sigma=float(domain["noise_sigma"]),
            blur_sigma=float(domain["blur_sigma"]),
            translation_max_px=int(domain["translation_max_px"]),
            scale_range=(float(domain["scale_range"][0]), float(domain["scale_range"][1])),
        )


#: The per-domain keys a PerturbationConfig takes from ``energy.domains.<name>``.
DOMAIN_KEYS = ("rotation_max_deg", "noise_sigma", "blur_sigma", "translation_max_px", "scale_range")

#: Names of the per-step records (each an (n, T) float array; 0 where not applied).
RECORD_NAMES = (
    "total_energy", "entropy",
    *(f"{k}_applied" for k in perturb.KINDS),
    "rotation_angle_deg", "noise_level", "blur_length_px", "translation_dy_px", "translation_dx_px", "scaling_factor",
    *(f"{k}_energy_ratio" for k in perturb.KINDS),
    *(f"{k}_entropy_change" for k in perturb.KINDS),
)


def base_maps(pattern: str, shape: tuple[int, int], total_energy: float, pp: PatternParams, rngs: list[np.random.Generator]) -> np.ndarray:
    """One base map per generator, shape (len(rngs), h, w), float64, each summing to ``total_energy``.

    Draws happen per map (each from its own stream); the arithmetic is one vectorised call.
    """
    h, w = patterns.check_shape(shape)
    if pattern not in patterns.PATTERNS:
        raise ValueError(f"pattern={pattern!r} is invalid: allowed one of {patterns.PATTERNS}")
    if pattern == "turbulent":  # the noise drawn in place and filtered in place, the rows' tails batched
        noise = numerics.standard_normal_rows(rngs, h * w, np.float64).reshape(len(rngs), h, w)
        maps = patterns.turbulent(noise, pp.spectral_index, out=noise)
    elif pattern == "random":
        maps = patterns.random(np.stack([r.random((h, w)) for r in rngs]))
    elif pattern == "laminar":
        d = np.array([[r.integers(pp.shear_layers[0], pp.shear_layers[1] + 1), r.uniform(*pp.shear_thickness),
                       r.uniform(0.02, 0.1), r.random()] for r in rngs])
        maps = patterns.laminar(h, w, d[:, 0], d[:, 1], d[:, 2], d[:, 3])
    else:
        k = pp.vortices[1]
        draws = [(r.integers(pp.vortices[0], k + 1), r.random((k, 2)), r.choice([-1.0, 1.0], k) * r.uniform(0.5, 1.5, k),
                  r.uniform(*pp.vortex_core, k)) for r in rngs]
        on = np.arange(k)[None, :] < np.array([d[0] for d in draws])[:, None]
        maps = patterns.vortex(h, w, np.stack([d[1] for d in draws]), np.stack([d[2] for d in draws]) * on,
                               np.stack([d[3] for d in draws]))
    return patterns.normalise(maps, total_energy, out=maps)  # the maps are this function's own


@dataclass(frozen=True)
class StepDraws:
    """Random choices of one step for n sequences (arrays of shape (n,) unless noted)."""

    applied: np.ndarray  # (n, 5) bool, columns in perturb.KINDS order
    angle: np.ndarray
    dy: np.ndarray
    dx: np.ndarray
    factor: np.ndarray
    noise_rngs: list[np.random.Generator]


def draw_step(config: PerturbationConfig, choice_rngs: list[np.random.Generator], noise_rngs: list[np.random.Generator]) -> StepDraws:
    """Draw every choice of one step; each stream draws the same count whatever is applied."""
    p = np.array([config.probability[k] for k in perturb.KINDS])
    m = config.translation_max_px
    rows = np.array([np.concatenate([r.random(5), [r.uniform(-1, 1), r.integers(-m, m + 1), r.integers(-m, m + 1),
                                                    r.uniform(*config.scale_range)]]) for r in choice_rngs])
    return StepDraws(
        applied=rows[:, :5] < p, angle=rows[:, 5] * config.rotation_max_deg,
        dy=rows[:, 6].astype(np.int64), dx=rows[:, 7].astype(np.int64), factor=rows[:, 8], noise_rngs=noise_rngs,
    )


class StepBuffers:
    """Float64 stacks that :func:`perturb_step` reuses from step to step (no fresh memory per step).

    ``spare`` hands out the stacks a step may return (at most three: the step's input, the
    stack being built and one to build the next kind into); ``scratch`` the stacks of one
    kind's selected maps ("sub") and result ("new") while the kind applies to some maps
    only. Each has the shape (n, h, w) of the stack and is made at first use: afresh, or,
    with ``reuse``, as this thread's :func:`synthbank.scratch.buffer` (kept from call to
    call: for a caller that copies each step's maps out before the next call).
    """

    SPARES = 3

    def __init__(self, shape: tuple[int, int, int], reuse: bool = False) -> None:
        self.shape = tuple(shape)
        self.reuse = reuse
        self.maps: list[np.ndarray] = []
        self._scratch: dict[str, np.ndarray] = {}

    def _make(self, name: str) -> np.ndarray:
        return scratch.buffer(f"energy.step.{name}", self.shape) if self.reuse else np.empty(self.shape)

    def spare(self, *busy: np.ndarray) -> np.ndarray:
        """A returnable stack sharing no memory with ``busy`` (at most two arrays)."""
        for buf in self.maps:
            if not any(np.may_share_memory(buf, b) for b in busy):
                return buf
        if len(self.maps) == self.SPARES:
            raise RuntimeError("every spare stack is busy")  # a caller's error: at most two busy
        self.maps.append(self._make(f"maps{len(self.maps)}"))
        return self.maps[-1]

    def scratch(self, name: str, m: int) -> np.ndarray:
        """The first ``m`` maps of the scratch stack ``name`` ("sub" or "new")."""
        if name not in self._scratch:
            self._scratch[name] = self._make(name)
        return self._scratch[name][:m]


def perturb_step(maps: np.ndarray, config: PerturbationConfig, draws: StepDraws, h_before: np.ndarray,
                 buffers: StepBuffers | None = None, e_before: np.ndarray | None = None) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Apply one step's perturbations, in :data:`perturb.KINDS` order, to a (n, h, w) stack.

    Each kind runs once, vectorised over the maps that apply it. Returns the new stack (``maps``
    itself, never modified, when no kind applies) and this step's records (see
    :data:`RECORD_NAMES`, each of shape (n,)). With ``buffers`` (shared by the steps of one
    sequence run) the new stack is one of its stacks, overwritten by a later step unless
    it is that step's ``maps``; without, it is a fresh array. ``e_before``: the maps' totals
    (``maps.sum(axis=(1, 2))``, the previous step's ``total_energy``), summed here if not given.
    """
    n = maps.shape[0]
    rec = {name: np.zeros(n) for name in RECORD_NAMES}
    for name in perturb.KINDS:
        rec[f"{name}_energy_ratio"][:] = 1.0
    buffers = StepBuffers(maps.shape) if buffers is None else buffers
    # ``current`` is the caller's stack until a kind applies to some of the maps only: then
    # it is copied once and updated in place; a kind applied to all replaces it whole.
    current, owned, h_now = np.ascontiguousarray(maps), False, h_before.copy()
    # Each map's total, summed once per result (a row's sum is the same alone or in a stack).
    e_now = current.sum(axis=(1, 2)) if e_before is None else np.array(e_before, dtype=np.float64)
    for col, kind in enumerate(perturb.KINDS):
        idx = np.flatnonzero(draws.applied[:, col])
        rec[f"{kind}_applied"][idx] = 1.0
        if idx.size == 0:
            continue
        whole = idx.size == n
        if whole:
            sub, target = current, buffers.spare(maps, current)
        else:
            # mode="clip": the indices are valid, and the default "raise" copies ``out`` first
            sub = np.take(current, idx, axis=0, out=buffers.scratch("sub", idx.size), mode="clip")
            target = buffers.scratch("new", idx.size)
        if kind == "rotation":
            new = perturb.rotate(sub, draws.angle[idx], out=target)
            rec["rotation_angle_deg"][idx] = draws.angle[idx]
        elif kind == "noise":  # the draws go straight into the result's buffer, the rows' tails batched
            numerics.standard_normal_rows([draws.noise_rngs[i] for i in idx], sub.shape[1] * sub.shape[2], np.float64,
                                          out=target.reshape(idx.size, -1))
            new = perturb.add_noise(sub, np.full(idx.size, config.noise_sigma), target, out=target, totals=e_now[idx])
            rec["noise_level"][idx] = config.noise_sigma
        elif kind == "blur":
            new = perturb.blur(sub, np.full(idx.size, config.blur_sigma), out=target)
            rec["blur_length_px"][idx] = config.blur_sigma
        elif kind == "translation":
            new = perturb.translate(sub, draws.dy[idx], draws.dx[idx], out=target)
            rec["translation_dy_px"][idx], rec["translation_dx_px"][idx] = draws.dy[idx], draws.dx[idx]
        else:
            new = perturb.scale(sub, draws.factor[idx], out=target)
            rec["scaling_factor"][idx] = draws.factor[idx]
        e_new = new.sum(axis=(1, 2))
        h_new = h_now[idx] if kind in ("translation", "scaling") else entropy(new, e_new)
        rec[f"{kind}_energy_ratio"][idx] = e_new / e_now[idx]
        rec[f"{kind}_entropy_change"][idx] = h_new - h_now[idx]
        h_now[idx], e_now[idx] = h_new, e_new
        if whole:
            current, owned = new, True
        else:
            if not owned:
                spare = buffers.spare(maps, current)
                np.copyto(spare, current)
                current, owned = spare, True
            current[idx] = new
    rec["total_energy"][:] = e_now
    rec["entropy"][:] = h_now
    return current, rec


def enforce_conservation(rec: dict[str, np.ndarray], step: int, tolerance: float = CONSERVATION_TOLERANCE, first: int = 0) -> None:
    """Raise ThermodynamicViolation if a kind applied in this step broke conservation.

    The expected ratio is 1, or the factor for scaling; ``rec`` holds one step's records
    of sequences ``first``, ``first + 1``, ... (the numbers the message names).
    """
    for kind in perturb.KINDS:
        applied = rec[f"{kind}_applied"] > 0
        if not applied.any():
            continue
        expected = np.where(applied, rec["scaling_factor"], 1.0) if kind == "scaling" else 1.0
        err = np.where(applied, conservation_error(1.0, rec[f"{kind}_energy_ratio"], expected), 0.0)
        if not err.max() < tolerance:
            i = int(err.argmax())
            raise ThermodynamicViolation(
                f"{kind} at step {step} of sequence {first + i} changed the energy by a factor "
                f"{rec[f'{kind}_energy_ratio'][i]:.6g} (expected {np.broadcast_to(expected, err.shape)[i]:.6g}): "
                f"relative error {err[i]:.3g} >= tolerance {tolerance:g}",
                before=1.0, after=float(rec[f"{kind}_energy_ratio"][i]), error=float(err[i]), tolerance=tolerance,
            )


def generate_sequences(base: np.ndarray, n_steps: int, config: PerturbationConfig, streams,
                       first: int = 0) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Sequences of ``n_steps`` maps: map 0 is the base map, map t perturbs map t-1.

    Parameters
    ----------
    base : ndarray, shape (n, h, w), float64
        Base maps (non-negative).
    n_steps : int >= 1
    config : PerturbationConfig
    streams : callable (sequence, step, stream_id) -> numpy Generator
        The stream factory (see the module docstring).
    first : int
        The number of the first sequence: row i of ``base`` is sequence ``first + i``
        and draws from its streams.

    Returns
    -------
    maps : ndarray, shape (n, n_steps, h, w), float32
    records : dict name -> ndarray (n, n_steps) float64, see :data:`RECORD_NAMES`
        (step 0 has no perturbation applied).

    Raises
    ------
    ThermodynamicViolation
        If any applied perturbation changes a map's energy by 5% or more (the tolerance of
        the energy source document, docs/families/energy.md; scaling is measured against its
        factor).
    """
    if not isinstance(n_steps, (int, np.integer)) or n_steps < 1:
        raise ValueError(f"n_steps={n_steps!r} is invalid: allowed an integer >= 1")
    n = base.shape[0]
    out = np.empty((n, n_steps, *base.shape[1:]), dtype=np.float32)
    records = {name: np.zeros((n, n_steps)) for name in RECORD_NAMES}
    for name in perturb.KINDS:
        records[f"{name}_energy_ratio"][:, 0] = 1.0
    current = base
    e = base.sum(axis=(1, 2))
    h = entropy(base, e)
    records["total_energy"][:, 0], records["entropy"][:, 0] = e, h
    out[:, 0] = base
    buffers = StepBuffers(base.shape, reuse=True)  # each step's maps are copied to ``out`` before the next step
    for t in range(1, n_steps):  # sequential by nature; every step is vectorised over n
        ids = range(first, first + n)
        draws = draw_step(config, [streams(s, t, CHOICE_STREAM) for s in ids], [streams(s, t, NOISE_STREAM) for s in ids])
        current, rec = perturb_step(current, config, draws, h, buffers, e_before=e)
        enforce_conservation(rec, t, first=first)
        h, e = rec["entropy"], rec["total_energy"]
        for name, values in rec.items():
            records[name][:, t] = values
        out[:, t] = current
    return out, records


def domain_streams(seed: int, domain: str):
    """The stream factory of one domain: (sequence, step, stream_id) -> Generator."""
    key = seeding.name_key(domain)

    def streams(sequence: int, step: int, stream_id: int) -> np.random.Generator:
        return seeding.stream(seed, FAMILY, key, sequence, step, stream_id)

    return streams


def generate_domain(
    seed: int, domain: str, pattern: str, shape: tuple[int, int], n_sequences: int, n_steps: int,
    total_energy: float, pp: PatternParams, config: PerturbationConfig, first: int = 0,
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Sequences ``first .. first + n_sequences - 1`` of one domain: maps (n_sequences, n_steps, h, w) float32 and records.

    Each sequence draws from its own streams, so any split of a domain's sequences into
    calls gives the same maps (the vectorised arithmetic is row by row).
    """
    if n_sequences < 1:
        raise ValueError(f"n_sequences={n_sequences!r} is invalid: allowed an integer >= 1")
    if not total_energy > 0:
        raise ValueError(f"total_energy={total_energy!r} is invalid: allowed a number > 0")
    streams = domain_streams(seed, domain)
    ids = range(first, first + n_sequences)
    base = base_maps(pattern, shape, total_energy, pp, [streams(s, 0, BASE_STREAM) for s in ids])
    return generate_sequences(base, n_steps, config, streams, first)
