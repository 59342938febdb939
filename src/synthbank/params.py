"""Load params.yaml, validate it against the params schema (``schemas/params.schema.json`` and
each family's ``params.schema.json``), freeze it. Any problem is a
:class:`~synthbank.errors.UsageError`: one line naming the key, the value and what is allowed.

Beyond standard JSON Schema (draft 2020-12), validation here adds:

* ``number`` and ``integer`` mean *finite* numbers (no ``.nan``, ``.inf``, ``-.inf``,
  nor an integer too large for a float); an ``integer`` also fits in 64 bits;
* the keyword ``x-order`` on an array: ``"ascending"`` (each item <= the next, so a
  range ``[a, a]`` is allowed) or ``"strictly ascending"`` (each item < the next);
* ``"format": "date"`` is a real calendar date ``YYYY-MM-DD`` (:func:`is_calendar_date`);
* YAML loading (:mod:`synthbank.paramsfile`) refuses duplicate keys at any depth and reads
  timestamps as plain strings.
"""

from __future__ import annotations

import datetime as _dt
import json
import math
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from synthbank import schemacheck
from synthbank.errors import UsageError
from synthbank.paramsfile import parse, read_text  # noqa: F401  (parse: part of this module's API)

if TYPE_CHECKING:
    import jsonschema

# jsonschema loads on first use (validating): a command that only reads bounds
# (key_limits, for --help and option parsing) starts without it.

DEFAULT_PATH = Path("params.yaml")
#: Integers are stored as int64 in HDF5 attributes and manifests.
INT64 = (-(2**63), 2**63 - 1)
#: What ``x-order`` allows, per value of the keyword: (test of neighbours, rule for a pair, rule for a list).
ORDERS: dict[str, tuple[Callable[[float, float], bool], str, str]] = {
    "ascending": (lambda a, b: a <= b, "[low, high] with low <= high", "ascending values"),
    "strictly ascending": (
        lambda a, b: a < b,
        "[low, high] with low < high (a range of positive width)",
        "strictly ascending values (no repeats)",
    ),
}
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

    Each family ships ``families/<family>/params.schema.json`` in its own folder, so
    adding a family never edits a shared file (:mod:`synthbank.registry` finds it). A family's ``$defs`` join the root ``$defs``
    (their names start with the family name) and may use the shared ``#/$defs/range`` and
    ``#/$defs/fraction``.
    """
    root = json.loads(json.dumps(load_schema("params.schema.json")))  # a private deep copy
    from synthbank import registry

    for family in registry.names():
        source = registry.folder(family) / "params.schema.json"
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
    #: The registry's public git URL (``release.registry_url``; "" when not published): named in
    #: the dataset cards and the Croissant ``url``, in no data file.
    registry_url: str = ""

    def family(self, name: str) -> Mapping[str, Any]:
        """The (read-only) section of one family."""
        if name not in self.sections:
            raise UsageError(f"{self.source}: has no '{name}' section: add one to generate the {name} family")
        return self.sections[name]

    def generation_params(self, name: str) -> dict[str, Any]:
        """A family's params that shape its bytes (what its manifest records)."""
        return {k: thaw(v) for k, v in self.family(name).items() if k not in VALIDATION_ONLY_KEYS}


def is_finite_number(value: Any) -> bool:
    """True for an int or float (not a bool) that is finite as a float.

    Parameters
    ----------
    value : Any
        A parsed YAML value or a CLI value.

    Returns
    -------
    bool
        False for ``nan``, ``inf``, ``-inf``, integers beyond the float range, bools and
        non-numbers.
    """
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:  # an int too large for a float
        return False


def is_calendar_date(value: Any) -> bool:
    """True for a string ``YYYY-MM-DD`` that names a real day (``2026-02-30`` does not).

    Parameters
    ----------
    value : Any
        The candidate, usually ``release.date`` or ``--release-date``.

    Returns
    -------
    bool
    """
    if not isinstance(value, str) or not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
        return False
    try:
        _dt.date.fromisoformat(value)
    except ValueError:
        return False
    return True


def _is_int64(value: Any) -> bool:
    """A finite integral number (``3`` or ``3.0``, not ``True``) within int64."""
    if not is_finite_number(value) or (isinstance(value, float) and not value.is_integer()):
        return False
    return INT64[0] <= value <= INT64[1]


def _in_order(order: str, instance: Any) -> bool:
    """The ``x-order`` keyword: neighbouring items ordered as ``ORDERS[order]`` says.

    Anything but a list of finite numbers passes (the ``type`` keyword judges it).
    """
    if not isinstance(instance, list) or not all(is_finite_number(v) for v in instance):
        return True
    ordered = ORDERS[order][0]
    return all(ordered(a, b) for a, b in zip(instance, instance[1:]))


def _order(validator: Any, order: str, instance: Any, schema: Mapping[str, Any]) -> Iterator[jsonschema.ValidationError]:
    """:func:`_in_order` as a jsonschema keyword."""
    import jsonschema

    if not _in_order(order, instance):
        yield jsonschema.ValidationError(f"{instance!r} is not in {order} order")


#: What params.yaml's schema is judged with beyond standard JSON Schema, by both validators
#: (schemacheck for valid documents, jsonschema for the error): type checks, formats, keywords.
SCHEMA_TYPES: dict[str, Callable[[Any], bool]] = {"number": is_finite_number, "integer": _is_int64}
SCHEMA_FORMATS: dict[str, Callable[[Any], bool]] = {"date": is_calendar_date}
SCHEMA_KEYWORDS: dict[str, Callable[[Any, Any], bool]] = {"x-order": _in_order}


@cache
def _validation() -> tuple[Any, Any]:
    """The jsonschema validator class (draft 2020-12 with :data:`SCHEMA_TYPES` and the
    ``x-order`` keyword) and its format checker (:data:`SCHEMA_FORMATS`), built on first use."""
    import jsonschema

    formats = jsonschema.FormatChecker(formats=())
    for name, check in SCHEMA_FORMATS.items():
        formats.checks(name)(check)
    validator = jsonschema.validators.extend(
        jsonschema.Draft202012Validator,
        validators={"x-order": _order},
        type_checker=jsonschema.Draft202012Validator.TYPE_CHECKER.redefine_many(
            {name: (lambda checker, value, check=check: check(value)) for name, check in SCHEMA_TYPES.items()}
        ),
    )
    return validator, formats


def is_valid(schema: Mapping[str, Any], instance: Any) -> bool | None:
    """:func:`synthbank.schemacheck.is_valid` with params.yaml's types, formats and keywords."""
    return schemacheck.is_valid(schema, instance, types=SCHEMA_TYPES, formats=SCHEMA_FORMATS, keywords=SCHEMA_KEYWORDS)


def _best_error(schema: Mapping[str, Any], instance: Any) -> jsonschema.ValidationError | None:
    """The most relevant violation of ``schema`` by ``instance`` (jsonschema's best match), None if valid.

    Valid input, the common case, is recognised without importing jsonschema (:func:`is_valid`).
    """
    if is_valid(schema, instance):
        return None
    import jsonschema.exceptions

    validator, formats = _validation()
    return jsonschema.exceptions.best_match(validator(schema, format_checker=formats).iter_errors(instance))


def _key_path(path: Any) -> str:
    return ".".join(str(p) for p in path) or "(top level)"


def show(value: Any) -> str:
    """A value as a message prints it: JSON where possible (``NaN``, ``Infinity`` too), at most 80 characters."""
    try:
        text = json.dumps(value)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= 80 else f"{text[:40]}...{text[-20:]} ({len(text)} characters)"


def _allowed(error: jsonschema.ValidationError) -> str:
    v, rule, instance = error.validator, error.validator_value, error.instance
    if v == "type" and isinstance(instance, (int, float)) and not isinstance(instance, bool):
        if rule == "integer":
            low, high = error.schema.get("minimum", INT64[0]), error.schema.get("maximum", INT64[1])
            return f"an integer from {low} to {high}"
        if not is_finite_number(instance):
            return "a finite number (not .nan, .inf or -.inf)"
    if v == "x-order":
        return ORDERS[rule][1] if error.schema.get("maxItems") == 2 else ORDERS[rule][2]
    words = {
        "minimum": f">= {rule}", "maximum": f"<= {rule}",
        "exclusiveMinimum": f"> {rule}", "exclusiveMaximum": f"< {rule}",
        "type": f"a value of type {rule}", "enum": f"one of {rule}", "const": f"exactly {show(rule)}",
        "pattern": "a string like 2026-11-22 (YYYY-MM-DD)" if "[0-9]{4}" in str(rule) else f"a string matching {rule}",
        "format": "a real calendar date YYYY-MM-DD" if rule == "date" else f"a {rule}",
        "minItems": f"at least {rule} items", "maxItems": f"at most {rule} items",
        "uniqueItems": "no repeated items", "minProperties": f"at least {rule} entries",
        "multipleOf": f"a multiple of {rule}",
    }
    return words.get(v, f"{v} {rule}")


def describe(error: jsonschema.ValidationError, source: str) -> str:
    """One line for a schema violation: key, value, what is allowed."""
    where = _key_path(error.absolute_path)
    if error.validator == "additionalProperties":
        allowed = sorted(error.schema.get("properties", {}))
        extra = sorted((k for k in error.instance if k not in allowed), key=str)
        return f"{source}: unknown key {where + '.' if error.absolute_path else ''}{extra[0]}: allowed keys there are {allowed}"
    if error.validator == "required":
        return f"{source}: {error.message.split(' is a required')[0]} is missing under {where}: required keys there are {error.validator_value}"
    return f"{source}: {where}={show(error.instance)} is invalid: allowed {_allowed(error)}"


def _schema_node(keys: tuple[str, ...]) -> Mapping[str, Any]:
    """The schema node of a params key path (``$ref`` to the root ``$defs`` followed).

    ``"items"`` steps into an array's items; a key the node does not list steps into its
    ``additionalProperties`` schema (a name the user chooses, such as
    ``signals.datasets.<name>``).
    """
    root = params_schema()
    node: Mapping[str, Any] = root

    def resolve(n: Mapping[str, Any]) -> Mapping[str, Any]:
        while "$ref" in n:
            n = root["$defs"][n["$ref"].removeprefix("#/$defs/")]
        return n

    for key in keys:
        node = resolve(node)
        if key == "items":
            node = node["items"]
        elif key in node.get("properties", {}):
            node = node["properties"][key]
        elif isinstance(node.get("additionalProperties"), Mapping):
            node = node["additionalProperties"]
        else:
            raise KeyError(f"params key {_key_path(keys)}: no schema for {key!r}")
    return resolve(node)


def key_limits(*keys: str) -> tuple[Any, Any]:
    """The inclusive ``(minimum, maximum)`` the schema gives a key (None where unbounded).

    Parameters
    ----------
    *keys : str
        The key path in params.yaml: ``"items"`` for an array's items, any name for a
        user-chosen key (``"signals", "datasets", "x", "channels"``). CLI options that
        override a params key take their bounds from here: the two cannot drift apart.
    """
    node = _schema_node(keys)
    return node.get("minimum"), node.get("maximum")


def check_value(value: Any, *keys: str, name: str | None = None) -> None:
    """Check one value against the schema of its params key (the single source of bounds), for
    library code given a value outside params.yaml instead of repeating the schema's bounds.

    Parameters
    ----------
    value : Any
        Plain JSON-like data (lists, not tuples).
    *keys : str
        Its key path in params.yaml, for example ``("atomic", "lattice")``; ``"items"`` and
        user-chosen names as in :func:`key_limits`.
    name : str, optional
        What the message calls the value (``"probe"``, ``"dose"``) when the caller names
        keys relative to a section; by default the full key path.

    Raises
    ------
    ValueError
        One line naming the key, the value and what is allowed (the params file's wording).
    """
    node = _schema_node(keys)
    error = _best_error({**node, "$defs": params_schema()["$defs"]}, value)
    if error is not None:
        error.path.extendleft(reversed(keys) if name is None else [name])  # name the key, as for params.yaml
        raise ValueError(describe(error, "")[2:])


def _semantic_checks(data: Mapping[str, Any], source: str) -> None:
    """Rules JSON Schema cannot say: fractions summing to one."""
    for family, section in data.items():
        if isinstance(section, Mapping) and isinstance(section.get("splits"), Mapping):
            splits = section["splits"]
            total = sum(splits.values())
            if abs(total - 1.0) > 1e-9:
                raise UsageError(f"{source}: {family}.splits={dict(splits)} sum to {total:g}: allowed fractions that sum to 1")


def validate(data: Any, source: str = "params.yaml") -> Params:
    """Validate an already parsed params mapping and freeze it."""
    error = _best_error(params_schema(), data)
    if error is not None:
        raise UsageError(describe(error, source))
    _semantic_checks(data, source)
    sections = {k: v for k, v in data.items() if k not in ("seed", "release")}
    return Params(seed=data["seed"], release_date=data["release"]["date"], sections=_freeze(sections), source=source,
                  registry_url=data["release"].get("registry_url") or "")


def load(path: str | Path = DEFAULT_PATH) -> Params:
    """Read, parse and validate a params file."""
    path = Path(path)
    return validate(parse(read_text(path), str(path)), str(path))
