"""Reports as units publish them (a web page, Word's text export), built from a case's page.json."""
from __future__ import annotations

import html
from pathlib import Path

from addin.formats import available_formats
from addin.writing.template import plan
from tests.factory import consistent_values

STANDARD_SECTIONS = {
    "2021": ["一、总体情况", "T2", "T3", "T4", "五、存在的主要问题及改进情况", "六、其他需要报告的事项"],
    "2019": ["一、总体情况", "T2", "T3", "T4", "五、存在的主要问题及改进情况", "六、其他需要报告的事项"],
}

# A real government article page: header navigation, breadcrumbs, the article, a share bar and the footer.
CHROME_HEAD = ("<div class='top'><a href='/'>网站首页</a> | <a href='/zwgk/'>政务公开</a> | <a href='/hdjl/'>互动交流</a>"
               " | <a href='/wza/'>无障碍</a></div><div class='nav'><ul><li>首页</li><li>政府信息公开</li><li>政策文件</li>"
               "<li>办事服务</li></ul></div><div class='crumb'>当前位置：<a href='/'>首页</a> &gt; <a href='/zwgk/'>政务公开</a>"
               " &gt; 政府信息公开年报</div><div class='info'>发布时间：{date}　来源：{unit}　浏览次数：1024　字号：[大 中 小]</div>")
CHROME_FOOT = ("<div class='share'>分享到：微信 微博 QQ空间</div><div class='tools'>【打印本页】 【关闭窗口】</div>"
               "<div class='attach'>附件下载</div><div class='qr'>扫一扫在手机上查看当前页面</div><div class='close'>关闭</div>"
               "<div class='related'>相关链接：<a>国务院</a> <a>省政府</a> <a>市政府</a></div>"
               "<div class='footer'><p>主办单位：{unit}　承办单位：{unit}办公室</p><p>网站标识码：1234000001　"
               "ICP备案号：某ICP备12345678号　公安机关备案号：12345678901234号</p><p>联系电话：0551-12345678　"
               "技术支持：某某信息技术有限公司</p></div>")


def table_grid(fmt, table_id: str, values: dict) -> tuple[str, dict[tuple[int, int], tuple[str, int, int]]]:
    """(heading, {(row, col): (text, rowspan, colspan)}) of one official table, data cells filled."""
    p = plan(fmt, 2024)
    table = next(t for t in fmt.tables() if t["id"] == table_id)
    cells, heading = {}, table["heading"]
    for lab in p.labels:
        if lab.sheet == table["sheet"] and lab.role != "heading":
            cells[(lab.row, lab.col)] = (lab.text, lab.rowspan, lab.colspan)
    for key, ic in p.inputs.items():
        if ic.sheet == table["sheet"] and ic.kind == "data":
            value = values.get(key[1] if isinstance(key, tuple) else key, "")
            cells[(ic.row, ic.col)] = ("" if value is None else str(value), 1, ic.colspan)
    return heading, cells


def table_html(cells: dict) -> str:
    covered = {(r + dr, c + dc) for (r, c), (_, rs, cs) in cells.items() for dr in range(rs) for dc in range(cs)}
    width = max(c + cs - 1 for (r, c), (_, rs, cs) in cells.items())
    out = ["<table border='1' cellspacing='0'>"]
    for r in sorted({r for r, _ in cells}):
        tds = []
        for c in range(1, width + 1):
            if (r, c) in cells:
                text, rs, cs = cells[(r, c)]
                span = (f" rowspan='{rs}'" if rs > 1 else "") + (f" colspan='{cs}'" if cs > 1 else "")
                tds.append(f"<td{span}><p>{html.escape(text)}</p></td>")
            elif (r, c) not in covered:
                tds.append("<td></td>")
        out.append("<tr>" + "".join(tds) + "</tr>")
    out.append("</table>")
    return "\n".join(out)


def table_text(cells: dict) -> list[str]:
    """Word's text export of a table: each cell a line starting with a tab, a blank line ends a row."""
    lines = []
    for r in sorted({r for r, _ in cells}):
        for c in sorted(c for rr, c in cells if rr == r):
            lines.append("\t" + cells[(r, c)][0])
        lines.append("")
    return lines


def table_pipes(cells: dict) -> list[str]:
    """A table as a page archive or a Markdown copy stores it: a row per line, its cells between '|'."""
    lines = []
    for r in sorted({r for r, _ in cells}):
        lines.append(" | ".join(cells[(r, c)][0] for c in sorted(c for rr, c in cells if rr == r)) + " |")
    return lines


def table_cells(cells: dict) -> list[str]:
    """A table as a page archive stores a web page's text: every cell on a line of its own, a blank line
    after each, nothing marking where a row ends."""
    lines = []
    for r in sorted({r for r, _ in cells}):
        for c in sorted(c for rr, c in cells if rr == r):
            lines += [cells[(r, c)][0], ""]
    return lines


def case_values(case: dict) -> dict:
    fmt = available_formats()[case["format_version"]]
    values = consistent_values(fmt, case.get("seed", 0))
    values.update(case.get("values", {}))
    return values


def page_parts(case: dict) -> list[tuple[str, object]]:
    """The report in reading order: ("p", text) paragraphs and ("table", cells) tables."""
    fmt = available_formats()[case["format_version"]]
    values = case_values(case)
    year, unit = case["year"], case["unit"]
    parts: list[tuple[str, object]] = []
    title = case.get("title", f"{unit}{year}年政府信息公开工作年度报告")
    if title:
        parts.append(("p", title))
    preamble = case.get("preamble", [f"本年度报告根据《中华人民共和国政府信息公开条例》（以下简称《条例》）和《国务院办公厅政府"
                                     f"信息公开办公室关于印发〈中华人民共和国政府信息公开工作年度报告格式〉的通知》要求编制，"
                                     f"全文包括总体情况、主动公开政府信息情况等部分。"])
    parts += [("p", x) for x in preamble]
    texts = case.get("texts", {})
    for item in case.get("outline", STANDARD_SECTIONS[case["format_version"]]):
        if item in ("T2", "T3", "T4"):
            heading, cells = table_grid(fmt, item, values)
            parts.append(("p", case.get("table_headings", {}).get(item, heading)))
            if item not in case.get("drop_tables", []):   # a table published as an image leaves its heading
                parts.append(("table", cells))
            continue
        parts.append(("p", item))
        body = texts.get(item, "")
        for line in ([body] if isinstance(body, str) else body):
            if line:
                parts.append(("p", line))
    parts += [("p", x) for x in case.get("signature", [unit, f"{year + 1}年1月20日"])]
    return parts


def render(case: dict) -> tuple[str, bytes]:
    """(file suffix, bytes) of the published report; case["replace"] edits the rendered page."""
    parts = page_parts(case)
    kind = case.get("kind", "html")
    if kind == "text":
        lines = []
        for what, x in parts:
            layout = {"pipe": table_pipes, "cells": table_cells}.get(case.get("table_layout"), table_text)
            lines += layout(x) if what == "table" else [x]
        out, suffix = "\n".join(lines) + "\n", ".txt"
    else:
        body = "\n".join(table_html(x) if what == "table" else f"<p>{html.escape(x)}</p>" for what, x in parts)
        if case.get("chrome"):
            fill = {"unit": case["unit"], "date": f"{case['year'] + 1}-01-20"}
            body = (CHROME_HEAD.format(**fill) + "<div class='article'>" + body + "</div>"
                    + CHROME_FOOT.format(**fill))
        out = ("<!DOCTYPE html><html><head><meta charset='utf-8'><title>" + html.escape(case["unit"])
               + "政府信息公开工作年度报告</title></head><body>" + body + "</body></html>")
        suffix = ".html"
    for old, new in case.get("replace", []):
        assert old in out, f"replace: {old!r} not in the page"
        out = out.replace(old, new)
    return suffix, out.encode("utf-8")


def build_page(case: dict, directory: Path, name: str = "report") -> Path:
    suffix, data = render(case)
    path = directory / (name + suffix)
    path.write_bytes(data)
    return path
