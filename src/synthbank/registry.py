"""The registry of dataset families: every package under ``synthbank.families`` that defines ``FAMILY``.

Adding a family is adding a folder: ``families/<name>/__init__.py`` with ``FAMILY = Family(...)``
and ``families/<name>/params.schema.json``. Packages outside the source tree (a test's toy
family, a lab's private family) join through the environment variable
``SYNTHBANK_EXTRA_FAMILIES``: comma-separated import paths of packages that define ``FAMILY``.
Listing imports only the families' ``__init__`` modules (no numpy).
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import pkgutil
from functools import cache
from pathlib import Path

from synthbank.errors import UsageError
from synthbank.family import Family

#: The order families are listed in (the six built-in ones first, as released); others follow by name.
BUILTIN_ORDER = ("atomic", "chromatic", "public", "signals", "ptycho", "energy")
EXTRA_ENV = "SYNTHBANK_EXTRA_FAMILIES"


@cache
def _packages() -> dict[str, str]:
    """name -> import path of every family package (built-in folders, then the environment's)."""
    from synthbank import families

    found = {m.name: f"{families.__name__}.{m.name}" for m in pkgutil.iter_modules(families.__path__) if m.ispkg}
    for path in filter(None, (p.strip() for p in os.environ.get(EXTRA_ENV, "").split(","))):
        name = path.rsplit(".", 1)[-1]
        if name in found:
            raise UsageError(f"{EXTRA_ENV}: family {name!r} ({path}) is already defined by {found[name]}: allowed a new name")
        found[name] = path
    return found


def names() -> tuple[str, ...]:
    """Every family's name: the built-in ones in release order, then the others by name."""
    packages = _packages()
    return tuple(n for n in BUILTIN_ORDER if n in packages) + tuple(sorted(n for n in packages if n not in BUILTIN_ORDER))


@cache
def get(name: str) -> Family:
    """The :class:`Family` called ``name``; an unknown name is one line naming the allowed ones."""
    packages = _packages()
    if name not in packages:
        raise UsageError(f"unknown family {name!r}: allowed {', '.join(names())}")
    try:
        family = importlib.import_module(packages[name]).FAMILY
    except (ImportError, AttributeError) as exc:  # a broken or foreign package named in the environment
        raise UsageError(f"family {name!r} ({packages[name]}) cannot be loaded: {exc}: allowed a package that defines FAMILY") from None
    if family.name != name:
        raise RuntimeError(f"{packages[name]}.FAMILY is named {family.name!r}: a family's name is its folder's")
    return family


def package(name: str) -> str:
    """The import path of family ``name``'s package (its ``__init__`` is not imported)."""
    packages = _packages()
    if name not in packages:
        raise UsageError(f"unknown family {name!r}: allowed {', '.join(names())}")
    return packages[name]



def folder(name: str) -> Path:
    """The directory of family ``name``'s package, found without importing it (its params
    schema is read by every command; its code runs only when a command names it)."""
    spec = importlib.util.find_spec(package(name))
    if spec is None or not spec.submodule_search_locations:
        raise UsageError(f"family {name!r} ({package(name)}) is not a package: allowed a package that defines FAMILY")
    return Path(next(iter(spec.submodule_search_locations)))


def all_families() -> tuple[Family, ...]:
    return tuple(get(n) for n in names())
