"""The import graph of the ``synthbank`` package, read from its source with :mod:`ast`.

What a command can execute: the modules reachable from a root (``"module"``, or
``"module:function"`` for that function, its module's top-level imports and the helpers it
calls), following ``import`` statements anywhere in each module, lazy ones included.
:mod:`synthbank.depgraph` turns it into the pipeline's source lists.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

PACKAGE = "synthbank"


@dataclass(frozen=True)
class Source:
    """Where the package's source lives: ``root/src/synthbank``."""

    root: Path

    @property
    def package_dir(self) -> Path:
        return self.root / "src" / PACKAGE

    def file_of(self, module: str) -> Path | None:
        """The file of a ``synthbank.*`` module (``__init__.py`` for a package), None if absent."""
        return _file_of(self.package_dir, module)


@cache  # asked thousands of times per `synthbank sources` (each name an import statement gives)
def _file_of(package_dir: Path, module: str) -> Path | None:
    base = package_dir.joinpath(*module.split(".")[1:])
    for candidate in (base / "__init__.py", base.with_suffix(".py")):
        if candidate.is_file():
            return candidate
    return None


def _imports(tree: ast.AST, module: str, is_package: bool, top_level_only: bool) -> Iterator[str]:
    """Absolute names of every ``synthbank`` module the tree imports (``from a import b``: a, and a.b if a module)."""
    nodes = tree.body if top_level_only else ast.walk(tree)  # type: ignore[attr-defined]
    for node in nodes:
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against this module's package
                base = module.split(".") if is_package else module.split(".")[:-1]
                base = base[: len(base) - (node.level - 1)]
                name = ".".join(base + ([node.module] if node.module else []))
            else:
                name = node.module or ""
            yield name
            for alias in node.names:
                yield f"{name}.{alias.name}"


def _resolve(source: Source, names: Iterable[str], module: str) -> set[str]:
    """The existing ``synthbank`` modules among imported names, with their parent packages."""
    found = set()
    for name in names:
        parts = name.split(".")
        if parts[0] != PACKAGE:
            continue
        for i in range(1, len(parts) + 1):  # importing a.b.c runs a/__init__, a/b/__init__ too
            prefix = ".".join(parts[:i])
            if source.file_of(prefix) is not None:
                found.add(prefix)
    for i in range(1, len(module.split("."))):  # a module's parent packages run first (synthbank/__init__ too)
        found.add(".".join(module.split(".")[:i]))
    return found


@cache
def module_tree(source: Source, module: str) -> ast.Module | None:
    path = source.file_of(module)
    return None if path is None else ast.parse(path.read_text("utf-8"), str(path))


@cache
def _direct(source: Source, module: str, function: str | None = None) -> frozenset[str]:
    """What ``module`` imports: anywhere in it, or (``function`` given) at module level and inside that function.

    The entry point counts with ``main`` only (its other functions are the other commands,
    verify and pull); a hook module counts with the hook's function only, so a validate-only
    import does not make the generate stage depend on it.
    """
    tree = module_tree(source, module)
    if tree is None:
        return frozenset()
    is_package = source.file_of(module).name == "__init__.py"  # type: ignore[union-attr]
    names = list(_imports(tree, module, is_package, top_level_only=function is not None))
    if function:
        for body in _reached(tree, module, function):
            names += _imports(body, module, is_package, top_level_only=False)
    return frozenset(_resolve(source, names, module))


def _reached(tree: ast.Module, module: str, function: str) -> list[ast.AST]:
    """The module-level functions and classes ``function`` runs: itself, and every one its body
    names, transitively (a helper's lazy import counts for the function that calls it)."""
    defs = {n.name: n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))}
    if function not in defs:
        raise ValueError(f"{module} has no function {function!r}")
    todo, seen = [function], set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        todo.extend(n.id for n in ast.walk(defs[name]) if isinstance(n, ast.Name) and n.id in defs)
    return [defs[name] for name in sorted(seen)]


def closure(source: Source, roots: Iterable[str]) -> set[str]:
    """Every ``synthbank`` module reachable from ``roots``: ``"module"``, or ``"module:function"`` for that function only."""
    seen: set[str] = set()
    todo: list[tuple[str, str | None]] = []
    for root in roots:
        module, _, function = root.partition(":")
        todo.append((module, function or None))
    done: set[tuple[str, str | None]] = set()
    while todo:
        module, function = todo.pop()
        if (module, function) in done or source.file_of(module) is None:
            continue
        done.add((module, function))
        seen.add(module)
        todo.extend((m, None) for m in _direct(source, module, function))
    return seen
