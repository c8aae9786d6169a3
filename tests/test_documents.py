"""Reports that are not workbooks: Word's text export (the seed's own form) and a Word document."""
from __future__ import annotations

import json
import zipfile
from xml.sax.saxutils import escape

from addin.formats import available_formats
from addin.pipeline import check_file
from tests.helpers import CASES, padding_groups, seed_table_cells
from tests.test_real_layout import SEED_TEXT, seed_lines

SEED = json.loads((CASES / "seed_2020" / "values.json").read_text(encoding="utf-8"))
PREFIX = "《中华人民共和国政府信息公开条例》"
W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'


def _walkthrough_codes(result):
    return sorted({(f.code, f.severity) for f in result.findings})


def test_the_seed_text_file_itself(tmp_path):
    """`gkreport check seed.txt`: the walkthrough's E1, E2–E4, E6, E7, W5, W8, I3, I4/I5."""
    result = check_file(SEED_TEXT)
    assert (result.unit, result.report_year, result.format_version) == ("鹤岗市南山区大陆街道办事处", 2020, "2019")
    codes = [(f.code, f.severity) for f in result.findings]
    assert _walkthrough_codes(result) == sorted({("FILE-12", "info"), ("STR-03", "warning"), ("STR-05", "error"),
        ("STR-02", "warning"), ("NORM-04", "info"), ("TT-01", "error"), ("TXT-02", "warning"), ("TXT-07", "warning"), ("TXT-08", "warning"), ("TXT-10", "info"), ("TXT-06", "info"), ("TT-03", "info"),
        ("VAL-01", "error"),
                                                 ("STR-08", "warning"), ("STR-06", "info"), ("VAL-07", "info")})
    assert codes.count(("VAL-01", "error")) == 5 and padding_groups(result) == {"/T2": 4, "/T3": 159}
    assert codes.count(("TXT-08", "warning")) == 2   # W6 and W7
    assert codes.count(("STR-06", "info")) == 5 and codes.count(("STR-08", "warning")) == 1
    # the numbers read in sequence are the tool's doubt; the contradiction with the text is the report's (W4: TXT-06)
    kinds = {(f.code, f.kind) for f in result.findings}
    assert ("STR-08", "reading") in kinds and ("TT-01", "report") in kinds and ("TXT-06", "report") in kinds
    w2 = next(f for f in result.findings if f.code == "STR-03")   # "3、 收到和处理…" for 三、
    assert w2.severity == "warning" and "3、" in w2.message
    gbk = tmp_path / "seed-gbk.txt"
    gbk.write_bytes(SEED_TEXT.read_text(encoding="utf-8").encode("gb18030"))
    assert [(f.code, f.cell) for f in check_file(gbk).findings] == [(f.code, f.cell) for f in result.findings]


def _w_table(fmt, table_id: str) -> str:
    """The official table as Word writes it: gridSpan for columns, vMerge for rows."""
    cells = seed_table_cells(table_id)
    below = {}
    for (r, c), (_, rs, cs) in cells.items():
        for dr in range(1, rs):
            below[(r + dr, c)] = cs
    covered = {(r, c + dc) for (r, c), (_, rs, cs) in cells.items() for dc in range(1, cs)}
    covered |= {(r, c + dc) for (r, c), cs in below.items() for dc in range(1, cs)}
    width = max(c + cs - 1 for (r, c), (_, rs, cs) in cells.items())
    out = ["<w:tbl>"]
    for r in sorted({r for r, _ in cells} | {r for r, _ in below}):
        out.append("<w:tr>")
        for c in range(1, width + 1):
            if (r, c) in cells:
                text, rs, cs = cells[(r, c)]
                merge = '<w:vMerge w:val="restart"/>' if rs > 1 else ""
                out.append(f'<w:tc><w:tcPr><w:gridSpan w:val="{cs}"/>{merge}</w:tcPr><w:p><w:r>'
                           f'<w:t xml:space="preserve">{escape(text)}</w:t></w:r></w:p></w:tc>')
            elif (r, c) in below:
                out.append(f'<w:tc><w:tcPr><w:gridSpan w:val="{below[(r, c)]}"/><w:vMerge/></w:tcPr><w:p/></w:tc>')
            elif (r, c) not in covered:
                out.append("<w:tc><w:p/></w:tc>")
        out.append("</w:tr>")
    out.append("</w:tbl>")
    return "".join(out)


def _w_para(text: str) -> str:
    return f'<w:p><w:r><w:t xml:space="preserve">{escape(text)}</w:t></w:r></w:p>'


def test_a_word_report(tmp_path):
    fmt = available_formats()["2019"]
    lines = seed_lines()
    body = [_w_para(x) for x in lines[0:12]] + [_w_table(fmt, "T2"), _w_para(lines[86]), _w_para(lines[87]),
                                                 _w_table(fmt, "T3"), _w_para(lines[372]), _w_para(lines[373]),
                                                 _w_table(fmt, "T4")] + [_w_para(x) for x in lines[418:425]]
    path = tmp_path / "report.docx"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", f"<w:document {W}><w:body>{''.join(body)}</w:body></w:document>")
    result = check_file(path)
    assert (result.unit, result.report_year, result.format_version) == ("鹤岗市南山区大陆街道办事处", 2020, "2019")
    # with its merged cells intact the tables line up: no STR-08, the same defects as the workbook
    assert _walkthrough_codes(result) == sorted({("FILE-13", "info"), ("STR-03", "warning"), ("STR-05", "error"),
        ("STR-02", "warning"), ("NORM-04", "info"), ("TT-01", "error"), ("TXT-02", "warning"), ("TXT-07", "warning"), ("TXT-08", "warning"), ("TXT-10", "info"), ("TXT-06", "info"), ("TT-03", "info"),
        ("VAL-01", "error"),
                                                 ("STR-06", "info"), ("VAL-07", "info")})
    assert result.origins["/T3/new/C1"].raw == "0\u00a0"


def test_oversized_or_padded_text_and_pages_stay_cheap(tmp_path):
    # in a child process: the test run's own memory must not grow (other tests measure peak memory)
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    (tmp_path / "huge.txt").write_bytes(b"\n" * (17 * 1024 * 1024))
    (tmp_path / "lines.txt").write_bytes(b"\n" * (15 * 1024 * 1024))
    (tmp_path / "paras.html").write_bytes(b"<html><body>" + b"<p>x</p>" * 1_900_000 + b"</body></html>")
    code = ("import sys, time; from addin.pipeline import check_file\n"
            "for p in sys.argv[1:]:\n"
            "    t = time.monotonic(); r = check_file(p)\n"
            "    print(r.status, ','.join(f.code for f in r.findings), round(time.monotonic() - t, 2))")
    out = subprocess.run([sys.executable, "-c", code, *(str(tmp_path / n) for n in ("huge.txt", "lines.txt", "paras.html"))],
                         capture_output=True, text=True, timeout=120, cwd=root, env=dict(os.environ, PYTHONPATH=str(root)))
    (huge, lines, page) = [line.split() for line in out.stdout.splitlines()]
    assert huge[:2] == ["unreadable", "FILE-05"]
    for status, codes, seconds in (lines, page):
        # reading stops at the row and line limits instead of parsing everything
        assert status == "failed" and "STR-04" in codes.split(",") and float(seconds) < 10


def test_the_signature_closing_a_report_is_not_text_of_its_last_section(tmp_path):
    """The issuing unit's name under section 六 (with or without a date) is the signature: section 六 that says
    «暂时无» above it still says none (seed W6), and a last line that is a sentence stays text."""
    head = ["白渡镇人民政府2024年政府信息公开工作年度报告", "一、总体情况", "本年度我镇主动公开信息120条。",
            "五、存在的主要问题及改进情况", "公开内容不够全面。下一步将加强培训。", "六、其他需要报告的事项"]
    tails = {"signed.txt": (["其他需要报告的事项暂时无。", "白渡镇人民政府"], "其他需要报告的事项暂时无。"),
             "dated.txt": (["无。", "白渡镇人民政府", "2025年1月20日"], "无。"),
             "sentence.txt": (["本年度未发生收费。", "联系电话：0571-1234567"], "本年度未发生收费。\n联系电话：0571-1234567")}
    for name, (tail, expected) in tails.items():
        path = tmp_path / name
        path.write_text("\n".join(head + tail) + "\n", encoding="utf-8")
        result = check_file(path)
        assert result.document["text"]["六"] == expected, name
