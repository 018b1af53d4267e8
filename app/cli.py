"""The ``couplet`` command. Each sub-command is a thin shell over a domain function."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path

import click

from app.cli_options import fetch_options, search_options
from app.digits_cli import digits as digits_commands
from core.errors import UserError
from core.settings import Settings


class Group(click.Group):
    """Turns a UserError anywhere below into its message and exit code 2."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except UserError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(2)


@click.group(cls=Group)
@click.option("-v", "--verbose", is_flag=True, help="Debug logging.")
@click.pass_context
def main(ctx: click.Context, verbose: bool) -> None:
    """联景联情: couplets from photos, and the handwriting module."""
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    ctx.obj = Settings.from_env()


@main.group()
def data() -> None:
    """Download and prepare the couplet corpus."""


@data.command("fetch")
@fetch_options
@click.pass_obj
def data_fetch(settings: Settings, mirror: Path | None, force: bool) -> None:
    """Download the corpus, bad-word list and classic couplets (checksummed, resumable)."""
    from couplet.fetch import fetch_all

    hashes = fetch_all(settings.raw_dir, mirror or settings.data_mirror, force=force)
    for name, digest in hashes.items():
        click.echo(f"{name}\t{digest}")


@data.command("prepare")
@click.option("--force", is_flag=True, help="Rebuild even if the outputs are up to date.")
@click.pass_obj
def data_prepare(settings: Settings, force: bool) -> None:
    """Clean the corpus, build train / dev / leak-free test / novel / classic splits and the corpus store."""
    from couplet.prepare import prepare

    result = prepare(settings.raw_dir, settings.prepared_dir, settings.corpus_dir, force=force)
    if result.skipped:
        click.echo(f"{settings.prepared_dir} is up to date (nothing to do)")
    if result.corpus_built:
        click.echo(f"corpus store written to {settings.corpus_dir}", err=True)
    click.echo(json.dumps(result.manifest, ensure_ascii=False, indent=2))


@main.command()
@click.argument("predictions", required=False, type=click.Path(path_type=Path))
@click.option(
    "--baseline", type=click.Choice(["copy", "retrieval"]), help="Score a built-in baseline instead."
)
@click.option("--split", default="test", type=click.Choice(["test", "dev", "classic"]), show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.pass_obj
def evaluate(
    settings: Settings, predictions: Path | None, baseline: str | None, split: str, as_json: bool
) -> None:
    """Score PREDICTIONS (upper<TAB>lower per line) or a baseline: BLEU, novel-subset BLEU, rule rates, and
    parallelism, tone opposition (新韵 and 平水韵) and copying beside the human references' own rates."""
    from couplet import evaluate as ev

    if (predictions is None) == (baseline is None):
        raise UserError("give either a predictions file or --baseline")
    report = ev.evaluate_source(
        settings.prepared_dir, settings.corpus_dir, split, predictions=predictions, baseline=baseline
    )
    click.echo(json.dumps(report, ensure_ascii=False) if as_json else ev.format_report(report))


def parse_tasks(value: str) -> tuple[str, ...]:
    from couplet.model.tasks import TASKS

    tasks = tuple(t.strip() for t in value.split(",") if t.strip())
    unknown = [t for t in tasks if t not in TASKS]
    if unknown or not tasks:
        raise click.BadParameter(f"choose from {', '.join(TASKS)}; got {value!r}")
    return tasks


@main.command()
@click.option(
    "--size", default="small", type=click.Choice(["tiny", "small", "deep", "base"]), show_default=True
)
@click.option("--device", default="cpu", show_default=True, help="cpu, cuda or cuda:N.")
@click.option(
    "--out", "out_dir", type=click.Path(path_type=Path), help="Checkpoints [data/checkpoints/generator]."
)
@click.option(
    "--export/--no-export", default=True, show_default=True, help="Write fp16 weights to the models dir."
)
@click.option("--resume", is_flag=True, help="Continue from the checkpoint in --out.")
@click.option(
    "--init",
    "init_from",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Start from these trained weights (e.g. data/models/generator) with a fresh schedule.",
)
@click.option("--max-minutes", type=float, help="Stop (and end the LR schedule) after this long.")
@click.option("--max-steps", type=int, default=1_000_000, show_default=True)
@click.option("--epochs", type=float, help="Stop after this many epochs.")
@click.option("--batch-tokens", type=int, default=4096, show_default=True)
@click.option("--lr", type=float, default=1e-3, show_default=True)
@click.option("--warmup-steps", type=int, default=1000, show_default=True)
@click.option("--label-smoothing", type=float, default=0.1, show_default=True)
@click.option("--eval-every", type=int, default=500, show_default=True)
@click.option("--train-limit", type=int, help="Train on the first N pairs only (smoke runs).")
@click.option(
    "--tasks",
    default="lower",
    show_default=True,
    callback=lambda ctx, param, value: parse_tasks(value),
    help="What the model learns, comma-separated: lower (upper → lower line), upper (the other direction), "
    "write (keywords → an upper line). See couplet/model/tasks.py.",
)
@click.option(
    "--no-bf16",
    is_flag=True,
    help="Train in fp32 (the default: bf16 autocast on a GPU, and on a CPU that computes bf16 natively).",
)
@click.pass_obj
def train(settings: Settings, out_dir: Path | None, export: bool, no_bf16: bool, **knobs) -> None:
    """Train the lower-line generator (resumable; run under torchrun for data parallelism)."""
    import torch

    from couplet.model.train import TrainConfig
    from couplet.model.train import train as run_training

    if knobs["device"].startswith("cuda") and not torch.cuda.is_available():
        raise UserError("--device cuda was asked for but no CUDA device is available")
    cfg = TrainConfig(
        prepared_dir=settings.prepared_dir,
        out_dir=out_dir or settings.data_dir / "checkpoints" / "generator",
        export_dir=settings.generator_dir if export else None,
        bf16=not no_bf16,
        **knobs,
    )
    summary = run_training(cfg)
    click.echo(json.dumps(summary["final"], ensure_ascii=False))


def decode_options(knobs: dict):
    from couplet.model.generator import DecodeOptions

    return DecodeOptions(**knobs)


def rules_note(rules: dict) -> str:
    failed = [name for name, r in rules.items() if not r.passed]
    return "all rules pass" if not failed else "fails: " + ", ".join(failed)


def echo_lowers(upper: str, candidates: list, as_json: bool) -> None:
    """Ranked lower lines for an upper line, as text or JSON."""
    if as_json:
        click.echo(
            json.dumps({"upper": upper, "candidates": [c.to_dict() for c in candidates]}, ensure_ascii=False)
        )
        return
    click.echo(f"上联  {upper}")
    for rank, c in enumerate(candidates, 1):
        known = "  [a known couplet from the corpus]" if c.source == "memory" else ""
        click.echo(f"{rank}. 下联  {c.lower}   score {c.score:.3f}  ({rules_note(c.rules)}){known}")


@main.command()
@click.argument("upper")
@search_options
@click.pass_obj
def generate(settings: Settings, upper: str, n: int, as_json: bool, **knobs) -> None:
    """Write lower lines for UPPER, ranked, with their rule results."""
    from couplet.couplets import checked_upper
    from couplet.couplets import generate as generate_lines

    line = checked_upper(upper, settings)
    echo_lowers(line, generate_lines(line, n, decode_options(knobs), settings), as_json)


@main.command()
@click.argument("upper")
@click.argument("pattern")
@search_options
@click.pass_obj
def refill(settings: Settings, upper: str, pattern: str, n: int, as_json: bool, **knobs) -> None:
    """Keep the characters of PATTERN, a lower line for UPPER with ? at each position to fill
    (e.g. "?日?窗万户?"), and fill the rest under the rules."""
    from couplet.couplets import checked_upper
    from couplet.couplets import refill as refill_lines

    line = checked_upper(upper, settings)
    echo_lowers(line, refill_lines(line, pattern, n, decode_options(knobs), settings), as_json)


@main.command()
@click.argument("upper")
@click.argument("lower")
@click.option("--position", "-p", type=int, required=True, help="The position to change, counted from 1.")
@click.option("-k", "k", default=8, show_default=True, help="How many characters to offer.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def alternatives(settings: Settings, upper: str, lower: str, position: int, k: int, as_json: bool) -> None:
    """Other characters for one position of LOWER (a lower line for UPPER), best first, each with the whole
    line it makes; where UPPER repeats that position's character, the repeat changes with it."""
    from couplet.couplets import alternatives as find_alternatives
    from couplet.couplets import checked_upper
    from couplet.rules import validate_line

    line, current = checked_upper(upper, settings), validate_line(lower, "lower line")
    found = find_alternatives(line, current, position, k, settings)
    if as_json:
        alts = [a.to_dict() for a in found]
        click.echo(
            json.dumps(
                {"upper": line, "lower": current, "position": position, "alternatives": alts},
                ensure_ascii=False,
            )
        )
        return
    click.echo(f"上联  {line}\n下联  {current}   position {position} ({current[position - 1]})")
    for rank, a in enumerate(found, 1):
        c = a.candidate
        click.echo(
            f"{rank}. {a.char}  {c.lower}   score {c.score:.3f}, {a.char} log-prob "
            f"{a.char_logprob:.2f}  ({rules_note(c.rules)})"
        )


@main.command()
@click.argument("lower")
@search_options
@click.pass_obj
def upper(settings: Settings, lower: str, n: int, as_json: bool, **knobs) -> None:
    """Write upper lines for LOWER (the other direction), ranked, with their rule results."""
    from couplet.couplets import checked_lower, uppers_for

    line = checked_lower(lower, settings)
    candidates = uppers_for(line, n, decode_options(knobs), settings)
    if as_json:
        click.echo(
            json.dumps({"lower": line, "candidates": [c.to_dict() for c in candidates]}, ensure_ascii=False)
        )
        return
    click.echo(f"下联  {line}")
    for rank, c in enumerate(candidates, 1):
        click.echo(f"{rank}. 上联  {c.upper}   score {c.score:.3f}  ({rules_note(c.rules)})")


def echo_written(couplets: list, as_json: bool) -> None:
    """Whole written couplets, as text or JSON."""
    if as_json:
        click.echo(json.dumps({"couplets": [c.to_dict() for c in couplets]}, ensure_ascii=False))
        return
    for rank, c in enumerate(couplets, 1):
        click.echo(f"{rank}. 横批 {c.banner}   上联 {c.upper}   下联 {c.lower}   score {c.score:.3f}")


written_options = [
    click.option("--length", default=7, show_default=True, type=int, help="Characters a line (4-11)."),
    click.option("-n", default=3, show_default=True, type=int, help="How many couplets."),
    click.option("--json", "as_json", is_flag=True, help="Print JSON."),
]


def with_written_options(command):
    for option in reversed(written_options):
        command = option(command)
    return command


@main.command()
@click.argument("keywords", nargs=-1)
@click.option("--theme", help="An occasion (春节, 婚庆, 寿诞, 开业, 乔迁, 金榜题名 …) or any word.")
@click.option("--year", type=int, help="Adds the year's zodiac animal (2027: 羊).")
@with_written_options
@click.pass_obj
def write(
    settings: Settings,
    keywords: tuple[str, ...],
    theme: str | None,
    year: int | None,
    length: int,
    n: int,
    as_json: bool,
) -> None:
    """Write whole couplets, with 横批, from KEYWORDS and/or an occasion."""
    from couplet.writing import write as write_couplets

    echo_written(write_couplets(keywords, theme, year, length, n, settings), as_json)


@main.command()
@click.argument("chars")
@click.option("--tail", is_flag=True, help="Hide them at the ends of the lines (藏尾), not the heads.")
@click.option("--theme", help="An occasion or any word the couplet should be about.")
@click.option("--banner", help="Four characters to stand across the 横批.")
@with_written_options
@click.pass_obj
def acrostic(
    settings: Settings,
    chars: str,
    tail: bool,
    theme: str | None,
    banner: str | None,
    length: int,
    n: int,
    as_json: bool,
) -> None:
    """Write couplets hiding the two CHARS at the heads of the lines (藏头), or at the tails."""
    from couplet.writing import acrostic as acrostic_couplets

    found = acrostic_couplets(chars, length, "tail" if tail else "head", theme, banner, n, settings)
    echo_written(found, as_json)


@main.command()
@click.argument("upper")
@click.argument("lower")
@click.option("-n", default=3, show_default=True, type=int, help="How many 横批.")
@click.pass_obj
def banner(settings: Settings, upper: str, lower: str, n: int) -> None:
    """Write 横批 for the couplet UPPER / LOWER."""
    from couplet.banner import banners
    from couplet.couplets import checked_lower, checked_upper

    first, second = checked_upper(upper, settings), checked_lower(lower, settings)
    if len(first) != len(second):
        raise UserError("the two lines must be equally long")
    for b in banners(first, second, n, settings):
        click.echo(f"{b.text}   ({b.source}, score {b.score:.3f})")


@main.command()
@click.option("--check", is_flag=True, help="Build the app and exit (a smoke test of the setup).")
@click.pass_obj
def serve(settings: Settings, check: bool) -> None:
    """Serve the web app and API with gunicorn (COUPLET_HOST, COUPLET_PORT, COUPLET_WORKERS, COUPLET_THREADS)."""
    import os

    from app.web import create_app
    from core.telemetry import MULTIPROC_ENV, prepare_multiproc_dir

    create_app(settings)
    if check:
        click.echo("app OK")
        return
    bind = f"{settings.host}:{settings.port}"
    click.echo(f"serving on http://{bind} with {settings.workers} workers x {settings.threads} threads")
    # Set before exec: prometheus_client picks its multiprocess mode when the workers import it.
    os.environ[MULTIPROC_ENV] = str(prepare_multiproc_dir(settings.port))
    gunicorn = Path(sys.executable).with_name("gunicorn")
    # No gunicorn access log: the app writes one structured line per request, with its request id.
    os.execv(
        gunicorn,
        [
            str(gunicorn),
            "--config",
            "python:app.gunicorn_conf",
            "--workers",
            str(settings.workers),
            "--threads",
            str(settings.threads),
            "--bind",
            bind,
            "--timeout",
            "120",
            "--graceful-timeout",
            "30",
            "app.web:create_app()",
        ],
    )


@main.group()
def matcher() -> None:
    """The upper-line matcher's encoder."""


@matcher.command("train")
@click.option(
    "--out", "out_dir", type=click.Path(path_type=Path), help="Checkpoints [data/checkpoints/matcher]."
)
@click.option(
    "--export/--no-export", default=True, show_default=True, help="Write the fp16 encoder to the models dir."
)
@click.option("--resume", is_flag=True, help="Continue from the checkpoint in --out.")
@click.option("--max-minutes", type=float, help="Stop (and export) after this long.")
@click.option("--max-steps", type=int, default=-1, show_default=True, help="-1: one pass over the examples.")
@click.option("--batch-size", type=int, default=256, show_default=True)
@click.option("--lr", type=float, default=1e-3, show_default=True)
@click.option("--layers", type=int, default=2, show_default=True)
@click.option("--hidden", type=int, default=128, show_default=True)
@click.option("--heads", type=int, default=4, show_default=True)
@click.option("--save-steps", type=int, default=500, show_default=True)
@click.option("--limit", type=int, help="Train on the first N pairs only (smoke runs).")
@click.pass_obj
def matcher_train(settings: Settings, out_dir: Path | None, export: bool, **knobs) -> None:
    """Train the sentence encoder on self-supervised (query, line) and (upper, lower) pairs."""
    from couplet.matching.training import EncoderTrainConfig, train_encoder

    cfg = EncoderTrainConfig(
        prepared_dir=settings.prepared_dir,
        out_dir=out_dir or settings.data_dir / "checkpoints" / "matcher",
        export_dir=settings.matcher_dir if export else None,
        **knobs,
    )
    click.echo(json.dumps(train_encoder(cfg)))


@main.group()
def index() -> None:
    """The matcher's vector index over the corpus's upper lines."""


@index.command("build")
@click.option("--force", is_flag=True, help="Rebuild even if the index matches the corpus and the encoder.")
@click.option("--m", "m", type=int, default=32, show_default=True, help="HNSW graph neighbours per line.")
@click.pass_obj
def index_build(settings: Settings, force: bool, m: int) -> None:
    """Embed every distinct upper line and build the FAISS index (a no-op when up to date)."""
    from dataclasses import asdict

    from couplet.corpus import load_corpus
    from couplet.matching.index import build_index

    corpus = load_corpus(settings.prepared_dir, settings.corpus_dir)
    report = build_index(corpus, settings.index_dir, settings.matcher_dir, m=m, force=force)
    if report.skipped:
        click.echo(f"{settings.index_dir} is up to date (nothing to do)", err=True)
    click.echo(json.dumps(asdict(report.meta)))


@main.command("match")
@click.argument("tags", nargs=-1, required=True)
@click.option("-k", "k", default=3, show_default=True, help="How many upper lines.")
@click.option("--seed", type=int, help="Same seed, same picks.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def match_command(settings: Settings, tags: tuple[str, ...], k: int, seed: int | None, as_json: bool) -> None:
    """Upper lines for TAGS, e.g. `couplet match 山 湖 夕阳` or with confidences `山:0.9 湖:0.4`."""
    from couplet.matching import match
    from couplet.matching.query import BadTags

    pairs = []
    for tag in tags:
        name, _, confidence = tag.partition(":")
        try:
            pairs.append((name, float(confidence) if confidence else 1.0))
        except ValueError:
            raise BadTags(f"the confidence in {tag!r} is not a number") from None
    matches = match(pairs, k=k, seed=seed, settings=settings)
    if as_json:
        click.echo(json.dumps({"matches": [m.to_dict() for m in matches]}, ensure_ascii=False))
        return
    for rank, m in enumerate(matches, 1):
        click.echo(f"{rank}. {m.upper}   score {m.score:.3f} ({m.source})")


main.add_command(digits_commands)


if __name__ == "__main__":
    main()
