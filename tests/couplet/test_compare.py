"""The measures in `couplet evaluate` and the blind comparison sheet (benchmarks/compare.py), on tiny data."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from app.cli import main
from benchmarks.compare import LABELS, SOURCES, build_sheet, compare
from core.settings import Settings
from couplet.bleu import references_by_upper
from couplet.splits import read_split
from couplet.tones import STANDARDS


@pytest.fixture
def env(synthetic_prepared: Path, tiny_model_dir: Path, tmp_path: Path, monkeypatch) -> dict[str, str]:
    shutil.copytree(synthetic_prepared, tmp_path / "data" / "prepared")
    shutil.copytree(tiny_model_dir, tmp_path / "models" / "generator")
    (tmp_path / "data" / "raw").mkdir()
    (tmp_path / "data" / "raw" / "badwords.txt").write_text("坏词\n", encoding="utf-8")
    values = {"COUPLET_DATA_DIR": str(tmp_path / "data"), "COUPLET_MODELS_DIR": str(tmp_path / "models")}
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    return values


def test_evaluate_json_has_the_measures_beside_the_references(env: dict[str, str]) -> None:
    result = CliRunner().invoke(main, ["evaluate", "--baseline", "copy", "--json"], env=env)
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert {"bleu", "rules", "exact"} <= set(report)  # the old fields stay
    ours, refs = report["measures"], report["measures_references"]
    assert ours["n"] == report["n"]
    assert ours["parallelism"] == 1.0  # the upper line against itself
    assert ours["tone_opposition"] == {s: 0.0 for s in STANDARDS}
    assert ours["copying"] == 0.0  # the synthetic pools keep upper characters out of lower lines
    assert refs["n"] == len(read_split(Path(env["COUPLET_DATA_DIR"]) / "prepared", "test"))
    assert set(refs["tone_opposition"]) == set(STANDARDS)


def test_evaluate_text_shows_the_measures_table(env: dict[str, str]) -> None:
    result = CliRunner().invoke(main, ["evaluate", "--baseline", "copy"], env=env)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith("split test: ")
    table = lines[lines.index(next(line for line in lines if line.startswith("measure"))) :]
    assert table[0].split() == ["measure", "ours", "references"]
    names = ["parallelism", "tones", "tones", "undecided", "undecided", "copying"]
    assert [row.split()[0] for row in table[1:]] == names
    assert table[1].split()[1] == "100.0%"


def _sources_by_label(keyed: dict) -> dict[str, list[str]]:
    return {label: keyed[label] for label in LABELS if label in keyed}


def _check_keyed(row: dict, keyed: dict, lines: dict[str, dict[str, str]]) -> None:
    """Every source is under exactly one label of the row, and that label shows the source's line."""
    assert keyed["upper"] == row["upper"]
    by_label = _sources_by_label(keyed)
    assert set(by_label) == set(row["lines"])
    assert sorted(src for sources in by_label.values() for src in sources) == sorted(SOURCES)
    for label, sources in by_label.items():
        assert all(lines[src][row["upper"]] == row["lines"][label] for src in sources)


def test_build_sheet_shuffles_each_row_and_keys_it() -> None:
    lines = {src: {f"上联{i}": f"{src}{i}" for i in range(12)} for src in SOURCES}
    sheet = build_sheet(lines, seed=0)
    assert sheet == build_sheet(lines, seed=0)
    for row, keyed in zip(sheet.rows, sheet.key, strict=True):
        _check_keyed(row, keyed, lines)
    assert len({tuple(keyed[label][0] for label in LABELS) for keyed in sheet.key}) > 1  # orders differ


def test_build_sheet_shows_a_line_two_sources_share_once() -> None:
    lines = {"product": {"天高": "海阔"}, "model": {"天高": "海阔"}, "reference": {"天高": "地厚"}}
    sheet = build_sheet(lines, seed=0)
    assert sorted(sheet.rows[0]["lines"].values()) == [
        "地厚",
        "海阔",
    ]  # not 海阔 twice beside the odd one out
    _check_keyed(sheet.rows[0], sheet.key[0], lines)


def test_compare_writes_a_blind_sheet_its_key_and_the_measures(env: dict[str, str], tmp_path: Path) -> None:
    settings = Settings.from_env()
    out = tmp_path / "compare"
    measures = compare(settings, "test_novel", n=6, seed=1, out=out)
    sheet = json.loads((out / "sheet.json").read_text(encoding="utf-8"))
    key = json.loads((out / "key.json").read_text(encoding="utf-8"))
    assert sheet["n"] == len(sheet["rows"]) == len(key["rows"]) == 6
    text = (out / "sheet.json").read_text(encoding="utf-8") + (out / "sheet.html").read_text(encoding="utf-8")
    assert not any(src in text for src in SOURCES)  # nothing on the sheet names a source
    refs = references_by_upper(read_split(settings.prepared_dir, "test_novel"))
    for row, keyed in zip(sheet["rows"], key["rows"], strict=True):
        assert row["upper"] in refs and row["upper"] in text
        by_source = {
            src: row["lines"][label] for label, sources in _sources_by_label(keyed).items() for src in sources
        }
        assert sorted(by_source) == sorted(SOURCES)
        assert by_source["reference"] == refs[row["upper"]][0]
        assert len(by_source["product"]) == len(by_source["model"]) == len(row["upper"])
    assert set(measures) == set(SOURCES)
    assert json.loads((out / "measures.json").read_text(encoding="utf-8"))["measures"] == measures
