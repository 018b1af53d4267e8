"""The review sheet (benchmarks/photo_review.py) on a small folder of generated photos."""

from __future__ import annotations

import json

from photos import encode, scene
from PIL import Image

from benchmarks.blind_sheet import write_sheet
from benchmarks.photo_review import review, straddles


def test_a_tag_word_straddles_only_when_every_occurrence_crosses_a_word_boundary():
    assert straddles("铁面包公官榜样", {"面包"})  # 铁面 / 包公
    assert not straddles("面包香甜可口", {"面包"})  # the word itself
    assert not straddles("山谷藏山", {"山"})  # a character inside a word crosses nothing
    assert not straddles("春风化雨", {"面包"})  # no occurrence at all


def test_the_sheet_and_the_figures_hold_one_entry_per_photo(site_settings, tmp_path):
    folder = tmp_path / "photos"
    folder.mkdir()
    (folder / "lake.jpg").write_bytes(encode(scene((800, 600)), quality=90))
    (folder / "tall.png").write_bytes(encode(scene((480, 720)), fmt="PNG"))
    night = Image.new("RGB", (640, 480), (12, 14, 30))
    (folder / "night.jpg").write_bytes(encode(night, quality=90))
    (folder / "labels.tsv").write_text(
        "filename\ttags\tdescription\n"
        "lake.jpg\tmountain;lake\tmountains over a lake\n"
        "night.jpg\tnight\ta dark night\n",
        encoding="utf-8",
    )
    out, results = tmp_path / "sheet", tmp_path / "results" / "review.json"

    result = review(folder, out, site_settings, results)

    saved = json.loads(results.read_text(encoding="utf-8"))
    assert saved["photos"] == 3 and len(saved["per_photo"]) == 3
    assert {row["photo"] for row in saved["per_photo"]} == {"lake.jpg", "tall.png", "night.jpg"}
    for row in saved["per_photo"]:
        assert len(row["candidates"]) == 3 and row["drawn"] == 1
        assert all(t["kind"] in ("object", "scene", "mood") for t in row["tags"])
        assert (out / row["image"]).stat().st_size > 0
    page = (out / "sheet.html").read_text(encoding="utf-8")
    assert (
        all(name in page for name in ("lake.jpg", "tall.png", "night.jpg"))
        and page.count('class="drawn"') == 3
    )
    assert [p.name for p in out.glob("sheet-*.png")] == ["sheet-01.png"]
    assert Image.open(out / "sheet-01.png").size[0] > 0
    # Two photos carry labels (the PNG has none): their labelled concepts are scored.
    assert saved["labels_scored"] == 3 and 0 <= saved["label_recall"] <= 1
    assert 0 <= saved["straddling_picks"] <= 1
    for figure in ("jokey_or_negative_picks", "festive_picks", "devotional_picks"):
        share = saved[figure]  # None where this checkout has no register signal
        assert share is None or 0 <= share <= 1, figure
    assert 1 <= saved["distinct_drawn"] <= 3 and saved["most_repeated_drawn"] >= 1
    assert {"tag", "match", "generate", "render", "total (wall)"} <= set(saved["latency_ms"])
    assert result["photos"] == 3


def test_the_blind_sheet_hides_the_photos_names_and_draws_the_same_sample_for_a_seed(tmp_path):
    run = tmp_path / "run"
    (run / "images").mkdir(parents=True)
    rows = []
    for number in range(6):
        photo = f"photo_{number}.jpg"
        (run / "images" / photo).write_bytes(encode(scene((320, 240)), quality=80))
        couplets = [{"upper": f"上联{n}", "lower": f"下联{n}", "horizontal": "山高水长"} for n in range(3)]
        tags = [{"name": "山", "kind": "scene", "confidence": 0.9}]
        rows.append({"photo": photo, "tags": tags, "candidates": couplets, "image": f"images/{photo}"})
    review_json = tmp_path / "review.json"
    review_json.write_text(json.dumps({"per_photo": rows, "sheet": {"html": str(run / "sheet.html")}}))

    key = write_sheet(review_json, tmp_path / "blind", 4, seed=3)

    assert sorted(key) == ["R01", "R02", "R03", "R04"] and len(set(key.values())) == 4
    sheet = (tmp_path / "blind" / "sheet.md").read_text(encoding="utf-8")
    assert "photo_" not in sheet and sheet.count("(drawn)") == 4
    for name, photo in key.items():
        assert (tmp_path / "blind" / f"{name}.jpg").read_bytes() == (run / "images" / photo).read_bytes()
    assert json.loads((tmp_path / "blind" / "key.json").read_text(encoding="utf-8")) == key
    assert write_sheet(review_json, tmp_path / "again", 4, seed=3) == key
    assert write_sheet(review_json, tmp_path / "other", 4, seed=4) != key
