"""Bad input (issue 12): one line ``synthbank: error: ...``, exit code 2, nothing written.

Table-driven. Each :class:`Case` is a params.yaml (the project's with one change, or raw
bytes) and a ``synthbank`` command line, run through the real console script in a
subprocess, in its own temporary folder holding only that params.yaml. A case is refused
cleanly when the command

* exits with code 2,
* prints exactly one stderr line, starting ``synthbank: error:``, that contains the
  offending key or option (and the value where the table gives it) and what is allowed,
* prints no traceback, and
* leaves its folder exactly as it was (nothing written).

Params cases of the families with an ``estimate`` command (atomic, chromatic, ptycho) run
through ``estimate`` (quick); a sample runs through ``generate`` too (``twin``), and the
two must print the same line: both build their config through one validating
constructor. The other families' cases run through ``generate``. The cases run
concurrently, so the file takes well under a minute on two cores. The counts go to the
reliability table (``tests/tally.py``).
"""

from __future__ import annotations

import copy
import io
import re
import subprocess
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from subprocess import CompletedProcess
from typing import Any

import numpy as np
import pytest
import tally
import yaml
from conftest import MAIN, VENV_BIN, listing

#: Extra environment of every subprocess (a copy of this file run against other code sets
#: PYTHONPATH here; the conftest runner applies it after dropping the inherited one).
SUBPROCESS_ENV: dict[str, str] = {}
#: Concurrent subprocesses: they mostly wait on imports, two cores keep up with four.
CONCURRENCY = 4
#: Seconds a case may take: a refusal takes about one; more means the input was accepted.
TIMEOUT = 120

PARAMS_TEXT = (MAIN / "params.yaml").read_text("utf-8")
BASE = yaml.safe_load(PARAMS_TEXT)
DELETE = object()

# The command each family's params cases run through.
ESTIMATE = {f: ("estimate", f) for f in ("atomic", "chromatic", "ptycho")}
GENERATE = {
    "atomic": ("generate", "atomic", "--output-dir", "out", "--yes"),
    "chromatic": ("generate", "chromatic", "--output-dir", "out", "--yes"),
    "ptycho": ("generate", "ptycho", "--dose", "1000", "--output-dir", "out/simulate"),
    "public": ("generate", "public", "--output-dir", "out", "--manifest", "out.json"),
    "signals": ("generate", "signals", "--dataset", "sine_64ch", "--output-dir", "out", "--yes"),
    "energy": ("generate", "energy", "--domain", "plasma_physics", "--output-dir", "out"),
}
COMMAND = {**GENERATE, **ESTIMATE}
PREGENERATE = ("signals", "generate", "sine_wave", "--channels", "2", "--sample-rate", "100", "--duration", "1",
               "--output-dir", "out", "--yes")


@dataclass(frozen=True)
class Case:
    """One bad input.

    Attributes
    ----------
    id : str
        The test id.
    params : bytes
        The params.yaml of the case's folder.
    commands : tuple of tuple of str
        One command line (``synthbank`` arguments), or two that must print the same line.
    expect : tuple of str
        What the error line must contain: the key or option, and the value where given.
    """

    id: str
    params: bytes
    commands: tuple[tuple[str, ...], ...]
    expect: tuple[str, ...]
    files: dict[str, bytes] = field(default_factory=dict)


def with_value(path: str, value: Any) -> bytes:
    """The project's params with ``path`` (dotted) set to ``value`` (or deleted), as YAML."""
    data = copy.deepcopy(BASE)
    *parents, last = path.split(".")
    node = data
    for key in parents:
        node = node[key]
    if value is DELETE:
        del node[last]
    else:
        node[last] = value
    return yaml.safe_dump(data, sort_keys=False).encode("utf-8")


def with_text(old: str, new: str) -> bytes:
    """The project's params.yaml text with ``old`` (exactly once) replaced by ``new``."""
    assert PARAMS_TEXT.count(old) == 1, f"params.yaml no longer has exactly one {old!r}: update this table"
    return PARAMS_TEXT.replace(old, new).encode("utf-8")


def param(id: str, family: str, path: str, value: Any, *expect: str, twin: bool = False) -> Case:
    """A params case: ``path`` set to ``value``, run through the family's command."""
    commands = (COMMAND[family], GENERATE[family]) if twin else (COMMAND[family],)
    return Case(id, with_value(path, value), commands, (path, *expect))


def cli(id: str, args: Sequence[str], *expect: str) -> Case:
    """An option case with the project's params."""
    return Case(id, PARAMS_TEXT.encode("utf-8"), (tuple(args),), expect)


def raw(id: str, content: bytes, *expect: str, args: Sequence[str] = ESTIMATE["atomic"]) -> Case:
    """A params file case: ``content`` is the whole params.yaml."""
    return Case(id, content, (tuple(args),), expect)


def _npz(**arrays: np.ndarray) -> bytes:
    """The bytes of ``numpy.savez(arrays)``."""
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


BIG = 2**70  # 1180591620717411303424, the issue's --seed
NAN, INF = float("nan"), float("inf")

CASES: list[Case] = [
    # --- the params file itself ---------------------------------------------------------
    raw("file-not-utf8", PARAMS_TEXT.encode("utf-8") + "# caf\u00e9\n".encode("latin-1"), "not UTF-8", "0xe9"),
    raw("file-utf16", PARAMS_TEXT.encode("utf-16"), "not UTF-8", "0xff"),
    raw("file-empty", b"", "is empty"),
    raw("file-top-level-list", b"- seed\n- 42\n", "YAML mapping", "list"),
    raw("file-syntax-error", b"seed: [1,\nrelease: {\n", "malformed at line"),
    raw("file-tab-indent", b"seed: 42\nrelease:\n\tdate: '2026-11-22'\n", "malformed at line 3"),
    raw("file-two-documents", PARAMS_TEXT.encode("utf-8") + b"---\nseed: 1\n", "malformed", "another document"),
    raw("file-python-tag", b"seed: !!python/object/apply:os.system ['true']\n", "malformed", "python/object"),
    raw("file-nul-byte", PARAMS_TEXT.encode("utf-8") + b"\x00\n", "malformed", "special characters"),
    raw("file-5000-digit-number", b"seed: " + b"7" * 5000 + b"\n", "malformed", "4300 digits"),
    raw("file-is-a-directory", b"", "cannot be read", args=("estimate", "atomic", "--params", ".")),
    raw("file-missing", b"", "nope.yaml", "does not exist", args=("estimate", "atomic", "--params", "nope.yaml")),
    # --- duplicate keys, at any depth -----------------------------------------------------
    raw("dup-seed", PARAMS_TEXT.encode("utf-8") + b"seed: 7\n", "duplicate key 'seed'", "line"),
    raw("dup-nested-noise-std", with_text("    noise_std: 0.03", "    noise_std: 0.03\n    noise_std: 0.04"),
        "duplicate key 'noise_std'", "line"),
    raw("dup-flow-mapping", with_text("plasma_physics:            {pattern: turbulent,",
                                      "plasma_physics:            {pattern: turbulent, pattern: vortex,"),
        "duplicate key 'pattern'", args=GENERATE["energy"]),
    # --- seed and release -------------------------------------------------------------
    param("seed-2**70", "atomic", "seed", BIG, "1180591620717411303424", "9223372036854775807"),
    param("seed-float", "atomic", "seed", 1.5, "1.5", "integer"),
    param("seed-nan", "atomic", "seed", NAN, "NaN", "integer"),
    param("seed-missing", "atomic", "seed", DELETE, "required"),
    param("release-date-feb-30", "atomic", "release.date", "2026-02-30", "2026-02-30", "calendar date"),
    raw("release-date-unquoted-feb-30", with_text('date: "2026-11-22"', "date: 2026-02-30"),
        "release.date", "2026-02-30", "calendar date"),
    param("release-date-13-45", "signals", "release.date", "2026-13-45", "2026-13-45", "YYYY-MM-DD"),
    param("release-date-number", "atomic", "release.date", 20261122, "20261122", "string"),
    # --- atomic ---------------------------------------------------------------------------
    param("atomic-noise-nan", "atomic", "atomic.lattice.noise_std", NAN, "NaN", "finite", twin=True),
    param("atomic-noise-inf", "atomic", "atomic.lattice.noise_std", INF, "Infinity"),
    param("atomic-spacing-0-0", "atomic", "atomic.lattice.spacing_px", [0, 0], ">= 2", twin=True),
    param("atomic-spacing-reversed", "atomic", "atomic.lattice.spacing_px", [6, 3], "[6, 3]", "low <= high"),
    param("atomic-spacing-nan", "atomic", "atomic.lattice.spacing_px", [NAN, 4.0], "NaN", "finite"),
    param("atomic-contrast-reversed", "atomic", "atomic.lattice.contrast", [1.0, 0.5], "[1.0, 0.5]"),
    param("atomic-num-images-1e20", "atomic", "atomic.num_images", 1e20, "1e+20", "1000000000"),
    Case("atomic-splits-sum", with_value("atomic.splits.train", 0.7), (ESTIMATE["atomic"],), ("atomic.splits", "sum to 1")),
    param("atomic-pixel-mean-window-point", "atomic", "atomic.thresholds.pixel_mean_range", [50, 50], "low < high"),
    cli("atomic-seed-2**70", [*GENERATE["atomic"], "--seed", str(BIG)], "--seed", str(BIG), "9223372036854775807"),
    cli("atomic-num-images-10**10", [*GENERATE["atomic"], "--num-images", "10000000000"], "--num-images", "1000000000"),
    cli("atomic-num-images-float", ["estimate", "atomic", "--num-images", "1.5"], "--num-images", "1.5"),
    cli("atomic-workers-100000", [*GENERATE["atomic"], "--workers", "100000"], "--workers", "1024"),
    cli("atomic-shard-blocks-10**7", [*GENERATE["atomic"], "--shard-blocks", "10000000"], "--shard-blocks", "1000000"),
    cli("atomic-output-dir-outside-project", ["generate", "atomic", "--num-images", "5000", "--output-dir", "../outside",
                                              "--manifest", "out.json", "--yes"], "../outside", "outside the project directory"),
    cli("atomic-confirm-above-negative", [*GENERATE["atomic"], "--confirm-above", "-1"], "--confirm-above", "-1"),
    # --- chromatic ------------------------------------------------------------------------
    param("chromatic-hue-reversed", "chromatic", "chromatic.color_distribution.hue", [0.9, 0.1], "low <= high"),
    param("chromatic-wavelengths-point", "chromatic", "chromatic.spectral_profile.wavelengths_nm", [500, 500], "low < high"),
    param("chromatic-cells-17", "chromatic", "chromatic.regions.cells_per_side", 17, "<= 16"),
    param("chromatic-amplitude-sum", "chromatic", "chromatic.spectral_profile.amplitudes", [5.0, 5.0, 6.0], "<= 5"),
    Case("chromatic-cells-beyond-shape", with_value("chromatic.shape", [8, 8, 3]),
         (ESTIMATE["chromatic"], GENERATE["chromatic"]), ("cells_per_side", "min(height, width)")),
    cli("chromatic-num-samples-0", ["estimate", "chromatic", "--num-samples", "0"], "--num-samples", "0"),
    cli("chromatic-num-samples-10**9", ["estimate", "chromatic", "--num-samples", "1000000000"], "--num-samples", "100000000"),
    cli("chromatic-seed-2**64", [*GENERATE["chromatic"], "--seed", str(2**64)], "--seed", str(2**64)),
    cli("chromatic-reseed-samples-0", ["validate", "chromatic", "--reseed-samples", "0"], "--reseed-samples"),
    # --- public -----------------------------------------------------------------------------
    param("public-window-reversed", "public", "public.xray_chest_demo.window_hu", [240, -160], "low < high"),
    param("public-window-point", "public", "public.xray_chest_demo.window_hu", [0, 0], "[0, 0]", "low < high"),
    param("public-slice-nan", "public", "public.mri_brain_demo.slice_fraction", NAN, "NaN"),
    param("public-demos-empty", "public", "public.demos", [], "at least 1"),
    # --- signals ----------------------------------------------------------------------------
    param("signals-channels-5000", "signals", "signals.datasets.sine_64ch.channels", 5000, "<= 4096"),
    param("signals-duration-inf", "signals", "signals.datasets.sine_64ch.params.duration_s", INF, "Infinity"),
    Case("signals-frequency-above-nyquist", with_value("signals.datasets.sine_64ch.params.frequency_hz", 300.0),
         (GENERATE["signals"],), ("frequency_hz", "300", "sample_rate_hz/2")),
    param("signals-psd-band-reversed", "signals", "signals.thresholds.psd_slope_band_hz", [40.0, 0.5], "low < high"),
    cli("signals-dataset-unknown", ["generate", "signals", "--dataset", "nosuch"], "--dataset", "nosuch"),
    cli("signals-release-date-13-45", [*PREGENERATE, "--release-date", "2026-13-45"], "--release-date", "2026-13-45"),
    cli("signals-release-date-feb-30", [*PREGENERATE, "--release-date", "2026-02-30"], "--release-date", "calendar"),
    cli("signals-seed-2**70", [*PREGENERATE, "--seed", str(BIG)], "--seed", "9223372036854775807"),
    cli("signals-option-channels-5000", [*PREGENERATE[:3], "--channels", "5000", *PREGENERATE[5:]], "--channels", "4096"),
    cli("signals-sample-rate-nan", [*PREGENERATE[:5], "--sample-rate", "nan", *PREGENERATE[7:]], "--sample-rate", "nan"),
    cli("signals-duration-0", [*PREGENERATE[:7], "--duration", "0", *PREGENERATE[9:]], "--duration", "0.01"),
    cli("signals-import-channels-0", ["signals", "import", "rec.f32", "--format", "float32", "--channels", "0",
                                      "--sample-rate", "100"], "--channels"),
    # --- ptycho -----------------------------------------------------------------------------
    param("ptycho-doses-descending", "ptycho", "ptycho.doses", [10000, 1000], "strictly ascending", twin=True),
    param("ptycho-doses-repeated", "ptycho", "ptycho.doses", [1000, 1000], "no repeated"),
    Case("ptycho-k-below-c", with_value("ptycho.patch.neighbours", 3),
         (ESTIMATE["ptycho"], GENERATE["ptycho"]), ("ptycho.patch.neighbours=3", "K >= C")),
    Case("ptycho-probe-above-object", with_value("ptycho.probe.size_px", 512),
         (ESTIMATE["ptycho"], GENERATE["ptycho"]), ("ptycho.object.size_px=384", "probe.size_px=512")),
    param("ptycho-probe-odd", "ptycho", "ptycho.probe.size_px", 63, "=63", "a multiple of 2"),
    param("ptycho-amplitude-reversed", "ptycho", "ptycho.object.amplitude", [1.0, 0.5], "low <= high"),
    param("ptycho-amplitude-negative", "ptycho", "ptycho.object.amplitude", [-1.0, 1.0], ">= 0"),
    param("ptycho-phase-nan", "ptycho", "ptycho.object.phase_rad", [NAN, 1.0], "NaN"),
    param("ptycho-correlation-inf", "ptycho", "ptycho.object.correlation_px", INF, "Infinity"),
    cli("ptycho-dose-0", ["generate", "ptycho", "--dose", "0"], "--dose", "0", "1000, 10000, 100000"),
    cli("ptycho-dose-10**13", ["ptycho", "patch", "--dose", "10000000000000"], "--dose", "1000000000000"),
    param("ptycho-base-npz-outside-sources", "ptycho", "ptycho.base_npz", "/tmp/base.npz", "/tmp/base.npz", "sources/ptycho/"),
    cli("ptycho-base-npz-missing", ["generate", "ptycho", "--dose", "1000", "--base-npz", "sources/ptycho/none.npz"],
        "--base-npz: ptycho.base_npz=sources/ptycho/none.npz", "does not exist"),  # the flag the user typed
    Case("ptycho-base-npz-no-transmission", with_value("ptycho.base_npz", "sources/ptycho/dark.npz"),
         (ESTIMATE["ptycho"], GENERATE["ptycho"]),
         ("base_npz=sources/ptycho/dark.npz", "no transmitted photons under the probe"),
         files={"sources/ptycho/dark.npz": _npz(objectGuess=np.zeros((48, 40), np.complex64),
                                                probeGuess=np.ones((16, 16), np.complex64))}),
    # --- energy -----------------------------------------------------------------------------
    param("energy-vortices-reversed", "energy", "energy.patterns.vortices", [12, 4], "[12, 4]", "low <= high"),
    param("energy-core-reversed", "energy", "energy.patterns.vortex_core", [0.08, 0.02], "low <= high"),
    param("energy-scale-range-reversed", "energy", "energy.domains.plasma_physics.scale_range", [1.05, 0.95], "low <= high"),
    param("energy-total-inf", "energy", "energy.total_energy", INF, "Infinity"),
    Case("energy-scales-not-halving", with_value("energy.scales", [256, 64]), (GENERATE["energy"],),
         ("scales=[256, 64]", "halving")),
    param("energy-noise-nan", "energy", "energy.domains.plasma_physics.noise_sigma", NAN, "NaN"),
    param("energy-split-valid-too-large", "energy", "energy.split.valid", 0.5, "0.5", "<= 0.45"),
    param("energy-split-test-negative", "energy", "energy.split.test", -0.1, "-0.1", ">= 0"),
    param("energy-split-extra-key", "energy", "energy.split.train", 0.8, "unknown key", "allowed keys"),
    cli("energy-domain-unknown", ["generate", "energy", "--domain", "nosuch"], "--domain", "nosuch"),
]

#: The cases issue 12 lists (sections 7 and 8), for the before/after comparison.
ISSUE_CASES = (
    "atomic-noise-nan", "atomic-spacing-0-0", "atomic-seed-2**70", "file-not-utf8", "dup-seed",
    "release-date-feb-30", "signals-release-date-13-45", "ptycho-doses-descending", "ptycho-k-below-c",
    "ptycho-probe-above-object",
)


@dataclass
class Outcome:
    """What each command of a case did: the process and the entries it added or removed."""

    runs: list[tuple[CompletedProcess[str], set[str]]]


def _run_case(run: Callable[..., CompletedProcess[str]], case: Case, folder: Path) -> Outcome:
    folder.mkdir()
    (folder / "params.yaml").write_bytes(case.params)
    for name, content in case.files.items():  # input files the case's params name (before the listing)
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(content)
    before = listing(folder)
    runs = []
    for args in case.commands:
        cmd = [str(VENV_BIN / "synthbank"), *args]
        try:
            proc = run(cmd, folder, check=False, env=SUBPROCESS_ENV, timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            proc = CompletedProcess(cmd, -9, "", f"(killed after {TIMEOUT} s: the input was accepted)\n")
        runs.append((proc, listing(folder) ^ before))
    return Outcome(runs)


def problems(case: Case, outcome: Outcome) -> list[str]:
    """Every way the case was not refused cleanly (empty: refused cleanly)."""
    found = []
    lines = []
    for proc, changed in outcome.runs:
        stderr_lines = [line for line in proc.stderr.splitlines() if line.strip()]
        command = " ".join(proc.args[1:])
        if proc.returncode != 2:
            found.append(f"{command}: exit code {proc.returncode}, expected 2")
        if "Traceback" in proc.stderr:
            found.append(f"{command}: a traceback")
        if len(stderr_lines) != 1:
            found.append(f"{command}: {len(stderr_lines)} stderr lines, expected 1: {proc.stderr[-600:]!r}")
        line = stderr_lines[-1] if stderr_lines else ""
        lines.append(line)
        if not line.startswith("synthbank: error: "):
            found.append(f"{command}: the line does not start with 'synthbank: error: ': {line!r}")
        missing = [w for w in case.expect if w not in line]
        if not re.search(r"\b(allowed|required)\b", line):
            missing.append("what is allowed")
        if missing:
            found.append(f"{command}: {missing} not in {line!r}")
        if changed:
            found.append(f"{command}: wrote or removed {sorted(changed)}")
    if len(set(lines)) > 1:
        found.append(f"the commands printed different lines: {lines}")
    return found


@pytest.fixture(scope="module")
def outcomes(run, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Outcome]:
    """Every case, run concurrently once; the counts go to the reliability table."""
    root = tmp_path_factory.mktemp("bad-input")
    with ThreadPoolExecutor(CONCURRENCY) as pool:
        futures = {case.id: pool.submit(_run_case, run, case, root / f"case{i:03d}") for i, case in enumerate(CASES)}
        results = {key: future.result() for key, future in futures.items()}
    clean = sum(not problems(case, results[case.id]) for case in CASES)
    tally.record("bad input", len(CASES), clean, "refused: one line, exit 2, nothing written")
    issue_clean = sum(not problems(case, results[case.id]) for case in CASES if case.id in ISSUE_CASES)
    tally.record("bad input (issue 12's own cases)", len(ISSUE_CASES), issue_clean, "refused: one line, exit 2, nothing written")
    return results


def test_the_table_covers_every_family_and_params_section() -> None:
    ids = {case.id for case in CASES}
    assert len(CASES) >= 60 and len(ids) == len(CASES)
    assert set(ISSUE_CASES) <= ids
    for prefix in ("file", "dup", "seed", "release", "atomic", "chromatic", "public", "signals", "ptycho", "energy"):
        assert any(i.startswith(prefix) for i in ids), prefix
    for family in GENERATE:  # every family through its generate command at least once
        assert any(GENERATE[family] in case.commands for case in CASES), family


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_bad_input_is_refused_cleanly(case: Case, outcomes: dict[str, Outcome]) -> None:
    found = problems(case, outcomes[case.id])
    assert not found, "\n".join(found)
