"""Load params.yaml, validate it against ``schemas/params.schema.json``, freeze it.

The CLI is the only caller; library code receives plain values or family configs.
Any problem is a :class:`~synthbank.errors.UsageError` with one line naming the key,
the value and what is allowed.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any

import jsonschema
import yaml

from synthbank.errors import UsageError
from synthbank.families import AVAILABLE

DEFAULT_PATH = Path("params.yaml")
#: Keys of a family section that steer validation only; they never change output bytes,
#: so manifests do not record them.
VALIDATION_ONLY_KEYS = ("thresholds",)


@cache
def load_schema(name: str) -> dict[str, Any]:
    """A JSON Schema shipped in ``synthbank/schemas``."""
    return json.loads(resources.files("synthbank.schemas").joinpath(name).read_text("utf-8"))


@cache
def params_schema() -> dict[str, Any]:
    """The params.yaml schema: the core keys plus one section per available family.

    Each family ships ``schemas/params/<family>.schema.json`` beside the core schema, so
    adding a family never edits a shared file. A family's ``$defs`` join the root ``$defs``
    (their names start with the family name) and may use the shared ``#/$defs/range`` and
    ``#/$defs/fraction``.
    """
    root = json.loads(json.dumps(load_schema("params.schema.json")))  # a private deep copy
    folder = resources.files("synthbank.schemas").joinpath("params")
    for family in AVAILABLE:
        source = folder.joinpath(f"{family}.schema.json")
        if not source.is_file():
            continue
        section = json.loads(source.read_text("utf-8"))
        section.pop("$schema", None)
        for name, definition in section.pop("$defs", {}).items():
            if not name.startswith(family) or name in root["$defs"]:
                raise RuntimeError(f"{source}: $defs name {name!r} must start with {family!r} and be unique")
            root["$defs"][name] = definition
        root["properties"][family] = section
    return root


def _freeze(value: Any) -> Any:
    if isinstance(value, Mapping):
        return MappingProxyType({k: _freeze(v) for k, v in value.items()})
    if isinstance(value, list):
        return tuple(_freeze(v) for v in value)
    return value


def thaw(value: Any) -> Any:
    """Plain dicts and lists again (for JSON/HDF5 attributes)."""
    if isinstance(value, Mapping):
        return {k: thaw(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return [thaw(v) for v in value]
    return value


@dataclass(frozen=True)
class Params:
    """The validated contents of params.yaml."""

    seed: int
    release_date: str
    sections: Mapping[str, Any]
    source: str

    def family(self, name: str) -> Mapping[str, Any]:
        """The (read-only) section of one family."""
        if name not in self.sections:
            raise UsageError(f"{self.source}: has no '{name}' section: add one to generate the {name} family")
        return self.sections[name]

    def generation_params(self, name: str) -> dict[str, Any]:
        """A family's params that shape its bytes (what its manifest records)."""
        return {k: thaw(v) for k, v in self.family(name).items() if k not in VALIDATION_ONLY_KEYS}


def _key_path(path: Any) -> str:
    return ".".join(str(p) for p in path) or "(top level)"


def _allowed(error: jsonschema.ValidationError) -> str:
    v, rule = error.validator, error.validator_value
    words = {
        "minimum": f">= {rule}", "maximum": f"<= {rule}",
        "exclusiveMinimum": f"> {rule}", "exclusiveMaximum": f"< {rule}",
        "type": f"a value of type {rule}", "enum": f"one of {rule}",
        "pattern": "a string like 2026-11-22 (YYYY-MM-DD)" if "[0-9]{4}" in str(rule) else f"a string matching {rule}",
        "minItems": f"at least {rule} items", "maxItems": f"at most {rule} items",
    }
    return words.get(v, f"{v} {rule}")


def describe(error: jsonschema.ValidationError, source: str) -> str:
    """One line for a schema violation: key, value, what is allowed."""
    where = _key_path(error.absolute_path)
    if error.validator == "additionalProperties":
        allowed = sorted(error.schema.get("properties", {}))
        extra = sorted(set(error.instance) - set(allowed))
        return f"{source}: unknown key {where + '.' if error.absolute_path else ''}{extra[0]}: allowed keys there are {allowed}"
    if error.validator == "required":
        return f"{source}: {error.message.split(' is a required')[0]} is missing under {where}"
    return f"{source}: {where}={json.dumps(error.instance)} is invalid: allowed {_allowed(error)}"


def _range_problem(node: Any, schema: Mapping[str, Any], defs: Mapping[str, Any], path: list[str]) -> str | None:
    """The first ``[low, high]`` (a ``#/$defs/range`` in the schema) with low > high, if any."""
    ref = schema.get("$ref", "")
    if ref == "#/$defs/range":
        if node[0] > node[1]:
            return f"{'.'.join(path)}={list(node)} is invalid: allowed [low, high] with low <= high"
        return None
    if ref.startswith("#/$defs/"):
        schema = defs[ref.removeprefix("#/$defs/")]
    if isinstance(node, Mapping):
        extra = schema.get("additionalProperties")
        for key, value in node.items():
            sub = schema.get("properties", {}).get(key, extra if isinstance(extra, Mapping) else {})
            if (problem := _range_problem(value, sub, defs, [*path, str(key)])) is not None:
                return problem
    elif isinstance(node, list) and isinstance(schema.get("items"), Mapping):
        for i, value in enumerate(node):
            if (problem := _range_problem(value, schema["items"], defs, [*path, str(i)])) is not None:
                return problem
    return None


def _semantic_checks(data: Mapping[str, Any], source: str) -> None:
    """Rules JSON Schema cannot say: ordered ranges, fractions summing to one."""
    schema = params_schema()
    problem = _range_problem(data, schema, schema["$defs"], [])
    if problem is not None:
        raise UsageError(f"{source}: {problem}")
    for family, section in data.items():
        if isinstance(section, Mapping) and isinstance(section.get("splits"), Mapping):
            splits = section["splits"]
            total = sum(splits.values())
            if abs(total - 1.0) > 1e-9:
                raise UsageError(f"{source}: {family}.splits={dict(splits)} sum to {total:g}: allowed fractions that sum to 1")


def validate(data: Any, source: str = "params.yaml") -> Params:
    """Validate an already parsed params mapping and freeze it."""
    validator = jsonschema.Draft202012Validator(params_schema())
    error = jsonschema.exceptions.best_match(validator.iter_errors(data))
    if error is not None:
        raise UsageError(describe(error, source))
    _semantic_checks(data, source)
    sections = {k: v for k, v in data.items() if k not in ("seed", "release")}
    return Params(seed=data["seed"], release_date=data["release"]["date"], sections=_freeze(sections), source=source)


def load(path: str | Path = DEFAULT_PATH) -> Params:
    """Read, parse and validate a params file."""
    path = Path(path)
    try:
        text = path.read_text("utf-8")
    except FileNotFoundError:
        raise UsageError(f"params file {path} does not exist: run from the repository root or pass --params FILE") from None
    except OSError as exc:
        raise UsageError(f"params file {path} cannot be read: {exc.strerror}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or "not valid YAML"
        raise UsageError(f"params file {path} is malformed{where}: {problem}") from None
    if not isinstance(data, dict):
        raise UsageError(f"params file {path} is malformed: allowed a YAML mapping at the top level, got {type(data).__name__}")
    return validate(data, str(path))
