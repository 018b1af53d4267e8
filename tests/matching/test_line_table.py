"""The line table: distinct upper lines with their filters, cached per corpus hash."""

from __future__ import annotations

from couplet.matching.lines import PackedLines, load_line_table
from couplet.rules import upper_ends_ze


def test_distinct_lines_lengths_and_tones(keyword_site, pairs):
    table = load_line_table(keyword_site.prepared_dir, keyword_site.index_dir)
    assert list(table.lines) == list(dict.fromkeys(u for u, _ in pairs))
    assert table.lengths.tolist() == [len(line) for line in table.lines]
    assert table.ends_ze.tolist() == [upper_ends_ze(line, "").passed for line in table.lines]
    mask = table.allowed(5, 11, True)
    assert all((5 <= len(line) <= 11 and ze) == m for line, ze, m in zip(table.lines, table.ends_ze, mask, strict=True))


def test_the_cache_is_used_until_the_corpus_changes(keyword_site):
    first = load_line_table(keyword_site.prepared_dir, keyword_site.index_dir)
    (keyword_site.index_dir / "lines.txt").write_text("cached\n" * len(first), encoding="utf-8")
    assert load_line_table(keyword_site.prepared_dir, keyword_site.index_dir).lines[0] == "cached"
    train = keyword_site.prepared_dir / "train.tsv"
    train.write_text(train.read_text(encoding="utf-8") + "新添一行上联\t新添一行下联\n", encoding="utf-8")
    rebuilt = load_line_table(keyword_site.prepared_dir, keyword_site.index_dir)
    assert rebuilt.lines[0] == first.lines[0] and rebuilt.lines[-1] == "新添一行上联"


def test_packed_lines_behave_like_a_list_of_str():
    lines = ["春风化雨", "", "山，水\u2028", "月"]
    packed = PackedLines.pack(lines)
    assert len(packed) == 4 and list(packed) == lines
    assert [packed[i] for i in range(4)] == lines and packed[-1] == "月" and packed[1:3] == lines[1:3]
