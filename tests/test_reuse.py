"""REUSE compliance (issue 3): every file has a licence and LICENSES/ holds every text used."""

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_reuse_lint_passes_on_the_repository():
    result = subprocess.run([sys.executable, "-m", "reuse", "--root", str(REPO), "lint"], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "compliant" in result.stdout


def test_reuse_lint_fails_on_a_file_without_licence(tmp_path):
    (tmp_path / "LICENSES").mkdir()
    (tmp_path / "orphan.py").write_text("print('no licence header, no REUSE.toml entry')\n")
    result = subprocess.run([sys.executable, "-m", "reuse", "--root", str(tmp_path), "lint"], capture_output=True, text=True)
    assert result.returncode == 1
    assert "orphan.py" in result.stdout
