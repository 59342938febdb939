"""Commands of the ``signals`` family.

* ``synthbank generate signals --dataset NAME`` / ``synthbank validate signals --dataset NAME``:
  one dataset of params.yaml (the DVC ``foreach`` stages);
* ``synthbank signals finalize``: the manifest over every dataset and the merged metrics;
* ``synthbank signals generate SIGNAL_TYPE ...``: pregenerate a dataset outside DVC;
* ``synthbank signals import FILE ...``: bring a recording in as a static dataset.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from synthbank import params as params_mod
from synthbank.cliutil import (
    CONFIRM_ABOVE,
    OverwriteOpt,
    ParamsOpt,
    ReportsManifestOpt,
    WorkersOpt,
    YesOpt,
    app,
    check_disk,
    confirm_or_exit,
    date_option,
    finish_validation,
    float_option,
    generate_app,
    info,
    int_option,
    seed_option,
    validate_app,
    workers_option,
)
from synthbank.errors import UsageError, ValidationFailed
from synthbank.families.signals.spec import CHANNELS, DEFAULT_NAME, DURATION_S, SAMPLE_RATE_HZ  # stdlib only: the CLI stays quick to start

signals_app = typer.Typer(help="Signals family: pregenerate, import static recordings, finalize the pipeline.", no_args_is_help=True)
app.add_typer(signals_app, name="signals")

DatasetOpt = Annotated[str, typer.Option("--dataset", help="Dataset name under signals.datasets in the params file.")]


def _dataset_spec(p: params_mod.Params, name: str):
    from synthbank.families.signals.spec import from_entry

    datasets = p.family("signals")["datasets"]
    if name not in datasets:
        raise UsageError(f"--dataset={name!r} is not in {p.source}: allowed one of {sorted(datasets)}")
    return from_entry(name, datasets[name], p.seed, p.source)


def _build(spec, out: Path, release_date: str, n_workers: int, yes: bool, ask_above: int, overwrite: bool):
    from tqdm import tqdm

    from synthbank.families.signals.build import build, estimate_bytes
    from synthbank.io.staging import check_output, transaction

    check_output(out, "signals", overwrite=overwrite)
    disk = estimate_bytes(spec)
    info(f"signals: {spec.name}: {spec.version} {spec.signal_type}, {spec.channels} channels x {spec.n_samples:,} samples "
         f"at {spec.sample_rate_hz:g} Hz, about {disk / 1e6:,.1f} MB -> {out}")
    check_disk(out, disk)
    confirm_or_exit(disk, yes, ask_above)
    with transaction("signals", overwrite=overwrite), tqdm(
        total=spec.channels, desc=f"Generating {spec.signal_type}", unit="ch", disable=not sys.stderr.isatty()
    ) as bar:
        return build(spec, out, release_date, workers=n_workers, on_block=bar.update)


@generate_app.command("signals")
def generate_signals(
    dataset: DatasetOpt,
    output_dir: Annotated[Optional[Path], typer.Option("--output-dir", help="Output directory (default: data/signals/DATASET).")] = None,
    params_file: ParamsOpt = params_mod.DEFAULT_PATH,
    workers: WorkersOpt = "1",
    yes: YesOpt = False,
    overwrite: OverwriteOpt = False,
) -> None:
    """Generate one dataset of params.yaml: signal.h5, signal.float32, generation_manifest.yaml."""
    from synthbank.parallel import check_workers

    n_workers = workers_option(workers)
    check_workers(n_workers)
    p = params_mod.load(params_file)
    spec = _dataset_spec(p, dataset)
    record = _build(spec, output_dir or Path("data/signals") / dataset, p.release_date, n_workers, yes, CONFIRM_ABOVE, overwrite)
    info(f"signals: {dataset}: wrote {record['output']['bytes']:,} bytes")


@validate_app.command("signals")
def validate_signals(
    dataset: DatasetOpt,
    data_dir: Annotated[Optional[Path], typer.Option("--data-dir", help="The dataset directory (default: data/signals/DATASET).")] = None,
    report_dir: Annotated[Optional[Path], typer.Option("--report-dir", help="Where metrics.json and psd.csv go (default: reports/signals/DATASET).")] = None,
    params_file: ParamsOpt = params_mod.DEFAULT_PATH,
) -> None:
    """Compute one dataset's metrics and PSD curve; exit 1 if a threshold is violated."""
    from synthbank.families.signals.validate import validate

    p = params_mod.load(params_file)
    spec = _dataset_spec(p, dataset)
    report = report_dir or Path("reports/signals") / dataset
    failures = validate(data_dir or Path("data/signals") / dataset, spec, report, p.family("signals")["thresholds"])
    finish_validation(failures, f"signals: {dataset}: all thresholds met; metrics in {report}")


@signals_app.command("finalize")
def finalize(
    data_root: Annotated[Path, typer.Option("--data-root", help="Directory holding one directory per dataset.")] = Path("data/signals"),
    report_root: Annotated[Path, typer.Option("--report-root", help="Directory holding each dataset's metrics.json.")] = Path("reports/signals"),
    manifest: Annotated[Path, typer.Option("--manifest", help="The family manifest to write.")] = Path("manifests/signals.json"),
    metrics: Annotated[Path, typer.Option("--metrics", help="The merged metrics to write.")] = Path("metrics/signals.json"),
    params_file: ParamsOpt = params_mod.DEFAULT_PATH,
    reports_manifest: ReportsManifestOpt = None,
) -> None:
    """Write manifests/signals.json over every dataset and metrics/signals.json nested by dataset."""
    from synthbank import manifest as manifest_mod
    from synthbank.families.signals.release import collect
    from synthbank.families.signals.spec import all_specs
    from synthbank.io.staging import transaction

    p = params_mod.load(params_file)
    specs = all_specs(p.family("signals"), p.seed, p.source)
    with transaction("signals", manifest=manifest):  # the manifest and metrics appear together
        merged = collect(specs, p.generation_params("signals"), p.seed, p.release_date, data_root, report_root, manifest, metrics)
        manifest_mod.write_reports(reports_manifest, "signals", p, [*(report_root / name for name in specs), metrics])
    if not merged["thresholds_met"]:
        bad = [name for name in specs if not merged[name].get("thresholds_met")]
        raise ValidationFailed(f"signals: thresholds violated in {', '.join(bad)}; see {metrics}")
    info(f"signals: {len(specs)} datasets in {manifest}; metrics in {metrics}")


@signals_app.command("generate")
def pregenerate(
    signal_type: Annotated[str, typer.Argument(help="sine_wave, pink_noise (v1); white_noise, chirp (v2, v3).")],
    channels: Annotated[str, typer.Option("--channels", metavar="N", help="Channels, 1 to 4096.")],
    sample_rate: Annotated[str, typer.Option("--sample-rate", metavar="HZ", help="Samples per second, 1 to 50000.")],
    duration: Annotated[str, typer.Option("--duration", metavar="S", help="Seconds, 0.01 to 3600.")],
    output_dir: Annotated[Path, typer.Option("--output-dir", help="Directory to write (replaced when complete).")],
    version: Annotated[str, typer.Option("--version", help="Generator version: v1, v2 or v3 (v3: the same bytes on every CPU).")] = "v1",
    name: Annotated[str, typer.Option("--name", help="Dataset name (part of the random-stream key, so the output directory does not change the bytes).")] = DEFAULT_NAME,
    seed: Annotated[str, typer.Option("--seed", metavar="S", help="Root seed, an integer >= 0.")] = "42",
    amplitude_uv_rms: Annotated[Optional[str], typer.Option("--amplitude-uv-rms", help="RMS (pink, white), microvolts.")] = None,
    amplitude_uv_peak: Annotated[Optional[str], typer.Option("--amplitude-uv-peak", help="Peak amplitude (sine, chirp), microvolts.")] = None,
    frequency_hz: Annotated[Optional[str], typer.Option("--frequency-hz", help="Sine frequency.")] = None,
    chirp_start_hz: Annotated[Optional[str], typer.Option("--chirp-start-hz", help="Chirp frequency at t = 0.")] = None,
    chirp_end_hz: Annotated[Optional[str], typer.Option("--chirp-end-hz", help="Chirp frequency at the end.")] = None,
    dc_offset_uv: Annotated[Optional[str], typer.Option("--dc-offset-uv", help="DC offset (v2, v3), microvolts.")] = None,
    nan_rate: Annotated[Optional[str], typer.Option("--nan-rate", help="Probability of a NaN sample (v2, v3).")] = None,
    release_date: Annotated[str, typer.Option("--release-date", help="Date recorded in the files (no wall clock).")] = "1970-01-01",
    workers: WorkersOpt = "1",
    yes: YesOpt = False,
    overwrite: OverwriteOpt = False,
) -> None:
    """Pregenerate a dataset outside DVC (seed 002's "pregeneration"): the same three files as the pipeline."""
    from synthbank.families.signals.spec import make_spec
    from synthbank.parallel import check_workers

    n_workers = workers_option(workers)
    check_workers(n_workers)
    seed_value = seed_option(seed)
    release_date = date_option("--release-date", release_date)
    n_channels = int_option("--channels", channels, *CHANNELS)
    rate = float_option("--sample-rate", sample_rate, *SAMPLE_RATE_HZ)
    params = {"signal_type": signal_type, "duration_s": float_option("--duration", duration, *DURATION_S), "seed": seed_value}
    for key, raw in (("amplitude_uv_rms", amplitude_uv_rms), ("amplitude_uv_peak", amplitude_uv_peak),
                     ("frequency_hz", frequency_hz), ("chirp_start_hz", chirp_start_hz), ("chirp_end_hz", chirp_end_hz),
                     ("dc_offset_uv", dc_offset_uv), ("nan_rate", nan_rate)):
        if raw is not None:
            params[key] = float_option("--" + key.replace("_", "-"), raw)
    spec = make_spec(name, version, n_channels, rate, params, seed_value, where="")
    record = _build(spec, output_dir, release_date, n_workers, yes, CONFIRM_ABOVE, overwrite)
    info(f"Wrote {record['output']['bytes']:,} bytes to {output_dir}; use {output_dir / 'signal.float32'} as a static dataset:")
    info(f"  path: {output_dir / 'signal.float32'}\n  format: float32\n  channels: {spec.channels}\n  sample_rate_hz: {spec.sample_rate_hz:g}")


@signals_app.command("import")
def import_recording(
    file: Annotated[Path, typer.Argument(help="An interleaved little-endian recording (sample-major).")],
    fmt: Annotated[str, typer.Option("--format", help="Sample format: float32.")],
    channels: Annotated[str, typer.Option("--channels", metavar="N", help="Channels in the file, 1 to 4096.")],
    sample_rate: Annotated[str, typer.Option("--sample-rate", metavar="HZ", help="Samples per second, 1 to 50000.")],
    name: Annotated[Optional[str], typer.Option("--name", help="Dataset name (default: the file's stem).")] = None,
    output_dir: Annotated[Optional[Path], typer.Option("--output-dir", help="Default: static/NAME.")] = None,
    params_file: ParamsOpt = params_mod.DEFAULT_PATH,
) -> None:
    """Import a recording as an immutable static dataset: copy, spec.yaml, manifest.json (then `dvc add` it)."""
    from synthbank.families.signals.spec import check_name
    from synthbank.families.signals.static import import_static

    n_channels = int_option("--channels", channels, *CHANNELS)
    rate = float_option("--sample-rate", sample_rate, *SAMPLE_RATE_HZ)
    label = name or file.stem
    check_name(label, "--name=")
    p = params_mod.load(params_file) if params_file.is_file() else None
    out = output_dir or Path("static") / label
    spec, created = import_static(file, out, label, fmt, n_channels, rate, p.seed if p else 0, p.release_date if p else "1970-01-01")
    if created:
        info(f"Imported {spec['samples']:,} samples x {spec['channels']} channels into {out} (sha256 {spec['sha256'][:12]}...); "
             f"track it with: dvc add {out}")
    else:
        info(f"{out} already holds these bytes (sha256 {spec['sha256'][:12]}...): nothing to do")
