"""Benchmark the local tagger's scene and mood tags on the labelled scene photos of the data mirror.

    COUPLET_DATA_MIRROR=../shared/data .venv/bin/python benchmarks/scene_tags.py [--imagenet N]

For each of the 96 photos in images/scenes, the recall of its labelled concepts (labels.tsv `tags`,
English words scored by vision/label_concepts.tsv) among its tags, with the object tags alone (the
tagger before scene tags: `LocalTagger(scenes=False)`) and with scene and mood tags; overall and per
label word. Precision: the share of scene and mood tags that a word of the photo's labels or description
supports. Then how often each scene and mood tag fires on the ImageNet samples (one object photo per
class, nearly all by day and without snow): the false-positive check that the colour thresholds were
set against. Prints a table and writes benchmarks/results/scene_tags.json with per-photo rows.
"""

from __future__ import annotations

import argparse
import csv
import json
from collections import Counter
from pathlib import Path

import torch

from core.settings import Settings
from vision.colours import measure
from vision.local import LocalTagger
from vision.recall import PhotoScore, score_photo
from vision.scene import with_scene
from vision.tags import Tag

RESULTS = Path(__file__).resolve().parent / "results"


def read_labels(folder: Path) -> list[dict[str, str]]:
    with (folder / "labels.tsv").open(encoding="utf-8") as f:
        return list(csv.DictReader(f, delimiter="\t"))


def both_taggings(tagger: LocalTagger, image_bytes: bytes) -> tuple[list[Tag], list[Tag]]:
    """(object tags alone, object tags with scene and mood tags) from one run of the model."""
    image = tagger.open(image_bytes)
    output = tagger.outputs(image)
    objects = tagger.tags_from_probabilities(output.probs)
    return objects, with_scene(objects, output, measure(image), tagger.source)


def summary(scores: list[PhotoScore]) -> dict:
    found = Counter(word for s in scores for word in s.found)
    total = Counter(word for s in scores for word in (*s.found, *s.missed))
    supported = sum(len(s.supported) for s in scores)
    views = supported + sum(len(s.unsupported) for s in scores)
    return {
        "recall": sum(found.values()) / max(1, sum(total.values())),
        "labels_found": sum(found.values()),
        "labels_scored": sum(total.values()),
        "scene_mood_tags": views,
        "scene_mood_precision": supported / views if views else None,
        "per_label": {word: {"found": found[word], "of": n} for word, n in total.most_common()},
    }


def imagenet_rates(tagger: LocalTagger, folder: Path, limit: int) -> dict[str, float]:
    """Share of the ImageNet samples on which each scene or mood tag fires."""
    rows = read_labels(folder)
    rows = rows[:: max(1, len(rows) // limit)][:limit]
    fired: Counter[str] = Counter()
    for row in rows:
        _, tags = both_taggings(tagger, (folder / row["filename"]).read_bytes())
        fired.update(t.name for t in tags if t.kind != "object")
    return {name: n / len(rows) for name, n in fired.most_common()} | {"images": len(rows)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--imagenet", type=int, default=1000, help="ImageNet samples for the firing rates (0: none)"
    )
    args = parser.parse_args()
    torch.set_num_threads(1)  # the machine's other core serves other work; the figures do not depend on it
    mirror = Settings.from_env().data_mirror
    if mirror is None:
        raise SystemExit("set COUPLET_DATA_MIRROR to the data mirror (it holds images/scenes)")
    folder = mirror / "images" / "scenes"
    tagger = LocalTagger()

    before, after, photos = [], [], []
    for row in read_labels(folder):
        labels, description = row["tags"].split(";"), row["description"]
        objects, tags = both_taggings(tagger, (folder / row["filename"]).read_bytes())
        before.append(score_photo(labels, description, objects))
        after.append(score := score_photo(labels, description, tags))
        photos.append(
            {
                "photo": row["filename"],
                "labels": labels,
                "tags": [f"{t.name}/{t.kind}/{t.confidence:.2f}" for t in tags],
                "found": score.found,
                "missed": score.missed,
                "unscored": score.unscored,
                "unsupported_scene_mood": score.unsupported,
            }
        )
    result = {
        "photos": len(photos),
        "objects_only": summary(before),
        "with_scene_mood": summary(after),
        "imagenet_firing_rates": imagenet_rates(tagger, mirror / "images" / "imagenet-samples", args.imagenet)
        if args.imagenet
        else None,
        "per_photo": photos,
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "scene_tags.json").write_text(
        json.dumps(result, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )

    for name in ("objects_only", "with_scene_mood"):
        s = result[name]
        precision = "–" if s["scene_mood_precision"] is None else f"{s['scene_mood_precision']:.1%}"
        print(
            f"{name:<16} recall {s['recall']:.1%} ({s['labels_found']}/{s['labels_scored']}), "
            f"scene/mood tags {s['scene_mood_tags']}, precision {precision}"
        )
    print("per label (objects only → with scene and mood):")
    old, new = result["objects_only"]["per_label"], result["with_scene_mood"]["per_label"]
    print("  " + "  ".join(f"{w} {old[w]['found']}→{c['found']}/{c['of']}" for w, c in new.items()))
    if result["imagenet_firing_rates"]:
        rates = result["imagenet_firing_rates"]
        print(
            f"fires on the {rates['images']} ImageNet samples: "
            + "  ".join(f"{k} {v:.1%}" for k, v in rates.items() if k != "images")
        )


if __name__ == "__main__":
    main()
