"""``synthbank generate|validate|estimate|finalize FAMILY``: one command per verb and family, built from the registry.

Every family gets the same shared options with the same defaults logic, plus the options it
declares as data (:class:`synthbank.family.Option`). The core runs the steps every family
shares, in one order:

* generate: parse and check every option and the params (nothing written on bad input),
  refuse an unknown item, check the output and the manifest are synthbank's to replace,
  estimate, print the plan, check the free disk space, ask y/n above ``--confirm-above`` on a
  terminal, then run the family's hook inside one transaction that also writes the
  manifest (data and manifest become visible together);
* validate: the hook computes the metrics and checks them with the threshold engine; the
  metrics, reports and reports manifest are committed together; exit 1 on a violation;
* estimate: the JSON of :class:`synthbank.family.Estimate` (every item's, summed, when no
  item is named);
* finalize: the family's manifest over every item and the merged metrics, committed together.

Typer builds each command from a signature made here, so ``--help`` lists every option.
Nothing here imports numpy: the family's modules load when its command runs.
"""

from __future__ import annotations

import inspect
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from synthbank import registry
from synthbank.cliutil import (
    BYTES, CONFIRM_ABOVE, estimate_app, finalize_app, float_option, generate_app, info, int_option,
    seed_option, validate_app, workers_option,
)
from synthbank.errors import UsageError, ValidationFailed
from synthbank.family import Estimate, Family, Option
from synthbank.run import Run, fill_template

DEFAULT_PARAMS = Path("params.yaml")

#: The shared options of each verb: (dest, flag(s), python type, default, metavar, help).
_SHARED: dict[str, tuple[tuple[str, str, Any, Any, str | None, str], ...]] = {
    "params": (("params_file", "--params", Path, DEFAULT_PARAMS, None, "The params file to read every unspecified value from."),),
    "output": (("output_dir", "--output-dir", Optional[Path], None, None, "Output directory (default: {output})."),),
    "seed": (("seed", "--seed", Optional[str], None, "S", "Root random seed, an integer from 0 to 2**63 - 1 (default: seed in params)."),),
    "run": (
        ("workers", "--workers", str, "1", "N", "Worker processes, 1 to 1024. Output bytes do not depend on it."),
        ("scheduler", "--scheduler", Optional[str], None, "ADDRESS",
         "Run the shards on the Dask scheduler at this address (default: $DASK_SCHEDULER_ADDRESS; 'local': this machine). "
         "Output bytes do not depend on it."),
    ),
    "progress": (("progress", "--progress/--no-progress", Optional[bool], None, None, "Show a progress bar (default: on a terminal only)."),),
    "confirm": (
        ("yes", ("--yes", "-y"), bool, False, None, "Do not ask for confirmation."),
        ("confirm_above", "--confirm-above", str, str(CONFIRM_ABOVE), "BYTES", "Ask y/n on a terminal above this many bytes on disk."),
        ("overwrite", "--overwrite", bool, False, None, "Replace an existing output even if synthbank did not write it (its contents are lost)."),
    ),
    "manifest": (("manifest", "--manifest", Optional[Path], None, None, "Manifest to write (default: {manifest})."),),
    "data": (("data_dir", "--data-dir", Optional[Path], None, None, "The generated data (default: {data})."),),
    "metrics": (
        ("metrics", "--metrics", Optional[Path], None, None, "Metrics JSON to write (default: {metrics})."),
        ("report_dir", "--report-dir", Optional[Path], None, None, "Directory of the reports (default: {reports})."),
        ("reports_manifest", "--reports-manifest", Optional[Path], None, None,
         "Also write this manifest of the metrics and reports (DVC: manifests/<family>.reports.json)."),
    ),
}
_VERB_SHARED = {
    "generate": ("params", "output", "seed", "run", "progress", "confirm", "manifest"),
    "validate": ("params", "data", "metrics", "run"),
    "estimate": ("params", "seed", "run"),
    "finalize": ("params", "data", "manifest", "metrics"),
}
_PY_TYPES = {"int": Optional[str], "float": Optional[str], "str": Optional[str], "path": Optional[Path]}
_APPS = {"generate": generate_app, "validate": validate_app, "estimate": estimate_app, "finalize": finalize_app}


def _defaults(family: Family, verb: str) -> dict[str, str]:
    """The default paths as ``--help`` shows them: ``data/energy/DOMAIN``, ``datasets/YYYY-MM-DD-v1``."""
    item = (family.item_flag or "--item").lstrip("-").upper() if verb in family.item_verbs else None
    fill = {"output": family.output, "data": family.data, "metrics": family.metrics, "reports": family.reports,
            "manifest": family.manifest or "manifests/{family}.json"}
    whole = {"metrics": "metrics/{family}.json"}
    return {key: fill_template(value, family.name, item, "YYYY-MM-DD", whole.get(key)).replace("{output}", "OUTPUT_DIR")
            for key, value in fill.items()}


def _parameters(family: Family, verb: str) -> list[inspect.Parameter]:
    defaults = _defaults(family, verb)
    params: list[inspect.Parameter] = []

    def add(dest: str, flags: str | tuple[str, ...], kind: Any, default: Any, metavar: str | None, help_text: str) -> None:
        names = flags if isinstance(flags, tuple) else (flags,)
        option = typer.Option(*names, help=help_text.format(**defaults), metavar=metavar)
        params.append(inspect.Parameter(dest, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=Annotated[kind, option]))

    if family.items is not None and (verb in family.item_verbs or verb == "estimate"):
        required = verb in family.item_verbs
        what = f"One of the {family.name}.{family.items} of the params file" + ("." if required else " (default: every one).")
        add("item", family.item_flag, str if required else Optional[str], ... if required else None, None, what)
    omitted = set(family.omit.get(verb, ()))
    if verb == "estimate":  # the worker count changes what generate holds in memory, nothing else
        omitted |= {"scheduler"} | (set() if "generate" in family.parallel else {"workers"})
    for group in _VERB_SHARED[verb]:
        if group == "manifest" and verb == "generate" and family.manifest is None:
            continue
        for spec in _SHARED[group]:
            if spec[0] not in omitted:
                add(*spec)
    for opt in family.options_of(verb):
        add(opt.dest, opt.flag, _PY_TYPES[opt.kind], None, opt.metavar, opt.help)
    return params


def parse_option(family: Family, opt: Option, raw: Any) -> Any:
    """One family option's value, checked; a bad value is one line naming the option, the value and what is allowed."""
    if raw is None or opt.kind in ("path", "str"):
        return opt.default if raw is None else raw
    if opt.key is not None or opt.limits_of is not None:
        from synthbank import params as params_mod

        bounds = params_mod.key_limits(family.name, *(opt.key or opt.limits_of).split("."))  # type: ignore[union-attr]
    else:
        bounds = opt.bounds or (None, None)
    return (int_option if opt.kind == "int" else float_option)(opt.flag, raw, *bounds)


def _run(family: Family, verb: str, raw: dict[str, Any]) -> Run:
    """Check every option before anything is read or written."""
    options = dict(raw)
    item = options.pop("item", None)
    if "workers" in options:
        options["workers"] = workers_option(options["workers"])
        from synthbank.parallel import check_workers

        check_workers(options["workers"])
    if options.get("workers", 1) > 1 and verb not in (*family.parallel, "estimate"):
        info(f"{family.name}: {verb} runs in one process: --workers {options['workers']} changes nothing")
    if "seed" in options:
        options["seed"] = seed_option(options["seed"])
    if "confirm_above" in options:
        options["confirm_above"] = int_option("--confirm-above", options["confirm_above"], *BYTES)
    for opt in family.options_of(verb):
        options[opt.dest] = parse_option(family, opt, options.get(opt.dest))
    if "progress" in options and options["progress"] is None:
        options["progress"] = sys.stderr.isatty()
    run = Run(family, verb, options, item)
    if item is not None and item not in run.item_names():
        raise UsageError(f"{family.item_flag}={item!r} is invalid: allowed one of {', '.join(run.item_names())}")
    if "scheduler" in options:  # last: reaching a scheduler may take Dask's connect timeout
        _cluster(family, verb, options)
    return run


def _cluster(family: Family, verb: str, options: dict[str, Any]) -> None:
    """Resolve the scheduler (option, else ``DASK_SCHEDULER_ADDRESS``) and reach it before anything is written."""
    from synthbank import cluster

    address, source = cluster.resolve(options["scheduler"])
    options["scheduler"] = address if verb in family.parallel else None
    if options["scheduler"] is None:
        return
    cluster.label = f"{verb}_{family.name}"  # the tasks' key prefix on the dashboard
    cluster.connect(address, source)  # unreachable or without workers: one line, exit 2
    if options.get("workers", 1) > 1:
        info(f"{family.name}: the cluster at {address} runs the shards: --workers {options['workers']} is not used")


def generate(run: Run) -> None:
    """The shared generate steps around the family's hook (see the module docstring)."""
    from synthbank.cliutil import check_disk, confirm_or_exit
    from synthbank.io.staging import check_manifest, check_output, transaction

    family, o = run.family, run.options
    out = run.output_dir()
    manifest_path = run.manifest_path(out) if family.manifest else None
    check_output(out, family.name, overwrite=o["overwrite"], manifest=manifest_path)
    for dest in family.extra_outputs:
        if o.get(dest) is not None:
            check_output(Path(o[dest]), family.name, overwrite=o["overwrite"], manifest=manifest_path,
                         option="--" + dest.replace("_", "-"))
    if family.siblings:  # directories generate writes beside --output-dir: their names say what they hold
        own = Path(family.output).name
        if out.name != own:
            raise UsageError(f"--output-dir={str(out)!r} is invalid: allowed a directory named {own!r} "
                             f"(generate {family.name} writes {', '.join(family.siblings)} beside it)")
        for name in family.siblings:
            check_output(out.parent / name, family.name, overwrite=o["overwrite"], manifest=manifest_path,
                         option="the directory beside --output-dir")
    if manifest_path is not None:
        check_manifest(manifest_path, family.name, overwrite=o["overwrite"])
        # Before any work: the outputs must lie inside what the manifest's paths are relative to.
        from synthbank.manifest import output_path

        extras = tuple(Path(o[dest]) for dest in family.extra_outputs if o.get(dest) is not None)
        root = run.manifest_root(out, extras)
        for path in (out, *extras):
            output_path(path, root)
    plan: Estimate = family.hook("estimate")(run)
    shown = plan.record()
    info("\nDataset Generation Plan:")
    info(f"  Family: {family.name} {family.version}" + (f" ({run.item})" if run.item else ""))
    info(f"  Items:  {plan.items:,} {plan.unit}")
    info(f"  Memory: {shown['memory_readable']}")
    info(f"  Disk:   at most {shown['disk_readable']}")
    info(f"  Output: {out}")
    check_disk(out, plan.disk_bytes)
    confirm_or_exit(plan.disk_bytes, o["yes"], o["confirm_above"])
    with transaction(family.name, overwrite=o["overwrite"], manifest=manifest_path):
        result = family.hook("generate")(run, out)
        if manifest_path is not None:
            write_manifest(run, manifest_path, run.manifest_root(out, result.extra_outputs), [out, *result.extra_outputs], (),
                           result.params, result.entry_fields)
    info(result.message)


def write_manifest(run: Run, path: Path, root: Path, outputs: Sequence[Path], files: Sequence[Path],
                   params: Mapping[str, Any] | None, entry_fields: Mapping[str, Mapping[str, Any]] | None) -> None:
    """The one place a family's manifest is written (generate's or finalize's), inside the run's transaction."""
    from synthbank import manifest as manifest_mod

    family = run.family
    record = manifest_mod.build(
        family=family.name, generator=registry.package(family.name), generator_version=family.version, seed=run.seed,
        params=params if params is not None else run.params.generation_params(family.name),
        release_date=run.params.release_date, root=root, manifest_path=path, outputs=list(outputs),
        extra_entry_fields=entry_fields,
    )
    if files:
        manifest_mod.add_files(record, list(files), root=root)  # read where the transaction staged them
    manifest_mod.write(record, path)


def validate(run: Run) -> None:
    """Metrics, reports and reports manifest committed together; exit 1 naming every violated threshold."""
    from synthbank.io.staging import transaction

    reports_manifest = run.options.get("reports_manifest")
    if reports_manifest is not None:
        from synthbank.manifest import output_path

        for path in run.reported():
            output_path(path, Path("."))  # before any work: the reports manifest lists project paths
    with transaction(run.family.name, manifest=reports_manifest):
        violations = run.family.hook("validate")(run)
        if reports_manifest is not None:
            run.write_reports(reports_manifest, run.reported())
    _finish(run, violations, f"all thresholds met; metrics in {run.metrics_path()}")


def estimate(run: Run) -> None:
    """Print the family's :class:`Estimate` as JSON (every item's, summed, without an item)."""
    from synthbank import jsonio

    hook = run.family.hook("estimate")
    if run.family.items is None or run.item is not None:
        total = hook(run)
    else:
        parts = [hook(Run(run.family, run.verb, run.options, name)) for name in run.item_names()]
        total = parts[0]
        for part in parts[1:]:
            total = total + part
    typer.echo(jsonio.dumps(total.record()), nl=False)


def finalize(run: Run) -> None:
    """The family manifest over every item and the merged metrics, together; exit 1 on a violation.

    The hook names what the manifests list, so a path outside the project is refused when
    they are built (one line, nothing written), after the hook's reading and hashing.
    """
    from synthbank.io.staging import check_manifest, transaction

    manifest_path = run.manifest_path(None)
    reports_manifest = run.options.get("reports_manifest")
    check_manifest(manifest_path, run.family.name)
    with transaction(run.family.name, manifest=manifest_path):
        result = run.family.hook("finalize")(run)
        write_manifest(run, manifest_path, Path("."), result.outputs, result.files, result.params, result.entry_fields)
        if reports_manifest is not None:
            run.write_reports(reports_manifest, list(result.reports))
    metrics = "" if "metrics" in run.family.omit.get("finalize", ()) else f"; metrics in {run.metrics_path()}"
    _finish(run, list(result.violations), f"{len(result.outputs)} output(s) in {manifest_path}{metrics}")


def _finish(run: Run, violations: list[str], passed: str) -> None:
    """Exit 1 naming every violation (on one line, each prefixed with the family and item), else say ``passed``."""
    where = f"{run.family.name}: " + (f"{run.item}: " if run.item else "")
    if violations:
        raise ValidationFailed("; ".join(v if v.startswith(f"{run.family.name}:") else where + v for v in violations))
    info(where + passed)


_STEPS: dict[str, Callable[[Run], None]] = {"generate": generate, "validate": validate, "estimate": estimate, "finalize": finalize}


def command(family: Family, verb: str) -> Callable[..., None]:
    """The typer command of ``verb`` on ``family``: its signature lists every option."""
    def run_command(**raw: Any) -> None:
        _STEPS[verb](_run(family, verb, raw))

    run_command.__signature__ = inspect.Signature(_parameters(family, verb))  # type: ignore[attr-defined]
    run_command.__doc__ = family.help(verb)
    run_command.__name__ = f"{verb}_{family.name}"
    return run_command


def register(args: Sequence[str]) -> None:
    """Add the commands a command line needs, and no more (each import costs every stage's start).

    ``synthbank generate atomic ...`` imports no other family's code (its stage's source
    list says the same); ``synthbank generate --help`` registers every family's generate;
    the root ``--help`` only the families' own command groups it lists; another root
    command (``verify``, ``pull``, ...) none.
    """
    names = registry.names()
    verb = args[0] if args else None
    if verb in _APPS:
        named = args[1] if len(args) >= 2 and args[1] in names else None
        for name in [named] if named else names:
            _register(registry.get(name), (verb,), with_cli=False)
    elif verb in names:
        _register(registry.get(verb), ())  # a family's own verbs
    elif verb is None or verb.startswith("-"):
        for name in names:
            _register(registry.get(name), ())


def _register(family: Family, verbs: Sequence[str], with_cli: bool = True) -> None:
    import importlib

    for verb in verbs:
        if verb in family.hooks:
            _APPS[verb].command(family.name, help=family.help(verb))(command(family, verb))
    if with_cli and family.cli is not None:  # verbs no other family has (signals import, energy check)
        importlib.import_module(family.cli)
