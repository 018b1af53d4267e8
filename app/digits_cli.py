"""``couplet digits ...``: fetch, train, predict and calc. Thin shells over the domain functions."""

from __future__ import annotations

import json
from pathlib import Path

import click

from app.cli_options import fetch_options
from core.errors import UserError
from core.settings import Settings


@click.group()
def digits() -> None:
    """The handwriting module: MNIST digits and the handwritten calculator."""


@digits.command("fetch")
@fetch_options
@click.pass_obj
def fetch(settings: Settings, mirror: Path | None, force: bool) -> None:
    """MNIST (four idx files) and the math-symbol images, sha256-checked, into data/raw/digits."""
    from digits.fetch import digits_raw_dir, fetch_digits

    for name, digest in fetch_digits(
        digits_raw_dir(settings), mirror or settings.data_mirror, force=force
    ).items():
        click.echo(f"{name}\t{digest}")


@digits.command("train")
@click.option("--model", "kind", required=True, type=click.Choice(["fc", "cnn", "symbols"]))
@click.option("--epochs", type=int, help="Epochs [fc 40, cnn 20, symbols 12].")
@click.option("--lr", type=float, help="Peak learning rate of the one-cycle schedule [2e-3].")
@click.option("--batch-size", type=int, default=128, show_default=True)
@click.option("--max-minutes", type=float, help="Stop after the epoch that passes this time.")
@click.option("--train-limit", type=int, help="Use only the first N training images (smoke runs).")
@click.option("--no-augment", is_flag=True, help="Train without augmentation.")
@click.option(
    "--skeletons", is_flag=True, help="Add every training picture once more, redrawn from its skeleton."
)
@click.option(
    "--init",
    type=click.Path(path_type=Path, exists=True, dir_okay=False),
    help="Start from these weights (fine-tuning) instead of a random model.",
)
@click.option(
    "--no-bf16",
    is_flag=True,
    help="Train in fp32 (the default: bf16 autocast where the CPU computes bf16 natively).",
)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option(
    "--out", type=click.Path(path_type=Path), help="Weights file [data/models/digits/KIND.safetensors]."
)
@click.option("--no-export", is_flag=True, help="Do not write weights.")
@click.pass_obj
def train(
    settings: Settings, kind: str, out: Path | None, no_export: bool, no_augment: bool, no_bf16: bool, **knobs
) -> None:
    """Train a digit model (fc, cnn) on MNIST or the symbol classifier, and write fp16 weights."""
    from digits.fetch import digits_raw_dir
    from digits.networks import weights_path
    from digits.resources import models_dir
    from digits.train import DigitTrainConfig
    from digits.train import train as run_training

    results = settings.data_dir / "results"
    cfg = DigitTrainConfig(
        kind=kind,
        raw_dir=digits_raw_dir(settings),
        cache_dir=settings.prepared_dir / "digits",
        out=None if no_export else (out or weights_path(models_dir(settings), kind)),
        augment=not no_augment,
        bf16=not no_bf16,
        log_file=results / f"digits_train_{kind}.jsonl",
        **knobs,
    )
    summary = run_training(cfg)
    results.mkdir(parents=True, exist_ok=True)
    (results / f"digits_train_{kind}.json").write_text(
        json.dumps(summary, ensure_ascii=False, indent=2) + "\n"
    )
    click.echo(
        json.dumps(
            {k: summary[k] for k in ("kind", "epochs", "train_minutes", "threads", "final")},
            ensure_ascii=False,
        )
    )


@digits.command("predict")
@click.argument("image", type=click.Path(path_type=Path, exists=True, dir_okay=False))
@click.option("--model", "kind", default="cnn", show_default=True, type=click.Choice(["cnn", "fc"]))
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def predict(settings: Settings, image: Path, kind: str, as_json: bool) -> None:
    """The digit in IMAGE (any JPG/PNG, dark on light or the reverse), with its probabilities."""
    from digits.recognise import predict_digit
    from digits.resources import get_model

    result = predict_digit(image, get_model(kind, settings))
    if as_json:
        click.echo(json.dumps(result.to_dict()))
        return
    if result.digit is None:
        click.echo(
            f"not a digit ({'blank image' if result.reason == 'blank' else 'no digit is likely enough'}; "
            f"best guess {max(range(10), key=lambda d: result.probabilities[d])} at {result.confidence:.2f})"
        )
    else:
        click.echo(
            f"{result.digit}  (confidence {result.confidence:.3f}{', inverted' if result.inverted else ''})"
        )
    top = sorted(range(10), key=lambda d: -result.probabilities[d])[:3]
    click.echo("  " + "  ".join(f"{d}: {result.probabilities[d]:.3f}" for d in top))


@digits.command("calc")
@click.argument("source", type=click.Path(path_type=Path, exists=True, dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def calc(settings: Settings, source: Path, as_json: bool) -> None:
    """Read and evaluate a handwritten expression from an IMAGE or a STROKES.json file."""
    from digits.grammar import ExpressionError
    from digits.recognise import read_image, read_strokes, solve
    from digits.resources import get_reader
    from digits.segment import parse_strokes

    reader = get_reader(settings)
    if source.suffix.lower() == ".json":
        try:
            payload = json.loads(source.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise UserError(f"{source}: not a JSON file ({exc})") from exc
        symbols = read_strokes(parse_strokes(payload), reader)
    else:
        symbols = read_image(source, reader)
    try:
        result = solve(symbols)
    except ExpressionError as exc:
        read = getattr(exc, "expression", "")
        raise UserError(f"{exc}" + (f" (read: {read})" if read else "")) from exc
    if as_json:
        click.echo(json.dumps(result, ensure_ascii=False))
        return
    value, decimal = result["value"], result["decimal"]
    click.echo(f"{result['expression']}  →  {value}" + (f"  ≈ {decimal}" if decimal != value else ""))
