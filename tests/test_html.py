"""A report published as a web page (and the common "xls" export that is really HTML) is read by its tables."""
from __future__ import annotations

import html
import json

from addin.formats import available_formats
from addin.pipeline import check_file
from tests import published
from tests.helpers import CASES, padding_groups, seed_table_cells
from tests.test_real_layout import seed_lines

SEED = json.loads((CASES / "seed_2020" / "values.json").read_text(encoding="utf-8"))
PREFIX = "《中华人民共和国政府信息公开条例》"


def table_html(fmt, table_id: str) -> str:
    """The official table with its real colspan/rowspan, filled with the seed's raw values."""
    return published.table_html(seed_table_cells(table_id))


def seed_page(encoding="utf-8") -> bytes:
    fmt = available_formats()["2019"]
    lines = seed_lines()
    p = lambda text: f"<p>{html.escape(text)}</p>"  # noqa: E731
    body = [p(x) for x in lines[0:12]] + [table_html(fmt, "T2")] + [p(lines[86]), p(lines[87]), table_html(fmt, "T3")]
    body += [p(lines[372]), p(lines[373]), table_html(fmt, "T4")] + [p(x) for x in lines[418:425]]
    charset = "gb18030" if encoding != "utf-8" else "utf-8"
    page = (f"<!DOCTYPE html><html><head><meta http-equiv='Content-Type' content='text/html; charset={charset}'>"
            f"<script>var x = '<table>';</script></head><body>" + "\n".join(body) + "</body></html>")
    return page.encode(encoding)


def test_published_page_gives_the_walkthrough_findings(tmp_path):
    path = tmp_path / "report.html"
    path.write_bytes(seed_page())
    result = check_file(path)
    assert (result.unit, result.report_year, result.format_version) == ("鹤岗市南山区大陆街道办事处", 2020, "2019")
    codes = [(f.code, f.severity) for f in result.findings]
    assert sorted(set(codes)) == sorted({("FILE-11", "info"), ("STR-03", "warning"), ("STR-05", "error"),
        ("STR-02", "warning"), ("NORM-04", "info"), ("TT-01", "error"), ("TXT-02", "warning"), ("TXT-07", "warning"), ("TXT-08", "warning"), ("TXT-10", "info"), ("TXT-06", "info"), ("TT-03", "info"), ("VAL-01", "error"),
                                          ("STR-06", "info"), ("VAL-07", "info")})
    assert codes.count(("VAL-01", "error")) == 5 and padding_groups(result) == {"/T2": 4, "/T3": 159}
    # the raw padding survives HTML parsing (&nbsp; is U+00A0)
    assert result.origins["/T3/new/C1"].raw == "0\u00a0"


def test_gbk_page_saved_as_xls(tmp_path):
    path = tmp_path / "report.xls"
    path.write_bytes(seed_page("gb18030"))
    result = check_file(path)
    assert result.unit == "鹤岗市南山区大陆街道办事处"
    assert sorted(f.pointer for f in result.findings if f.code == "VAL-01") == sorted(
        p for p, raw in SEED["values"].items() if not raw.strip(" \u00a0\u3000"))


def test_hostile_spans_are_bounded(tmp_path):
    path = tmp_path / "spans.html"
    path.write_bytes(b"<table>" + b"<tr><td rowspan='99999999' colspan='99999999'>x</td></tr>" * 50 + b"</table>")
    result = check_file(path)
    assert result.status in ("failed", "unreadable") and "FILE-11" in [f.code for f in result.findings]


def test_article_inside_layout_tables_reads_like_the_plain_page(tmp_path):
    """Government sites wrap the whole article in layout tables; only the innermost tables are data."""
    page = seed_page().decode("utf-8")
    wrapped = page.replace("<body>", "<body><table width='100%'><tr><td>网站首页</td><td>政务公开</td></tr>"
                                     "<tr><td colspan='2'><table><tr><td><div class='article'>")
    wrapped = wrapped.replace("</body>", "</div></td></tr></table></td></tr></table></body>")
    plain, nested = tmp_path / "plain.html", tmp_path / "nested.html"
    plain.write_text(page, encoding="utf-8")
    nested.write_text(wrapped, encoding="utf-8")
    key = lambda r: sorted((f.code, f.severity, f.pointer or "") for f in r.findings)  # noqa: E731
    a, b = check_file(plain), check_file(nested)
    assert (b.unit, b.report_year, b.format_version) == (a.unit, a.report_year, a.format_version)
    assert key(b) == key(a) and b.document == a.document
