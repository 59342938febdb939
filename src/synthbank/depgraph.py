"""dvc.yaml source deps that cannot drift: each stage depends on the modules its command imports.

A stage runs ``synthbank <verb> <family> ...`` (or ``synthbank <family> <verb> ...``). What
that command can execute is the import closure, read from the source with :mod:`ast`, of

* the entry point, ``synthbank.cli:main`` (its module-level imports and what ``main`` runs:
  its other functions are other commands, ``verify`` and ``pull``);
* the family's package and, for the shared verbs, the hook functions it names, or for a
  family's own verb, the function of ``FAMILY.cli`` that implements it (a function counts
  with its own imports and its module's top-level ones only).

The registry dispatches by name (``importlib``), so one family's stage never depends on
another family's code. A root command that reads every family (:data:`ROOT_COMMANDS`:
``synthbank describe``) has a list of its own, ``pipeline/sources/describe.txt``: its
function's closure, and every family's package and declared ``records`` module.

DVC gets those lists from the pipeline itself: the first stage, ``sources``, depends on all
of ``src/synthbank`` and writes ``pipeline/sources/<verb>_<family>.txt`` (and
``<family>_<verb>.txt`` for a family's own verbs): each file the command reads, with its
sha256. Every family stage depends on its command's list instead of naming source files
by hand. So a stage reruns exactly when a file it imports changes, a
new import is picked up by the next ``dvc repro`` without anyone editing dvc.yaml, and a
no-op ``dvc repro`` checks one directory instead of hundreds of file entries.
``python -m synthbank.depgraph --check`` (and the test suite) names every stage whose
committed list is out of date or whose deps are listed by hand.
"""

from __future__ import annotations

import argparse
import ast
import re
import shlex
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import NamedTuple

import yaml

from synthbank.imports import PACKAGE, Source, closure, module_tree

#: ``NAME=value`` before a stage's command (its environment).
_ENV_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*=")


ENTRY = "synthbank.cli:main"  #: the entry point: its module-level imports and what main() runs
VERBS = ("generate", "validate", "estimate", "finalize")
#: Root commands a stage may run (``synthbank describe``), by the function of synthbank.cli that
#: implements each. They read every family (the registry imports each by name), so their list
#: also holds every family's package, declared records module and params schema.
ROOT_COMMANDS = {"describe": "describe"}


class Command(NamedTuple):
    """A family command: a shared verb (``synthbank split ...``: ``own`` False) or one of the family's own;
    or a root command of every family (``synthbank describe``: ``family`` empty)."""

    family: str
    verb: str
    own: bool

    @property
    def root(self) -> bool:
        return not self.family

    @property
    def list_name(self) -> str:
        """Its source list: ``generate_atomic`` for a shared verb, ``ptycho_split`` for a family's own, ``describe``."""
        if self.root:
            return self.verb
        return f"{self.family}_{self.verb}" if self.own else f"{self.verb}_{self.family}"

    @property
    def shown(self) -> str:
        """The command as typed."""
        if self.root:
            return f"synthbank {self.verb}"
        return f"synthbank {self.family} {self.verb}" if self.own else f"synthbank {self.verb} {self.family}"


def _own_verbs(source: Source, family: str, cli_module: str) -> dict[str, str]:
    """verb -> function of the family's own commands: the functions its cli module decorates with ``.command("verb")``."""
    tree = module_tree(source, cli_module)
    found = {}
    for node in tree.body if tree is not None else ():
        if isinstance(node, ast.FunctionDef):
            for deco in node.decorator_list:
                if (isinstance(deco, ast.Call) and isinstance(deco.func, ast.Attribute) and deco.func.attr == "command"
                        and deco.args and isinstance(deco.args[0], ast.Constant)
                        and getattr(deco.func.value, "id", "app") != "app"):  # the root app's commands are no family verbs
                    found[str(deco.args[0].value)] = node.name
    return found


@dataclass(frozen=True)
class Declaration:
    """What a family's ``FAMILY = Family(...)`` names, read with :mod:`ast` (nothing imported)."""

    package: str
    hooks: dict[str, str]  # verb -> "module:function"
    config: str | None  # "module"
    cli: str | None  # "module"
    records: str | None = None  # "module:function"


@cache
def declaration(source: Source, family: str) -> Declaration:
    """The ``Family(...)`` call of ``families/<family>/__init__.py``: its hooks, config and cli modules."""
    package = f"{PACKAGE}.families.{family}"
    tree = module_tree(source, package)
    call = next((n for n in ast.walk(tree) if isinstance(n, ast.Call) and getattr(n.func, "id", None) == "Family"), None) if tree else None
    if call is None:
        raise ValueError(f"family {family!r}: {source.package_dir / 'families' / family / '__init__.py'} has no Family(...)")
    kw = {k.arg: ast.literal_eval(k.value) for k in call.keywords if k.arg in ("hooks", "config", "cli", "records")}
    hooks = kw.get("hooks", ())
    hooks = dict(hooks) if isinstance(hooks, dict) else {verb: f"{package}.hooks:{verb}" for verb in hooks}
    config = kw.get("config")
    return Declaration(package, hooks, config.split(":")[0] if config else None, kw.get("cli"), kw.get("records"))


def families(source: Source) -> list[str]:
    """Every family of the source tree (its folders that hold an ``__init__.py``)."""
    return sorted(init.parent.name for init in (source.package_dir / "families").glob("*/__init__.py"))


def _family_roots(source: Source, command: Command) -> list[str]:
    """The modules (or ``module:function``) the registry dispatches to for a family command."""
    if command.root:  # the command's function, and what it imports of every family
        roots = [f"{PACKAGE}.cli:{ROOT_COMMANDS[command.verb]}"]
        for family in families(source):
            decl = declaration(source, family)
            roots += [decl.package, *([decl.records] if decl.records else [])]
        return roots
    decl = declaration(source, command.family)
    if command.own:
        functions = _own_verbs(source, command.family, decl.cli) if decl.cli else {}
        if command.verb not in functions:
            raise ValueError(f"family {command.family!r} has no command {command.verb!r} of its own")
        return [decl.package, f"{decl.cli}:{functions[command.verb]}"]
    if command.verb not in decl.hooks:
        raise ValueError(f"family {command.family!r} has no '{command.verb}' hook")
    return [decl.package, decl.hooks[command.verb], *([decl.config] if decl.config else [])]  # Run.config() imports it by name


def command_words(cmd: str) -> list[str]:
    """A stage command's words, without the leading ``NAME=value`` words (its environment, as a shell reads them)."""
    words = shlex.split(cmd)
    while words and _ENV_WORD.match(words[0]):
        words = words[1:]
    return words


def command_of(cmd: str) -> Command:
    """The family command a stage runs: ``synthbank <verb> <family>`` or ``synthbank <family> <verb>``, or a root command.

    Leading ``NAME=value`` words (environment for the command, as a shell reads them) are skipped.
    """
    words = command_words(cmd)
    if len(words) >= 2 and words[0] == PACKAGE and words[1] in ROOT_COMMANDS:
        return Command("", words[1], own=False)
    if len(words) < 3 or words[0] != PACKAGE:
        raise ValueError(f"stage command {cmd!r} does not run synthbank <verb> <family> or synthbank <family> <verb>")
    if words[1] in VERBS:
        return Command(words[2], words[1], own=False)
    return Command(words[1], words[2], own=True)


def expected(source: Source, cmd: str) -> set[str]:
    """The source files (relative to ``source.root``) a stage running ``cmd`` must depend on."""
    return _files(source, command_of(cmd))


def _files(source: Source, command: Command) -> set[str]:
    """The modules a command imports, the core schemas (params, manifest) and its family's params schema."""
    modules = closure(source, [ENTRY, *_family_roots(source, command)])
    files = {source.file_of(m) for m in modules}
    files.update((source.package_dir / "schemas").glob("*.json"))
    for family in families(source) if command.root else [command.family]:
        files.add(source.package_dir / "families" / family / "params.schema.json")
    return {f.relative_to(source.root).as_posix() for f in files if f is not None and f.is_file()}


SOURCES = Path("pipeline/sources")  #: the ``sources`` stage's output: one list per command
SOURCES_STAGE = "sources"


def _is_source(dep: str) -> bool:
    return dep.startswith(f"src/{PACKAGE}")


def stages(dvc_yaml: dict) -> Iterator[tuple[str, str, list[str]]]:
    """(name, command, deps) of every stage (the body of ``foreach``/``matrix`` stages)."""
    for name, stage in dvc_yaml.get("stages", {}).items():
        body = stage.get("do", stage)
        deps = [d if isinstance(d, str) else next(iter(d)) for d in body.get("deps", [])]
        yield name, body["cmd"].replace("\n", " "), deps


def family_stages(dvc_yaml: dict) -> dict[str, str]:
    """Stage name -> command, for every stage that runs a family's ``synthbank`` command."""
    return {name: cmd for name, cmd, _ in stages(dvc_yaml) if command_words(cmd)[:1] == [PACKAGE] and name != SOURCES_STAGE}


def commands(source: Source) -> dict[str, Command]:
    """Every command a stage can run, by list name: each family's hooked verbs and its own verbs.

    Read from the source (each family's ``__init__`` and cli module), not from dvc.yaml: DVC
    cannot depend on dvc.yaml, and a stage added for an existing command finds its list.
    """
    found: dict[str, Command] = {}
    for init in sorted((source.package_dir / "families").glob("*/__init__.py")):
        family = init.parent.name
        decl = declaration(source, family)
        for verb in VERBS:
            if verb in decl.hooks:
                found[Command(family, verb, False).list_name] = Command(family, verb, False)
        for verb in _own_verbs(source, family, decl.cli) if decl.cli else ():
            found[Command(family, verb, True).list_name] = Command(family, verb, True)
    for verb in ROOT_COMMANDS:
        found[verb] = Command("", verb, False)
    return found


def source_list(source: Source, command: Command) -> str:
    """The text of ``pipeline/sources/<list>.txt``: every source file the command reads, with its sha256.

    A stage depends on its command's list, so it reruns exactly when one of those files
    changes (or the command starts importing another one), never for a module it does not use.
    """
    import hashlib

    lines = [f"# {command.list_name}: the source files `{command.shown}` reads (sha256, path);",
             "# written by the sources stage (synthbank sources) from the import graph: do not edit."]
    for rel in sorted(_files(source, command)):
        lines.append(f"{hashlib.sha256((source.root / rel).read_bytes()).hexdigest()}  {rel}")
    return "\n".join(lines) + "\n"


def write_sources(source: Source, out: Path) -> list[Path]:
    """Write the source list of every command (the ``sources`` stage); returns the files written."""
    from synthbank.io.staging import write_file_atomic

    out.mkdir(parents=True, exist_ok=True)
    lists = commands(source)
    for stale in out.glob("*.txt"):  # a command that no longer exists
        if stale.stem not in lists:
            stale.unlink()
    written = []
    for name, command in sorted(lists.items()):
        path = out / f"{name}.txt"
        write_file_atomic(path, source_list(source, command).encode())
        written.append(path)
    return written


def _listed(text: str) -> set[str]:
    return {line.split("  ", 1)[1] for line in text.splitlines() if line and not line.startswith("#")}


def check(source: Source, dvc_path: Path, sources_dir: Path | None = None) -> list[str]:
    """One line per way the pipeline's source deps could be wrong (empty: all agree).

    * a family stage must depend on its command's ``pipeline/sources/<list>.txt`` and list
      no source file itself (a hand-written list drifts);
    * the ``sources`` stage must depend on all of ``src/synthbank`` and output ``pipeline/sources``;
    * each committed list must equal what the import graph gives now: a module a command
      imports that its list lacks is named (run ``dvc repro`` to bring it up to date).
    """
    sources_dir = sources_dir if sources_dir is not None else dvc_path.parent / SOURCES
    data = yaml.safe_load(dvc_path.read_text("utf-8"))
    lines = []
    source_stage = data.get("stages", {}).get(SOURCES_STAGE, {})
    if source_stage.get("deps") != [f"src/{PACKAGE}"] or not any(
            (o if isinstance(o, str) else next(iter(o))) == SOURCES.as_posix() for o in source_stage.get("outs", [])):
        lines.append(f"{dvc_path}: stage {SOURCES_STAGE} must depend on src/{PACKAGE} only and output {SOURCES}")
    for name, cmd in family_stages(data).items():
        deps = next(d for n, _, d in stages(data) if n == name)
        listed_by_hand = [d for d in deps if _is_source(d)]
        wanted = f"{SOURCES.as_posix()}/{command_of(cmd).list_name}.txt"
        if listed_by_hand:
            lines.append(f"{dvc_path}: stage {name}: lists {', '.join(listed_by_hand)} by hand: allowed only {wanted}")
        if wanted not in deps:
            lines.append(f"{dvc_path}: stage {name}: does not depend on {wanted}, the source list of its command")
    lists = commands(source)
    for stray in sorted(p for p in sources_dir.glob("*.txt") if p.stem not in lists):
        lines.append(f"{dvc_path}: {stray} lists a command that no longer exists (run dvc repro)")
    for list_file, command in sorted(lists.items()):
        committed = sources_dir / f"{list_file}.txt"
        want = source_list(source, command)
        have = committed.read_text("utf-8") if committed.is_file() else ""
        if have != want:
            missing = sorted(_listed(want) - _listed(have))
            extra = sorted(_listed(have) - _listed(want))
            what = (f"imports {', '.join(missing)}, not in {committed}" if missing
                    else f"{committed} lists {', '.join(extra)}, which it no longer imports" if extra
                    else "reads a source file that changed since the last dvc repro")
            users = sorted(n for n, c in family_stages(data).items() if command_of(c).list_name == list_file)
            lines.append(f"{dvc_path}: {', '.join(f'stage {u}' for u in users) or 'no stage'}: "
                         f"`{command.shown}` {what} (run dvc repro, commit dvc.lock and {SOURCES})")
    return lines


def rewrite(text: str) -> str:
    """dvc.yaml with each family stage's hand-listed source deps replaced by its ``pipeline/sources`` list.

    Only the ``- src/synthbank...`` lines of each stage's ``deps:`` change; the list goes
    first, before the stage's other deps, at the indentation of its list.
    """
    stage_commands = family_stages(yaml.safe_load(text))
    out: list[str] = []
    stage = None
    lines = text.splitlines(keepends=True)
    i = 0
    while i < len(lines):
        line = lines[i]
        header = re.match(r"^  ([A-Za-z0-9_-]+):\s*(#.*)?$", line)
        if header:
            stage = header.group(1)
        out.append(line)
        i += 1
        if stage in stage_commands and re.match(r"^\s+deps:\s*$", line):
            indent = None
            rest = []
            while i < len(lines) and re.match(r"^\s+- ", lines[i]):
                indent = indent or lines[i][: len(lines[i]) - len(lines[i].lstrip())]
                dep = lines[i].strip()[2:].split("#")[0].strip()
                wanted = f"{SOURCES.as_posix()}/{command_of(stage_commands[stage]).list_name}.txt"
                if not _is_source(dep) and dep != wanted and not dep.startswith(f"{SOURCES.as_posix()}/"):
                    rest.append(lines[i])
                i += 1
            indent = indent or " " * (len(line) - len(line.lstrip()) + 2)
            out.append(f"{indent}- {SOURCES.as_posix()}/{command_of(stage_commands[stage]).list_name}.txt\n")
            out.extend(rest)
    return "".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m synthbank.depgraph", description=__doc__.splitlines()[0])
    parser.add_argument("dvc_yaml", nargs="?", type=Path, default=Path("dvc.yaml"))
    parser.add_argument("--root", type=Path, default=Path("."), help="The repository root (holding src/synthbank).")
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--check", action="store_true", help="List what is wrong with the source deps (exit 1 if anything).")
    mode.add_argument("--rewrite", action="store_true", help="Replace hand-listed source deps in dvc.yaml by the source lists.")
    args = parser.parse_args(argv)
    source = Source(args.root)
    if args.rewrite:
        args.dvc_yaml.write_text(rewrite(args.dvc_yaml.read_text("utf-8")), "utf-8")
        return 0
    problems = check(source, args.dvc_yaml)
    for line in problems:
        print(line, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
