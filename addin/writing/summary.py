"""The collector's summary workbook of a batch: per-file status, every finding, per-rule counts, totals of passed reports."""
from __future__ import annotations

from collections import Counter, defaultdict
from decimal import Decimal
from pathlib import Path

from addin.findings import READING
from addin.formats import FormatDef, available_formats, column_label, escape
from addin.result import PASSED, STATUS_ZH
from addin.values import flat_values
from addin.writing.atomic import atomic_write
from addin.writing.finding_sheets import append_row, finding_list, rule_counts, text_cell

# openpyxl is imported where a workbook is built, so that a check run without --summary does not load it.


def build_summary(results, locks_skipped: int = 0, unmatched=(), previous_mode: bool = False,
                  formats: dict[str, FormatDef] | None = None):
    """The summary as a write-only openpyxl Workbook."""
    from openpyxl import Workbook

    formats = formats or available_formats()
    wb = Workbook(write_only=True)
    # by path, not identity: the results may be read back from disk (writing.spill), one object per pass
    _overview(wb.create_sheet("汇总"), results, previous_mode, {r.path for r in unmatched})
    finding_list(wb.create_sheet("问题清单"), results)
    rule_counts(wb.create_sheet("规则统计"), results)
    _totals(wb.create_sheet("合计"), results, formats)
    _notes(wb.create_sheet("说明"), results, locks_skipped, unmatched)
    return wb


def _contact_fields() -> list[tuple[str, str]]:
    """(key, label) of the cover's optional fields of every format (填报人, 联系电话…), in layout order."""
    fields = {}
    for fmt in available_formats().values():
        for f in fmt.layout["cover"].get("optional_fields", []):
            fields.setdefault(f["key"], f["label"])
    return list(fields.items())


def _overview(ws, results, previous_mode: bool, unmatched: set) -> None:
    ws.column_dimensions["A"].width = 36
    ws.column_dimensions["I"].width = 60
    head = ["单位", "年度", "格式版本", "状态", "错误数", "警告数", "提示数", "路径"]
    if previous_mode:
        head.append("上年报告")
    contacts = _contact_fields()
    head += [label for _key, label in contacts] + ["其中读取存疑"]
    append_row(ws, head, bold=True)
    for r in results:
        c = r.counts
        row = [r.unit or "", r.report_year, r.format_version or "", STATUS_ZH.get(r.status, r.status),
               c["error"], c["warning"], c["info"], r.path]
        if previous_mode:
            row.append("未找到" if r.path in unmatched else ("" if r.document is None else "已核对"))
        row += [r.contacts.get(key, "") for key, _label in contacts]
        row.append(sum(f.kind == READING for f in r.findings))
        append_row(ws, row)


def _number(v):
    return v if isinstance(v, (int, Decimal)) and not isinstance(v, bool) else None


def _totals(ws, results, formats) -> None:
    """Tables 二/三/四 summed over the passed reports, per format version, each total saying how many it covers."""
    from openpyxl.comments import Comment

    by_version: dict[str, list] = defaultdict(list)
    for r in results:
        if r.status == PASSED and r.format_version in formats and r.document:
            by_version[r.format_version].append(r)
    if not by_version:
        append_row(ws, ["没有通过校验的报告，无法合计。"])
        return
    for version in sorted(by_version):
        fmt, reports = formats[version], by_version[version]
        sums: dict[str, object] = defaultdict(int)
        counts: Counter = Counter()
        for r in reports:
            for pointer, v in flat_values(fmt, r.document).items():
                n = _number(v)
                if n is not None:
                    sums[pointer] += n
                    counts[pointer] += 1
        append_row(ws, [f"{fmt.name}（{fmt.notice}，{version}版）：{len(reports)} 份通过校验的报告合计"], bold=True)
        append_row(ws, [])
        for table in fmt.tables():
            for block in table["blocks"]:
                caption = "".join(c["text"] for c in block.get("caption", [])) or block["anchor"]
                append_row(ws, [f"{table['name']}　{caption}"], bold=True)
                append_row(ws, ["项目"] + [column_label(c["path"]) for c in block["columns"]] + ["涉及报告数"], bold=True)
                for row in block["rows"]:
                    cells = [text_cell(ws, row["label"] or table["name"])]
                    covered = 0
                    for col in block["columns"]:
                        pointer = block["pointer"].format(row=escape(row["key"]), column=escape(col["key"]))
                        c = text_cell(ws, sums[pointer] if counts[pointer] else None)
                        # the total's coverage, so a reader sees at once when a report lacked this cell
                        c.comment = Comment(f"合计 {counts[pointer]} 份报告", "gkreport")
                        covered = max(covered, counts[pointer])
                        cells.append(c)
                    cells.append(text_cell(ws, covered))
                    ws.append(cells)
                append_row(ws, [])


def _notes(ws, results, locks_skipped: int, unmatched) -> None:
    n = Counter(r.status for r in results)
    append_row(ws, ["项目", "数量"], bold=True)
    append_row(ws, ["输入文件", len(results)])
    for status, zh in STATUS_ZH.items():
        append_row(ws, [zh, n[status]])
    append_row(ws, ["已跳过的 Office 锁文件（~$ 开头）", locks_skipped])
    if unmatched:
        append_row(ws, [])
        append_row(ws, ["未找到上一年度报告的单位", "路径"], bold=True)
        for r in unmatched:
            append_row(ws, [r.unit or "", r.path])


def write_summary(path, results, locks_skipped: int = 0, unmatched=(), previous_mode: bool = False, options=None) -> Path:
    """Build and save atomically (temp file in the same folder, then rename)."""
    formats = options.formats() if options else None
    wb = build_summary(results, locks_skipped, unmatched, previous_mode, formats)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    return atomic_write(path, wb.save, suffix=".xlsx")

