"""SYNTHBANK_TIMINGS: one line per synthbank process, what benchmarks/bench_pipeline.py reads."""

import json
import time

from conftest import VENV_BIN


def test_each_process_appends_its_stage_command_start_and_exit(run, tmp_path):
    path = tmp_path / "timings.jsonl"
    before = time.time()
    run([VENV_BIN / "synthbank", "families"], tmp_path, env={"SYNTHBANK_TIMINGS": str(path), "DVC_STAGE": "toy@1"})
    run([VENV_BIN / "synthbank", "generate", "nosuch"], tmp_path, check=False, env={"SYNTHBANK_TIMINGS": str(path)})
    after = time.time()
    first, second = (json.loads(line) for line in path.read_text().splitlines())
    assert first["stage"] == "toy@1" and first["argv"] == ["families"]
    assert second["stage"] is None and second["argv"] == ["generate", "nosuch"]  # recorded on an error exit too
    for line in (first, second):
        # the start comes from /proc in clock ticks (10 ms) and includes the interpreter's own start
        assert before - 0.02 <= line["started"] <= line["exited"] <= after, (before, line, after)


def test_nothing_is_recorded_or_imported_without_the_variable(run, tmp_path):
    proc = run([VENV_BIN / "python", "-c", "import sys; from synthbank.cli import main\n"
                "try:\n    main(['families'])\nexcept SystemExit:\n    pass\n"
                "print('synthbank.timings' in sys.modules, file=sys.stderr)"], tmp_path)
    assert proc.stderr.strip().splitlines()[-1] == "False"
    assert list(tmp_path.iterdir()) == []
