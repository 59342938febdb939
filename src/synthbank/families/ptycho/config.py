"""The parameters of each ptycho stage, parsed from the family's params.yaml section.

Each stage takes only the parameters that shape its own bytes, so DVC's ``params:`` of a
stage and the attributes recorded in its files agree. Every ``from_params`` raises
ValueError with the offending key and value; the CLI turns it into a UsageError before
writing. The bounds of each key are the family's params schema's (``params.schema.json``,
checked by :func:`_check`); the code states only the rules between keys that a schema
cannot (the ``check`` methods). No dataclass repeats params.yaml's values as defaults.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from synthbank import params as params_mod
from synthbank import seeding
from synthbank.families.ptycho.base import BaseNpz, check_scan, inspect
from synthbank.families.ptycho.layout import FAMILY, SCAN_STREAM


def _check(value: Any, *keys: str, name: str | None = None) -> None:
    """Check ``value`` against the schema of ``ptycho.<keys>``: the one place its bounds are stated.

    The message names the key below ``ptycho.`` (``probe.size_px=6 is invalid: allowed ...``),
    as the cross-key messages do: the CLI prefixes ``params.yaml: ptycho.``.
    """
    params_mod.check_value(params_mod.thaw(value), "ptycho", *keys, name=name or ".".join(keys))


def _range(value: Any) -> tuple[float, float]:
    lo, hi = (float(v) for v in value)
    return lo, hi


@dataclass(frozen=True)
class ObjectParams:
    """Square complex object: amplitude and phase from two smooth seeded random fields."""

    size_px: int
    amplitude: tuple[float, float]
    phase_rad: tuple[float, float]
    correlation_px: float

    @classmethod
    def from_mapping(cls, m: Mapping[str, Any]) -> ObjectParams:
        return cls(int(m["size_px"]), _range(m["amplitude"]), _range(m["phase_rad"]), float(m["correlation_px"]))


@dataclass(frozen=True)
class ProbeParams:
    """An apodised disc with a quadratic (defocus) phase, ``size_px`` square."""

    size_px: int
    radius_px: float
    edge_px: float
    defocus_rad: float

    @classmethod
    def from_mapping(cls, m: Mapping[str, Any]) -> ProbeParams:
        return cls(int(m["size_px"]), float(m["radius_px"]), float(m["edge_px"]), float(m["defocus_rad"]))


@dataclass(frozen=True)
class ScanParams:
    """Scan positions: a raster with seeded jitter, or uniformly random positions."""

    pattern: str
    step_px: int
    jitter_px: float
    n_positions: int

    @classmethod
    def from_mapping(cls, m: Mapping[str, Any]) -> ScanParams:
        return cls(str(m["pattern"]), int(m["step_px"]), float(m["jitter_px"]), int(m["n_positions"]))


def base_of(section: Mapping[str, Any]) -> BaseNpz | None:
    """The checked base NPZ of ``ptycho.base_npz`` (None: the synthetic object, probe and scan).

    The schema keeps the path below ``sources/ptycho/`` (the directory the DVC stages
    depend on); the file itself is read and checked here, before anything is written.
    """
    given = section["base_npz"]
    path = None if given is None else Path(given).as_posix()  # --base-npz gives a Path
    _check(path, "base_npz")
    if path is None:
        return None
    try:
        return inspect(str(path))
    except ValueError as exc:
        raise ValueError(f"base_npz={path} is invalid: {str(exc).removeprefix(f'{path}: ')}") from None


@lru_cache(maxsize=1)  # the same for every dose of a sweep: the file is read once more, not once a dose
def _check_base_scan(seed: int, scan: ScanParams, base: BaseNpz) -> None:
    """The scan of ``ptycho.scan`` over a base object must see photons (the dose scale divides by them).

    :func:`~synthbank.families.ptycho.base.inspect` refused an object dark wherever a probe
    can reach; this catches a scan that misses its bright part (ValueError, one line).
    """
    from synthbank.families.ptycho import simulate  # simulate imports this module

    rng = seeding.stream(seed, FAMILY, SCAN_STREAM)
    positions = simulate.scan_positions(rng, scan, base.object_shape, base.probe_px)
    try:
        check_scan(base, positions)
    except ValueError as exc:
        raise ValueError(f"base_npz={base.path} is invalid: {str(exc).removeprefix(f'{base.path}: ')}") from None


@dataclass(frozen=True)
class SimulationConfig:
    """Everything that determines the bytes of one dose's simulate output.

    With ``base`` (a user's NPZ, :mod:`synthbank.families.ptycho.base`) the object and
    the probe, and the positions when the file has them, come from the file; ``object``
    and ``probe`` (and then ``scan``) are not used.
    """

    seed: int
    dose: int
    object: ObjectParams
    probe: ProbeParams
    scan: ScanParams
    base: BaseNpz | None

    @classmethod
    def from_params(cls, seed: int, dose: int, section: Mapping[str, Any], base: BaseNpz | None = None) -> SimulationConfig:
        """One dose's simulation; ValueError (key, value, what is allowed) on the first problem.

        ``base`` is ``base_of(section)`` when the caller has it already (read once per sweep).
        """
        _check(dose, "doses", "items", name="dose")
        for key in ("object", "probe", "scan"):
            _check(section[key], key)
        cfg = cls(
            int(seed), int(dose), ObjectParams.from_mapping(section["object"]),
            ProbeParams.from_mapping(section["probe"]), ScanParams.from_mapping(section["scan"]),
            base if base is not None else base_of(section),
        )
        cfg.check()
        return cfg

    def check(self) -> None:
        """Raise ValueError naming the key and value of the first inconsistency between keys.

        Only rules a JSON Schema cannot state live here (each key's own bounds are the
        schema's, checked by ``from_params``). A base NPZ replaces the object and the probe,
        so their cross-key rules do not apply (the file's own are checked when it is read).
        """
        if self.base is not None:
            if not self.base.n_positions:
                _check_base_scan(self.seed, self.scan, self.base)
            return
        o, p = self.object, self.probe
        if o.size_px <= p.size_px:
            raise ValueError(f"object.size_px={o.size_px} is invalid: allowed > probe.size_px={p.size_px}")
        if not 0 < p.radius_px + p.edge_px / 2 <= p.size_px / 2:
            raise ValueError(
                f"probe.radius_px={p.radius_px} with edge_px={p.edge_px} is invalid: "
                f"allowed 0 < radius + edge/2 <= size_px/2 = {p.size_px / 2}"
            )

    @property
    def object_shape(self) -> tuple[int, int]:
        """(H, W) of the object the scan covers: the base file's, else ``object.size_px`` square."""
        return self.base.object_shape if self.base is not None else (self.object.size_px, self.object.size_px)

    @property
    def probe_px(self) -> int:
        return self.base.probe_px if self.base is not None else self.probe.size_px

    @property
    def n_positions(self) -> int:
        """Scan positions of the design, counted without drawing them (the jitter never moves one out)."""
        if self.base is not None and self.base.n_positions:
            return self.base.n_positions
        if self.scan.pattern == "random":
            return self.scan.n_positions
        n = self.probe_px
        per_axis = [len(range(n // 2, side - n // 2 + 1, self.scan.step_px)) for side in self.object_shape]
        return per_axis[0] * per_axis[1]

    def record(self) -> dict[str, Any]:
        """The parameters as recorded in the simulate output (JSON-ready); ``base_npz`` path and sha256, or None."""
        d = {k: asdict(v) for k, v in (("object", self.object), ("probe", self.probe), ("scan", self.scan))}
        for sub in d.values():
            for k, v in sub.items():
                if isinstance(v, tuple):
                    sub[k] = list(v)
        return {"seed": self.seed, "dose": self.dose, **d, "base_npz": None if self.base is None else self.base.record()}


@dataclass(frozen=True)
class PatchConfig:
    """Grouping: K nearest neighbours per position, groups of C = gridsize**2 of them."""

    seed: int
    neighbours: int
    gridsize: int

    @property
    def group_size(self) -> int:
        return self.gridsize * self.gridsize

    @classmethod
    def from_params(cls, seed: int, section: Mapping[str, Any]) -> PatchConfig:
        _check(section["patch"], "patch")
        cfg = cls(int(seed), int(section["patch"]["neighbours"]), int(section["patch"]["gridsize"]))
        cfg.check()
        return cfg

    def check(self) -> None:
        """K >= C: a rule between two keys, which the schema cannot state."""
        if self.neighbours < self.group_size:
            raise ValueError(
                f"patch.neighbours={self.neighbours} is invalid: allowed K >= C = gridsize**2 = "
                f"{self.group_size} (gridsize={self.gridsize}), so a group can be drawn from the neighbours"
            )

    def record(self) -> dict[str, Any]:
        return {"seed": self.seed, "neighbours": self.neighbours, "gridsize": self.gridsize}


@dataclass(frozen=True)
class ViewsConfig:
    """Dense and sparse views: groups whose centres are at least the spacing apart."""

    seed: int
    dense_spacing_px: float
    sparse_spacing_px: float

    @classmethod
    def from_params(cls, seed: int, section: Mapping[str, Any]) -> ViewsConfig:
        v = section["views"]
        _check(v, "views")
        return cls(int(seed), float(v["dense_spacing_px"]), float(v["sparse_spacing_px"]))

    def spacing(self, view: str) -> float:
        return {"dense": self.dense_spacing_px, "sparse": self.sparse_spacing_px}[view]

    def record(self) -> dict[str, Any]:
        return {"seed": self.seed, "dense_spacing_px": self.dense_spacing_px, "sparse_spacing_px": self.sparse_spacing_px}


@dataclass(frozen=True)
class SweepConfig:
    """The whole dose sweep: one :class:`SimulationConfig` per dose, the patch and views configs.

    The family's config (``FAMILY.config``): every ptycho command builds it, so estimate,
    generate and validate refuse exactly the same params (K < C, a probe not smaller than
    the object, ...) before anything is written. The order of ``doses`` (strictly
    ascending) is the schema's rule.
    """

    simulations: tuple[SimulationConfig, ...]
    patch: PatchConfig
    views: ViewsConfig

    @classmethod
    def from_params(cls, seed: int, release_date: str, section: Mapping[str, Any]) -> SweepConfig:
        """Check every stage's parameters for every dose; ValueError on the first problem.

        Parameters
        ----------
        seed : int
            The root seed.
        release_date : str
            The release date (no ptycho byte depends on it).
        section : Mapping
            The (schema-checked) ``ptycho`` section of params.yaml.
        """
        base = base_of(section)  # read and hashed once for every dose
        return cls(
            simulations=tuple(SimulationConfig.from_params(seed, int(d), section, base) for d in section["doses"]),
            patch=PatchConfig.from_params(seed, section),
            views=ViewsConfig.from_params(seed, section),
        )

    @property
    def doses(self) -> tuple[int, ...]:
        return tuple(s.dose for s in self.simulations)

    def simulation(self, dose: int) -> SimulationConfig:
        """The simulation of one of the sweep's doses."""
        return self.simulations[self.doses.index(dose)]
