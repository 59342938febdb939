"""Generation and validation as tasks: the same files for every worker count; tasks that can
travel to another process or machine (module-level functions, picklable, absolute paths)."""

from __future__ import annotations

import pickle
import shutil
from pathlib import Path

from conftest import tree_bytes
from synthbank.families.public.build import DemoTask, PublicConfig, convert_task
from synthbank.families.public.validate import FileTask, check_file

MAIN = Path(__file__).resolve().parents[3]
SOURCES, LICENSES = MAIN / "sources/public", MAIN / "LICENSES"
OUTPUTS = ("data/public", "manifests", "metrics")


def test_generate_and_validate_give_the_same_files_for_1_and_2_workers(run, tmp_path: Path, params_snapshot: Path) -> None:
    outputs = []
    for workers in ("1", "2"):
        cwd = tmp_path / f"w{workers}"
        cwd.mkdir()
        shutil.copy2(params_snapshot, cwd / "params.yaml")
        shutil.copytree(SOURCES, cwd / "sources/public")
        shutil.copytree(LICENSES, cwd / "LICENSES")
        run(["synthbank", "generate", "public", "--workers", workers], cwd)
        run(["synthbank", "validate", "public", "--workers", workers], cwd)
        outputs.append({d: tree_bytes(cwd / d) for d in OUTPUTS})
    assert len(outputs[0]["data/public"]) == 14 and sorted(outputs[0]["metrics"]) == ["public.json"]
    assert outputs[0] == outputs[1]


def test_tasks_are_picklable_and_need_no_cwd(tmp_path: Path, section: dict, built: Path, monkeypatch) -> None:
    cfg = PublicConfig.from_params(42, "2026-11-22", section)
    task = pickle.loads(pickle.dumps(DemoTask(cfg, "xray_chest_demo", str(SOURCES), str(LICENSES))))
    monkeypatch.chdir(tmp_path)  # a worker's cwd is not the driver's
    files = convert_task(task)
    folder = built / "data/public/xray_chest_demo"
    assert files == {name: (folder / name).read_bytes() for name in files}
    png = folder / "xray_chest_demo_001.png"
    record = FileTask(str(png), "xray_chest_demo_001.png", "0" * 64, None, "0" * 64, "pydicom")
    check = pickle.loads(pickle.dumps(check_file(record)))
    assert check.exists and not check.pixels_ok and check.stats is not None and check.stats["std"] > 5
    assert check.problems == ("xray_chest_demo_001.png: pixels differ from the pixel_sha256 in provenance.json",)
