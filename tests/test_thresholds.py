"""The one threshold engine: every kind of rule, one message format, wildcards, missing metrics."""

from __future__ import annotations

import math

import numpy as np
import pytest

from synthbank.thresholds import Rule, check, keys

METRICS = {
    "labels": {"chi2_p": 0.2},
    "pixels": {"mean": 90.0, "std": 31.5},
    "domains": {"a": {"errors": 0, "rise": 0.9}, "b": {"errors": 3, "rise": 0.4}},
    "z": -6.25,
    "ok": True,
    "count": np.int64(7),
}


@pytest.mark.parametrize(("rule", "bounds", "expected"), [
    (Rule("labels.chi2_p", "min", key="p_min"), {"p_min": 0.001}, []),
    (Rule("labels.chi2_p", "min", key="p_min"), {"p_min": 0.5}, ["labels.chi2_p = 0.2: allowed >= 0.5 (thresholds.p_min)"]),
    (Rule("pixels.std", "max", key="s"), {"s": 30}, ["pixels.std = 31.5: allowed <= 30 (thresholds.s)"]),
    (Rule("pixels.mean", "range", key="r"), {"r": [40, 140]}, []),
    (Rule("pixels.mean", "range", key="r"), {"r": [100, 140]}, ["pixels.mean = 90: allowed from 100 to 140 (thresholds.r)"]),
    (Rule("z", "abs_max", key="zmax"), {"zmax": 5}, ["z = -6.25: allowed |value| <= 5 (thresholds.zmax)"]),
    (Rule("z", "below", bound=-6.25), {}, ["z = -6.25: allowed < -6.25"]),
    (Rule("z", "above", bound=-7), {}, []),
    (Rule("ok", "equals", bound=True), {}, []),
    (Rule("ok", "equals", bound=False), {}, ["ok = true: allowed false"]),
    (Rule("count", "equals", bound=7), {}, []),
    (Rule("count", "max", bound=6, note="no more than six"), {}, ["count = 7: allowed <= 6; no more than six"]),
])
def test_each_kind_and_the_one_message_format(rule: Rule, bounds: dict, expected: list[str]) -> None:
    assert check(METRICS, [rule], bounds) == expected


def test_wildcard_checks_every_key_at_its_level_in_sorted_order() -> None:
    rules = [Rule("domains.*.errors", "equals", bound=0), Rule("domains.*.rise", "min", key="rise_min")]
    assert check(METRICS, rules, {"rise_min": 0.5}, where="energy: ") == [
        "energy: domains.b.errors = 3: allowed 0",
        "energy: domains.b.rise = 0.4: allowed >= 0.5 (thresholds.rise_min)",
    ]


def test_missing_or_non_finite_metric_violates_unless_optional() -> None:
    assert check({}, [Rule("psd.slope", "max", key="t")], {"t": 1}) == ["psd.slope is missing: allowed <= 1 (thresholds.t)"]
    assert check({}, [Rule("psd.slope", "max", key="t", optional=True)], {"t": 1}) == []
    assert check({"x": math.nan}, [Rule("x", "max", bound=1)], {}) == ["x = nan: allowed <= 1"]
    assert check({"x": True}, [Rule("x", "max", bound=1)], {}) == ["x = true: allowed <= 1"]  # a boolean is no number


def test_numpy_scalars_compare_and_print_as_python_values() -> None:
    assert check({"a": np.bool_(True)}, [Rule("a", "equals", bound=True)], {}) == []
    assert check({"n": np.int64(1234567)}, [Rule("n", "max", bound=5)], {}) == ["n = 1234567: allowed <= 5"]
    assert check({"x": np.float32(0.5)}, [Rule("x", "min", bound=1)], {}) == ["x = 0.5: allowed >= 1"]


def test_a_threshold_left_out_of_params_is_not_checked() -> None:
    assert check(METRICS, [Rule("pixels.std", "max", key="absent")], {}) == []
    assert check(METRICS, [Rule("pixels.std", "max", key="none")], {"none": None}) == []


def test_rules_are_validated_when_declared() -> None:
    with pytest.raises(ValueError, match="kind='most' is invalid: allowed one of min, max, range"):
        Rule("x", "most", bound=1)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="exactly one of key= .* or bound="):
        Rule("x", "min", key="k", bound=1)
    assert keys([Rule("a", "min", key="k1"), Rule("b", "equals", bound=0)]) == {"k1"}


def test_every_family_rule_reads_a_key_its_schema_allows() -> None:
    from synthbank import params as params_mod, registry

    schema = params_mod.params_schema()
    for family in registry.all_families():
        allowed = set(schema["properties"][family.name]["properties"].get("thresholds", {}).get("properties", {}))
        assert keys(family.rules) <= allowed, (family.name, keys(family.rules) - allowed)
        assert family.rules, f"{family.name} declares no threshold rule"


def test_evaluate_agrees_with_check() -> None:
    """What a dataset card shows (evaluate) holds exactly where check finds no violation."""
    from synthbank.thresholds import Rule, check, evaluate

    rules = (Rule("a.*.x", "max", key="x_max"), Rule("ok", "equals", bound=True), Rule("o", "min", key="o_min", optional=True),
             Rule("gone", "min", key="o_min"), Rule("skipped", "max", key="absent"))
    metrics = {"a": {"p": {"x": 1.0}, "q": {"x": 3.0}}, "ok": True}
    bounds = {"x_max": 2.0, "o_min": 1}
    outcomes = evaluate(metrics, rules, bounds)
    assert [(o.metric, o.value, o.allowed, o.key, o.holds) for o in outcomes] == [
        ("a.p.x", "1", "<= 2", "x_max", True), ("a.q.x", "3", "<= 2", "x_max", False), ("ok", "true", "true", None, True),
        ("o", "missing", ">= 1", "o_min", None), ("gone", "missing", ">= 1", "o_min", False)]
    assert len(check(metrics, rules, bounds)) == sum(o.holds is False for o in outcomes) == 2
