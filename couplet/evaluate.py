"""Score lower lines against a split: character BLEU (all references), rule compliance, exact matches, and
the measures BLEU misses (couplet.measures), with the human references' own rates beside ours.

Also the two built-in baselines: ``copy`` (answer with the upper line) and ``retrieval`` (the first lower
line of the same-length train upper line sharing most characters, from the corpus store).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from core.errors import UserError
from couplet.bleu import char_bleu, references_by_upper
from couplet.corpus import Corpus, load_corpus
from couplet.measures import summarise
from couplet.rules import RULES, check
from couplet.splits import read_split
from couplet.tones import STANDARDS


def rule_rates(pairs: list[tuple[str, str]]) -> dict[str, float]:
    """The share of pairs that pass each rule."""
    passed = dict.fromkeys(RULES, 0)
    for upper, lower in pairs:
        for name, result in check(upper, lower).items():
            passed[name] += result.passed
    return {name: passed[name] / max(len(pairs), 1) for name in RULES}


def score(predictions: dict[str, str], refs: dict[str, list[str]]) -> dict:
    """BLEU, exact-match share and rule rates of one lower line per upper line in ``refs``."""
    missing = [u for u in refs if u not in predictions]
    if missing:
        raise UserError(f"{len(missing)} upper lines of the split have no prediction, e.g. {missing[0]!r}")
    uppers = list(refs)
    hyps = [predictions[u] for u in uppers]
    return {
        "bleu": char_bleu(hyps, [refs[u] for u in uppers]),
        "exact": sum(h in refs[u] for u, h in zip(uppers, hyps, strict=True)) / max(len(uppers), 1),
        "n": len(uppers),
        "rules": rule_rates(list(zip(uppers, hyps, strict=True))),
    }


@cache
def corpus_lowers(prepared_dir: Path) -> frozenset[str]:
    """The training corpus's lower lines, read once per process: what copying is measured against."""
    return frozenset(lower for _, lower in read_split(prepared_dir, "train"))


def measure(predictions: dict[str, str], refs: dict[str, list[str]], prepared_dir: Path) -> dict:
    """The measures of one lower line per upper line in ``refs``, and of every reference pair beside them."""
    corpus = corpus_lowers(prepared_dir)
    return {
        "measures": summarise([(u, predictions[u]) for u in refs], corpus),
        "measures_references": summarise([(u, r) for u, lowers in refs.items() for r in lowers], corpus),
    }


def evaluate(predictions: dict[str, str], prepared_dir: Path, split: str = "test") -> dict:
    """The full report for a split; for ``test`` also BLEU on its novel subset."""
    refs = references_by_upper(read_split(prepared_dir, split))
    report = {"split": split, **score(predictions, refs)}
    if split == "test":
        novel = score(predictions, references_by_upper(read_split(prepared_dir, "test_novel")))
        report.update(bleu_novel=novel["bleu"], n_novel=novel["n"], exact_novel=novel["exact"])
    report.update(measure(predictions, refs, prepared_dir))
    return report


def read_predictions(path: Path) -> dict[str, str]:
    if not path.is_file():
        raise UserError(f"predictions file {path} does not exist")
    predictions = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        parts = line.split("\t")
        if len(parts) != 2:
            raise UserError(f"{path}:{number}: expected 'upper<TAB>lower', got {line!r}")
        predictions[parts[0].strip()] = parts[1].strip()
    return predictions


def copy_baseline(uppers: list[str]) -> dict[str, str]:
    return {u: u for u in uppers}


def retrieval_baseline(uppers: list[str], train: Corpus) -> dict[str, str]:
    out = {}
    for u in uppers:
        best, _ = train.nearest(u)
        out[u] = train.lowers_of(best)[0] if best >= 0 else u
    return out


def evaluate_source(
    prepared_dir: Path,
    corpus_dir: Path,
    split: str,
    predictions: Path | None = None,
    baseline: str | None = None,
) -> dict:
    """Evaluate a predictions file or a named baseline on ``split`` (the retrieval baseline reads the corpus
    store in ``corpus_dir``, building it if need be)."""
    if predictions is not None:
        preds = read_predictions(predictions)
    else:
        uppers = list(references_by_upper(read_split(prepared_dir, split)))
        if baseline == "copy":
            preds = copy_baseline(uppers)
        else:
            preds = retrieval_baseline(uppers, load_corpus(prepared_dir, corpus_dir))
    report = evaluate(preds, prepared_dir, split)
    if baseline:
        report["baseline"] = baseline
    return report


def format_report(report: dict) -> str:
    lines = [f"split {report['split']}: {report['n']} upper lines", f"BLEU        {report['bleu']:.2f}"]
    if "bleu_novel" in report:
        lines.append(f"BLEU novel  {report['bleu_novel']:.2f}  ({report['n_novel']} upper lines)")
    lines.append(f"exact match {report['exact']:.1%}")
    lines += [f"{name:<17} {rate:.2%}" for name, rate in report["rules"].items()]
    measures = format_measures({"ours": report["measures"], "references": report["measures_references"]})
    return "\n".join([*lines, "", measures])


def format_measures(columns: dict[str, dict]) -> str:
    """A table of the measures (couplet.measures.summarise), one column per source of lower lines."""

    def rows(report: dict) -> dict[str, float | None]:
        return {
            "parallelism": report["parallelism"],
            **{f"tones {s}": report["tone_opposition"][s] for s in STANDARDS},
            **{f"undecided {s}": report["tone_undecided"][s] for s in STANDARDS},
            "copying": report["copying"],
        }

    table = {name: rows(report) for name, report in columns.items()}
    lines = [f"{'measure':<18}" + "".join(f"{name:>12}" for name in table)]
    for row in next(iter(table.values())):
        cells = ("-" if t[row] is None else f"{t[row]:.1%}" for t in table.values())
        lines.append(f"{row:<18}" + "".join(f"{c:>12}" for c in cells))
    return "\n".join(lines)
