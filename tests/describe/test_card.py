"""The dataset card and the index, on a hand-made family: sizes, rules and verdicts, citation, access, changelog."""

from __future__ import annotations

from describe.helpers import RULES, make_inputs
from synthbank.describe import card, croissant
from synthbank.recordsets import Records
from synthbank.thresholds import Rule


def test_sizes_are_the_manifests_and_counts_the_metrics() -> None:
    text = card.card(make_inputs())
    assert "| data | 3 files, 35 bytes (35 bytes) (`manifests/x.json`) |" in text
    assert "| reports | 1 file, 30 bytes (30 bytes) (`manifests/x.reports.json`) |" in text
    assert "| `maps` | 2 | 30 |" in text and "| `one` | 1 | 5 |" in text and "| `files` | 1 | 700 |" in text
    assert "| all data files (`manifests/x.json`) | 3 | 35 |" in text
    assert "| a | 12,345 | `counts.a` |" in text


def test_fields_show_where_they_live_dtype_shape_and_unit() -> None:
    text = card.card(make_inputs())
    assert "| `maps` | `/maps` | complex64 | (n, 4, 4) | volts | complex maps |" in text
    assert "| `split` | `filename` ~ `^(a\\|b)\\.h5$` | str | () | - | a or b |" in text
    assert "| `count` | `/count` | uint32 | () | - | how many |" in text


def test_every_rule_with_its_bound_value_and_verdict() -> None:
    text = card.card(make_inputs())
    assert "| `m` | 1.5 | <= 2 | `thresholds.m_max` | yes | a note |" in text
    assert "| `ok` | true | true | (fixed) | yes |  |" in text
    assert "| `opt` | missing | >= 1 | `thresholds.opt_min` | n/a (not computed for this item) |  |" in text
    violated = card.card(make_inputs(metrics={"m": 3.0, "ok": True}))
    assert "| `m` | 3 | <= 2 | `thresholds.m_max` | NO | a note |" in violated


def test_items_are_checked_with_their_own_rules() -> None:
    inputs = make_inputs()
    records = Records(**{**inputs.records.__dict__, "item_metrics": ("p", "q"), "item_rules": {"q": (Rule("m", "max", key="m_max"),)}})
    text = card.card(make_inputs(records=records, metrics={"p": {"m": 1.0, "ok": False}, "q": {"m": 5.0}}))
    assert "| `p.m` | 1 | <= 2 | `thresholds.m_max` | yes |" in text and "| `p.ok` | false | true | (fixed) | NO |" in text
    assert "| `q.m` | 5 | <= 2 | `thresholds.m_max` | NO |" in text and "`q.ok`" not in text  # q: only its own rule


def test_citation_access_licence_and_changelog() -> None:
    text = card.card(make_inputs())
    assert "```bibtex\n@misc{synthbank_x_1_2_3," in text and "- pic: Someone" in text
    assert "    dvc get <registry-url> data/x --rev <tag>" in text and "    dvc import <registry-url> data/x --rev <tag>" in text
    assert "    dvc artifacts get <registry-url> x --rev <tag>   # the same files by the DVC artifact `x`" in text
    assert "    git checkout <tag> && synthbank pull x    # this family's data, then every file checked" in text
    given = card.card(make_inputs(registry_url="https://example.org/r.git"))
    assert "dvc get https://example.org/r.git data/x --rev <tag>" in given and "<registry-url>" not in given
    assert text.index("### 1.10.0") < text.index("### 1.2.3") < text.index("### 1.0.0")  # newest first, by number
    assert "Each image keeps its source's licence (pic: MIT)" in text
    assert card.card(make_inputs()) == text and text.endswith("\n") and "2026-01-02" in text


def test_the_index_reads_each_croissant_file() -> None:
    doc = croissant.build(make_inputs())
    text = card.index({"x": doc})
    assert "| [x](x/README.md) | 1.2.3 | test maps | CC0-1.0, LicenseRef-Mine | 3 | 35 | [croissant.json](x/croissant.json) |" in text
