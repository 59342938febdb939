"""The run the core hands a family's hooks: one command on one family, its options and params.

:mod:`synthbank.commands` parses the options and builds a :class:`Run`; the hooks read
``run.options``, ``run.item``, ``run.params`` and call ``run.config()`` and the path
helpers, whose defaults come from the family's templates (:class:`synthbank.family.Family`).
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from synthbank.errors import UsageError
from synthbank.family import Family


def fill_template(template: str, family: str, item: str | None, today: str, whole: str | None = None) -> str:
    """A default path: ``{family}``, ``{item}``, ``{today}`` filled in.

    Without an item, a template naming ``{item}`` gives ``whole`` if given, else the
    template cut before its ``{item}`` segment (``data/signals/{item}`` -> ``data/signals``).
    """
    if item is None and "{item}" in template:
        template = whole if whole is not None else template[: template.index("{item}")].rsplit("/", 1)[0]
    return template.format_map(_Keep(family=family, item=item, today=today))


class _Keep(dict):  # type: ignore[type-arg]
    """Leave a placeholder this template does not fill (``{output}``) as it is."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


@dataclass
class Run:
    """One command on one family: its parsed options and its params, handed to the hooks.

    The core fills it; hooks read ``run.options`` (shared and family options by ``dest``),
    ``run.item``, ``run.params`` / ``run.section``, and call ``run.config()``.
    """

    family: Family
    verb: str
    options: dict[str, Any]
    item: str | None = None
    _configs: dict[tuple[Any, ...], Any] = field(default_factory=dict, repr=False)

    @cached_property
    def params(self) -> Any:
        from synthbank import params as params_mod

        return params_mod.load(self.options["params_file"])

    def backend(self) -> dict[str, Any]:
        """``workers=`` and ``scheduler=`` for :func:`synthbank.parallel.run_ordered`: where the shards run.

        Neither changes a byte: they are options, never params.
        """
        return {"workers": self.options.get("workers", 1), "scheduler": self.options.get("scheduler")}

    @property
    def section(self) -> Mapping[str, Any]:
        return self.params.family(self.family.name)

    @property
    def seed(self) -> int:
        """``--seed`` if given, else params' seed."""
        given = self.options.get("seed")
        return self.params.seed if given is None else given

    @property
    def thresholds(self) -> Mapping[str, Any]:
        return self.section.get("thresholds", {})

    def where(self) -> str:
        """The prefix of a params error: ``params.yaml: atomic.``."""
        return f"{self.params.source}: {self.family.name}."

    def config(self, *extra: Any) -> Any:
        """The family's config from its params section, the options that override keys, and ``--seed``.

        ``extra`` goes to ``from_params`` after the section (an item name, for example).
        A ``ValueError`` becomes one line (exit 2) naming the params file and the key.
        The config is built once per run (estimate and generate share it).
        """
        if extra in self._configs:
            return self._configs[extra]
        if self.family.config is None:
            raise UsageError(f"{self.family.name} has no config type")
        section = dict(self.section)
        given: dict[str, str] = {}  # params key -> the option that overrode it
        for option in self.family.options_of(self.verb):
            if option.key is not None and self.options.get(option.dest) is not None:
                section[option.key] = self.options[option.dest]
                given[option.key] = option.flag
        module, name = self.family.config.split(":")
        factory = getattr(importlib.import_module(module), name).from_params
        try:
            config = factory(self.seed, self.params.release_date, section, *extra)
        except ValueError as exc:
            # A bad value the user typed as an option is reported under that option's flag.
            flag = next((f for key, f in given.items() if re.match(rf"{re.escape(key)}\b", str(exc))), None)
            where = f"{flag}: {self.family.name}." if flag else self.where()
            raise UsageError(f"{where}{exc}") from None
        self._configs[extra] = config
        return config

    def item_names(self) -> tuple[str, ...]:
        """The names of the family's items in the params file (params order)."""
        if self.family.items is None:
            return ()
        return tuple(str(k) for k in self.section[self.family.items])

    def path(self, dest: str, default: str, whole: str | None = None) -> Path:
        """An option's path, or ``default`` with ``{family}``, ``{item}`` and ``{today}`` filled in.

        Without an item (finalize, or a whole-family validate) a template naming ``{item}``
        gives ``whole`` if given, else the template cut before its ``{item}`` segment
        (``data/signals/{item}`` -> ``data/signals``).
        """
        given = self.options.get(dest)
        if given is not None:
            return Path(given)
        import datetime

        return Path(fill_template(default, self.family.name, self.item, datetime.date.today().isoformat(), whole))

    def output_dir(self) -> Path:
        return self.path("output_dir", self.family.output)

    def data_dir(self) -> Path:
        return self.path("data_dir", self.family.data)

    def metrics_path(self) -> Path:
        """``--metrics``, else the family's template; ``{data}``/``{reports}`` follow ``--data-dir``/``--report-dir``."""
        whole = "metrics/{family}.json"  # a family with items, without one (finalize): the merged metrics
        if self.item is None and self.family.items is not None and self.options.get("metrics") is None:
            return self.path("metrics", whole)
        template = self.family.metrics.replace("{data}", str(self.data_dir())).replace("{reports}", str(self.report_dir()))
        return self.path("metrics", template, whole=whole)

    def report_dir(self) -> Path:
        return self.path("report_dir", self.family.reports)

    def manifest_path(self, out: Path | None) -> Path:
        """``--manifest``, else the family's default (inside the output when it says ``{output}``)."""
        default = self.family.manifest or "manifests/{family}.json"
        if self.options.get("manifest") is None and out is not None and default.startswith("{output}/"):
            return out / default.removeprefix("{output}/")
        return self.path("manifest", default)

    def manifest_root(self, out: Path, extra_outputs: tuple[Path, ...] = ()) -> Path:
        """What a generate manifest's paths are relative to: ``out`` when the manifest (and
        every extra output, :attr:`Output.extra_outputs`) is inside it, else ``.``."""
        inside = all(p.absolute().is_relative_to(out.absolute()) for p in (self.manifest_path(out), *extra_outputs))
        return out if inside else Path(".")

    def reported(self) -> list[Path]:
        """What validate's reports manifest lists: :attr:`Family.reported`, filled in."""
        fill = {"reports": self.report_dir().as_posix(), "metrics": self.metrics_path().as_posix()}
        return [Path(template.format(**fill)) for template in self.family.reported]

    def write_reports(self, manifest: Path, outputs: list[Path]) -> None:
        """The reports manifest (metrics and reports with their checksums), staged with the run's writes."""
        from synthbank import manifest as manifest_mod

        manifest_mod.write_reports(manifest, self.family.name, self.params, outputs)
