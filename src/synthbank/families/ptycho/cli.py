"""``synthbank ptycho <step>``: the ptycho steps no other family has (each also inside ``generate``).

``synthbank generate ptycho --dose D`` (simulate to views: the DVC stage), ``validate``,
``estimate`` and ``finalize`` come from the family contract (:mod:`synthbank.commands`);
here are the steps between simulate and validate one at a time (they read the previous
step's directory), and ``sweep``, every step of every dose in one process. Numpy, h5py
and scipy are imported inside the commands only, so the root command starts quickly.
Parameters come from params.yaml (``--params``); the dose of a per-dose step is
``--dose`` (the DVC matrix item).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Optional, TypeVar

import typer

from synthbank import params as params_mod
from synthbank.cliutil import OverwriteOpt, ParamsOpt, app, info, int_option, new_app
from synthbank.errors import UsageError, ValidationFailed, checked

ptycho_app = new_app(help="The ptycho dose-sweep steps one at a time (generate ptycho runs them all), per dose.", no_args_is_help=True)
app.add_typer(ptycho_app, name="ptycho")

DoseOpt = Annotated[str, typer.Option("--dose", metavar="D", help="Dose: expected photons per pattern, one of params.yaml's ptycho.doses.")]
RootOpt = Annotated[Path, typer.Option("--root", help="Directory holding dose_<D>/ (default data/ptycho).")]
DEFAULT_ROOT = Path("data/ptycho")
T = TypeVar("T")


def _config(params_file: Path, factory: Callable[..., T]) -> T:
    """A stage's config from the params file; a bad value is one line naming the file and the key."""
    p = params_mod.load(params_file)
    return checked(factory, p.seed, p.family("ptycho"), where=f"{p.source}: ptycho.")


def _dose(raw: str) -> int:
    value = int_option("--dose", raw, *params_mod.key_limits("ptycho", "doses", "items"))
    assert value is not None
    return value


def _dir(root: Path, dose: int) -> Path:
    from synthbank.families.ptycho.layout import dose_dir

    return dose_dir(root, dose)


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
    """Step 2: canonical contract (amplitude float32 NHW, complex64 object/probe, float64 coordinates)."""
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
    """Step 3: K nearest neighbours (KD-tree) and seeded groups of C = gridsize**2."""
    from synthbank.families.ptycho.config import PatchConfig
    from synthbank.families.ptycho.stages import run_patch

    d = _dose(dose)
    cfg = _config(params_file, PatchConfig.from_params)
    base = _dir(root, d)
    out = run_patch(cfg, base / "canonical" / "canonical.h5", base / "patch")
    info(f"ptycho patch: {out['groups']:,} groups of {cfg.group_size}")


@ptycho_app.command("split")
def split_cmd(dose: DoseOpt, root: RootOpt = DEFAULT_ROOT) -> None:
    """Step 4: train/test halves along y (HDF5 with groups, and NPZ exports)."""
    from synthbank.families.ptycho.stages import run_split

    base = _dir(root, _dose(dose))
    sizes = run_split(base / "canonical" / "canonical.h5", base / "patch" / "groups.h5", base / "split")
    info(f"ptycho split: {sizes}")


@ptycho_app.command("views")
def views_cmd(dose: DoseOpt, root: RootOpt = DEFAULT_ROOT, params_file: ParamsOpt = params_mod.DEFAULT_PATH) -> None:
    """Step 5: dense and sparse views (group centres at least S apart) of each split."""
    from synthbank.families.ptycho.config import ViewsConfig
    from synthbank.families.ptycho.stages import run_views

    cfg = _config(params_file, ViewsConfig.from_params)
    base = _dir(root, _dose(dose))
    info(f"ptycho views: {run_views(cfg, base / 'split', base / 'views')}")


@ptycho_app.command("sweep")
def sweep_cmd(
    output_dir: Annotated[
        Path, typer.Option("--output-dir", help="Output directory: dose_<D>/ below it, manifest.json and metrics.json in it.")
    ] = Path("datasets/ptycho"),
    params_file: ParamsOpt = params_mod.DEFAULT_PATH,
    overwrite: OverwriteOpt = False,
) -> None:
    """The whole sweep outside DVC: every stage of every dose, then metrics and manifest, in one process."""
    from synthbank.cliutil import check_disk
    from synthbank.commands import write_manifest
    from synthbank.families.ptycho import FAMILY
    from synthbank.families.ptycho.hooks import estimate, failed_doses
    from synthbank.families.ptycho.pipeline import base_entry_fields, run_dose, stage_dirs, write_metrics
    from synthbank.run import Run
    from synthbank.io.staging import check_output, transaction

    run = Run(FAMILY, "generate", {"params_file": params_file})
    cfg = run.config()  # every parameter of every dose checked before anything is written
    manifest = output_dir / "manifest.json"
    check_output(output_dir, FAMILY.name, overwrite=overwrite, manifest=manifest)
    disk = sum(estimate(Run(FAMILY, "estimate", run.options, str(d))).disk_bytes for d in cfg.doses)
    info(f"ptycho: {len(cfg.doses)} doses, at most {disk / 1e6:,.0f} MB in {output_dir}")
    check_disk(output_dir, disk)
    # The whole directory is staged: every dose, the metrics and the manifest appear together.
    with transaction(FAMILY.name, overwrite=overwrite, manifest=manifest) as tx:
        staged = tx.stage_dir(output_dir)
        for d in cfg.doses:
            run_dose(cfg, d, staged, run.thresholds)
            info(f"ptycho: dose {d:,} done")
        metrics = write_metrics(staged, cfg.doses, staged / "metrics.json")
        write_manifest(run, staged / "manifest.json", staged, stage_dirs(staged, cfg.doses), (), None,
                       base_entry_fields(staged, cfg.doses, staged) or None)
    failed = failed_doses(metrics, cfg.doses)
    if failed:
        raise ValidationFailed("; ".join(failed))
    info(f"ptycho: {len(cfg.doses)} doses in {output_dir}")
