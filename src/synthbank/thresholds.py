"""One threshold engine for every family: rules declared as data, one message format.

A family lists its rules (:class:`Rule`) beside its metrics; the bounds come from the
``thresholds`` block of its params section (or are literals in the rule). ``check`` returns
one line per violated rule, always in the same words::

    <where><metric> = <value>: allowed <bound> (thresholds.<key>)

and ``synthbank validate`` exits 1 when there is any (:class:`synthbank.errors.ValidationFailed`).
A metric that is missing or not a finite number violates its rule, unless the rule is
``optional`` (then absence means "not applicable", for example a sine's PSD slope).
Nothing here imports numpy: values are plain numbers or numpy scalars read through ``float``.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

Kind = Literal["min", "max", "range", "equals", "below", "above", "abs_max"]
KINDS: tuple[str, ...] = ("min", "max", "range", "equals", "below", "above", "abs_max")
_MISSING = object()


@dataclass(frozen=True)
class Rule:
    """One threshold: the metric at ``metric`` must satisfy ``kind`` against a bound.

    Parameters
    ----------
    metric : str
        Dotted path into the metrics mapping (``"labels.chi2_p"``); a ``*`` segment
        matches every key at that level (``"*.negative_cells"``: each domain).
    kind : {"min", "max", "range", "equals", "below", "above", "abs_max"}
        ``min``: value >= bound; ``max``: value <= bound; ``range``: lo <= value <= hi
        (bound ``[lo, hi]``); ``equals``: value == bound (booleans, counts); ``below`` /
        ``above``: strict < / >; ``abs_max``: |value| <= bound.
    key : str or None
        The key of the family's ``thresholds`` params block that holds the bound.
    bound : Any
        A literal bound, used when ``key`` is None (for example ``True`` or ``0``).
    optional : bool
        Skip the rule when the metric is absent (not applicable to this item).
    note : str
        Words appended to the message (what the bound means), for example
        ``"standard errors from Poisson's 1"``.
    """

    metric: str
    kind: Kind
    key: str | None = None
    bound: Any = None
    optional: bool = False
    note: str = ""

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"Rule kind={self.kind!r} is invalid: allowed one of {', '.join(KINDS)}")
        if (self.key is None) == (self.bound is None):
            raise ValueError(f"Rule {self.metric!r}: give exactly one of key= (a thresholds key) or bound= (a literal)")


def _show(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return str(value).lower() if isinstance(value, bool) else "missing"
    if isinstance(value, int):
        return str(value)
    try:
        return f"{float(value):.6g}"
    except (TypeError, ValueError):
        return repr(value)


def _allowed(kind: str, bound: Any) -> str:
    if kind == "range":
        lo, hi = bound
        return f"from {_show(lo)} to {_show(hi)}"
    return {
        "min": ">= {}", "max": "<= {}", "equals": "{}", "below": "< {}", "above": "> {}", "abs_max": "|value| <= {}",
    }[kind].format(_show(bound))


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        v = float(value)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def _holds(kind: str, value: Any, bound: Any) -> bool:
    if kind == "equals":
        if isinstance(bound, bool):
            return value is bound or (isinstance(value, bool) and value == bound)
        return _number(value) == float(bound)
    v = _number(value)
    if v is None:
        return False
    if kind == "range":
        return float(bound[0]) <= v <= float(bound[1])
    b = float(bound)
    return {"min": v >= b, "max": v <= b, "below": v < b, "above": v > b, "abs_max": abs(v) <= b}[kind]


def _matches(metrics: Any, parts: Sequence[str], prefix: str = "") -> Iterator[tuple[str, Any]]:
    """(path, value) of every metric the dotted ``parts`` name; absent leaves give _MISSING."""
    if not parts:
        yield prefix, metrics
        return
    head, rest = parts[0], parts[1:]
    if not isinstance(metrics, Mapping):
        yield ".".join(filter(None, [prefix, *parts])), _MISSING
        return
    if head == "*":
        for key in sorted(metrics):
            yield from _matches(metrics[key], rest, f"{prefix}.{key}" if prefix else str(key))
        return
    name = f"{prefix}.{head}" if prefix else head
    if head not in metrics:
        yield ".".join([name, *rest]), _MISSING
        return
    yield from _matches(metrics[head], rest, name)


def _plain(value: Any) -> Any:
    """A numpy scalar as the Python number or bool it holds (``np.bool_`` is no ``bool``)."""
    return value.item() if hasattr(value, "item") and getattr(value, "shape", None) == () else value


def check(metrics: Mapping[str, Any], rules: Sequence[Rule], bounds: Mapping[str, Any], where: str = "") -> list[str]:
    """One line per violated rule, in rule order; empty when every rule holds.

    Parameters
    ----------
    metrics : Mapping
        The family's metrics (nested mapping of numbers and booleans).
    rules : sequence of Rule
        The family's rules.
    bounds : Mapping
        The family's ``thresholds`` params block. A rule whose key is absent (or None) is
        not checked: a params file may leave a threshold out.
    where : str
        Prefix of every message, for example ``"signals: pink_1024ch: "``.

    Returns
    -------
    list of str
        ``"<where><metric> = <value>: allowed <bound> (thresholds.<key>)"`` per violation.
    """
    lines: list[str] = []
    for o in evaluate(metrics, rules, bounds):
        if o.holds is False:
            what = f"{o.metric} = {o.value}" if o.present else f"{o.metric} is missing"
            source = f" (thresholds.{o.key})" if o.key else ""
            note = f"; {o.note}" if o.note else ""
            lines.append(f"{where}{what}: allowed {o.allowed}{source}{note}")
    return lines


@dataclass(frozen=True)
class Outcome:
    """One metric a rule reads, as :func:`evaluate` found it (what a dataset card shows)."""

    metric: str  #: the dotted path, ``*`` expanded
    value: str  #: as the messages show it (``missing`` when absent)
    allowed: str  #: the rule's bound in words (``<= 0.001``)
    key: str | None  #: the ``thresholds`` key holding the bound (None: a literal)
    holds: bool | None  #: None: absent and optional (not applicable)
    note: str
    present: bool = True  #: False: the metric is absent from the metrics


def evaluate(metrics: Mapping[str, Any], rules: Sequence[Rule], bounds: Mapping[str, Any]) -> list[Outcome]:
    """Every metric every rule reads, with its value, bound and verdict, in rule order (as :func:`check` decides).

    A rule whose key has no bound in ``bounds`` is skipped, like :func:`check` does.
    """
    out: list[Outcome] = []
    for rule in rules:
        bound = rule.bound if rule.key is None else bounds.get(rule.key)
        if bound is None:
            continue
        for path, found in _matches(metrics, rule.metric.split(".")):
            value = _plain(found)
            missing = value is _MISSING
            holds = (None if rule.optional else False) if missing else _holds(rule.kind, value, bound)
            out.append(Outcome(path, "missing" if missing else _show(value), _allowed(rule.kind, bound), rule.key, holds,
                               rule.note, present=not missing))
    return out


def keys(rules: Sequence[Rule]) -> set[str]:
    """The thresholds keys the rules read (the params schema must allow each)."""
    return {rule.key for rule in rules if rule.key is not None}
