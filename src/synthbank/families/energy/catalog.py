"""The catalog audit (the energy source document's ``audit_data.py``, docs/families/energy.md):
every map file (one per dataset split: layout.py) with its sha256, dataset, split and sequences,
energy statistics per map and per file, and per-domain aggregates; JSON Schema validated.

No time, host or absolute path: paths are relative to the repository root and the date
is ``release.date``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from synthbank import jsonio, schemacheck
from synthbank.families.energy import VERSION
from synthbank.families.energy.validate import _stats, domain_files
from synthbank.manifest import digest_files, relative_posix
from synthbank.params import load_schema
from synthbank.io.staging import write_file_atomic

SCHEMA = "energy_catalog.schema.json"


def build_catalog(root: Path, data_dir: Path, domains: Sequence[str], seed: int, release_date: str) -> dict[str, Any]:
    """The catalog as a dict (see ``schemas/energy_catalog.schema.json``)."""
    paths = [p for d in sorted(domains) for files in domain_files(data_dir, d).values() for p in files]
    digests = digest_files(paths)
    files, maps, per_domain, full_rows = [], [], {}, {}
    for path, dig in zip(paths, digests, strict=True):
        with h5py.File(path, "r") as f:
            domain, scale, pattern = str(f.attrs["domain"]), int(f.attrs["scale"]), str(f.attrs["pattern"])
            split, seqs = str(f.attrs["split"]), [int(x) for x in f.attrs["sequences"]]
            dataset = str(f.attrs["dataset_name"])
            shape = [int(s) for s in f["t0_fields/energy"].shape]
            e = f["scalars/total_energy"][...].astype(np.float64)
            s = f["scalars/entropy"][...].astype(np.float64)
            full = scale == max(int(x) for x in f.attrs["scales"])
            cells = shape[2] * shape[3]
            if full:
                energy = f["t0_fields/energy"][...].astype(np.float64)
                var = energy.reshape(shape[0], shape[1], -1).var(axis=2)
        rel = relative_posix(path, root)
        files.append({"path": rel, "domain": domain, "dataset": dataset, "split": split,
                      "sequences": seqs, "scale": scale, "bytes": dig.bytes, "sha256": dig.sha256,
                      "n_maps": shape[0] * shape[1], "shape": shape, "energy": _stats(e), "entropy": _stats(s)})
        agg = per_domain.setdefault(domain, {"pattern": pattern, "n_maps": 0, "n_files": 0, "bytes": 0, "scales": [],
                                             "energy": None, "entropy": None})
        agg["n_files"] += 1
        agg["bytes"] += dig.bytes
        agg["scales"].append(scale)
        if full:
            agg["n_maps"] += shape[0] * shape[1]
            full_rows.setdefault(domain, []).append((seqs, e, s))
            maps += [{"domain": domain, "map_id": f"s{q:03d}_t{t:02d}", "path": rel, "split": split, "sequence": q, "step": t,
                      "energy_total": float(e[b, t]), "energy_mean": float(e[b, t] / cells),
                      "energy_variance": float(var[b, t]), "entropy": float(s[b, t])}
                     for b, q in enumerate(seqs) for t in range(shape[1])]
    for domain, agg in per_domain.items():
        agg["scales"] = sorted(set(agg["scales"]), reverse=True)
        rows = full_rows[domain]  # the statistics of every sequence, in sequence order as one array
        order = np.argsort(np.concatenate([r[0] for r in rows]), kind="stable")
        agg["energy"] = _stats(np.concatenate([r[1] for r in rows])[order])
        agg["entropy"] = _stats(np.concatenate([r[2] for r in rows])[order])
    maps.sort(key=lambda m: (m["domain"], m["sequence"], m["step"]))
    return {
        "family": "energy", "generator_version": VERSION, "seed": int(seed), "release_date": release_date,
        "files": sorted(files, key=lambda x: x["path"]), "maps": maps, "domains": per_domain,
        "stats": {"total_maps": len(maps), "total_files": len(files), "total_bytes": sum(f["bytes"] for f in files),
                  "domains": sorted(per_domain)},
    }


def schema_problems(catalog: Any) -> list[str]:
    """One line per schema violation, each naming the JSON path."""
    return schemacheck.problems(load_schema(SCHEMA), jsonio.canonical(catalog))


def write_catalog(catalog: dict[str, Any], path: Path) -> bytes:
    """Validate against the schema (ValueError naming the first problem), then write
    canonical JSON; return the bytes written (for the manifest, inside a transaction)."""
    problems = schema_problems(catalog)
    if problems:
        raise ValueError(f"refusing to write an invalid catalog: {problems[0]}")
    data = jsonio.dumps(catalog).encode()
    write_file_atomic(path, data)
    return data
