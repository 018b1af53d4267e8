"""Fetching the corpus from a mirror (domain and CLI): copies, checksums, corrupt archives."""

from __future__ import annotations

import shutil
import tarfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from fakemirror import Mirror, build_archive, cli, corruptions, sha256

from app.cli import main
from core.errors import DataError
from couplet.fetch import fetch_all


def test_fetch_copies_and_verifies(mirror: Mirror, tmp_path: Path) -> None:
    raw = tmp_path / "data" / "raw"
    hashes = fetch_all(raw, mirror.root)
    assert set(hashes) == {"couplet.tar.gz", "badwords.txt", "classic.tsv"}
    for name, entry in mirror.sources.items():
        copied = raw / name
        assert copied.read_bytes() == (mirror.root / entry["mirror_path"]).read_bytes()
        assert hashes[name] == entry["sha256"][0] == sha256(copied.read_bytes())
    assert sorted(p.name for p in raw.iterdir()) == ["badwords.txt", "classic.tsv", "couplet.tar.gz"]


def test_fetch_keeps_verified_copies_and_replaces_bad_ones(mirror: Mirror, tmp_path: Path) -> None:
    raw = tmp_path / "data" / "raw"
    fetch_all(raw, mirror.root)
    (raw / "badwords.txt").write_text("tampered\n", encoding="utf-8")
    kept = raw / "couplet.tar.gz"
    before = kept.stat().st_mtime_ns
    fetch_all(raw, mirror.root)
    assert kept.stat().st_mtime_ns == before
    assert (raw / "badwords.txt").read_bytes() == (mirror.root / "couplet" / "badwords.txt").read_bytes()


def test_cli_fetch_from_mirror(mirror: Mirror, tmp_path: Path) -> None:
    result = cli(["data", "fetch", "--from", str(mirror.root)], tmp_path / "data")
    assert result.exit_code == 0, result.output
    lines = dict(line.split("\t") for line in result.stdout.splitlines())
    assert lines == {name: e["sha256"][0] for name, e in mirror.sources.items()}
    assert (tmp_path / "data" / "raw" / "couplet.tar.gz").read_bytes() == mirror.archive.read_bytes()


def test_cli_fetch_uses_mirror_from_environment(mirror: Mirror, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main,
        ["data", "fetch"],
        env={"COUPLET_DATA_DIR": str(tmp_path / "data"), "COUPLET_DATA_MIRROR": str(mirror.root)},
    )
    assert result.exit_code == 0, result.output
    assert (tmp_path / "data" / "raw" / "classic.tsv").exists()


def test_cli_fetch_wrong_checksum(mirror: Mirror, tmp_path: Path) -> None:
    (mirror.root / "couplet" / "badwords.txt").write_text("妖魔\n别的\n", encoding="utf-8")
    result = cli(["data", "fetch", "--from", str(mirror.root)], tmp_path / "data")
    assert result.exit_code == 2, result.output
    assert "badwords.txt: checksum mismatch" in result.stderr
    assert mirror.sources["badwords.txt"]["sha256"][0] in result.stderr
    assert "Traceback" not in result.output
    raw = tmp_path / "data" / "raw"
    assert not (raw / "badwords.txt").exists()
    assert not list(raw.glob("*.part"))


def test_cli_fetch_missing_mirror(mirror: Mirror, tmp_path: Path) -> None:
    missing = tmp_path / "no-such-mirror"
    result = cli(["data", "fetch", "--from", str(missing)], tmp_path / "data")
    assert result.exit_code == 2, result.output
    assert "does not exist" in result.stderr
    assert str(missing) in result.stderr


def test_cli_fetch_file_missing_from_mirror(mirror: Mirror, tmp_path: Path) -> None:
    (mirror.root / "couplet" / "classic" / "classic.tsv").unlink()
    result = cli(["data", "fetch", "--from", str(mirror.root)], tmp_path / "data")
    assert result.exit_code == 2, result.output
    assert "classic.tsv: not found in the mirror" in result.stderr


@pytest.mark.parametrize("kind", ["truncated", "not_gzip", "bad_deflate_stream"])
def test_cli_fetch_corrupt_archive_with_recorded_checksum(mirror: Mirror, tmp_path: Path, kind: str) -> None:
    # The corrupt bytes' own checksum is recorded, so only the members check can catch them.
    mirror.replace_archive(corruptions(mirror.archive.read_bytes())[kind])
    mirror.save_sources()
    result = cli(["data", "fetch", "--from", str(mirror.root)], tmp_path / "data")
    assert result.exit_code == 2, result.output
    assert "couplet.tar.gz: corrupt archive" in result.stderr
    raw = tmp_path / "data" / "raw"
    assert not (raw / "couplet.tar.gz").exists()
    assert not list(raw.glob("couplet.tar.gz*")), "a rejected archive must not be left behind"


def test_cli_fetch_archive_with_wrong_member(mirror: Mirror, tmp_path: Path) -> None:
    members = dict(mirror.members)
    members["couplet/test/out.txt"] = members["couplet/test/out.txt"].replace("春".encode(), "夏".encode())
    mirror.replace_archive(build_archive(members))
    mirror.save_sources()
    result = cli(["data", "fetch", "--from", str(mirror.root)], tmp_path / "data")
    assert result.exit_code == 2, result.output
    assert "couplet/test/out.txt has sha256" in result.stderr
    assert mirror.sources["couplet.tar.gz"]["members_sha256"]["couplet/test/out.txt"] in result.stderr
    raw = tmp_path / "data" / "raw"
    assert not list(raw.glob("couplet.tar.gz*")), "a rejected archive must not be left behind"


def test_cli_fetch_archive_missing_a_member(mirror: Mirror, tmp_path: Path) -> None:
    members = {k: v for k, v in mirror.members.items() if k != "couplet/vocabs"}
    mirror.replace_archive(build_archive(members))
    mirror.save_sources()
    result = cli(["data", "fetch", "--from", str(mirror.root)], tmp_path / "data")
    assert result.exit_code == 2, result.output
    assert "couplet/vocabs" in result.stderr
    assert not list((tmp_path / "data" / "raw").glob("couplet.tar.gz*"))


def test_fixture_mirror_layout_matches_real_one(mirror: Mirror) -> None:
    with tarfile.open(mirror.archive, "r:gz") as tar:
        names = set(tar.getnames())
    assert {
        "couplet/train/in.txt",
        "couplet/train/out.txt",
        "couplet/test/in.txt",
        "couplet/test/out.txt",
        "couplet/vocabs",
    } <= names
    assert (mirror.root / "couplet" / "badwords.txt").is_file()
    assert (mirror.root / "couplet" / "classic" / "classic.tsv").is_file()


def test_fetch_raises_data_error_in_process(mirror: Mirror, tmp_path: Path) -> None:
    shutil.rmtree(mirror.root / "couplet" / "classic")
    with pytest.raises(DataError, match="classic.tsv"):
        fetch_all(tmp_path / "raw", mirror.root)
