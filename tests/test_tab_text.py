"""Plain text with a table row per line and tab-separated cells (a browser or Excel copy) is read as tables."""
from __future__ import annotations

from collections import Counter

from addin.formats import available_formats
from addin.pipeline import check_file
from addin.reading.documents import read_text_export
from addin.reading.html_tables import read_html
from tests.test_html import seed_page, table_html
from tests.test_real_layout import seed_lines


def _tab_rows(fmt, table_id: str) -> list[str]:
    """The official table as a browser copies it: one line per row, cells (merged ones empty) between tabs."""
    grid = read_html(table_html(fmt, table_id).encode("utf-8")).sheets[0].rows
    return ["\t".join("" if v is None else str(v) for v in row) for row in grid if row]


def _codes(result) -> Counter:
    return Counter(f.code for f in result.findings if not f.code.startswith("FILE-"))


def test_tab_separated_tables_read_like_the_page(tmp_path):
    fmt = available_formats()["2019"]
    lines = seed_lines()
    text = lines[0:12] + _tab_rows(fmt, "T2") + lines[86:88] + _tab_rows(fmt, "T3") + lines[372:374]
    text += _tab_rows(fmt, "T4") + lines[418:425]
    path = tmp_path / "report.txt"
    path.write_text("\n".join(text) + "\n", encoding="utf-8")
    page = tmp_path / "report.html"
    page.write_bytes(seed_page())
    from_text, from_page = check_file(path), check_file(page)
    assert (from_text.unit, from_text.report_year, from_text.format_version) == ("鹤岗市南山区大陆街道办事处", 2020, "2019")
    assert _codes(from_text) == _codes(from_page)
    assert not any(f.code in ("STR-06", "STR-07", "STR-10") and f.severity == "error" for f in from_text.findings)


def test_word_text_export_and_paragraphs_with_a_leading_tab_are_unchanged():
    rows = read_text_export("标题\n\t规章\n\t0\n\n正文一段。\n\t单独一格\n".encode("utf-8")).sheets[0].rows
    assert rows == [["标题"], ["规章", "0"], ["正文一段。"], ["单独一格"]]
    rows = read_text_export("信息内容\t本年制发件数\t本年废止件数\n规章\t0\t\n".encode("utf-8")).sheets[0].rows
    assert rows == [["信息内容", "本年制发件数", "本年废止件数"], ["规章", "0", None]]
