"""The collector's workbook of a collection: 汇总, 退回意见, 催报, 合计 in the official layout, 同比, 说明."""
from __future__ import annotations

import datetime
import os
from pathlib import Path

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from addin.collection import (BASIS_ZH, MATCHED_ZH, STATUS_ZH, CollectionView, UnitView, arrival, doubt_count, main_problems,
                              report_counts, year_on_year)
from addin.formats import FormatDef, available_formats, format_for_year
from addin.writing.atomic import atomic_write
from addin.writing.finding_sheets import finding_list, rule_counts
from addin.textfit import display_len, text_height
from addin.writing.template import build_workbook

MAX_CELL_TEXT = 32_767   # Excel's limit on the characters of one cell
THIN = Side(style="thin", color="999999")
GRID = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
HEAD_FILL = PatternFill("solid", fgColor="D9E1F2")
STATUS_FILL = {
    "failed": PatternFill("solid", fgColor="F8CBAD"),
    "unreadable": PatternFill("solid", fgColor="FCE4D6"),
    "timeout": PatternFill("solid", fgColor="FCE4D6"),
    "missing": PatternFill("solid", fgColor="E7E6E6"),
    "passed": PatternFill("solid", fgColor="E2EFDA"),
}
WRAP = Alignment(wrap_text=True, vertical="top")
TOP = Alignment(vertical="top")
# Units that must act come first in 汇总: failed, unreadable, timed out, missing, then passed.
ACTION_ORDER = {"failed": 0, "unreadable": 1, "timeout": 2, "missing": 3, "passed": 4}
TOTALS_PREFIX = "合计 "


def _text(value):
    """Text from a report or a file name, safe for a cell: no control characters, never a formula."""
    if isinstance(value, str):
        return ILLEGAL_CHARACTERS_RE.sub("", value)[:MAX_CELL_TEXT]
    return value


def _put(ws, row: int, col: int, value, **style):
    cell = ws.cell(row, col)
    cell.value = _text(value)
    if isinstance(value, str):
        cell.data_type = "s"   # a unit named "=HYPERLINK(...)" stays text
    for name, v in style.items():
        setattr(cell, name, v)
    return cell


def _table(ws, head: list[tuple[str, float]], rows: list[list], wrap: set[int] = frozenset(),
           fills: list | None = None) -> None:
    """A list sheet: bold shaded header with filter and frozen, widths per column, A4 landscape fit to width."""
    for c, (title, width) in enumerate(head, 1):
        _put(ws, 1, c, title, font=Font(bold=True), fill=HEAD_FILL, border=GRID,
             alignment=Alignment(horizontal="center", vertical="center", wrap_text=True))
        ws.column_dimensions[get_column_letter(c)].width = width
    for r, row in enumerate(rows, 2):
        for c, value in enumerate(row, 1):
            cell = _put(ws, r, c, value, border=GRID, alignment=WRAP if c in wrap else TOP)
            if fills and fills[r - 2] is not None and c <= 4:
                cell.fill = fills[r - 2]
        # wrapped text needs its height set: neither Excel nor LibreOffice grows a row written by openpyxl
        heights = [sum(text_height(part, head[c - 1][1]) for part in row[c - 1].splitlines() or [""])
                   for c in wrap if c <= len(row) and isinstance(row[c - 1], str)]
        if heights:
            ws.row_dimensions[r].height = min(max(heights), 409)   # Excel's largest row height
    last = get_column_letter(len(head))
    ws.auto_filter.ref = f"A1:{last}{max(len(rows) + 1, 2)}"
    ws.freeze_panes = "B2"
    ws.print_title_rows = "1:1"
    _landscape(ws)


def _landscape(ws) -> None:
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_margins.left = ws.page_margins.right = 0.4


def _when(t: datetime.datetime | None):
    if t is None:
        return None
    return (t.astimezone() if t.tzinfo else t).replace(tzinfo=None, microsecond=0)


def _fit(texts, low: float, high: float) -> float:
    return max(low, min(high, max((display_len(t or "") for t in texts), default=0) + 2))


def _ordered(units) -> list[UnitView]:
    listed = sorted((u for u in units if u.listed), key=lambda u: ACTION_ORDER.get(u.status, 9))
    others = sorted((u for u in units if not u.listed), key=lambda u: ACTION_ORDER.get(u.status, 9))
    return listed + others


def _link(target: str | None, base: Path | None) -> str | None:
    if not target:
        return None
    if base is None:
        return Path(target).resolve().as_uri()
    try:
        return os.path.relpath(Path(target).resolve(), base.resolve().parent).replace(os.sep, "/")
    except ValueError:   # another drive on Windows: an absolute link
        return Path(target).resolve().as_uri()


# -- sheets -------------------------------------------------------------------------------------

def _shown(path: str | None, root: str | None) -> str | None:
    """A file as the collector knows it: relative to the folder the files came from."""
    if not path or not root:
        return path
    try:
        return os.path.relpath(path, root)
    except ValueError:
        return path


def _root(view: CollectionView) -> str | None:
    try:
        return os.path.commonpath([os.path.dirname(os.path.abspath(f.path)) for f in view.files]) if view.files else None
    except ValueError:   # files on several drives
        return None


def _overview(ws, view: CollectionView, out: Path | None) -> None:
    units = _ordered(view.units)
    root = _root(view)
    head_units = [u.unit for u in units] + [Path(f.path).name for f in view.unlisted if f.unit is None]
    head = [("单位", _fit(head_units, 16, 32)), ("上级单位", 12), ("类别", 8), ("状态", 10), ("错误", 6),
            ("警告", 6), ("主要问题", 50),
            ("联系人", _fit([u.contact for u in units], 10, 24)), ("收到时间", 16), ("名单匹配", 9), ("标注副本", 9),
            ("文件", 32), ("重复及其他文件", 36), ("读取存疑", 9)]
    rows, fills, links = [], [], []
    for u in units:
        r = u.result
        counts = report_counts(r) if r else {"error": None, "warning": None}
        status = STATUS_ZH[u.status]
        roster = u.roster
        match = MATCHED_ZH[u.matched_by] if u.listed else ("不在名单中" if view.roster_size else "")
        more = [f"{STATUS_ZH[f.status]}：{_shown(os.path.abspath(f.path), root)}" + (f"（{f.note.rstrip('。')}）" if f.note else "")
                for f in u.superseded + u.others]
        rows.append([u.unit, roster.parent if roster else None, roster.category if roster else None, status,
                     counts["error"], counts["warning"], main_problems(u), u.contact,
                     _when(arrival(u.current.received)) if u.current else None, match,
                     "打开" if r and r.annotated else None,
                     _shown(os.path.abspath(u.current.path), root) if u.current else None,
                     "\n".join(more) or None, doubt_count(r)])
        fills.append(STATUS_FILL.get(u.status))
        links.append(_link(r.annotated if r else None, out))
    for f in view.unlisted:
        if f.unit is not None:
            continue   # a named unit off the roster already has its row above
        r = f.result
        rows.append(["（未识别单位）", None, None, STATUS_ZH[f.status], report_counts(r)["error"] if r else None,
                     report_counts(r)["warning"] if r else None, f.note or (r.findings[0].message if r and r.findings else None),
                     None, _when(arrival(f.received)), "不在名单中" if view.roster_size else "", None,
                     _shown(os.path.abspath(f.path), root), None, doubt_count(r)])
        fills.append(STATUS_FILL.get(f.status))
        links.append(None)
    _table(ws, head, rows, wrap={7, 13}, fills=fills)
    for i, target in enumerate(links, 2):
        if target:
            cell = ws.cell(i, 11)
            cell.hyperlink = target
            cell.font = Font(color="0563C1", underline="single")
        ws.cell(i, 9).number_format = "yyyy-mm-dd hh:mm"


def _feedback(ws, view: CollectionView) -> None:
    by_name = {u.unit: u for u in view.units}
    rows = [[unit, by_name[unit].contact, STATUS_ZH[by_name[unit].status], text]
            for unit, text in view.feedback.items()]
    _table(ws, [("单位", _fit(view.feedback, 16, 40)), ("联系人", 18), ("状态", 10), ("退回意见", 100)], rows,
           wrap={4})


def _reminders(ws, view: CollectionView) -> None:
    rows = [[r.unit.name, r.unit.parent, r.unit.category, r.unit.contact, r.note] for r in view.reminders]
    _table(ws, [("单位", _fit([r.unit.name for r in view.reminders], 16, 40)), ("上级单位", 14), ("类别", 10),
                ("联系人", 22), ("说明", 60)], rows, wrap={5})


def _notes(ws, view: CollectionView, command: str | None, roster_path: str | None, when: datetime.datetime,
           skipped, unmatched=()) -> None:
    files = view.files
    file_counts = {s: sum(1 for f in files if f.status == s) for s in STATUS_ZH}
    unit_counts = view.unit_counts()
    t = view.totals
    lines = [
        ("命令", command or ""),
        ("生成时间", when.astimezone().strftime("%Y-%m-%d %H:%M:%S")),
        ("报告年度", f"{view.year}" + ("" if view.year_given else "（未指定，按多数报告的年度）") if view.year else "未知"),
        ("名单", f"{roster_path or '（未提供名单）'}" + (f"，{view.roster_size} 个单位" if view.roster_size else "")),
        ("收到的文件", len(files)),
    ]
    lines += [(f"文件：{STATUS_ZH[s]}", n) for s, n in file_counts.items() if n]
    lines += [(f"单位：{STATUS_ZH[s]}", n) for s, n in sorted(unit_counts.items(), key=lambda i: ACTION_ORDER.get(i[0], 9))]
    lines += [("合计口径", BASIS_ZH[t.basis]), ("纳入合计的单位", len(t.included)), ("未纳入合计的单位", len(t.excluded)),
              ("其他年度的报告（不计入本年度）", len(view.other_years)), ("跳过的文件", len(skipped)),
              ("读取存疑", "“汇总”表“读取存疑”列是工具未能读取、定位或核对的内容条数（如扫描页、未找到的表格、按顺序读取的数字），"
                          "不计入错误、警告数；报告本身不一定有错，请以原件核对。其中的错误同样使报告不通过。")]
    for r, (k, v) in enumerate(lines, 1):
        _put(ws, r, 1, k, font=Font(bold=True), border=GRID)
        _put(ws, r, 2, v, border=GRID, alignment=Alignment(horizontal="left", wrap_text=True))
    r = len(lines) + 2
    for c, title in enumerate(["未校验、跳过、无法读取或其他年度的文件", "状态", "原因"], 1):
        _put(ws, r, c, title, font=Font(bold=True), fill=HEAD_FILL, border=GRID)
    listed = [(f.path, STATUS_ZH[f.status], f.note or (f.result.findings[0].message if f.result and f.result.findings else ""))
              for f in files if f.status in ("not_a_report", "unreadable", "timeout")]
    listed += [(path, "已跳过", reason) for path, reason in skipped]
    listed += [(f.path, STATUS_ZH[f.status], f"{f.result.report_year}年度的报告，不计入{view.year}年度"
                + (f"（{f.unit}）" if f.unit else "")) for f in view.other_years]
    for i, row in enumerate(listed, r + 1):
        for c, value in enumerate(row, 1):
            _put(ws, i, c, value, border=GRID, alignment=WRAP)
    if unmatched:   # --previous-dir: this year's reports without last year's
        r += len(listed) + 2
        for c, title in enumerate(["未找到上一年度报告的单位", "路径"], 1):
            _put(ws, r, c, title, font=Font(bold=True), fill=HEAD_FILL, border=GRID)
        for i, (unit, path) in enumerate(unmatched, r + 1):
            _put(ws, i, 1, unit, border=GRID)
            _put(ws, i, 2, path, border=GRID, alignment=WRAP)
    ws.column_dimensions["A"].width = 50
    ws.column_dimensions["B"].width = 40
    ws.column_dimensions["C"].width = 70
    _landscape(ws)


def _year_on_year(ws, rows) -> None:
    """One chart-friendly table: a row per unit, this year / last year / change per key figure."""
    names = [name for name, *_ in rows[0].figures] if rows else []
    head = [("单位", _fit([r.unit for r in rows], 16, 32))]
    for name in names:
        head += [(f"{name}（本年）", 12), (f"{name}（上年）", 12), (f"{name}（增减）", 12)]
    body = [[r.unit] + [v for _, a, b, d in r.figures for v in (a, b, d)] for r in rows]
    _table(ws, head, body)
    for c in range(2, len(head) + 1):
        ws.cell(1, c).alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    ws.row_dimensions[1].height = 45


def _unit_lists(ws, view: CollectionView, col: int) -> None:
    """The included and excluded units beside a totals table."""
    t = view.totals
    bold = Font(bold=True)
    _put(ws, 1, col, f"纳入合计的单位（{len(t.included)} 个）", font=bold)
    for i, unit in enumerate(t.included, 2):
        _put(ws, i, col, unit)
    _put(ws, 1, col + 1, f"未纳入合计的单位（{len(t.excluded)} 个）", font=bold)
    _put(ws, 1, col + 2, "原因", font=bold)
    for i, (unit, reason) in enumerate(t.excluded, 2):
        _put(ws, i, col + 1, unit)
        _put(ws, i, col + 2, reason)
    for k, width in ((0, _fit(t.included, 16, 36)), (1, _fit([u for u, _ in t.excluded], 16, 36)), (2, 40)):
        ws.column_dimensions[get_column_letter(col + k)].width = width


def totals_format(view: CollectionView, formats: dict[str, FormatDef]) -> FormatDef | None:
    """The format the totals are drawn in: the one that applies to the collection's year."""
    if view.year is None:
        return None
    fmt = format_for_year(view.year, formats)
    return fmt if fmt is not None and fmt.version in formats else None


def _totals_workbook(view: CollectionView, formats, prefix: str) -> Workbook | None:
    """Tables 二/三/四 drawn by the template generator, filled with the totals, the unit lists beside 表二."""
    fmt = totals_format(view, formats)
    if fmt is None:
        return None
    sums = view.totals.sums.get(fmt.version, {})
    wb = build_workbook(fmt, view.year, None, values=dict(sums))
    tables = {t["sheet"] for t in fmt.tables()}
    for ws in [w for w in wb.worksheets if w.title not in tables]:
        wb.remove(ws)   # the cover and the narrative sheets: only the tables are summed
    n = len(view.totals.units.get(fmt.version, ()))
    note = f"合计：{n} 个单位（口径：{BASIS_ZH[view.totals.basis]}）"
    for i, ws in enumerate(wb.worksheets):
        width = next(t["width"] for t in fmt.tables() if t["sheet"] == ws.title)
        ws.title = prefix + ws.title
        _put(ws, 2, 1, note if i == 0 else f"{note}；单位名单见“{wb.worksheets[0].title}”右侧。",
             font=Font(size=9))
        if i == 0:
            _unit_lists(ws, view, width + 2)
    return wb


def build_book(view: CollectionView, out: str | os.PathLike | None = None, command: str | None = None,
               roster_path: str | None = None, skipped=(), formats: dict[str, FormatDef] | None = None,
               when: datetime.datetime | None = None, previous=None, documents=None, unmatched=()) -> Workbook:
    """The summary workbook. `out` is where it will be saved (links to marked copies are relative to it);
    `skipped` lists (path, reason) of files not looked at (Office lock files); `previous`, last year's
    results, adds the sheet 同比 (`unmatched`: (unit, path) of reports without last year's, listed in 说明)."""
    formats = formats or available_formats()
    out = Path(out) if out else None
    wb = _totals_workbook(view, formats, TOTALS_PREFIX)
    totals = list(wb.worksheets) if wb is not None else []
    if wb is None:
        wb = Workbook()
        wb.remove(wb.active)
    _overview(wb.create_sheet("汇总", 0), view, out)
    _feedback(wb.create_sheet("退回意见", 1), view)
    _reminders(wb.create_sheet("催报", 2), view)
    if not totals:
        ws = wb.create_sheet("合计")
        _put(ws, 1, 1, "没有可以合计的报告。")
        _unit_lists(ws, view, 3)
    if previous is not None:
        _year_on_year(wb.create_sheet("同比"), year_on_year(view, previous, formats, documents))
    results = [f.result for f in view.files if f.result is not None]
    finding_list(wb.create_sheet("问题清单"), results)
    rule_counts(wb.create_sheet("规则统计"), results)
    _notes(wb.create_sheet("说明"), view, command, roster_path, when or datetime.datetime.now().astimezone(),
           list(skipped), list(unmatched))
    wb.active = 0
    return wb


def write_book(path: str | os.PathLike, view: CollectionView, **kwargs) -> Path:
    path = Path(path)
    wb = build_book(view, out=path, **kwargs)
    path.parent.mkdir(parents=True, exist_ok=True)
    return atomic_write(path, wb.save, suffix=".xlsx")


def write_totals(path: str | os.PathLike, view: CollectionView, formats: dict[str, FormatDef] | None = None) -> Path:
    """The standalone totals workbook (合计): the official tables with the totals, units listed beside 表二."""
    wb = _totals_workbook(view, formats or available_formats(), "")
    if wb is None:
        wb = Workbook()
        _put(wb.active, 1, 1, "没有可以合计的报告。")
        wb.active.title = "合计"
        _unit_lists(wb.active, view, 3)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    return atomic_write(path, wb.save, suffix=".xlsx")
