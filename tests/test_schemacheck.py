"""schemacheck answers exactly as jsonschema does, on the real schemas and mutated real documents.

Only its True is trusted (a False or None sends the caller to jsonschema), so the one error
that matters is calling an invalid document valid; the comparison is nevertheless exact,
both ways, so a drift either way shows.
"""

from __future__ import annotations

import copy
import json
import random
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from synthbank import params, schemacheck

MAIN = Path(__file__).resolve().parents[1]
#: What a mutation puts in place of a value: every JSON type, bool beside 0/1, non-finite and
#: huge numbers, integral floats, dates real and not, ordered and unordered pairs.
REPLACEMENTS = (None, True, False, 0, 1, -1, 2, 0.5, -0.5, 3.0, 1e300, 10**30, 2**63, float("nan"), float("inf"),
                "", "x", "2026-02-30", "2026-11-22", "0" * 64, [], [0], [1, 0], [0, 1], [1, 1], [1, True], {}, {"x": 1})


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield prefix
    children = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, child in children:
        yield from _paths(child, (*prefix, key))


def mutations(instance: Any, per_path: int, seed: int = 0) -> Iterator[Any]:
    """Copies of ``instance`` with one change each: at every path, ``per_path`` replacements
    (seeded choice from REPLACEMENTS), the key removed, an unknown key added, an item appended."""
    rng = random.Random(seed)
    for path in _paths(instance):
        def at(doc: Any, p: tuple[Any, ...] = path) -> Any:
            for key in p:
                doc = doc[key]
            return doc

        for replacement in rng.sample(REPLACEMENTS, per_path):
            doc = copy.deepcopy(instance)
            if not path:
                yield replacement
                continue
            at(doc, path[:-1])[path[-1]] = copy.deepcopy(replacement)
            yield doc
        doc = copy.deepcopy(instance)
        target = at(doc)
        if path and isinstance(at(doc, path[:-1]), dict):
            del at(doc, path[:-1])[path[-1]]
            yield doc
            doc = copy.deepcopy(instance)
            target = at(doc)
        if isinstance(target, dict):
            target["unexpected_key"] = 1
            yield doc
            doc = copy.deepcopy(instance)
            at(doc)["bad key!"] = 1  # a name no propertyNames pattern of ours allows
            yield doc
        elif isinstance(target, list):
            target.append(copy.deepcopy(target[-1]) if target else 0)
            yield doc


def assert_agrees(fast: Callable[[Any], bool | None], slow: Callable[[Any], bool], documents: Iterator[Any]) -> tuple[int, int]:
    """Every document judged alike by both; returns (valid, invalid) counts."""
    counts = [0, 0]
    for doc in documents:
        verdict = fast(doc)
        assert verdict is not None, "schemacheck gave up on a schema it should know"
        assert verdict == slow(doc), f"schemacheck says {verdict}, jsonschema {not verdict}: {json.dumps(doc)[:300]}"
        counts[not verdict] += 1
    return counts[0], counts[1]


def params_slow(schema: Any) -> Callable[[Any], bool]:
    validator, formats = params._validation()
    checker = validator(schema, format_checker=formats)
    return checker.is_valid


def test_params_schema_agrees_on_every_path_of_params_yaml():
    data = params.parse(params.read_text(MAIN / "params.yaml"), "params.yaml")
    schema = params.params_schema()
    # params.is_valid is what _best_error trusts: the same types, formats and keywords as params_slow's
    valid, invalid = assert_agrees(lambda doc: params.is_valid(schema, doc), params_slow(schema), mutations(data, per_path=3))
    assert valid > 50 and invalid > 900  # both verdicts were exercised, many times
    assert params._best_error(schema, data) is None


@pytest.mark.parametrize("name", ["atomic.json", "energy.json", "ptycho.reports.json", "describe.json"])
def test_manifest_schema_agrees_on_mutated_committed_manifests(name):
    schema = params.load_schema("manifest.schema.json")
    manifest = json.loads((MAIN / "manifests" / name).read_text())
    manifest["entries"] = manifest["entries"][:3]  # the same shapes, fewer paths
    slow = jsonschema.Draft202012Validator(schema).is_valid
    valid, invalid = assert_agrees(lambda doc: schemacheck.is_valid(schema, doc), slow, mutations(manifest, per_path=6))
    assert valid > 10 and invalid > 50


def test_problems_words_violations_as_jsonschema_does():
    from synthbank.verify import schema_problems

    manifest = json.loads((MAIN / "manifests" / "atomic.json").read_text())
    assert schema_problems(manifest) == []
    manifest["entries"][1]["sha256"] = "ABC"
    manifest["family"] = 7
    assert schema_problems(manifest) == ["entries/1/sha256: 'ABC' does not match '^[0-9a-f]{64}$'",
                                         "family: 7 is not of type 'string'"]


@pytest.mark.parametrize(("schema", "instance", "verdict"), [
    ({"type": "integer"}, 3.0, True),  # draft 6+: an integral float is an integer
    ({"type": "integer"}, True, False),
    ({"type": "number"}, float("nan"), True),  # standard types; params' own refuse it
    ({"enum": [1, 2]}, True, False),
    ({"const": [0, 1]}, [False, True], False),
    ({"uniqueItems": True}, [1, True], True),
    ({"uniqueItems": True}, [1, 1.0], False),
    ({"minimum": 0}, "text", True),  # bounds apply to numbers only
    ({"multipleOf": 0.1}, 0.3, False),  # float quotient, as jsonschema computes it
    ({"multipleOf": 0.1}, 1e308, False),  # the quotient overflows: exact fractions
    ({"prefixItems": [{"type": "string"}], "items": {"type": "integer"}}, ["a", 1, 2], True),
    ({"prefixItems": [{"type": "string"}], "items": {"type": "integer"}}, ["a", 1, "b"], False),
    ({"$defs": {"n": {"minimum": 1}}, "properties": {"a": {"$ref": "#/$defs/n", "maximum": 2}}}, {"a": 3}, False),
    ({"additionalProperties": {"type": "string"}, "properties": {"a": {}}}, {"a": 1, "b": "x"}, True),
    ({"propertyNames": {"pattern": "^[a-z]+$"}}, {"Ab": 1}, False),
    ({"format": "email"}, "not an address", True),  # formats are not checked unless asked for
    (False, 1, False),
    # only jsonschema can tell
    ({"anyOf": [{"type": "string"}]}, "x", None),
    ({"$ref": "other.json#/x"}, 1, None),
    ({"patternProperties": {"^a": {}}, "additionalProperties": False}, {"a": 1}, None),
    ({"properties": {"a": {"$id": "https://elsewhere.invalid/a", "type": "string"}}}, {"a": "x"}, None),
    ({"type": "decimal"}, 1, None),
    ({"$defs": {"a b": {"type": "integer"}, "a%20b": {"type": "string"}}, "$ref": "#/$defs/a%20b"}, "x", None),
    ({"$defs": {"n": {"type": "integer"}}, "$ref": "#/$defs/n/"}, 1, None),  # names nothing: jsonschema raises
    ({"$defs": {"n": {"$anchor": "n", "type": "integer"}}, "$ref": "#n"}, 1, None),
    ({"$defs": {"n": {"$id": "https://elsewhere.invalid/n", "type": "integer"}}, "$ref": "#/$defs/n"}, 1, None),
    ({"$defs": {"n": {"type": "integer"}}, "$ref": "#/$defs/n"}, 1.5, False),
    ({"multipleOf": 0.5}, 10**400, None),  # jsonschema raises OverflowError
])
def test_keywords_match_jsonschema_or_defer(schema, instance, verdict):
    assert schemacheck.is_valid(schema, instance) is verdict
    if verdict is not None:
        assert jsonschema.Draft202012Validator(schema).is_valid(instance) is verdict


def test_a_command_that_validates_params_and_manifests_does_not_import_jsonschema():
    code = ("import sys; from pathlib import Path; from synthbank import params, verify; import json;"
            "params.load(Path('params.yaml'));"
            "assert verify.schema_problems(json.loads(Path('manifests/ptycho.json').read_text())) == [];"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('jsonschema', 'referencing', 'rpds')))")
    out = subprocess.run([sys.executable, "-c", code], cwd=MAIN, capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
