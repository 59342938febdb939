"""ptycho: read each ptycho NPZ with PtychoPINN's own loaders (vendored, unchanged).

PtychoPINN (github:hoidn/PtychoPINN) is not on PyPI; its modules are vendored byte for byte in
``vendor/ptychopinn`` (checked against ``SHA256SUMS`` before the import) and run on
TensorFlow from PyPI. Per NPZ under ``<data>/ptycho``:

- ``ptycho.raw_data.RawData.from_file(path)`` (reads ``diff3d``, ``xcoords``, ``ycoords``,
  ``probeGuess``; ``xcoords_start``/``ycoords_start``, ``scan_index``, ``objectGuess``,
  ``_metadata`` optional);
- ``ptycho.workflows.components.load_data(path)`` (requires ``xcoords_start``/``ycoords_start``;
  ``diff3d`` or ``diffraction``).

Printed: the arrays each returns (shapes, dtypes, a few values), the metadata's ``nphotons``
and the mean pattern total ``sum(diff3d**2)`` (counts, if diff3d is the amplitude).
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import io
import os
import sys
from pathlib import Path

# TensorFlow's start-up chatter (CUDA probes) is not the reader's answer; keep it off stdout.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

import numpy as np  # noqa: E402

HERE = Path(__file__).resolve().parent
VENDOR = HERE / "vendor" / "ptychopinn"
sys.path.insert(0, str(HERE))
from common import Report, parse_args, rel  # noqa: E402

READER = "PtychoPINN (vendored unchanged, commit 712c23f3bb65)"


def check_vendored() -> int:
    """Verify the vendored files against SHA256SUMS; return their count."""
    n = 0
    for line in (VENDOR / "SHA256SUMS").read_text().splitlines():
        digest, name = line.split(maxsplit=1)
        if hashlib.sha256((VENDOR / name).read_bytes()).hexdigest() != digest:
            raise SystemExit(f"vendor/ptychopinn/{name} differs from upstream (SHA256SUMS); "
                             "restore it: the interop run uses PtychoPINN unchanged")
        n += 1
    return n


def arrays(obj: object, names: list[str]) -> list[str]:
    """Shape, dtype and a few values of the named attributes of ``obj``."""
    out = []
    for n in names:
        v = getattr(obj, n, None)
        if v is None:
            out.append(f"{n}: None")
            continue
        a = np.asarray(v)
        line = f"{n}: shape={a.shape} dtype={a.dtype}"
        if np.iscomplexobj(a):
            first = [f"{z.real:.4g}{z.imag:+.4g}j" for z in np.ravel(a)[:2]]
            line += f" first={first} max|v|={np.abs(a).max():.4g}"
        elif np.issubdtype(a.dtype, np.number) and a.size:
            line += (f" first={[float(f'{x:.4g}') for x in np.ravel(a)[:3]]}"
                     f" min={a.min():.4g} max={a.max():.4g}")
        out.append(line)
    return out


def totals(diff3d: np.ndarray, metadata: object) -> list[str]:
    """Mean and spread of per-pattern totals sum(diff3d**2), beside the metadata's nphotons."""
    t = np.sum(np.asarray(diff3d, dtype=np.float64) ** 2, axis=(1, 2))
    nphotons = None
    if isinstance(metadata, dict):
        nphotons = metadata.get("physics_parameters", {}).get("nphotons")
    return [f"pattern totals sum(diff3d**2): mean={t.mean():.6g} std/mean={t.std() / t.mean():.4g} "
            f"min={t.min():.6g} max={t.max():.6g}; metadata nphotons={nphotons}"]


def quiet(fn):  # noqa: ANN001, ANN202
    """Run ``fn`` with PtychoPINN's own prints captured; return (result, their text)."""
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        result = fn()
    return result, buf.getvalue()


def main(argv: list[str] | None = None) -> int:
    """Read every NPZ under ``<data>/ptycho``; exit status 1 when one failed."""
    args = parse_args(__doc__.splitlines()[0], argv)
    rep = Report("ptycho", strict=args.strict)
    n = check_vendored()
    sys.path.insert(0, str(VENDOR))
    import tensorflow as tf  # noqa: PLC0415  (after the environment above)
    # Imported as a user would; their import-time prints ("No GPU found...") are not output.
    (modules, _) = quiet(lambda: (importlib.import_module("ptycho.raw_data"),
                                  importlib.import_module("ptycho.workflows.components")))
    raw_data, components = modules
    files = sorted((args.data / "ptycho").rglob("*.npz"))
    rep.say(f"{READER}, {n} files checked against SHA256SUMS; tensorflow {tf.__version__}, "
            f"numpy {np.__version__}; on {rel(args.data / 'ptycho')}: {len(files)} NPZ")
    for path in files:
        def from_file(path: Path = path) -> list[str]:
            raw, _ = quiet(lambda: raw_data.RawData.from_file(str(path)))
            return (arrays(raw, ["diff3d", "xcoords", "ycoords", "xcoords_start", "ycoords_start",
                                 "scan_index", "probeGuess", "objectGuess"])
                    + [f"metadata: {sorted(raw.metadata) if isinstance(raw.metadata, dict) else raw.metadata}"]
                    + totals(raw.diff3d, raw.metadata))
        rep.call("ptycho.raw_data.RawData.from_file", f"RawData.from_file({rel(path)!r})", from_file)

        def load(path: Path = path) -> list[str]:
            raw, _ = quiet(lambda: components.load_data(str(path)))
            return arrays(raw, ["diff3d", "xcoords", "ycoords", "xcoords_start", "ycoords_start",
                                "scan_index", "probeGuess", "objectGuess", "Y"])
        rep.call("ptycho.workflows.components.load_data", f"load_data({rel(path)!r})", load)
    return rep.finish()


if __name__ == "__main__":
    sys.exit(main())
