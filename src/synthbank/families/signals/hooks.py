"""The signals family's hooks: what ``synthbank estimate|generate|validate|finalize signals`` run (see synthbank.family)."""

from __future__ import annotations

from pathlib import Path

from synthbank.family import Estimate, Finalized, Output
from synthbank.run import Run
from synthbank.families.signals.spec import SignalSpec

#: Samples (channels x samples per channel) written per second on one worker of a 2-core x86-64
#: host, pink noise (the slowest type: an FFT per channel; measured: 1024 x 19,200 in about 5 s);
#: for the rough time estimate only.
SAMPLES_PER_SECOND = 4_000_000


def spec(run: Run, name: str) -> SignalSpec:
    """The spec of dataset ``name`` of the params file, with ``--seed`` when given (one line on a bad value)."""
    from synthbank.families.signals.spec import from_entry

    return from_entry(name, run.section["datasets"][name], run.seed, run.params.source)


def estimate(run: Run) -> Estimate:
    """One dataset: the blocks in flight and the copy's two buffers, the HDF5 file and the .float32 copy, a rough time."""
    from synthbank.families.signals.build import block_channels, estimate_bytes
    from synthbank.families.signals.interleave import COPY_MEMORY
    from synthbank.families.signals.generate import work_bytes_per_sample

    s = spec(run, run.item)
    workers = run.options.get("workers", 1)
    blocks = (workers + 1) * block_channels(s, workers) * s.n_samples * work_bytes_per_sample(s)
    return Estimate(items=s.channels, unit="channels", memory_bytes=blocks + COPY_MEMORY, disk_bytes=estimate_bytes(s),
                    seconds=s.channels * s.n_samples / SAMPLES_PER_SECOND,
                    detail={"samples_per_channel": s.n_samples, "signal_type": s.signal_type, "version": s.version})


def generate(run: Run, out: Path) -> Output:
    """signal.h5, signal.float32 and generation_manifest.yaml in ``out`` (the manifest comes at finalize)."""
    from synthbank.families.signals.build import build_with_progress

    record = build_with_progress(spec(run, run.item), out, run.params.release_date, run.options["progress"], **run.backend())
    return Output(f"signals: {run.item}: wrote {record['output']['bytes']:,} bytes")


def validate(run: Run) -> list[str]:
    """One dataset's metrics.json (with its ``thresholds_met``) and psd.csv; the violated rules."""
    from synthbank.families.signals.validate import validate as compute

    return compute(run.data_dir(), spec(run, run.item), run.metrics_path(), run.report_dir(), run.thresholds,
                   **run.backend())


def finalize(run: Run) -> Finalized:
    """Every dataset's files (each with its params) and metrics/signals.json nested by dataset."""
    from synthbank.families.signals.release import collect
    from synthbank.families.signals.spec import all_specs

    specs = all_specs(run.section, run.seed, run.params.source)
    return collect(specs, run.data_dir(), run.report_dir(), run.metrics_path())
