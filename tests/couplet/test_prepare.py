"""Running prepare (domain and CLI): skipped while up to date, refusing a broken raw corpus."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fakemirror import Mirror, build_archive, cli, corruptions, manifest

from couplet.fetch import fetch_all
from couplet.prepare import prepare


def test_prepare_second_run_is_a_no_op(mirror: Mirror, tmp_path: Path) -> None:
    data = tmp_path / "data"
    assert cli(["data", "fetch", "--from", str(mirror.root)], data).exit_code == 0
    first = cli(["data", "prepare"], data)
    assert first.exit_code == 0, first.output
    assert "up to date" not in first.stdout
    out = data / "prepared"
    files = sorted(out.iterdir())
    mtimes = {p.name: p.stat().st_mtime_ns for p in files}

    second = cli(["data", "prepare"], data)
    assert second.exit_code == 0, second.output
    assert "is up to date (nothing to do)" in second.stdout
    assert {p.name: p.stat().st_mtime_ns for p in sorted(out.iterdir())} == mtimes
    printed = json.loads(second.stdout[second.stdout.index("{") :])
    assert printed == manifest(data)
    assert "corpus store written" in first.stderr and "corpus store written" not in second.stderr

    result = prepare(data / "raw", out, data / "corpus")
    assert result.skipped and not result.corpus_built


def test_prepare_reruns_when_an_output_changed_or_forced(mirror: Mirror, tmp_path: Path) -> None:
    raw, out = tmp_path / "data" / "raw", tmp_path / "data" / "prepared"
    fetch_all(raw, mirror.root)
    corpus = tmp_path / "data" / "corpus"
    first = prepare(raw, out, corpus)
    assert not first.skipped and first.corpus_built
    (out / "dev.tsv").write_text("tampered\ttampered\n", encoding="utf-8")
    again = prepare(raw, out, corpus)
    assert not again.skipped and not again.corpus_built  # train.tsv came out the same
    assert again.manifest == first.manifest
    forced = prepare(raw, out, corpus, force=True)
    assert forced.skipped is False and forced.corpus_built
    (corpus / "meta.json").unlink()
    assert prepare(raw, out, corpus).corpus_built  # an up-to-date split with a missing store builds the store


def test_cli_prepare_without_fetch(mirror: Mirror, tmp_path: Path) -> None:
    result = cli(["data", "prepare"], tmp_path / "data")
    assert result.exit_code == 2
    assert "couplet data fetch" in result.stderr


def prepare_refuses(mirror: Mirror, data: Path, archive: bytes, message: str, **replace) -> None:
    """With ``archive`` fetched as the corpus, `couplet data prepare` exits 2 saying ``message``, writing nothing."""
    mirror.replace_archive(archive, **replace)
    mirror.save_sources()
    assert cli(["data", "fetch", "--from", str(mirror.root)], data).exit_code == 0
    result = cli(["data", "prepare"], data)
    assert result.exit_code == 2, result.output
    assert message in result.stderr
    assert not (data / "prepared" / "manifest.json").exists()


@pytest.mark.parametrize("kind", ["truncated", "not_gzip", "bad_deflate_stream"])
def test_cli_prepare_corrupt_archive(mirror: Mirror, tmp_path: Path, kind: str) -> None:
    # Without members to check, fetch accepts the recorded bytes; prepare must still refuse cleanly.
    archive = corruptions(mirror.archive.read_bytes())[kind]
    prepare_refuses(mirror, tmp_path / "data", archive, "corpus archive is corrupt", members_sha256={})


def test_cli_prepare_archive_missing_a_split_file(mirror: Mirror, tmp_path: Path) -> None:
    members = {k: v for k, v in mirror.members.items() if k != "couplet/train/out.txt"}
    prepare_refuses(
        mirror,
        tmp_path / "data",
        build_archive(members),
        "couplet/train/out.txt is missing from the corpus archive",
    )


def test_cli_prepare_mismatched_line_counts(mirror: Mirror, tmp_path: Path) -> None:
    members = dict(mirror.members)
    members["couplet/train/out.txt"] += "春 风\n".encode()
    prepare_refuses(mirror, tmp_path / "data", build_archive(members), "train: in.txt has")
