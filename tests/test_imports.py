"""The import graph read from source: lazy imports, function roots and the helpers they call."""

from __future__ import annotations

from pathlib import Path

from synthbank.imports import Source, closure


def _package(tmp_path: Path, files: dict[str, str]) -> Source:
    for rel, text in files.items():
        path = tmp_path / "src" / "synthbank" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return Source(tmp_path)


def test_a_function_root_counts_its_helpers_lazy_imports_and_not_its_siblings(tmp_path: Path) -> None:
    source = _package(tmp_path, {
        "__init__.py": "",
        "a.py": "import synthbank.top\n\ndef run():\n    return _helper()\n\ndef _helper():\n    from synthbank import lazy\n\n"
                "def other():\n    from synthbank import unrelated\n",
        "top.py": "", "lazy.py": "from . import deep\n", "deep.py": "", "unrelated.py": "",
    })
    assert closure(source, ["synthbank.a:run"]) == {"synthbank", "synthbank.a", "synthbank.top", "synthbank.lazy", "synthbank.deep"}
    # a whole module counts with every import in it, lazy ones included
    assert "synthbank.unrelated" in closure(source, ["synthbank.a"])


def test_importing_a_submodule_runs_its_parent_packages(tmp_path: Path) -> None:
    source = _package(tmp_path, {"__init__.py": "", "p/__init__.py": "", "p/q.py": "", "m.py": "from synthbank.p.q import x\n"})
    assert closure(source, ["synthbank.m"]) == {"synthbank", "synthbank.m", "synthbank.p", "synthbank.p.q"}
