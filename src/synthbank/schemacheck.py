"""Whether an instance is valid against one of synthbank's JSON Schemas, without jsonschema.

Every ``synthbank`` command validates params.yaml, and every command that writes a manifest
validates it too. Importing jsonschema and building its validator costs a command about
60-75 ms and 5 MB (jsonschema, referencing, rpds, attrs), more than the rest of what a small
stage does. Valid input is the common case, so :func:`is_valid` answers it by walking the
schema directly; only when it does not say True does the caller ask jsonschema, for the
error and its wording. So jsonschema stays the one judge of what is wrong, and this module
has to be exact in one direction only: it must never call an instance valid that jsonschema
rejects (``tests/test_schemacheck.py`` compares the two on mutated params, manifests and
catalogs, in both directions).

It knows the draft 2020-12 keywords synthbank's schemas use, with jsonschema 4's semantics
for each (type checks that keep ``bool`` apart from numbers, ``equal`` for ``enum``, ``const``
and ``uniqueItems``, ``re.search`` for ``pattern``, local ``$ref`` beside other keywords).
A schema with any other keyword, or a ``$ref`` outside the document, gets None: "ask
jsonschema". Custom keywords and types are the caller's (:mod:`synthbank.params` adds
``x-order``, finite numbers and 64-bit integers).
"""

from __future__ import annotations

import numbers
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

#: Keywords that never make an instance invalid (annotations and the document's own structure).
ANNOTATIONS = frozenset({"$schema", "$id", "$defs", "$comment", "title", "description", "default", "examples"})


def _is_integer(value: Any) -> bool:
    # draft 6 and later: 1.0 is an integer too
    return not isinstance(value, bool) and (isinstance(value, int) or (isinstance(value, float) and value.is_integer()))


#: jsonschema's type checker of draft 2020-12.
STANDARD_TYPES: dict[str, Callable[[Any], bool]] = {
    "array": lambda v: isinstance(v, list),
    "boolean": lambda v: isinstance(v, bool),
    "integer": _is_integer,
    "null": lambda v: v is None,
    "number": lambda v: not isinstance(v, bool) and isinstance(v, numbers.Number),
    "object": lambda v: isinstance(v, dict),
    "string": lambda v: isinstance(v, str),
}


class Unknown(Exception):
    """The schema uses something this module does not evaluate: jsonschema must decide."""


def _unbool(value: Any, true: object = object(), false: object = object()) -> Any:
    if value is True:
        return true
    if value is False:
        return false
    return value


def equal(one: Any, two: Any) -> bool:
    """jsonschema's equality: ``True`` is not ``1``, sequences and mappings compared item by item.

    ``jsonschema._utils.equal`` restated (with ``_unbool`` and ``_unique``): importing it
    would import jsonschema, which is what this module exists to avoid.
    """
    if one is two:
        return True
    if isinstance(one, str) or isinstance(two, str):
        return one == two
    if isinstance(one, Sequence) and isinstance(two, Sequence):
        return len(one) == len(two) and all(equal(a, b) for a, b in zip(one, two))
    if isinstance(one, Mapping) and isinstance(two, Mapping):
        return len(one) == len(two) and all(k in two and equal(v, two[k]) for k, v in one.items())
    return _unbool(one) == _unbool(two)


def _unique(items: list[Any]) -> bool:
    # every pair: finds at least the duplicates jsonschema's sorted-neighbours check finds
    seen: list[Any] = []
    for item in map(_unbool, items):
        if any(equal(s, item) for s in seen):
            return False
        seen.append(item)
    return True


def _multiple(value: Any, step: Any) -> bool:
    if isinstance(step, float):
        try:
            quotient = value / step
        except OverflowError:  # jsonschema lets this one out: its exception, its call
            raise Unknown("an integer too large for a float") from None
        try:
            return int(quotient) == quotient
        except OverflowError:
            from fractions import Fraction  # only here: it imports decimal

            return (Fraction(value) / Fraction(step)).denominator == 1
    return not value % step


class _Checker:
    """One validation: the root schema (for ``$ref``) and the type, format and keyword checks in force."""

    def __init__(self, root: Any, types: Mapping[str, Callable[[Any], bool]],
                 formats: Mapping[str, Callable[[Any], bool]], keywords: Mapping[str, Callable[[Any, Any], bool]]):
        self.root, self.types, self.formats, self.keywords = root, types, formats, keywords

    def is_type(self, value: Any, name: str) -> bool:
        """Whether ``value`` is of the JSON type ``name`` (Unknown for a type not known here)."""
        check = self.types.get(name)
        if check is None:
            raise Unknown(f"type {name!r}")
        return check(value)

    def ref(self, ref: str) -> Any:
        """The subschema a JSON-pointer ``$ref`` into the root names (``#`` or ``#/a/b``).

        Anything else is Unknown, as is a pointer with percent-escapes (jsonschema decodes
        them), one that names nothing (jsonschema raises), or a path through an ``$id``
        (a new base URI).
        """
        if ref == "#":
            return self.root
        if not ref.startswith("#/") or "%" in ref:
            raise Unknown(f"$ref {ref!r}")
        node = self.root
        for token in ref[2:].split("/"):
            token = token.replace("~1", "/").replace("~0", "~")
            try:
                node = node[int(token)] if isinstance(node, list) else node[token]
            except (KeyError, IndexError, ValueError, TypeError):
                raise Unknown(f"$ref {ref!r}") from None
            if isinstance(node, Mapping) and "$id" in node:
                raise Unknown(f"$ref {ref!r} through an $id")
        return node

    def valid(self, schema: Any, value: Any) -> bool:
        """Whether ``value`` meets every keyword of ``schema`` (a mapping or a boolean schema)."""
        if schema is True:
            return True
        if schema is False:
            return False
        if not isinstance(schema, Mapping):
            raise Unknown("a schema that is not an object or a boolean")
        for keyword, rule in schema.items():
            if keyword in ANNOTATIONS:
                if keyword == "$id" and schema is not self.root:
                    raise Unknown("$id below the root")  # a new base for $ref
                continue
            check = _KEYWORDS.get(keyword)
            if check is not None:
                passed = check(self, rule, value, schema)
            elif keyword in self.keywords:
                passed = self.keywords[keyword](rule, value)
            else:
                raise Unknown(f"keyword {keyword!r}")
            if not passed:
                return False
        return True


#: A keyword's check: (checker, the keyword's value, the instance, the schema holding it) -> passes.
Check = Callable[[_Checker, Any, Any, Mapping[str, Any]], bool]


def _on(kind: str, test: Check) -> Check:
    # jsonschema: a keyword of one JSON type passes every instance of another type
    return lambda c, rule, value, schema: not c.is_type(value, kind) or test(c, rule, value, schema)


def _additional(c: _Checker, rule: Any, value: dict[str, Any], schema: Mapping[str, Any]) -> bool:
    if "patternProperties" in schema:
        raise Unknown("patternProperties")
    extras = [value[name] for name in value if name not in schema.get("properties", {})]
    if c.is_type(rule, "object"):
        return all(c.valid(rule, extra) for extra in extras)
    return bool(rule) or not extras


def _format(c: _Checker, rule: Any, value: Any, schema: Mapping[str, Any]) -> bool:
    check = c.formats.get(rule)
    return check is None or bool(check(value))  # formats not asked for are not checked, as in jsonschema


_KEYWORDS: dict[str, Check] = {
    "type": lambda c, rule, value, s: any(c.is_type(value, t) for t in ([rule] if isinstance(rule, str) else rule)),
    "$ref": lambda c, rule, value, s: c.valid(c.ref(rule), value),
    "allOf": lambda c, rule, value, s: all(c.valid(sub, value) for sub in rule),
    "enum": lambda c, rule, value, s: any(equal(each, value) for each in rule),
    "const": lambda c, rule, value, s: equal(value, rule),
    "format": _format,
    "minimum": _on("number", lambda c, rule, value, s: not value < rule),
    "maximum": _on("number", lambda c, rule, value, s: not value > rule),
    "exclusiveMinimum": _on("number", lambda c, rule, value, s: not value <= rule),
    "exclusiveMaximum": _on("number", lambda c, rule, value, s: not value >= rule),
    "multipleOf": _on("number", lambda c, rule, value, s: _multiple(value, rule)),
    "properties": _on("object", lambda c, rule, value, s: all(c.valid(sub, value[k]) for k, sub in rule.items() if k in value)),
    "required": _on("object", lambda c, rule, value, s: all(k in value for k in rule)),
    "minProperties": _on("object", lambda c, rule, value, s: not len(value) < rule),
    "propertyNames": _on("object", lambda c, rule, value, s: all(c.valid(rule, k) for k in value)),
    "additionalProperties": _on("object", _additional),
    "items": _on("array", lambda c, rule, value, s: all(c.valid(rule, v) for v in value[len(s.get("prefixItems", [])):])),
    "prefixItems": _on("array", lambda c, rule, value, s: all(c.valid(sub, v) for sub, v in zip(rule, value))),
    "minItems": _on("array", lambda c, rule, value, s: not len(value) < rule),
    "maxItems": _on("array", lambda c, rule, value, s: not len(value) > rule),
    "uniqueItems": _on("array", lambda c, rule, value, s: not rule or _unique(value)),
    "pattern": _on("string", lambda c, rule, value, s: re.search(rule, value) is not None),
    "minLength": _on("string", lambda c, rule, value, s: not len(value) < rule),
    "maxLength": _on("string", lambda c, rule, value, s: not len(value) > rule),
}


def is_valid(schema: Any, instance: Any, *, types: Mapping[str, Callable[[Any], bool]] | None = None,
             formats: Mapping[str, Callable[[Any], bool]] | None = None,
             keywords: Mapping[str, Callable[[Any, Any], bool]] | None = None) -> bool | None:
    """True if ``instance`` is valid against ``schema``; False if not; None if only jsonschema can tell.

    Parameters
    ----------
    schema : Mapping or bool
        A draft 2020-12 JSON Schema; its ``$ref`` must point into itself (``#/$defs/...``).
    instance : Any
        Parsed JSON or YAML (dicts, lists, str, int, float, bool, None).
    types : Mapping[str, Callable], optional
        Type predicates replacing :data:`STANDARD_TYPES` by name (as jsonschema's
        ``TYPE_CHECKER.redefine_many``).
    formats : Mapping[str, Callable], optional
        The formats to check (as a ``jsonschema.FormatChecker`` holding only these); other
        formats are ignored. None: no format is checked, jsonschema's default without a checker.
    keywords : Mapping[str, Callable], optional
        Extra keywords: ``keywords[name](rule, value)`` returns whether ``value`` passes.

    Returns
    -------
    bool or None
        None when the schema uses a keyword, type or reference this module does not
        evaluate; the caller then validates with jsonschema.
    """
    checker = _Checker(schema, {**STANDARD_TYPES, **(types or {})}, formats or {}, keywords or {})
    try:
        return checker.valid(schema, instance)
    except Unknown:
        return None


def problems(schema: Mapping[str, Any], instance: Any) -> list[str]:
    """One line per violation of a draft 2020-12 ``schema`` (no format checks), each naming the JSON path.

    Parameters
    ----------
    schema : Mapping
        A JSON Schema of synthbank's (``schemas/manifest.schema.json``, the energy catalog's).
    instance : Any
        Parsed JSON.

    Returns
    -------
    list of str
        Empty when valid (decided here without jsonschema when :func:`is_valid` can);
        otherwise jsonschema's messages, sorted by path: ``"entries/3/sha256: ... does not match ..."``.
    """
    if is_valid(schema, instance):
        return []
    import jsonschema

    validator = jsonschema.Draft202012Validator(schema)
    return [f"{'/'.join(map(str, e.absolute_path)) or '(top level)'}: {e.message}"
            for e in sorted(validator.iter_errors(instance), key=lambda e: list(map(str, e.absolute_path)))]
