"""What energy's files hold (:mod:`synthbank.recordsets`), for ``synthbank describe``.

Pure data from the params section: one record set per pyramid scale h of
``energy.scales`` (every domain and split of that scale; width h x shape[1] / shape[0]),
with T = ``energy.n_steps`` maps per sequence; t, the sequences of a split, follows
``energy.split`` and is in each file's ``split_counts`` attribute. The per-step scalars are
:data:`synthbank.families.energy.sequence.RECORD_NAMES` and the constants the domain's
simulation parameters (``build.simulation_parameters``) of this VERSION.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from synthbank.families.energy import VERSION
from synthbank.recordsets import Field, Records, RecordSet

KINDS = ("rotation", "noise", "blur", "translation", "scaling")  #: perturb.KINDS
PARAMETERS = {"rotation_angle_deg": "degrees", "noise_level": "mean cell energy", "blur_length_px": "pixels",
              "translation_dy_px": "pixels", "translation_dx_px": "pixels", "scaling_factor": "ratio"}
#: 0-d simulation parameters of each file (build.simulation_parameters), with their units.
CONSTANTS = {"total_energy_initial": "energy units", "rotation_max_deg": "degrees", "noise_sigma": "mean cell energy",
             "blur_sigma_px": "pixels", "translation_max_px": "pixels", "scaling_min": "ratio", "scaling_max": "ratio"}
SPLITS = ("train", "valid", "test")


def _scalars(t: str, steps: int) -> tuple[Field, ...]:
    per_step = [("total_energy", "the map's total energy", "energy units"), ("entropy", "the map's Shannon entropy", "nats")]
    per_step += [(f"{k}_applied", f"1 where the step applied {k}, else 0", "flag") for k in KINDS]
    per_step += [(name, f"the {name.rsplit('_', 1)[0].replace('_', ' ')} drawn (0 where not applied)", unit)
                 for name, unit in PARAMETERS.items()]
    per_step += [(f"{k}_energy_ratio", f"total energy after / before {k}", "ratio") for k in KINDS]
    per_step += [(f"{k}_entropy_change", f"entropy change by {k}", "nats") for k in KINDS]
    fields = [Field(name, what, "float32", (t, steps), unit=unit, key=f"/scalars/{name}") for name, what, unit in per_step]
    fields += [Field(name, f"the domain's {name.replace('_', ' ')} (constant)", "float32", (), unit=unit, key=f"/scalars/{name}")
               for name, unit in CONSTANTS.items()]
    return tuple(fields)


def _scale_set(scale: int, section: Mapping[str, Any]) -> RecordSet:
    height, width = (int(v) for v in section["shape"])
    h, w = scale, scale * width // height
    steps = int(section["n_steps"])
    domains = sorted(section["domains"])
    t = "t"  # sequences of the file's split
    files = tuple(f"data/energy/{d}/synthbank_energy_{d}_{scale}/data/*/synthbank_energy_{d}_{scale}_*.h5" for d in domains)
    return RecordSet(
        f"maps_{scale}", f"one split of one domain at scale {scale} ({h} x {w} cells): a dataset file in The Well's HDF5 "
        "format (t sequences of the split)", files, "hdf5", (
            Field("domain", "the domain (from the file name)", "str", key="filename",
                  regex=rf"^synthbank_energy_(.+)_{scale}_(?:train|valid|test)\.h5$"),
            Field("split", "train, valid or test (from the file name)", "str", key="filename",
                  regex=r"^.*_(train|valid|test)\.h5$"),
            Field("energy", "energy density maps (axes trajectory, step, y, x)", "float32", (t, steps, h, w),
                  unit="energy units per cell", key="/t0_fields/energy"),
            Field("energy_gradient", "(dE/dy, dE/dx) of each map", "float32", (t, steps, h, w, 2),
                  unit="energy units per cell per unit length (unit = map height)", key="/t1_fields/energy_gradient"),
            Field("time", "the step of each map", "float32", (steps,), unit="steps", key="/dimensions/time"),
            Field("y", "cell centres along y", "float32", (h,), unit="map heights", key="/dimensions/y"),
            Field("x", "cell centres along x", "float32", (w,), unit="map heights", key="/dimensions/x"),
            Field("y_periodic_mask", "the boundary cells along y", "bool", (h,), key="/boundary_conditions/y_periodic/mask"),
            Field("y_periodic_values", "the periodic boundary's values (unused by periodic conditions)", "float32", (2,),
                  key="/boundary_conditions/y_periodic/values"),
            Field("x_periodic_mask", "the boundary cells along x", "bool", (w,), key="/boundary_conditions/x_periodic/mask"),
            Field("x_periodic_values", "the periodic boundary's values (unused by periodic conditions)", "float32", (2,),
                  key="/boundary_conditions/x_periodic/values"),
            *_scalars(t, steps),
        ))


def records(section: Mapping[str, Any], read: Callable[[str], Any]) -> Records:
    """energy's record sets: one per pyramid scale (every domain and split), and the catalog."""
    del read  # nothing beyond the params
    scales = [int(s) for s in section["scales"]]
    domains = sorted(section["domains"])
    catalog = RecordSet("catalog", "one record per domain: what the catalog says of its files and maps",
                        ("data/catalogs/catalog.json",), "json", (
                            Field("pattern", "the domain's base pattern", "str", key="$.domains.*.pattern"),
                            Field("n_maps", "maps of the domain (sequences x steps)", "int64", unit="maps", key="$.domains.*.n_maps"),
                            Field("n_files", "HDF5 files of the domain (scales x splits)", "int64", unit="files",
                                  key="$.domains.*.n_files"),
                            Field("bytes", "bytes of the domain's HDF5 files", "int64", unit="bytes", key="$.domains.*.bytes"),
                        ))
    height, width = (int(v) for v in section["shape"])
    return Records(
        record_sets=tuple(_scale_set(s, section) for s in scales) + (catalog,),
        license=("CC0-1.0",),
        title=f"synthbank energy {VERSION}: perturbed energy density map sequences in The Well's format",
        description=(
            f"Non-negative energy density maps in {len(domains)} domains ({', '.join(domains)}): per domain "
            f"{int(section['n_sequences'])} sequences of {int(section['n_steps'])} maps of {height} x {width} cells, each "
            "sequence a base pattern (turbulent, laminar, vortex or random) followed by random rotations, noise, thermal "
            f"blur, translations and scalings; pyramids at scales {', '.join(str(s) for s in scales)}; one Well dataset per "
            "domain and scale with a seeded train/valid/test split by sequence and its normalisation statistics."
        ),
        keywords=("synthetic data", "physics", "energy conservation", "spatiotemporal", "The Well", "surrogate models", "HDF5"),
        intended_use=(
            "Tests of spatiotemporal and physics-informed models and of The Well's loaders (WellDataset, WellDataModule): "
            "conservation and entropy behaviour of each perturbation are known and validated."
        ),
        limitations=(
            "Perturbations of synthetic base patterns, not solutions of physical equations: the 'domains' are names for "
            "parameter sets, and consecutive maps are related by random operations, not dynamics; few sequences per domain."
        ),
        collection="Synthetic: every sequence is drawn from the root seed, the domain's name and the params "
        "(docs/families/energy.md).",
    )
