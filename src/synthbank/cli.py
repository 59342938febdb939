"""The ``synthbank`` command line (typer). The only place that reads params.yaml.

Every error is one line on stderr, ``synthbank: error: ...``, with exit code 2 for bad
input (nothing written) and 1 for a failed validation or verification. The family commands
come from the registry (:mod:`synthbank.commands`): ``main`` registers only the family a
command line names, so a family's command never imports another family's code.
"""

from __future__ import annotations

from synthbank.parallel import pin_blas_threads

pin_blas_threads()  # before numpy is imported anywhere

import contextlib  # noqa: E402
import gc  # noqa: E402
import os  # noqa: E402
import re  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Annotated, NoReturn, Optional  # noqa: E402

import typer  # noqa: E402

from synthbank import params as params_mod  # noqa: E402
from synthbank.cliutil import OverwriteOpt, ParamsOpt, app, info, int_option  # noqa: E402
from synthbank.errors import SynthbankError, Terminated, UsageError, ValidationFailed  # noqa: E402
from synthbank import commands, registry  # noqa: E402


@app.command("verify")
def verify(
    manifests: Annotated[Optional[list[Path]], typer.Argument(help="Manifest files (default: the whole project, see below).")] = None,
    params_file: ParamsOpt = params_mod.DEFAULT_PATH,
    check_params: Annotated[bool, typer.Option("--check-params/--no-check-params", help="Also require seed and params equal to the params file.")] = True,
) -> None:
    """Check manifests: schema, every file present with its CRC-64 and sha256, no extra file, symbolic link or empty directory below their outputs, seed/params.

    Without MANIFESTS, the whole project in the current directory: also every family of the params file has its manifest, and every file under data/, reports/, metrics/, manifests/ and every output in dvc.lock is in some manifest (or excluded by one).

    One line per problem, naming the path. Exit 0 all good, 1 a mismatch, 2 bad usage or a manifest that is missing or unreadable.
    """
    report_verification(verify_reports(manifests, params_file, check_params))


def verify_reports(manifests: list[Path] | None, params_file: Path, check_params: bool) -> list:
    """The reports of ``synthbank verify`` (see :func:`verify`)."""
    from synthbank import coverage
    from synthbank import manifest as manifest_mod

    if manifests:
        p = params_mod.load(params_file) if check_params else None
        return manifest_mod.verify_all(manifests, None if p is None else manifest_mod.expected_from(p))
    p = params_mod.load(params_file)  # its families must all be there, even with --no-check-params
    try:
        return coverage.verify_project(Path("."), p.sections, manifest_mod.expected_from(p) if check_params else None)
    except ValueError as exc:  # dvc.lock unreadable
        raise UsageError(str(exc)) from None


def report_verification(reports: list) -> None:
    """Print one line per problem (MISMATCH: exit 1; UNREADABLE: exit 2) and an OK line per
    clean manifest; raise the error that gives the exit code."""
    for r in reports:
        for problem in r.problems:
            typer.echo(f"{'UNREADABLE' if r.unreadable else 'MISMATCH'} {problem}")
        if r.ok:
            typer.echo(f"OK {r.manifest}: {r.summary or f'{r.files} files, {r.bytes:,} bytes'}")
    bad = [r for r in reports if not r.ok]
    summary = f"verify found {sum(len(r.problems) for r in bad)} problem(s) in {len(bad)} manifest(s)"
    if any(r.unreadable for r in bad):
        raise UsageError(f"{summary}; a manifest is missing or unreadable")
    if bad:
        raise ValidationFailed(summary)


@app.command("pull")
def pull(
    families: Annotated[Optional[list[str]], typer.Argument(metavar="[FAMILY]...", help="Only these families' stages, then only their manifests are verified (default: everything).")] = None,
    remote: Annotated[Optional[str], typer.Option("--remote", "-r", help="The DVC remote to pull from (default: core.remote).")] = None,
    jobs: Annotated[Optional[str], typer.Option("--jobs", "-j", metavar="N", help="Parallel downloads (dvc pull --jobs).")] = None,
    params_file: ParamsOpt = params_mod.DEFAULT_PATH,
) -> None:
    """Fetch this commit's data from the DVC remote, then verify the whole project (synthbank verify), or only FAMILY's stages and manifests.

    dvc pull alone can install a corrupted remote object and exit 0 (and dvc status -c still says in sync); this names every file that could not be fetched intact, and what to do.

    Exit 0 all good, 1 a corrupt or missing file, 2 bad usage or a pull that failed for another reason (its message above).
    """
    from synthbank import pull as pull_mod

    n_jobs = int_option("--jobs", jobs, 1)
    code, corrupt = pull_mod.pull(Path("."), remote, n_jobs, families)
    for line in corrupt:
        typer.echo(f"REMOTE {line}")
    if corrupt:
        raise ValidationFailed(f"dvc pull could not fetch {len(corrupt)} file(s) intact from the remote; nothing else was verified")
    if code != 0:
        raise UsageError(f"dvc pull failed with exit code {code} (see its message above); nothing was verified")
    try:
        manifests = pull_mod.family_manifests(Path("."), families) if families else None
        report_verification(verify_reports(manifests, params_file, check_params=True))
    except ValidationFailed as exc:
        raise ValidationFailed(
            f"{exc}, right after dvc pull: do not use those files; if the remote holds corrupt objects, "
            "`dvc remote modify <remote> verify true` makes DVC refuse them"
        ) from None


@app.command("release")
def release(
    version: Annotated[str, typer.Argument(metavar="VERSION", help="vMAJOR.MINOR.PATCH, greater than every release tag (v0.1.0).")],
    remote: Annotated[Optional[str], typer.Option("--remote", "-r", help="The DVC remote to push to (default: core.remote).")] = None,
) -> None:
    """Release the registry: check it, dvc push, write releases/VERSION.json and CHANGELOG.md, commit, tag.

    Refuses, writing nothing, unless VERSION is new and greater than every release, the git tree and dvc status are clean and synthbank verify passes. The tags are VERSION and, for each family's DVC artifact, ARTIFACT@VERSION (what dvc artifacts get --rev VERSION finds). See docs/releases.md.

    Exit 0 released, 1 verify found a mismatch (or writing the commit failed: undone), 2 a check refused or dvc push failed.
    """
    from synthbank import release as release_mod

    done = release_mod.release(Path("."), version, remote, say=info)
    typer.echo(f"released {done.version}: {done.record.as_posix()} and CHANGELOG.md in commit {done.commit[:12]}, "
               f"tags {' '.join(done.tags)}")
    typer.echo("publish it: git push --follow-tags (the data is on the DVC remote already)")


@app.command("sources")
def sources(
    out: Annotated[Path, typer.Option("--out", help="Directory of the lists (the sources stage's output).")] = Path("pipeline/sources"),
) -> None:
    """Write pipeline/sources/<verb>_<family>.txt (and describe.txt): the source files each command a stage runs reads, with sha256 (the DVC `sources` stage).

    Every family stage of dvc.yaml depends on its command's list, so it reruns exactly when code it imports changes.
    """
    from synthbank import depgraph

    written = depgraph.write_sources(depgraph.Source(Path(".")), out)
    info(f"sources: {len(written)} command source lists in {out}")


@app.command("describe")
def describe(
    families: Annotated[Optional[list[str]], typer.Argument(metavar="FAMILY", help="Families to describe (default: every family of the params file).")] = None,
    params_file: ParamsOpt = params_mod.DEFAULT_PATH,
    registry_url: Annotated[str, typer.Option("--registry-url", metavar="URL", help="The registry's git URL, named in the cards' dvc get/import lines and the Croissant url (default: params release.registry_url, else a placeholder).")] = "",
    overwrite: OverwriteOpt = False,
) -> None:
    """Write docs/datasets/<family>/croissant.json (Croissant 1.1) and README.md (dataset card), the index docs/datasets/README.md and manifests/describe.json (the DVC stage `describe`).

    Built from each family's declared records, manifests/<family>.json and .reports.json, metrics/<family>.json and the params file; the same inputs give the same bytes. Run at the repository root. Other families keep their docs.

    Exit 0 written, 2 bad input (unknown family, missing manifest or metrics, a declared file no manifest lists): nothing written.
    """
    from synthbank.describe import DOCS, MANIFEST, writer

    p = params_mod.load(params_file)
    done = writer.describe(Path("."), p, families or [], registry_url=registry_url or p.registry_url, overwrite=overwrite)
    info(f"describe: {', '.join(done)}: Croissant files and dataset cards in {DOCS}; manifest {MANIFEST}")


#: What ``verify-no-phi`` scans when given no paths (those that exist).
DEFAULT_PHI_PATHS = (Path("data"), Path("manifests"), Path("metrics"), Path("reports"))  # every output


def _redact(text: str) -> str:
    return f"{text[:1]}*** ({len(text)} chars)" if text else ""


@app.command("verify-no-phi")
def verify_no_phi(
    paths: Annotated[list[Path] | None, typer.Argument(help="Files or directories (default: data/, manifests/, metrics/ and reports/).")] = None,
    show_text: Annotated[bool, typer.Option("--show-text", help="Print the matching text (default: redacted).")] = False,
) -> None:
    """Scan every output's metadata (PNG text, HDF5 attributes, JSON, NIfTI header, DICOM tags) for identifiers.

    Prints one line per finding (file, location, kind, text) and exits 1 if there is any.
    """
    from synthbank import phi

    if paths:
        missing = [str(p) for p in paths if not p.exists()]
        if missing:
            raise UsageError(f"verify-no-phi: path {missing[0]!r} does not exist: allowed existing files or directories")
    else:
        paths = [p for p in DEFAULT_PHI_PATHS if p.exists()]
        if not paths:
            raise UsageError("verify-no-phi: nothing to scan: allowed paths, or a data/ or manifests/ directory here")
    findings = phi.scan(paths)
    for f in findings:
        # The scanner's own messages (parse errors, DICOM remnants) hold no matched text: shown.
        own = f.kind in ("unscannable", "dicom_header")
        typer.echo(f"PHI {f.path}: {f.location}: {f.kind}: {f.text if show_text or own else _redact(f.text)}")
    files = sum(1 for _ in phi.iter_files(paths))
    if findings:
        raise ValidationFailed(f"verify-no-phi found {len(findings)} identifier(s) in {len({f.path for f in findings})} of {files} file(s)")
    typer.echo(f"OK no PHI found in {files} file(s)")


@app.command("families")
def families() -> None:
    """List the dataset families this version can generate."""
    for name in registry.names():
        family = registry.get(name)
        typer.echo(f"{name}\t{family.version}\t{family.summary}")


def _interrupted(exc: BaseException) -> None:
    what = "terminated (SIGTERM)" if isinstance(exc, Terminated) else "interrupted"
    info(f"synthbank: error: {what}: each output is either its old complete state or its new one (never half-written)")


def _unknown_family(verb: str, name: str) -> str:
    having = [f for f in registry.names() if verb in registry.get(f).hooks]
    if name in registry.names():
        return f"{name} has no {verb} step: allowed synthbank {verb} {' | '.join(having)}"
    return f"unknown family {name!r}: allowed {', '.join(having)}"


def main(argv: list[str] | None = None) -> None:
    """Entry point: register the commands the line needs, run it, and turn every error into one line and an exit code."""
    args = sys.argv[1:] if argv is None else argv
    if os.environ.get("SYNTHBANK_TIMINGS"):  # benchmarks/bench_pipeline.py
        from synthbank import timings

        timings.record(os.environ["SYNTHBANK_TIMINGS"])
    try:
        commands.register(args)  # generate|validate|estimate|finalize FAMILY, and the families' own verbs
        code = typer.main.get_command(app).main(args=args, prog_name="synthbank", standalone_mode=False)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        info("synthbank: error: aborted")
        sys.exit(1)
    except typer.TyperException as exc:  # typer's (vendored click) usage errors
        if type(exc).__name__ == "NoArgsIsHelpError":  # a group without its command: its help, exit 2
            typer.echo(exc.format_message())
            sys.exit(2)
        message = exc.format_message() if hasattr(exc, "format_message") else str(exc)
        ctx = getattr(exc, "ctx", None)
        if message.startswith("No such command") and ctx is not None and ctx.info_name in ("generate", "validate", "estimate", "finalize"):
            message = _unknown_family(ctx.info_name, message.split("No such command ")[-1].rstrip(".").strip("'\""))
        info(f"synthbank: error: {message}")
        sys.exit(getattr(exc, "exit_code", 2))
    except SynthbankError as exc:
        info(f"synthbank: error: {exc}")
        sys.exit(exc.exit_code)
    except (KeyboardInterrupt, Terminated) as exc:
        _interrupted(exc)
        _leave(Terminated.exit_code if isinstance(exc, Terminated) else 130, at_once=argv is None)
    except OSError as exc:
        from synthbank.io.staging import is_disk_full

        if not is_disk_full(exc):
            raise
        name = getattr(exc, "filename", None) or next(iter(re.findall(r"name = '([^']+)'", str(exc))), None)  # h5py's wording
        where = f" writing {name}" if name else ""
        info(f"synthbank: error: no space left on the device{where}: outputs left as they were; allowed: free space (see `synthbank estimate`) and run again")
        sys.exit(2)
    finally:
        _disconnect()
        if argv is None:  # the process ends now: its last garbage collection need not walk every module's objects
            # (objects in reference cycles are then never finalised: every output is durable
            # and closed before this point, and a writer that relied on a finaliser would not be)
            gc.freeze()
    if code == 130:  # typer's way of returning Ctrl-C (KeyboardInterrupt) without standalone mode
        _interrupted(KeyboardInterrupt())
        _leave(130, at_once=argv is None)
    sys.exit(code if isinstance(code, int) else 0)


def _disconnect() -> None:
    """After a run on a cluster: close its clients (the cluster keeps running)."""
    if "synthbank.cluster" in sys.modules:
        with contextlib.suppress(Exception):  # a scheduler already gone must not change the exit code
            sys.modules["synthbank.cluster"].close()


def _leave(code: int, at_once: bool) -> NoReturn:
    """Exit with ``code``; after an interrupt of the console script, at once.

    By then our own cleanup is done (staged outputs removed, workers killed). What is left
    are library threads the interpreter joins at exit: a process pool's manager thread can
    wait for ever on a worker killed in the middle of sending a result, and an interrupted
    user must not wait for it. In-process callers (tests, ``main([...])``) get SystemExit.
    """
    if at_once:
        _disconnect()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    sys.exit(code)


if __name__ == "__main__":  # pragma: no cover
    main()
