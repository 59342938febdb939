"""The verbs only the ``signals`` family has (the generic ones are built from ``FAMILY``).

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
    WorkersOpt,
    YesOpt,
    app,
    check_disk,
    confirm_or_exit,
    date_option,
    float_option,
    info,
    int_option,
    new_app,
    seed_option,
    workers_option,
)
from synthbank.families.signals.spec import DEFAULT_NAME, dataset_limits  # no numpy: the CLI stays quick to start

signals_app = new_app(help="Signals family: pregenerate outside DVC, import static recordings.", no_args_is_help=True)
app.add_typer(signals_app, name="signals")


def _build(spec, out: Path, release_date: str, n_workers: int, yes: bool, ask_above: int, overwrite: bool):
    from synthbank.families.signals.build import build_with_progress, estimate_bytes
    from synthbank.io.staging import check_output, transaction

    check_output(out, "signals", overwrite=overwrite)
    disk = estimate_bytes(spec)
    info(f"signals: {spec.name}: {spec.version} {spec.signal_type}, {spec.channels} channels x {spec.n_samples:,} samples "
         f"at {spec.sample_rate_hz:g} Hz, about {disk / 1e6:,.1f} MB -> {out}")
    check_disk(out, disk)
    confirm_or_exit(disk, yes, ask_above)
    with transaction("signals", overwrite=overwrite):
        return build_with_progress(spec, out, release_date, sys.stderr.isatty(), workers=n_workers)


@signals_app.command("generate")
def pregenerate(
    signal_type: Annotated[str, typer.Argument(help="sine_wave, pink_noise (v1); white_noise, chirp (v2, v3).")],
    channels: Annotated[str, typer.Option("--channels", metavar="N", help="Channels (bounds: a dataset's channels in the params schema).")],
    sample_rate: Annotated[str, typer.Option("--sample-rate", metavar="HZ", help="Samples per second (bounds: sample_rate_hz in the params schema).")],
    duration: Annotated[str, typer.Option("--duration", metavar="S", help="Seconds (bounds: params.duration_s in the params schema).")],
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
    """Pregenerate a dataset outside DVC (the source document's "pregeneration", docs/families/signals.md): the same four files as the pipeline (spec.yaml included)."""
    from synthbank.families.signals.spec import make_spec
    from synthbank.parallel import check_workers

    n_workers = workers_option(workers)
    check_workers(n_workers)
    seed_value = seed_option(seed)
    release_date = date_option("--release-date", release_date)
    n_channels = int_option("--channels", channels, *dataset_limits("channels"))
    rate = float_option("--sample-rate", sample_rate, *dataset_limits("sample_rate_hz"))
    params = {"signal_type": signal_type, "duration_s": float_option("--duration", duration, *dataset_limits("params", "duration_s")), "seed": seed_value}
    for key, raw in (("amplitude_uv_rms", amplitude_uv_rms), ("amplitude_uv_peak", amplitude_uv_peak),
                     ("frequency_hz", frequency_hz), ("chirp_start_hz", chirp_start_hz), ("chirp_end_hz", chirp_end_hz),
                     ("dc_offset_uv", dc_offset_uv), ("nan_rate", nan_rate)):
        if raw is not None:
            params[key] = float_option("--" + key.replace("_", "-"), raw)
    spec = make_spec(name, version, n_channels, rate, params, seed_value, where="")
    record = _build(spec, output_dir, release_date, n_workers, yes, CONFIRM_ABOVE, overwrite)
    info(f"Wrote {record['output']['bytes']:,} bytes to {output_dir} (a CORTEX dataset directory: spec.yaml); "
         f"use {output_dir / 'signal.float32'} as a static dataset:")
    info(f"  path: {output_dir / 'signal.float32'}\n  format: float32\n  channels: {spec.channels}\n  sample_rate_hz: {spec.sample_rate_hz:g}")


@signals_app.command("import")
def import_recording(
    file: Annotated[Path, typer.Argument(help="An interleaved little-endian recording (sample-major).")],
    fmt: Annotated[str, typer.Option("--format", help="Sample format: float32.")],
    channels: Annotated[str, typer.Option("--channels", metavar="N", help="Channels in the file (bounds: a dataset's channels in the params schema).")],
    sample_rate: Annotated[str, typer.Option("--sample-rate", metavar="HZ", help="Samples per second (bounds: sample_rate_hz in the params schema).")],
    name: Annotated[Optional[str], typer.Option("--name", help="Dataset name (default: the file's stem).")] = None,
    output_dir: Annotated[Optional[Path], typer.Option("--output-dir", help="Default: static/NAME.")] = None,
    params_file: ParamsOpt = params_mod.DEFAULT_PATH,
) -> None:
    """Import a recording as an immutable static dataset: copy, spec.yaml, manifest.json (then `dvc add` it)."""
    from synthbank.families.signals.spec import check_name
    from synthbank.families.signals.static import import_static

    n_channels = int_option("--channels", channels, *dataset_limits("channels"))
    rate = float_option("--sample-rate", sample_rate, *dataset_limits("sample_rate_hz"))
    label = name or file.stem
    check_name(label, "--name=")
    p = params_mod.load(params_file) if params_file.is_file() else None
    out = output_dir or Path("static") / label
    spec, created = import_static(file, out, label, fmt, n_channels, rate, p.seed if p else 0, p.release_date if p else "1970-01-01")
    recording = spec["recordings"][0]
    sha = str(recording["checksum"]).removeprefix("sha256:")[:12]
    if created:
        info(f"Imported {recording['samples_per_channel']:,} samples x {spec['format']['channels']} channels into {out} "
             f"(sha256 {sha}...), a CORTEX dataset directory (spec.yaml); track it with: dvc add {out}")
    else:
        info(f"{out} already holds these bytes (sha256 {sha}...): nothing to do")
