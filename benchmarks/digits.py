"""Benchmark the handwriting module.

    .venv/bin/python benchmarks/digits.py [--expressions 3000] [--mathnote 1000] [--photos 1000] [--threads 2]

- MNIST test accuracy of the shipped fc and cnn models; held-out accuracy of the symbol classifier.
- Exact-match accuracy on synthesized handwritten expressions built only from MNIST *test* digits and
  held-out symbol images, read from the picture and from strokes recovered by skeletonising it.
- The same expressions (strokes) through the ``mathnote-ocr`` package, when it is installed. It is not a
  dependency of the project; install it with

      .venv/bin/pip install --no-deps mathnote-ocr==0.2.1
      .venv/bin/pip install ziamath==0.13 ziafont==0.11 latex2mathml==3.81.1

  Of its declared needs, numpy, pillow, torch and pyyaml are already in the venv (pyyaml comes with
  transformers), ziamath (with ziafont and latex2mathml) is imported when it parses, and torchvision is
  used only for two transforms of its classifier, which this script provides (the project does not
  install torchvision).
- The photo pipeline: the cnn on MNIST test digits made into photos (size, paper, polarity, light,
  noise, JPEG), and the share of photos without a digit answered "not a digit": the 96 scene photos and
  the 1,000 ImageNet sample photos of the data mirror.
- Latency per expression and per photo.

Needs the data under data/raw/digits (``couplet digits fetch``). Prints a table and writes
benchmarks/results/digits.json.
"""

from __future__ import annotations

import sys
from pathlib import Path

# This file is named like the package it measures: keep its own folder off the import path.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

import argparse
import io
import json
import math
import re
import statistics
import tarfile
import time
import types

import numpy as np
import torch
from PIL import Image
from tqdm import tqdm

from core.settings import Settings
from digits import SYMBOLS, networks
from digits.datasets import FOLDER_TO_CHAR, is_held_out, looks_like_division
from digits.fetch import SYMBOLS_ARCHIVE, digits_raw_dir
from digits.grammar import ExpressionError
from digits.idx import load_mnist
from digits.preprocess import prepare_character
from digits.recognise import Reader, predict_digit, read_image, read_strokes, solve
from digits.resources import models_dir
from digits.segment import parse_strokes
from digits.skeleton import skeleton_fields
from digits.synth import GlyphBank, compose, random_expression, strokes_from_picture
from digits.train import accuracy

RESULTS = Path(__file__).resolve().parent / "results"


def held_out_symbols(archive: Path) -> dict[str, list[tuple[str, np.ndarray]]]:
    """Held-out symbol pictures per character: (file name, ink 0..1); ÷ pictures without a bar and dots are left out."""
    out: dict[str, list[tuple[str, np.ndarray]]] = {}
    with tarfile.open(archive, "r:xz") as tar:
        for member in tar.getmembers():
            parts = member.name.split("/")
            char = FOLDER_TO_CHAR.get(parts[-2]) if member.isfile() and len(parts) >= 2 else None
            if char is None or not is_held_out(parts[-1]):
                continue
            data = tar.extractfile(member).read()
            if char == "÷" and not looks_like_division(data):
                continue  # the source's label noise (a plain slash), dropped from training as well
            grey = np.asarray(Image.open(io.BytesIO(data)).convert("L"), dtype=np.float32)
            out.setdefault(char, []).append((parts[-1], 1 - grey / 255))
    return out


def symbol_accuracy(model, held: dict[str, list[tuple[str, np.ndarray]]]) -> dict:
    fields, labels = [], []
    for char, items in held.items():
        for _, ink in items:
            prepared = prepare_character(Image.fromarray(((1 - ink) * 255).astype(np.uint8)))
            if prepared.field is not None:
                fields.append(((prepared.field + 0.5) * 255).round().astype(np.uint8))
                labels.append(SYMBOLS.index(char))
    labels = np.array(labels)
    acc, pred = accuracy(model, np.stack(fields), labels)
    per_class = {
        c: round(float((pred[labels == k] == k).mean()), 4)
        for k, c in enumerate(SYMBOLS)
        if (labels == k).any()
    }
    return {"images": len(labels), "accuracy": round(acc, 5), "per_class": per_class}


def as_photo(ink: np.ndarray, rng: np.random.Generator) -> bytes:
    """A 28×28 MNIST digit as a phone photo: enlarged, coloured paper, either polarity, uneven light, noise, JPEG."""
    side = int(rng.integers(120, 640))
    big = (
        np.asarray(
            Image.fromarray((ink * 255).astype(np.uint8)).resize((side, side), Image.Resampling.BICUBIC),
            dtype=np.float32,
        )
        / 255
    )
    paper, pen = rng.uniform(150, 255, 3), rng.uniform(0, 90, 3)
    if rng.random() < 0.3:  # chalk on a board
        paper, pen = rng.uniform(0, 80, 3), rng.uniform(170, 255, 3)
    rgb = paper[None, None] * (1 - big[..., None]) + pen[None, None] * big[..., None]
    light = np.linspace(rng.uniform(0.6, 1.0), rng.uniform(0.8, 1.1), side)
    rgb = rgb * (light[:, None, None] if rng.random() < 0.5 else light[None, :, None])
    rgb = rgb + rng.normal(0, rng.uniform(2, 10), rgb.shape)
    buffer = io.BytesIO()
    Image.fromarray(rgb.clip(0, 255).astype(np.uint8)).save(buffer, "JPEG", quality=int(rng.integers(60, 95)))
    return buffer.getvalue()


def photo_benchmark(model, test_x, test_y, count: int, seed: int) -> dict:
    """The CNN through the whole photo pipeline on MNIST test digits made into photos."""
    rng = np.random.default_rng(seed)
    picks = rng.choice(len(test_y), size=min(count, len(test_y)), replace=False)
    right = rejected = 0
    seconds = []
    for i in tqdm(picks, desc="digit photos", unit="photo"):
        photo = as_photo(test_x[i] / 255.0, rng)
        started = time.perf_counter()
        result = predict_digit(photo, model)
        seconds.append(time.perf_counter() - started)
        right += result.digit == int(test_y[i])
        rejected += result.digit is None
    return {
        "photos": len(picks),
        "accuracy": round(right / len(picks), 4),
        "rejected": round(rejected / len(picks), 4),
        "latency": latency_summary(seconds),
    }


def non_digit_benchmark(model, folder: Path) -> dict | None:
    """Photos with no digit (everyday scenes, ImageNet samples): the share answered "not a digit"."""
    files = (
        sorted(f for f in folder.iterdir() if f.suffix.lower() in (".jpg", ".jpeg", ".png"))
        if folder.is_dir()
        else []
    )
    if not files:
        return None
    answers = [predict_digit(f, model) for f in tqdm(files, desc=folder.name, unit="photo")]
    return {"photos": len(files), "rejected": round(sum(a.digit is None for a in answers) / len(files), 4)}


def install_torchvision_shim() -> None:
    """mathnote-ocr imports torchvision only for ToTensor and Normalize; provide those two."""
    if "torchvision" in sys.modules:
        return
    tv, tr = types.ModuleType("torchvision"), types.ModuleType("torchvision.transforms")

    class Compose:
        def __init__(self, steps):
            self.steps = steps

        def __call__(self, x):
            for step in self.steps:
                x = step(x)
            return x

    class ToTensor:
        def __call__(self, image):
            a = np.asarray(image, dtype=np.float32) / 255.0
            return torch.from_numpy((a[None] if a.ndim == 2 else a.transpose(2, 0, 1)).copy())

    class Normalize:
        def __init__(self, mean, std):
            self.mean, self.std = torch.tensor(mean).view(-1, 1, 1), torch.tensor(std).view(-1, 1, 1)

        def __call__(self, x):
            return (x - self.mean) / self.std

    tr.Compose, tr.ToTensor, tr.Normalize = Compose, ToTensor, Normalize
    tv.transforms = tr
    sys.modules["torchvision"], sys.modules["torchvision.transforms"] = tv, tr


def mathnote_reader():
    """A function strokes -> expression text using mathnote-ocr limited to the calculator's symbols, or None."""
    try:
        install_torchvision_shim()
        from mathnote_ocr import MathOCR, Relations, Vocabulary
    except ImportError:
        return None, None
    base = MathOCR()
    names = base.classifier.label_names
    keep = set("0123456789+-=()") | {"times", "div", "dot", "frac_bar"}
    aliases = {"x": "times", "X_cap": "times", "cdot": "times", "slash": "div"}
    vocabulary = Vocabulary(exclude={n for n in names if n not in keep and n not in aliases}, aliases=aliases)
    ocr = MathOCR(
        vocabulary=vocabulary, relations=Relations(exclude={"sup", "sub", "sqrt", "upper", "lower"})
    )

    def read(strokes) -> str:
        try:
            latex = ocr.detect([[(float(x), float(y)) for x, y in s] for s in strokes]).latex
        except Exception as exc:  # noqa: BLE001 - a third-party reader failing on one input is a wrong answer
            return f"error: {type(exc).__name__}"
        return latex_to_text(latex)

    import importlib.metadata

    return read, importlib.metadata.version("mathnote-ocr")


def latex_to_text(latex: str) -> str:
    text = re.sub(r"\\frac\{\s*\\cdot\s*\}\{\s*\\cdot\s*\}", "÷", latex)
    for a, b in (
        (r"\left(", "("),
        (r"\right)", ")"),
        (r"\times", "×"),
        (r"\div", "÷"),
        (r"\cdot", "×"),
        ("{", ""),
        ("}", ""),
        (" ", ""),
        ("x", "×"),
        ("X", "×"),
    ):
        text = text.replace(a, b)
    return text


def run_ours(read, source, reader: Reader) -> tuple[str, str | None, float]:
    """(text read, value or None, seconds)."""
    started = time.perf_counter()
    symbols = read(source, reader)
    try:
        result = solve(symbols)
        text, value = result["expression"], result["value"]
    except ExpressionError as exc:
        text, value = getattr(exc, "expression", ""), None
    return text, value, time.perf_counter() - started


def wilson(right: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """The Wilson score interval (95% by default) of a share measured as right out of n."""
    if n == 0:
        return 0.0, 1.0
    p = right / n
    centre, spread = p + z * z / (2 * n), z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return max(0.0, (centre - spread) / (1 + z * z / n)), min(1.0, (centre + spread) / (1 + z * z / n))


def latency_summary(seconds: list[float]) -> dict:
    ms = sorted(s * 1000 for s in seconds)
    return (
        {
            "mean_ms": round(statistics.fmean(ms), 2),
            "p50_ms": round(ms[len(ms) // 2], 2),
            "p95_ms": round(ms[int(len(ms) * 0.95) - 1], 2),
        }
        if ms
        else {}
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    # 3,000: at 95% exact, 1,000 expressions leave a 95% interval of ±1.4 points, 3,000 of ±0.8
    parser.add_argument("--expressions", type=int, default=3000)
    parser.add_argument(
        "--mathnote",
        type=int,
        default=1000,
        help="How many of the expressions mathnote-ocr reads (0: skip it).",
    )
    parser.add_argument("--photos", type=int, default=1000, help="MNIST test digits made into photos.")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--models-dir", type=Path, help="Folder with fc/cnn/symbols.safetensors [data/models/digits]."
    )
    parser.add_argument("--out", type=Path, default=RESULTS / "digits.json")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    settings = Settings.from_env()
    raw = digits_raw_dir(settings)
    folder = args.models_dir or models_dir(settings)
    report: dict = {"threads": args.threads, "seed": args.seed, "models": {}}

    test_x, test_y = load_mnist(raw, "test")
    skeletons = skeleton_fields(test_x)  # the test digits as strokes recovered from them look to the models
    for kind in ("fc", "cnn", "symbols"):
        path = networks.weights_path(folder, kind)
        if not path.is_file():
            print(f"skipping {kind}: {path} is missing")
            continue
        model = networks.load(path, kind)
        started = time.perf_counter()
        acc, _ = accuracy(model, test_x, test_y)
        entry = {
            "mnist_test_accuracy": round(acc, 5),
            "mnist_test_seconds": round(time.perf_counter() - started, 2),
            "mnist_test_skeletons_accuracy": round(accuracy(model, skeletons, test_y)[0], 5),
            "trained": networks.metadata(path)["info"],
        }
        report["models"][kind] = entry
    if "cnn" in report["models"]:
        cnn = networks.load(networks.weights_path(folder, "cnn"), "cnn")
        report["digit_photos"] = photo_benchmark(cnn, test_x, test_y, args.photos, args.seed)
        mirror = settings.data_mirror
        for key, name in (("scene_photos", "scenes"), ("imagenet_photos", "imagenet-samples")):
            found = non_digit_benchmark(cnn, mirror / "images" / name) if mirror else None
            if found:
                report[key] = found
    held = held_out_symbols(raw / SYMBOLS_ARCHIVE)
    symbols_path = networks.weights_path(folder, "symbols")
    if not symbols_path.is_file():
        raise SystemExit(f"{symbols_path} is missing: train it with `couplet digits train --model symbols`")
    symbols_model = networks.load(symbols_path, "symbols")
    report["models"]["symbols"]["held_out_symbols"] = symbol_accuracy(symbols_model, held)
    reader = Reader(symbols_model, cnn if "cnn" in report["models"] else None)

    # Synthesized expressions from MNIST test digits and held-out symbol pictures only.
    glyphs = {str(d): [test_x[i] / 255.0 for i in np.nonzero(test_y == d)[0]] for d in range(10)}
    glyphs.update({c: [ink for _, ink in items] for c, items in held.items() if not c.isdigit()})
    bank, rng = GlyphBank(glyphs), np.random.default_rng(args.seed)
    cases = []
    for _ in range(args.expressions):
        text = random_expression(rng)
        picture = compose(text, bank, rng)
        cases.append((text, picture, strokes_from_picture(picture)))
    mathnote, mathnote_version = mathnote_reader() if args.mathnote > 0 else (None, None)
    rows, lat = [], {"image": [], "strokes": [], "mathnote": []}
    for k, (text, picture, strokes) in enumerate(tqdm(cases, desc="expressions", unit="expr")):
        row = {"truth": text}
        row["image"], row["image_value"], t = run_ours(read_image, picture, reader)
        lat["image"].append(t)
        row["strokes"], row["strokes_value"], t = run_ours(read_strokes, parse_strokes(strokes), reader)
        lat["strokes"].append(t)
        row["n_strokes"] = len(strokes)
        if mathnote is not None and k < args.mathnote:
            started = time.perf_counter()
            row["mathnote"] = mathnote(strokes)
            lat["mathnote"].append(time.perf_counter() - started)
        rows.append(row)

    def right(key: str, subset: list[dict]) -> int:
        return sum(r.get(key) == r["truth"] for r in subset)

    def exact(key: str, subset: list[dict]) -> float:
        return round(right(key, subset) / max(1, len(subset)), 4)

    def interval(key: str) -> list[float]:
        return [round(v, 4) for v in wilson(right(key, rows), len(rows))]

    n_mn = min(args.mathnote, len(rows)) if mathnote else 0
    report["expressions"] = {
        "count": len(rows),
        "exact_match": {"ours_image": exact("image", rows), "ours_strokes": exact("strokes", rows)},
        "exact_match_ci95": {"ours_image": interval("image"), "ours_strokes": interval("strokes")},
        "latency": {
            "ours_image": latency_summary(lat["image"]),
            "ours_strokes": latency_summary(lat["strokes"]),
        },
        # a reading with more or fewer symbols than written went wrong in segmentation, else in a symbol
        "errors": {
            key: {
                "segmentation": sum(r[k] != r["truth"] and len(r[k]) != len(r["truth"]) for r in rows),
                "symbol": sum(r[k] != r["truth"] and len(r[k]) == len(r["truth"]) for r in rows),
            }
            for key, k in (("ours_image", "image"), ("ours_strokes", "strokes"))
        },
        "mean_symbols": round(statistics.fmean(len(r["truth"]) for r in rows), 2),
        "mean_strokes": round(statistics.fmean(r["n_strokes"] for r in rows), 2),
    }
    if n_mn:
        sub = rows[:n_mn]
        report["expressions"]["mathnote_subset"] = {
            "count": n_mn,
            "version": mathnote_version,
            "exact_match": {
                "mathnote_strokes": exact("mathnote", sub),
                "ours_strokes": exact("strokes", sub),
                "ours_image": exact("image", sub),
            },
            "latency": {"mathnote_strokes": latency_summary(lat["mathnote"])},
        }
    report["examples"] = {
        "wrong_image": [r for r in rows if r["image"] != r["truth"]][:15],
        "wrong_strokes": [r for r in rows if r["strokes"] != r["truth"]][:15],
        "first": rows[:10],
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print_table(report)
    print(f"\nwritten to {args.out}")


def print_table(report: dict) -> None:
    print("\nmodel      MNIST test   as skeletons   trained (min, threads, epochs)")
    for kind, entry in report["models"].items():
        info = entry.get("trained", {})
        print(
            f"{kind:<10} {entry['mnist_test_accuracy']:>9.2%}   {entry['mnist_test_skeletons_accuracy']:>11.2%}   "
            f"{info.get('train_minutes', '?')} min, {info.get('threads', '?')} threads, {info.get('epochs', '?')} epochs"
        )
    if "digit_photos" in report:
        ph = report["digit_photos"]
        print(
            f"cnn on {ph['photos']} MNIST test digits made into photos: {ph['accuracy']:.2%} right, "
            f"{ph['rejected']:.2%} 'not a digit' ({ph['latency']['mean_ms']} ms each)"
        )
    for key in ("scene_photos", "imagenet_photos"):
        if key in report:
            print(
                f"{key.replace('_', ' ')} (no digit) answered 'not a digit': {report[key]['rejected']:.2%} "
                f"of {report[key]['photos']}"
            )
    sym = report["models"]["symbols"]["held_out_symbols"]
    print(f"held-out symbol images: {sym['accuracy']:.2%} of {sym['images']}")
    ex = report["expressions"]
    print(
        f"\nsynthesized expressions: {ex['count']} (mean {ex['mean_symbols']} symbols, {ex['mean_strokes']} strokes)"
    )
    print("reader                  exact match   95% interval    latency mean / p95 (ms)")
    for key in ("ours_image", "ours_strokes"):
        lat = ex["latency"][key]
        err = ex["errors"][key]
        lo, hi = ex["exact_match_ci95"][key]
        print(
            f"{key:<23} {ex['exact_match'][key]:>10.2%}   {lo:.2%}-{hi:.2%}   {lat['mean_ms']} / {lat['p95_ms']}   "
            f"wrong: {err['segmentation']} segmentation, {err['symbol']} symbol"
        )
    if "mathnote_subset" in ex:
        mn = ex["mathnote_subset"]
        lat = mn["latency"]["mathnote_strokes"]
        print(
            f"on the first {mn['count']}: mathnote-ocr {mn['version']} (strokes) {mn['exact_match']['mathnote_strokes']:.2%} "
            f"({lat['mean_ms']} / {lat['p95_ms']} ms), ours strokes {mn['exact_match']['ours_strokes']:.2%}, "
            f"ours image {mn['exact_match']['ours_image']:.2%}"
        )


if __name__ == "__main__":
    main()
