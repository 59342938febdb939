"""``synthbank ptycho <stage>`` (one DVC stage each), ``synthbank generate|validate ptycho``.

Numpy, h5py and scipy are imported inside the commands only, so the root command starts
quickly. Parameters come from params.yaml (``--params``); the dose of a per-dose stage is
``--dose`` (the DVC matrix item).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from synthbank import params as params_mod
from synthbank.cliutil import (
    OverwriteOpt,
    ParamsOpt,
    ReportsManifestOpt,
    app,
    checked,
    estimate_app,
    generate_app,
    info,
    int_option,
)
from synthbank.errors import UsageError, ValidationFailed

ptycho_app = typer.Typer(help="The ptycho dose-sweep stages (one DVC stage each, per dose).", no_args_is_help=True)
app.add_typer(ptycho_app, name="ptycho")

DoseOpt = Annotated[str, typer.Option("--dose", metavar="D", help="Dose: expected photons per pattern, an integer >= 1.")]
RootOpt = Annotated[Path, typer.Option("--root", help="Directory holding dose_<D>/ (default data/ptycho).")]
DEFAULT_ROOT = Path("data/ptycho")


def _section(params_file: Path) -> tuple[Any, dict[str, Any]]:
    p = params_mod.load(params_file)
    return p, params_mod.thaw(p.family("ptycho"))


def _dose(raw: str) -> int:
    value = int_option("--dose", raw, *params_mod.key_limits("ptycho", "doses", "items"))
    assert value is not None
    return value


def _sweep(params_file: Path) -> tuple[Any, dict[str, Any], Any]:
    """Params, section and :class:`SweepConfig`: generate's and estimate's one validation."""
    from synthbank.families.ptycho.config import SweepConfig

    p, section = _section(params_file)
    return p, section, checked(SweepConfig.from_params, p.seed, section)


def _dir(root: Path, dose: int) -> Path:
    from synthbank.families.ptycho.layout import dose_dir

    return dose_dir(root, dose)


@ptycho_app.command("simulate")
def simulate_cmd(dose: DoseOpt, root: RootOpt = DEFAULT_ROOT, params_file: ParamsOpt = params_mod.DEFAULT_PATH) -> None:
    """Stage 1: object, probe, positions and Poisson counts in the detector's native form."""
    from synthbank.families.ptycho.config import SimulationConfig
    from synthbank.families.ptycho.stages import run_simulate

    d = _dose(dose)
    p, section = _section(params_file)
    cfg = checked(SimulationConfig.from_params, p.seed, d, section)
    out = run_simulate(cfg, _dir(root, d) / "simulate")
    info(f"ptycho simulate: {out['patterns']:,} patterns at dose {d:,}")


@ptycho_app.command("canonicalise")
def canonicalise_cmd(
    dose: Annotated[
        Optional[str], typer.Option("--dose", metavar="D", help="Dose (derives the paths; recorded for a legacy input).")
    ] = None,
    root: RootOpt = DEFAULT_ROOT,
    source: Annotated[
        Optional[Path], typer.Option("--input", help="raw.h5 or a legacy .npz (default ROOT/dose_D/simulate/raw.h5).")
    ] = None,
    out: Annotated[Optional[Path], typer.Option("--out", help="Output directory (default ROOT/dose_D/canonical).")] = None,
    axes: Annotated[str, typer.Option("--axes", help="Axis order of a legacy diff3d: auto, NHW or HWN.")] = "auto",
) -> None:
    """Stage 2: canonical contract (amplitude float32 NHW, complex64 object/probe, float64 coordinates)."""
    from synthbank.families.ptycho.canonical import AXIS_ORDERS
    from synthbank.families.ptycho.stages import run_canonicalise

    if axes not in AXIS_ORDERS:
        raise UsageError(f"--axes={axes!r} is invalid: allowed one of {list(AXIS_ORDERS)}")
    d = None if dose is None else _dose(dose)
    if d is None and (source is None or out is None):
        raise UsageError("--dose is missing: allowed --dose D, or both --input and --out")
    src = source or _dir(root, d) / "simulate" / "raw.h5"
    result = run_canonicalise(src, out or _dir(root, d) / "canonical", axes=axes, dose=d or 0)
    info(f"ptycho canonicalise: {result['patterns']:,} patterns from {src.name}")


@ptycho_app.command("patch")
def patch_cmd(dose: DoseOpt, root: RootOpt = DEFAULT_ROOT, params_file: ParamsOpt = params_mod.DEFAULT_PATH) -> None:
    """Stage 3: K nearest neighbours (KD-tree) and seeded groups of C = gridsize**2."""
    from synthbank.families.ptycho.config import PatchConfig
    from synthbank.families.ptycho.stages import run_patch

    d = _dose(dose)
    p, section = _section(params_file)
    cfg = checked(PatchConfig.from_params, p.seed, section)
    base = _dir(root, d)
    out = run_patch(cfg, base / "canonical" / "canonical.h5", base / "patch")
    info(f"ptycho patch: {out['groups']:,} groups of {cfg.group_size}")


@ptycho_app.command("split")
def split_cmd(dose: DoseOpt, root: RootOpt = DEFAULT_ROOT) -> None:
    """Stage 4: train/test halves along y (HDF5 with groups, and NPZ exports)."""
    from synthbank.families.ptycho.stages import run_split

    base = _dir(root, _dose(dose))
    sizes = run_split(base / "canonical" / "canonical.h5", base / "patch" / "groups.h5", base / "split")
    info(f"ptycho split: {sizes}")


@ptycho_app.command("views")
def views_cmd(dose: DoseOpt, root: RootOpt = DEFAULT_ROOT, params_file: ParamsOpt = params_mod.DEFAULT_PATH) -> None:
    """Follow-on: dense and sparse views (group centres at least S apart) of each split."""
    from synthbank.families.ptycho.config import ViewsConfig
    from synthbank.families.ptycho.stages import run_views

    p, section = _section(params_file)
    cfg = checked(ViewsConfig.from_params, p.seed, section)
    base = _dir(root, _dose(dose))
    info(f"ptycho views: {run_views(cfg, base / 'split', base / 'views')}")


@ptycho_app.command("validate")
def validate_cmd(dose: DoseOpt, root: RootOpt = DEFAULT_ROOT, params_file: ParamsOpt = params_mod.DEFAULT_PATH) -> None:
    """Stage 5: contract, separation, photon statistics, spacing; metrics.json; exit 1 on failure."""
    from synthbank.families.ptycho.config import PatchConfig, ViewsConfig
    from synthbank.families.ptycho.pipeline import spacings
    from synthbank.families.ptycho.validate import validate_dose

    d = _dose(dose)
    p, section = _section(params_file)
    pcfg = checked(PatchConfig.from_params, p.seed, section)
    vcfg = checked(ViewsConfig.from_params, p.seed, section)
    base = _dir(root, d)
    _, failures = validate_dose(base, base / "validate", d, pcfg.group_size, spacings(vcfg), section["thresholds"])
    if failures:
        raise ValidationFailed(f"ptycho dose {d}: " + "; ".join(failures))
    info(f"ptycho validate: dose {d:,} meets every check")


def _finalize(p: Any, section: dict[str, Any], root: Path, metrics: Path, manifest: Path, repo_root: Path) -> bool:
    """Write the metrics and the manifest; return whether every dose met its thresholds."""
    from synthbank.families.ptycho.pipeline import finalize

    result = finalize(
        root=root, doses=section["doses"], seed=p.seed, params=p.generation_params("ptycho"),
        release_date=p.release_date, metrics_path=metrics, manifest_path=manifest, repo_root=repo_root,
    )
    return bool(result["thresholds_met"])


def _failed(metrics: Path) -> ValidationFailed:
    return ValidationFailed(f"ptycho: a dose failed validation; see {metrics}")


@ptycho_app.command("finalize")
def finalize_cmd(
    root: RootOpt = DEFAULT_ROOT,
    metrics: Annotated[Path, typer.Option("--metrics", help="Aggregated metrics JSON.")] = Path("metrics/ptycho.json"),
    manifest: Annotated[Path, typer.Option("--manifest", help="Family manifest JSON.")] = Path("manifests/ptycho.json"),
    params_file: ParamsOpt = params_mod.DEFAULT_PATH,
    reports_manifest: ReportsManifestOpt = None,
) -> None:
    """Final stage: nest every dose's metrics in one file and write the manifest of all outputs."""
    from synthbank import manifest as manifest_mod
    from synthbank.io.staging import transaction

    p, section = _section(params_file)
    with transaction("ptycho", manifest=manifest):  # the metrics and the manifest appear together
        met = _finalize(p, section, root, metrics, manifest, Path("."))
        manifest_mod.write_reports(reports_manifest, "ptycho", p, [metrics])
    if not met:
        raise _failed(metrics)
    info(f"ptycho: metrics of {len(section['doses'])} doses in {metrics}; manifest {manifest}")


@generate_app.command("ptycho")
def generate_ptycho(
    output_dir: Annotated[
        Path, typer.Option("--output-dir", help="Output directory: dose_<D>/ below it, manifest.json and metrics.json in it.")
    ] = Path("datasets/ptycho"),
    params_file: ParamsOpt = params_mod.DEFAULT_PATH,
    overwrite: OverwriteOpt = False,
) -> None:
    """The whole sweep outside DVC: every stage of every dose, then metrics and manifest."""
    from synthbank.cliutil import check_disk
    from synthbank.families.ptycho.pipeline import estimate_disk, run_dose
    from synthbank.io.staging import check_output, transaction

    p, section, _ = _sweep(params_file)  # every parameter checked before anything is written
    check_output(output_dir, "ptycho", overwrite=overwrite, manifest=output_dir / "manifest.json")
    disk = estimate_disk(section)
    info(f"ptycho: {len(section['doses'])} doses, at most {disk / 1e6:,.0f} MB in {output_dir}")
    check_disk(output_dir, disk)
    # The whole directory is staged: every dose, the metrics and the manifest appear together.
    with transaction("ptycho", overwrite=overwrite, manifest=output_dir / "manifest.json") as tx:
        staged = tx.stage_dir(output_dir)
        for d in section["doses"]:
            run_dose(p.seed, section, d, staged)
            info(f"ptycho: dose {d:,} done")
        met = _finalize(p, section, staged, staged / "metrics.json", staged / "manifest.json", staged)
    if not met:
        raise _failed(output_dir / "metrics.json")
    info(f"ptycho: {len(section['doses'])} doses in {output_dir}")


@estimate_app.command("ptycho")
def estimate_ptycho(params_file: ParamsOpt = params_mod.DEFAULT_PATH) -> None:
    """Print the sweep's size as JSON: doses, positions per dose, disk upper bound in bytes."""
    _, section, _ = _sweep(params_file)  # refuses what generate refuses, before numpy and scipy load
    from synthbank import jsonio
    from synthbank.families.ptycho.pipeline import estimate_disk, n_positions

    typer.echo(jsonio.dumps({
        "doses": section["doses"], "patterns_per_dose": n_positions(section), "disk_bytes": estimate_disk(section),
    }), nl=False)
