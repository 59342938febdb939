"""The ptycho family's hooks: what ``synthbank estimate|generate|validate|finalize ptycho`` run (see synthbank.family).

``generate ptycho --dose D`` runs the dose's simulate, canonicalise, patch, split and views
steps (each also a verb of its own, :mod:`synthbank.families.ptycho.cli`); ``validate`` checks one dose and
``finalize`` nests every dose's metrics and hands the core the stage directories for
``manifests/ptycho.json``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from synthbank.family import Estimate, Finalized, Output
from synthbank.run import Run
from synthbank.thresholds import Rule, check

#: Patterns per second of one dose's six steps on one core of a 2-core x86-64 host, in
#: one process (``ptycho sweep``: 3 doses of 1,089 patterns of 64 x 64 in 23 s); for the
#: rough time only.
PATTERNS_PER_SECOND = 140
#: Peak working bytes per pattern pixel of a dose's stages, above the interpreter:
#: validate holds counts, expectation and amplitudes in float64 (measured ~73 on the
#: default dose, 330 MB; simulate alone ~15).
MEMORY_PER_PIXEL = 80
#: What finalize requires of every dose's stored metrics (their rules were checked by validate).
DOSE_PASSED = Rule("*.thresholds_met", "equals", bound=True, note="see the dose's validate stage")


def estimate(run: Run) -> Estimate:
    """One dose (the core sums the doses): patterns, memory, disk of its six stage directories, time."""
    from synthbank.families.ptycho.layout import dose_bytes

    dose = int(run.item)
    sim = run.config().simulation(dose)
    pixels = sim.n_positions * sim.probe_px**2
    return Estimate(items=sim.n_positions, unit="patterns", memory_bytes=pixels * MEMORY_PER_PIXEL,
                    disk_bytes=dose_bytes(sim.n_positions, sim.probe_px, sim.object_shape),
                    seconds=sim.n_positions / PATTERNS_PER_SECOND, detail={"dose": dose})


def generate(run: Run, out: Path) -> Output:
    """One dose's stages up to validation, in one process (one DVC stage per dose).

    ``out`` is the simulate directory (``raw.h5`` in the detector's native form); the
    canonical, patch, split and views directories are written beside it, and all five
    appear together when the run's transaction commits.
    """
    from synthbank.families.ptycho.stages import run_generate

    dose = int(run.item)  # the core checked the later steps' directories (FAMILY.siblings) with ``out``
    written = run_generate(run.config(), dose, out, run.backend())  # one task per noise block
    return Output(f"ptycho: {written['patterns']:,} patterns at dose {dose:,}: "
                  f"{', '.join((out.name, *run.family.siblings))} in {out.parent}")


def validate(run: Run) -> list[str]:
    """Contract, separation, photon statistics and spacing of one dose; its metrics.json; the failures."""
    from synthbank.families.ptycho.layout import dose_key
    from synthbank.families.ptycho.pipeline import spacings
    from synthbank.families.ptycho.validate import validate_dose

    cfg, dose = run.config(), int(run.item)
    _, failures = validate_dose(run.data_dir(), run.metrics_path(), dose, cfg.patch.group_size, spacings(cfg.views),
                                run.thresholds, run.backend())  # one task per split
    return [f"ptycho: {dose_key(dose)}: {failure}" for failure in failures]


def finalize(run: Run) -> Finalized:
    """``metrics/ptycho.json`` from every dose's metrics; the stage directories the manifest covers
    (with the base NPZ's path and sha256 on each ``raw.h5`` made from one)."""
    from synthbank.families.ptycho.pipeline import base_entry_fields, stage_dirs, write_metrics

    root, doses = run.data_dir(), [int(d) for d in run.item_names()]
    metrics = write_metrics(root, doses, run.metrics_path())
    return Finalized(outputs=tuple(stage_dirs(root, doses)), violations=tuple(failed_doses(metrics, doses)),
                     reports=(run.metrics_path(),), entry_fields=base_entry_fields(root, doses, Path(".")) or None)


def failed_doses(metrics: Mapping[str, Any], doses: Sequence[int]) -> list[str]:
    """One line per dose of the nested metrics whose validation failed (finalize's and the sweep's exit 1)."""
    from synthbank.families.ptycho.layout import dose_key

    return check({dose_key(d): metrics[dose_key(d)] for d in doses}, [DOSE_PASSED], {}, "ptycho: ")
