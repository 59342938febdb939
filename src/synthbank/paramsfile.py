"""Read params.yaml's text and parse it as YAML: duplicate keys refused at any depth, timestamps
kept as the text they were written as. Every problem is a :class:`~synthbank.errors.UsageError`
naming the file, where, and what is allowed. :mod:`synthbank.params` validates the result.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from synthbank.errors import UsageError

if TYPE_CHECKING:
    import yaml

# yaml loads on first use: a command that only reads bounds starts without it.


@cache
def _loader(fast: bool = False) -> type[yaml.SafeLoader]:
    """``yaml.SafeLoader`` that refuses duplicate keys and keeps timestamps as strings (built on first use).

    A timestamp stays the text it was written as, so an unquoted ``2026-02-30`` meets
    the same calendar check as a quoted one instead of failing inside PyYAML. ``fast``:
    libyaml's parser under the same constructor (the same data, about five times sooner;
    every stage reads params.yaml), where PyYAML has it.
    """
    import yaml

    base = yaml.CSafeLoader if fast and getattr(yaml, "__with_libyaml__", False) else yaml.SafeLoader

    class _Loader(base):  # type: ignore[valid-type, misc]
        def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
            seen: dict[Any, yaml.Node] = {}
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    continue
                key = self.construct_object(key_node, deep=True)
                try:
                    first = seen.setdefault(key, key_node)
                except TypeError:  # an unhashable key: PyYAML's own error follows
                    continue
                if first is not key_node:
                    raise yaml.constructor.ConstructorError(
                        None, None,
                        f"duplicate key {key!r} (first at line {first.start_mark.line + 1}): allowed each key once per mapping",
                        key_node.start_mark,
                    )
            return super().construct_mapping(node, deep=deep)

    _Loader.add_constructor("tag:yaml.org,2002:timestamp", yaml.SafeLoader.construct_yaml_str)
    return _Loader


def parse(text: str, source: str) -> Any:
    """Parse YAML text as params.yaml is parsed (duplicate keys refused); UsageError if malformed."""
    import yaml

    try:
        try:
            data = yaml.load(text, Loader=_loader(fast=True))  # noqa: S506 (a SafeLoader subclass)
        except (yaml.YAMLError, ValueError, RecursionError):
            data = yaml.load(text, Loader=_loader())  # noqa: S506  (PyYAML's own parser words the error)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or getattr(exc, "reason", None) or "not valid YAML"
        hint = "" if "allowed" in problem else ": allowed valid YAML 1.1 (a mapping of keys to values)"
        raise UsageError(f"params file {source} is malformed{where}: {problem}{hint}") from None
    except (ValueError, RecursionError) as exc:  # PyYAML's int() of a 5,000-digit number, deep nesting
        reason = str(exc).split(";")[0]
        raise UsageError(f"params file {source} is malformed: {reason}: allowed numbers of at most 4300 digits, nesting of a few hundred levels") from None
    if data is None:
        raise UsageError(f"params file {source} is empty: allowed a YAML mapping with seed, release and the family sections")
    if not isinstance(data, dict):
        raise UsageError(f"params file {source} is malformed: allowed a YAML mapping at the top level, got {type(data).__name__}")
    return data


def read_text(path: Path) -> str:
    """A params file's text (UTF-8); UsageError naming the file if it is missing, unreadable or not UTF-8."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise UsageError(
            f"params file {path} does not exist: allowed an existing YAML file (run from the repository root or pass --params FILE)"
        ) from None
    except OSError as exc:
        raise UsageError(f"params file {path} cannot be read: {exc.strerror}: allowed a readable YAML file") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise UsageError(
            f"params file {path} is not UTF-8 text: byte 0x{raw[exc.start]:02x} at line {line} (offset {exc.start}): "
            "allowed a UTF-8 encoded YAML file"
        ) from None
    return text
