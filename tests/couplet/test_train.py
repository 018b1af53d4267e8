"""The training command on a generated corpus: it learns, checkpoints, resumes, exports and runs under DDP."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from couplet.badwords import BadWords
from couplet.model.generator import Generator
from couplet.model.train import TrainConfig, lr_at, make_batches, train


def config(prepared: Path, out: Path, **kw) -> TrainConfig:
    base = dict(
        prepared_dir=prepared,
        out_dir=out,
        size="tiny",
        batch_tokens=512,
        lr=3e-3,
        warmup_steps=5,
        eval_every=20,
        eval_pairs=20,
    )
    return TrainConfig(**{**base, **kw})


def test_training_lowers_loss_and_exports_fp16(synthetic_prepared, tmp_path):
    torch.set_num_threads(1)
    summary = train(config(synthetic_prepared, tmp_path / "run", export_dir=tmp_path / "model", max_steps=60))
    log = [json.loads(line) for line in (tmp_path / "run" / "train_log.jsonl").read_text().splitlines()]
    assert [r["step"] for r in log] == [20, 40, 60, 60]
    assert log[-1]["dev_loss"] < log[0]["dev_loss"]
    assert summary["steps"] == 60
    weights = load_file(tmp_path / "model" / "model.safetensors")
    assert {t.dtype for t in weights.values()} == {torch.float16}
    generator = Generator(tmp_path / "model", BadWords(frozenset()))
    lower = generator.generate("春风花雨山水月", n=1)[0].lower
    assert len(lower) == 7


def test_resume_continues_from_the_checkpoint(synthetic_prepared, tmp_path):
    torch.set_num_threads(1)
    out = tmp_path / "run"
    train(config(synthetic_prepared, out, max_steps=20))
    summary = train(config(synthetic_prepared, out, max_steps=40, resume=True))
    assert summary["steps"] == 40
    steps = [json.loads(line)["step"] for line in (out / "train_log.jsonl").read_text().splitlines()]
    assert steps == [20, 20, 40, 40]  # final checkpoint of run 1, then run 2 from step 20


def test_init_fine_tunes_trained_weights_with_their_vocabulary(synthetic_prepared, tmp_path):
    torch.set_num_threads(1)
    train(config(synthetic_prepared, tmp_path / "first", export_dir=tmp_path / "model", max_steps=40))
    first = json.loads((tmp_path / "first" / "train_log.jsonl").read_text().splitlines()[-1])
    # Zero steps from the exported weights evaluate like the model that was exported (fp16 rounding aside).
    untouched = train(
        config(synthetic_prepared, tmp_path / "zero", init_from=tmp_path / "model", max_steps=0)
    )
    assert abs(untouched["final"]["dev_loss"] - first["dev_loss"]) < 0.02
    summary = train(
        config(synthetic_prepared, tmp_path / "second", init_from=tmp_path / "model", max_steps=20)
    )
    assert summary["steps"] == 20  # a fresh schedule, not a resume
    assert summary["fine_tuned_from"]["steps"] == 40  # the base run's record travels with the new weights
    assert (tmp_path / "second" / "checkpoint" / "tokenizer.json").read_text() == (
        tmp_path / "model" / "tokenizer.json"
    ).read_text()


def test_batches_group_similar_lengths(synthetic_prepared):
    import random

    data = [([0] * n, [0] * n) for n in [5, 9, 5, 9, 7, 7, 5, 9] * 10]
    batches = make_batches(data, batch_tokens=60, rng=random.Random(0))
    assert sorted(i for b in batches for i in b) == list(range(len(data)))
    for b in batches:
        assert max(len(data[i][0]) for i in b) * len(b) <= 60
    assert sum(len({len(data[i][0]) for i in b}) == 1 for b in batches) >= len(batches) - 3


def test_schedule_warms_up_then_decays_by_time():
    cfg = TrainConfig(prepared_dir=Path("."), out_dir=Path("."), lr=1e-3, warmup_steps=10, max_minutes=10)
    assert lr_at(cfg, 0, 0, 1000) < lr_at(cfg, 9, 0, 1000) <= 1e-3
    assert lr_at(cfg, 20, 60, 10**6) > lr_at(cfg, 20, 300, 10**6) > lr_at(cfg, 20, 600, 10**6)
    assert abs(lr_at(cfg, 20, 600, 10**6) - cfg.lr * cfg.min_lr_ratio) < 1e-9


def test_data_parallel_under_torchrun(synthetic_prepared, tmp_path):
    out = tmp_path / "ddp"
    env = {**os.environ, "COUPLET_DATA_DIR": str(tmp_path), "OMP_NUM_THREADS": "1"}
    code = (
        "from pathlib import Path; from couplet.model.train import TrainConfig, train; "
        f"train(TrainConfig(prepared_dir=Path({str(synthetic_prepared)!r}), out_dir=Path({str(out)!r}), "
        "size='tiny', batch_tokens=512, warmup_steps=5, eval_every=10, eval_pairs=10, max_steps=10))"
    )
    script = tmp_path / "ddp_train.py"
    script.write_text(code)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "torch.distributed.run",
            "--nproc_per_node",
            "2",
            "--master_port",
            "29517",
            str(script),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    summary = json.loads((out / "summary.json").read_text())
    assert summary["world_size"] == 2 and summary["steps"] == 10


def test_the_three_tasks_train_together_and_the_model_writes(synthetic_prepared, tmp_path):
    torch.set_num_threads(1)
    cfg = config(
        synthetic_prepared,
        tmp_path / "run",
        export_dir=tmp_path / "model",
        max_steps=60,
        tasks=("lower", "upper", "write"),
    )
    train(cfg)
    log = [json.loads(line) for line in (tmp_path / "run" / "train_log.jsonl").read_text().splitlines()]
    for key in ("dev_loss", "dev_loss_upper", "dev_loss_write"):
        assert log[-1][key] < log[0][key], key
    # The segmentation behind the keyword draw is kept beside the split, one row per training pair.
    rows = (synthetic_prepared / "train_words.tsv").read_text(encoding="utf-8").split("\n")
    assert len(rows) == len((synthetic_prepared / "train.tsv").read_text(encoding="utf-8").splitlines())
    generator = Generator(tmp_path / "model", BadWords(frozenset()))
    assert generator.writes
    lines = generator.write_lines([["春风"]], 7, 4, [{0: "春", 1: "风"}])[0]
    # Seven characters: a task marker written as one would show as several.
    assert lines and all(len(line) == 7 and line.startswith("春风") for line, _ in lines)


def test_an_unknown_task_is_refused(synthetic_prepared, tmp_path):
    with pytest.raises(ValueError, match="tasks"):
        train(config(synthetic_prepared, tmp_path / "run", max_steps=1, tasks=("lower", "poem")))
