"""A review sheet of photos run through the whole pipeline, for a person to look at, with automatic figures.

    COUPLET_DATA_MIRROR=../shared/data .venv/bin/python benchmarks/photo_review.py [FOLDER] [--out DIR]

FOLDER (default: the mirror's images/scenes) holds JPEG, PNG or WebP photos and, optionally, a
labels.tsv with `filename`, `tags` (English words, `;`-separated) and `description` columns. Each photo
goes through `photo.pipeline.create` in process (tag → match → generate → 横批 → choose → draw → keep) as
an upload does. Written to DIR (default benchmarks/results/photo_review/, not tracked: some photos'
licences do not allow publishing them):

- sheet.html: one card per photo: the drawn image, the tags with their kind, the three couplets with the
  drawn one marked (candidate 1 is the one drawn), the photo's labels and figures;
- sheet-NN.png: the same as PNG grids of PAGE photos each;
- images/: the drawn JPEGs.

The figures are printed as a table and saved in benchmarks/results/photo_review.json (name from
`--name`), with one row per photo:

- recall: the share of each photo's labelled concepts (labels.tsv `tags`) that its tags name, scored by
  vision/label_concepts.tsv, as benchmarks/scene_tags.py does;
- straddling picks: drawn upper lines in which a tag's concept (the tag or a classical word it stands
  for, couplet/matching/synonyms.tsv) occurs only across a word boundary of the line's jieba
  segmentation (面包 in 铁面包公, segmented 铁面 / 包公); the same share over all three candidates beside it;
- jokey or negative picks: drawn upper lines that the corpus's register signal flags (`couplet.register`,
  its `FLAG` on the corpus store's `jokey` and `melancholy` fields); festive and devotional picks likewise
  (a line written for an occasion, which no photo of the set shows; a temple's);
- variety: how many distinct upper lines were drawn, and how often the most frequent one was;
- latency per stage: the pipeline's own timings (ms, p50 and p95).
"""

from __future__ import annotations

import argparse
import csv
import html
import json
import statistics
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

# The app's packages import `digits`, which benchmarks/digits.py would shadow while this folder is on
# sys.path (it is: the script's own folder comes first).
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

import jieba
from PIL import Image, ImageDraw, ImageFont

from core.settings import Settings
from couplet.rules import Couplet
from photo import pipeline
from photo.fonts import get_fonts
from photo.results import get_result_store
from photo.session import Drawing
from vision.recall import score_photo
from vision.tags import Tag

RESULTS = Path(__file__).resolve().parent / "results"
PHOTO_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp"}
PAGE = 12  # photos per PNG page
COLUMNS = 3
TILE = (520, 620)  # a PNG card: the drawing above, text below
THUMB = (500, 340)
KIND_COLOURS = {"object": (60, 60, 60), "scene": (20, 120, 40), "mood": (30, 70, 170)}


@dataclass
class PhotoRow:
    photo: str
    tags: list[Tag]
    candidates: list[Couplet]
    """Best first: candidate 1 is the one drawn."""
    image: str
    """The drawn JPEG, relative to the sheet."""
    stages: dict[str, float]
    wall_ms: float
    labels: list[str] = field(default_factory=list)
    found: list[str] = field(default_factory=list)
    missed: list[str] = field(default_factory=list)
    straddles: list[bool] = field(default_factory=list)
    """Per candidate, best first: its tag word hits only across a word boundary."""
    register: dict[str, bool] | None = None
    """Flags of the drawn upper line by register signal (jokey, melancholy, festive, devotional); None where
    there is none."""

    def to_dict(self) -> dict:
        return {
            "photo": self.photo,
            "tags": [
                {"name": t.name, "kind": t.kind, "confidence": round(t.confidence, 3)} for t in self.tags
            ],
            "candidates": [
                {"upper": c.upper, "lower": c.lower, "horizontal": c.horizontal} for c in self.candidates
            ],
            "drawn": 1,
            "image": self.image,
            "labels": self.labels,
            "found": self.found,
            "missed": self.missed,
            "straddles": self.straddles,
            "register": self.register,
            "stages_ms": {k: round(v, 1) for k, v in self.stages.items()},
            "wall_ms": round(self.wall_ms, 1),
        }


def read_labels(folder: Path) -> dict[str, dict[str, str]]:
    path = folder / "labels.tsv"
    if not path.exists():
        return {}
    with path.open(encoding="utf-8") as f:
        return {row["filename"]: row for row in csv.DictReader(f, delimiter="\t")}


def word_spans(line: str) -> list[tuple[int, int]]:
    spans, start = [], 0
    for word in jieba.lcut(line, HMM=False):
        spans.append((start, start + len(word)))
        start += len(word)
    return spans


def straddles(line: str, forms: set[str]) -> bool:
    """True when some form occurs in the line and every occurrence crosses a word boundary."""
    boundaries = {end for _, end in word_spans(line)}
    occurrences = [
        (start, start + len(form))
        for form in forms
        for start in range(len(line) - len(form) + 1)
        if line.startswith(form, start)
    ]
    crossing = [any(start < b < end for b in boundaries) for start, end in occurrences]
    return bool(crossing) and all(crossing)


def tag_forms(tags: list[Tag]) -> set[str]:
    from couplet.matching.synonyms import load_synonyms

    synonyms = load_synonyms()
    return {form for tag in tags for form in synonyms.concept(tag.name)}


def register_flags(upper: str, settings: Settings) -> dict[str, bool] | None:
    """The register signal's flags of a corpus line; None for a line the corpus store does not hold."""
    from couplet.register import FLAG, SIGNALS
    from couplet.resources import get_corpus

    corpus = get_corpus(settings)
    ids = corpus.find(upper)
    if not ids or not all(name in corpus.fields for name in SIGNALS):
        return None
    return {name: float(corpus.fields[name][ids[0]]) >= FLAG for name in SIGNALS}


def run_photo(path: Path, settings: Settings, images: Path, label_row: dict[str, str] | None) -> PhotoRow:
    data = path.read_bytes()
    started = time.perf_counter()
    session = pipeline.create(data, settings)
    wall = (time.perf_counter() - started) * 1000
    jpeg = Drawing.jpeg(get_result_store(settings), session.result_id)
    image = images / f"{path.stem}.jpg"
    image.write_bytes(jpeg or b"")
    drawn, forms = session.candidates[0], tag_forms(session.tags)
    row = PhotoRow(
        photo=path.name,
        tags=session.tags,
        candidates=session.candidates,
        image=f"images/{image.name}",
        stages=dict(session.timings.stages),
        wall_ms=wall,
        straddles=[straddles(c.upper, forms) for c in session.candidates],
        register=register_flags(drawn.upper, settings),
    )
    if label_row is not None:
        row.labels = [w for w in label_row.get("tags", "").split(";") if w.strip()]
        score = score_photo(row.labels, label_row.get("description", ""), session.tags)
        row.found, row.missed = list(score.found), list(score.missed)
    return row


def share(flags: list[bool]) -> float | None:
    return sum(flags) / len(flags) if flags else None


def figures(rows: list[PhotoRow]) -> dict:
    found = sum(len(r.found) for r in rows)
    scored = found + sum(len(r.missed) for r in rows)
    flagged = [r.register for r in rows if r.register is not None]
    stages: dict[str, list[float]] = {}
    for r in rows:
        for name, ms in r.stages.items():
            stages.setdefault(name, []).append(ms)
    stages["total (wall)"] = [r.wall_ms for r in rows]
    drawn = Counter(r.candidates[0].upper for r in rows)
    return {
        "photos": len(rows),
        "label_recall": found / scored if scored else None,
        "labels_found": found,
        "labels_scored": scored,
        "straddling_picks": share([r.straddles[0] for r in rows]),
        "straddling_candidates": share([s for r in rows for s in r.straddles]),
        "jokey_or_negative_picks": share([f["jokey"] or f["melancholy"] for f in flagged])
        if flagged
        else None,
        "festive_picks": share([f["festive"] for f in flagged]) if flagged else None,
        "devotional_picks": share([f["devotional"] for f in flagged]) if flagged else None,
        "distinct_drawn": len(drawn),
        "most_repeated_drawn": drawn.most_common(1)[0][1],
        "latency_ms": {
            name: {"p50": statistics.median(v), "p95": sorted(v)[min(len(v) - 1, round(0.95 * (len(v) - 1)))]}
            for name, v in stages.items()
        },
    }


def _percent(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1%}"


def print_figures(result: dict) -> None:
    print(f"| figure | value |\n| --- | ---: |\n| photos | {result['photos']} |")
    recall = _percent(result["label_recall"])
    print(
        f"| labelled concepts among the tags | {recall} "
        f"({result['labels_found']}/{result['labels_scored']}) |"
    )
    print(
        f"| drawn lines whose tag word straddles a word boundary | {_percent(result['straddling_picks'])} |"
    )
    print(f"| … among all three candidates | {_percent(result['straddling_candidates'])} |")
    print(f"| drawn lines flagged jokey or negative | {_percent(result['jokey_or_negative_picks'])} |")
    print(f"| drawn lines flagged festive (an occasion's) | {_percent(result['festive_picks'])} |")
    print(f"| drawn lines flagged devotional (a temple's) | {_percent(result['devotional_picks'])} |")
    print(f"| distinct drawn upper lines | {result['distinct_drawn']} |")
    print(f"| photos of the most repeated drawn upper line | {result['most_repeated_drawn']} |")
    print("\n| stage | p50 ms | p95 ms |\n| --- | ---: | ---: |")
    for name, v in result["latency_ms"].items():
        print(f"| {name} | {v['p50']:.0f} | {v['p95']:.0f} |")


def _tag_html(tag: Tag) -> str:
    return f'<span class="{tag.kind}">{html.escape(tag.name)} {tag.confidence:.2f}</span>'


def write_html(rows: list[PhotoRow], result: dict, out: Path) -> None:
    cards = []
    for r in rows:
        couplets = "".join(
            f'<li class="{"drawn" if k == 0 else ""}">{"▶ " if k == 0 else ""}{html.escape(c.upper)} / '
            f"{html.escape(c.lower)} 〔{html.escape(c.horizontal)}〕</li>"
            for k, c in enumerate(r.candidates)
        )
        notes = []
        if r.labels:
            notes.append(
                f"labels: {html.escape(', '.join(r.labels))}; "
                f"missed: {html.escape(', '.join(r.missed)) or '–'}"
            )
        if any(r.straddles):
            numbers = ", ".join(str(k + 1) for k, s in enumerate(r.straddles) if s)
            notes.append(f"tag word straddles a word boundary in candidate {numbers}")
        if r.register and any(r.register.values()):
            notes.append("flagged: " + ", ".join(k for k, v in r.register.items() if v))
        cards.append(
            f'<div class="card"><img src="{r.image}" alt="{html.escape(r.photo)}">'
            f"<h3>{html.escape(r.photo)}</h3>"
            f'<p class="tags">{" ".join(_tag_html(t) for t in r.tags)}</p><ol>{couplets}</ol>'
            f'<p class="notes">{"<br>".join(notes)}</p></div>'
        )
    summary = (
        f"{result['photos']} photos; labelled concepts among the tags {_percent(result['label_recall'])}; "
        f"straddling picks {_percent(result['straddling_picks'])}; jokey or negative picks "
        f"{_percent(result['jokey_or_negative_picks'])}"
    )
    page = f"""<!doctype html>
<html lang="zh"><head><meta charset="utf-8"><title>Photo review</title><style>
body {{ font-family: sans-serif; margin: 1em; }}
.grid {{ display: grid; grid-template-columns: repeat(auto-fill, minmax(360px, 1fr)); gap: 1em; }}
.card {{ border: 1px solid #ccc; padding: .5em; }} .card img {{ width: 100%; }}
h3 {{ font-size: .9em; margin: .3em 0; }} ol {{ padding-left: 1.2em; margin: .3em 0; }}
.drawn {{ font-weight: bold; }} .notes {{ color: #a33; font-size: .85em; }}
.object {{ color: #333; }} .scene {{ color: #147a28; }} .mood {{ color: #1e46aa; }}
</style></head><body>
<h1>Photo review</h1><p>{html.escape(summary)}. Tags: <span class="object">object</span>,
<span class="scene">scene</span>, <span class="mood">mood</span>; ▶ marks the couplet drawn.</p>
<div class="grid">{"".join(cards)}</div></body></html>
"""
    (out / "sheet.html").write_text(page, encoding="utf-8")


def _wrapped(
    draw: ImageDraw.ImageDraw,
    pieces: list[tuple[str, tuple[int, int, int]]],
    font,
    x: int,
    y: int,
    width: int,
) -> int:
    """Draws coloured pieces of text left to right, wrapping at `width`; returns the y below them."""
    tx, height = x, font.size + 6
    for text, colour in pieces:
        for ch in text:
            step = draw.textlength(ch, font=font)
            if tx + step > x + width:
                tx, y = x, y + height
            draw.text((tx, y), ch, font=font, fill=colour)
            tx += step
    return y + height


def write_pngs(rows: list[PhotoRow], out: Path, font_path: Path) -> list[Path]:
    font, small = ImageFont.truetype(str(font_path), 20), ImageFont.truetype(str(font_path), 17)
    width = TILE[0] - 20
    pages = []
    for start in range(0, len(rows), PAGE):
        chunk = rows[start : start + PAGE]
        lines = -(-len(chunk) // COLUMNS)
        sheet = Image.new("RGB", (COLUMNS * TILE[0], lines * TILE[1]), "white")
        draw = ImageDraw.Draw(sheet)
        for k, r in enumerate(chunk):
            x, y = k % COLUMNS * TILE[0] + 10, k // COLUMNS * TILE[1] + 10
            drawn = Image.open(out / r.image).convert("RGB")
            drawn.thumbnail(THUMB)
            sheet.paste(drawn, (x, y))
            ty = _wrapped(draw, [(r.photo, (0, 0, 0))], small, x, y + THUMB[1] + 4, width)
            tags = [(f"{t.name}{t.confidence:.2f} ", KIND_COLOURS[t.kind]) for t in r.tags]
            ty = _wrapped(draw, tags, font, x, ty, width)
            for j, c in enumerate(r.candidates):
                colour = (170, 20, 20) if j == 0 else (0, 0, 0)
                text = f"{'▶' if j == 0 else '　'}{c.upper}／{c.lower}〔{c.horizontal}〕"
                ty = _wrapped(draw, [(text, colour)], small, x, ty, width)
            notes = ([f"missed: {', '.join(r.missed)}"] if r.missed else []) + (
                ["straddles"] if r.straddles[0] else []
            )
            if notes:
                _wrapped(draw, [("; ".join(notes), (170, 40, 40))], small, x, ty, width)
        path = out / f"sheet-{start // PAGE + 1:02d}.png"
        sheet.save(path, optimize=True)
        pages.append(path)
    return pages


def review(folder: Path, out: Path, settings: Settings, results: Path, limit: int | None = None) -> dict:
    """Run every photo of `folder`, write the sheet to `out` and the figures to `results` (JSON)."""
    photos = sorted(p for p in folder.iterdir() if p.suffix.lower() in PHOTO_SUFFIXES)[:limit]
    if not photos:
        raise SystemExit(f"no JPEG, PNG or WebP photo in {folder}")
    labels = read_labels(folder)
    images = out / "images"
    images.mkdir(parents=True, exist_ok=True)
    pipeline.create(photos[0].read_bytes(), settings)  # warm-up: models load, caches fill
    pipeline.RECENT_PICKS.clear()  # … and the first photo is drawn as if it came first
    rows = [run_photo(p, settings, images, labels.get(p.name)) for p in photos]
    result = figures(rows)
    write_html(rows, result, out)
    pages = write_pngs(rows, out, get_fonts(settings).text_font)
    result["sheet"] = {"html": str(out / "sheet.html"), "png": [str(p) for p in pages]}
    result["per_photo"] = [r.to_dict() for r in rows]
    results.parent.mkdir(parents=True, exist_ok=True)
    results.write_text(json.dumps(result, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", nargs="?", type=Path, help="photos (default: the mirror's images/scenes)")
    parser.add_argument("--out", type=Path, default=RESULTS / "photo_review", help="where the sheet goes")
    parser.add_argument(
        "--name", default="photo_review", help="the figures go to benchmarks/results/NAME.json"
    )
    parser.add_argument("--limit", type=int, help="the first N photos only")
    parser.add_argument("--threads", type=int, default=1, help="torch threads")
    args = parser.parse_args()
    import torch

    torch.set_num_threads(args.threads)
    settings = Settings.from_env()
    folder = args.folder
    if folder is None:
        if settings.data_mirror is None:
            raise SystemExit("give a folder of photos, or set COUPLET_DATA_MIRROR (its images/scenes)")
        folder = settings.data_mirror / "images" / "scenes"
    result = review(folder, args.out, settings, RESULTS / f"{args.name}.json", args.limit)
    print_figures(result)
    print(f"\nsheet: {result['sheet']['html']} and {len(result['sheet']['png'])} PNG page(s)")


if __name__ == "__main__":
    main()
