"""energy: read the energy family's output with The Well's own loaders (the_well 1.2.0, unchanged).

Calls, per Well dataset directory found under ``<data>/energy`` (one holding ``data/train``):

- ``WellDataset(path=D, well_split_name="train", use_normalization=True,
  normalization_type=ZScoreNormalization)`` and its item 0 (reads ``D/stats.yaml``);
- ``WellDataset(path=D/data/train)`` (the form of the Well's scripts/compute_statistics.py) and
  its ``to_xarray(backend="numpy")``;
- ``WellDataset(well_base_path=..., well_dataset_name=..., well_split_name="train", ...)`` and
  ``WellDataModule(...).train_dataloader()``, one batch; both check the name against the Well's
  own list (``the_well.data.utils.is_dataset_in_the_well``), so a name that is not a Well dataset
  is REFUSED; the run then repeats them with that one check widened to the name, stated as such;
- ``the_well.utils.export.hdf5_to_xarray`` on one file.

On the pre-Well layout (``<domain>/<domain>_<res>.h5``, no ``data/train``) it makes the same calls
on each domain directory, which shows the old failures.
"""

from __future__ import annotations

import sys
from pathlib import Path

import h5py
import numpy as np
import torch

import the_well
import the_well.data.datasets as well_datasets
from the_well.data import WellDataModule, WellDataset
from the_well.data.normalization import ZScoreNormalization
from the_well.utils.export import hdf5_to_xarray

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import Report, find_flat_hdf5_dirs, find_well_datasets, parse_args, rel  # noqa: E402

READER = f"the_well {the_well.__version__}" if hasattr(the_well, "__version__") else "the_well"


def name_refusal(exc: BaseException) -> bool:
    """The Well's assertion that a dataset name is one of its own (WELL_DATASETS)."""
    return isinstance(exc, AssertionError) and "not in the expected list" in str(exc)


def describe(value: object, key: str) -> list[str]:
    """Lines for one entry of a Well item or batch: shape, dtype and a few statistics."""
    if isinstance(value, torch.Tensor):
        line = f"{key}: shape={tuple(value.shape)} dtype={value.dtype}"
        if value.numel() and value.is_floating_point():
            v = value.double()
            finite = torch.isfinite(v)
            line += (f" mean={v[finite].mean().item():.6g} std={v[finite].std(correction=0).item():.6g}"
                     f" nonfinite={int((~finite).sum())}")
        return [line]
    if isinstance(value, dict):
        return [f"{key}.{k}" for k in sorted(value)]
    return [f"{key}: {value!r}"]


def describe_item(item: dict[str, object]) -> list[str]:
    """Lines for every key of a Well item (or a collated batch)."""
    out = [f"keys: {sorted(item)}"]
    for key in sorted(item):
        out += describe(item[key], key)
    return out


def describe_dataset(ds: WellDataset) -> list[str]:
    """Lines naming what the dataset found: files, fields, resolution, length."""
    md = ds.metadata
    return [f"files: {[Path(p).name for p in ds.files_paths]}",
            f"dataset_name={md.dataset_name} n_spatial_dims={md.n_spatial_dims} "
            f"resolution={tuple(md.spatial_resolution)} n_fields={md.n_fields}",
            f"field_names: {dict(md.field_names)}",
            f"constant_scalars: {list(md.constant_scalar_names)}",
            f"trajectories/file={ds.n_trajectories_per_file} steps={ds.n_steps_per_trajectory} "
            f"len(dataset)={len(ds)}"]


def describe_xarray(xds: object) -> list[str]:
    """Lines for an xarray Dataset: dims and a few variables with their dims."""
    names = sorted(xds.data_vars)  # type: ignore[attr-defined]
    out = [f"dims: {dict(xds.sizes)}",  # type: ignore[attr-defined]
           f"{len(names)} data_vars: {names[:8]}{' ...' if len(names) > 8 else ''}"]
    for n in names[:4]:
        v = xds[n]  # type: ignore[index]
        out.append(f"{n}: dims={v.dims} shape={v.shape} first={np.ravel(v.values)[:3].tolist()}")
    return out


def with_name_accepted(name: str, fn):  # noqa: ANN001, ANN202
    """Run ``fn`` with The Well's name check widened to ``name``: the one change, stated."""
    original = well_datasets.is_dataset_in_the_well

    def wrapped():  # noqa: ANN202
        well_datasets.is_dataset_in_the_well = lambda n: n == name or original(n)
        try:
            return fn()
        finally:
            well_datasets.is_dataset_in_the_well = original
    return wrapped


def read_well_dataset(rep: Report, d: Path) -> None:
    """All calls on one directory laid out as a Well dataset."""
    base, name = str(d.parent), d.name
    norm = dict(use_normalization=True, normalization_type=ZScoreNormalization)

    def path_form() -> list[str]:
        ds = WellDataset(path=str(d), well_split_name="train", **norm)
        return describe_dataset(ds) + [f"normalization: {ds.normalization_path}"] \
            + ["item 0:"] + describe_item(ds[0])
    rep.call("the_well.data.WellDataset",
             f"WellDataset(path={rel(d)!r}, well_split_name='train', use_normalization=True, "
             f"normalization_type=ZScoreNormalization)[0]", path_form)

    def split_path_form() -> list[str]:
        ds = WellDataset(path=str(d / "data" / "train"), use_normalization=False)
        return describe_dataset(ds) + ["to_xarray(backend='numpy'):"] \
            + describe_xarray(ds.to_xarray(backend="numpy"))
    rep.call("the_well.data.WellDataset + WellDataset.to_xarray",
             f"WellDataset(path={rel(d / 'data' / 'train')!r}).to_xarray(backend='numpy')",
             split_path_form)

    def by_name(label: str, call: str, fn) -> None:
        # The Well refuses names outside its own list by policy: show that, then the same call
        # with only that check widened, which shows the layout itself loads.
        if not rep.call(label, call, fn, refused_if=name_refusal):
            rep.call(f"{label}, NOT unchanged: is_dataset_in_the_well also accepts {name!r}",
                     call, with_name_accepted(name, fn))

    def base_form() -> list[str]:
        ds = WellDataset(well_base_path=base, well_dataset_name=name, well_split_name="train",
                         **norm)
        return describe_dataset(ds) + ["item 0:"] + describe_item(ds[0])
    call = (f"WellDataset(well_base_path={rel(base)!r}, well_dataset_name={name!r}, "
            f"well_split_name='train', use_normalization=True, "
            f"normalization_type=ZScoreNormalization)[0]")
    by_name("the_well.data.WellDataset", call, base_form)

    def module_form() -> list[str]:
        dm = WellDataModule(well_base_path=base, well_dataset_name=name, batch_size=2,
                            data_workers=0, **norm)
        batch = next(iter(dm.train_dataloader()))
        return [f"train/valid/test lengths: {len(dm.train_dataset)}/{len(dm.val_dataset)}/"
                f"{len(dm.test_dataset)}", "train batch 0:"] + describe_item(batch)
    call = (f"next(iter(WellDataModule(well_base_path={rel(base)!r}, "
            f"well_dataset_name={name!r}, batch_size=2, data_workers=0, use_normalization=True, "
            f"normalization_type=ZScoreNormalization).train_dataloader()))")
    by_name("the_well.data.WellDataModule", call, module_form)

    # The DataModule's unchanged route for a dataset outside the Well's list: every split's
    # dataset given by path (dataset_kws), which skips the name check.
    splits = ("train", "val", "rollout_val", "test", "rollout_test")

    def module_by_path() -> list[str]:
        dm = WellDataModule(well_base_path=base, well_dataset_name=name, batch_size=2,
                            data_workers=0, dataset_kws={k: {"path": str(d)} for k in splits},
                            **norm)
        batch = next(iter(dm.train_dataloader()))
        return [f"train/valid/test lengths: {len(dm.train_dataset)}/{len(dm.val_dataset)}/"
                f"{len(dm.test_dataset)}", "train batch 0:"] + describe_item(batch)
    rep.call("the_well.data.WellDataModule",
             f"next(iter(WellDataModule(well_base_path={rel(base)!r}, well_dataset_name={name!r}, "
             f"batch_size=2, data_workers=0, dataset_kws={{k: {{'path': {rel(d)!r}}} for k in "
             f"{splits}}}, use_normalization=True, normalization_type=ZScoreNormalization)"
             ".train_dataloader()))", module_by_path)

    files = sorted((d / "data" / "train").glob("*.h*5"))
    if files:
        read_export(rep, files[0])


def read_export(rep: Report, f: Path) -> None:
    """The Well's xarray export on one file."""
    def export() -> list[str]:
        with h5py.File(f, "r") as h:
            return describe_xarray(hdf5_to_xarray(h, backend="numpy"))
    rep.call("the_well.utils.export.hdf5_to_xarray",
             f"hdf5_to_xarray(h5py.File({rel(f)!r}), backend='numpy')", export)


def read_flat_dir(rep: Report, d: Path) -> None:
    """The same calls on a directory of loose files (the pre-Well layout)."""
    rep.call("the_well.data.WellDataset", f"WellDataset(path={rel(d)!r})",
             lambda: describe_dataset(WellDataset(path=str(d))))
    rep.call("the_well.data.WellDataset",
             f"WellDataset(path={rel(d)!r}, well_split_name='train')",
             lambda: describe_dataset(WellDataset(path=str(d), well_split_name="train")))
    files = sorted(d.glob("*.h*5"))
    if files:
        one = files[0].name
        rep.call("the_well.data.WellDataset",
                 f"WellDataset(path={rel(d)!r}, include_filters=[{one!r}], use_normalization=True, "
                 f"normalization_type=ZScoreNormalization)",
                 lambda: describe_dataset(WellDataset(
                     path=str(d), include_filters=[one], use_normalization=True,
                     normalization_type=ZScoreNormalization)))
    rep.call("the_well.data.WellDataModule",
             f"WellDataModule(well_base_path={rel(d.parent)!r}, well_dataset_name={d.name!r}, "
             f"batch_size=2, data_workers=0)",
             lambda: [str(WellDataModule(well_base_path=str(d.parent), well_dataset_name=d.name,
                                         batch_size=2, data_workers=0))],
             refused_if=name_refusal)
    if files:
        read_export(rep, files[0])


def main(argv: list[str] | None = None) -> int:
    """Run every call on ``<data>/energy``; exit status 1 when one failed."""
    args = parse_args(__doc__.splitlines()[0], argv)
    rep = Report("energy", strict=args.strict)
    energy = args.data / "energy"
    torch.manual_seed(0)
    rep.say(f"{READER} (torch {torch.__version__}, h5py {h5py.__version__}) on {rel(energy)}")
    wells = find_well_datasets(energy)
    flat = find_flat_hdf5_dirs(energy)
    rep.say(f"Well dataset directories (holding data/train): {[rel(w) for w in wells] or 'none'}")
    if flat:
        rep.say(f"directories of loose HDF5 files (pre-Well layout): {[rel(f) for f in flat]}")
    for d in wells:
        read_well_dataset(rep, d)
    for d in flat:
        read_flat_dir(rep, d)
    return rep.finish()


if __name__ == "__main__":
    sys.exit(main())
