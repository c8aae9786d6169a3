"""One reporting round (收集): the roster, the files received, one current report per unit, totals and feedback."""
from __future__ import annotations

import csv
import datetime
import functools
import io
import os
import re
import zipfile
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Callable, Iterable, Mapping

from addin.catalogue import CATALOGUE
from addin.findings import READING, READING_HEADING, SEVERITIES
from addin.findings import REPORT as REPORT_KIND
from addin.formats import FormatDef, available_formats, format_for_year
from addin.result import FAILED, PASSED, TIMED_OUT, UNREADABLE, FileResult
from addin.validation.cross_year import unit_key
from addin.values import flat_values
from addin.writing.docprops import PROP_VALIDATED_AT, read_custom_properties

__all__ = ["RosterUnit", "RosterError", "read_roster", "parse_roster_text", "unit_key", "Received", "receive",
           "arrival", "FileView", "UnitView", "Totals", "Reminder", "CollectionView", "build", "feedback_text", "BASES",
           "key_figures", "year_on_year", "YearOnYear"]

# File and unit statuses of a collection (JSON values); a unit is never "duplicate" or "not_a_report".
TIMEOUT, DUPLICATE, NOT_A_REPORT, MISSING = "timeout", "duplicate", "not_a_report", "missing"
REPORT, NOT_REPORT_KIND = "report", "not_a_report"
STATUS_ZH = {PASSED: "已通过", FAILED: "未通过", UNREADABLE: "无法读取", TIMEOUT: "超时",
             DUPLICATE: "重复（已被更新的版本取代）", NOT_A_REPORT: "不是报告文件", MISSING: "未报送"}
MATCH_RANK = {"name": 0, "alias": 1, "file_name": 2}
MATCHED_ZH = {"name": "按名称", "alias": "按别名", "file_name": "按文件名", None: ""}
# The order a collector works through units: those that must act first.
ACTION_ORDER = {FAILED: 0, UNREADABLE: 1, TIMEOUT: 2, MISSING: 3, PASSED: 4}

# Totals bases: which current reports are summed.
BASES = ("passed", "balanced", "readable")
BASIS_ZH = {"passed": "校验通过（没有错误）的报告",
            "balanced": "表格数值和勾稽关系无误的报告（不论正文问题）",
            "readable": "能读出表格的全部报告（非数字单元格不计入）"}
# Error groups of the catalogue that concern the tables' numbers: an error in one of them means the
# report's table arithmetic cannot be trusted; text errors (正文, 正文与表格) do not.
TABLE_GROUPS = frozenset({"数值", "勾稽", "结构", "公式"})

OUTPUT_CODE_PREFIX = "OUT-"   # findings about gkreport's own outputs (catalogue group of the marked copy)
MIN_ALIAS_CHARS = 3     # a shorter name is too generic to stand for a unit ("区局")


# -- roster ---------------------------------------------------------------------------------------

class RosterError(Exception):
    """The roster cannot be used (unreadable, empty, a unit listed twice); the message is Chinese."""


@dataclass(frozen=True)
class RosterUnit:
    name: str
    parent: str | None = None
    category: str | None = None
    contact: str | None = None
    aliases: tuple[str, ...] = ()


# header text -> field; a roster's header row is recognised by these (after unit_key normalisation)
_HEADER_FIELDS = {
    "name": ("单位", "单位名称", "名称", "报送单位", "单位全称", "机关名称"),
    "parent": ("上级", "上级单位", "主管单位", "主管部门", "所属"),
    "category": ("类别", "单位类别", "类型", "单位类型"),
    "contact": ("联系人", "联系方式", "联系电话", "电话", "手机"),
    "aliases": ("别名", "简称", "曾用名"),
    "skip": ("序号", "编号"),
}
_HEADERS = {unit_key(text): name for name, texts in _HEADER_FIELDS.items() for text in texts}
_POSITIONAL = ("name", "parent", "category", "contact")   # columns of a roster without a header
_ALIAS_SPLIT = re.compile(r"[、,，;；/|]")
_TEXT_SPLIT = re.compile(r"\t|[,，]|\s{2,}|\s")
_ENCODINGS = ("utf-8-sig", "gb18030")   # utf-8 with or without BOM, then the Chinese Windows encodings


def _decode(data: bytes, path: str) -> str:
    for enc in _ENCODINGS:
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            continue
    raise RosterError(f"名单文件“{path}”的编码无法识别，请另存为 UTF-8 或 GBK 编码。")


def _sheet_rows(path: Path) -> list[list]:
    import python_calamine as pc

    try:
        book = pc.CalamineWorkbook.from_path(str(path))
        try:
            name = next(m.name for m in book.sheets_metadata if m.typ == pc.SheetTypeEnum.WorkSheet)
            return book.get_sheet_by_name(name).to_python(nrows=100_000)
        finally:
            book.close()
    except StopIteration:
        return []
    except BaseException as exc:   # calamine raises its own error types for every kind of damage
        if isinstance(exc, (KeyboardInterrupt, SystemExit, MemoryError)):
            raise
        raise RosterError(f"名单文件“{path}”无法读取（{str(exc)[:80]}），请用 Excel 或 WPS 打开后另存为 .xlsx。") from exc


def _csv_rows(path: Path) -> list[list]:
    return list(csv.reader(io.StringIO(_decode(path.read_bytes(), str(path)))))


def _text_rows(text: str) -> list[list]:
    rows = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        rows.append([c for c in (_TEXT_SPLIT.split(line) if "\t" not in line else line.split("\t"))])
    return rows


_ROSTER_READERS = {
    ".xlsx": _sheet_rows, ".xlsm": _sheet_rows, ".xls": _sheet_rows, ".ods": _sheet_rows, ".et": _sheet_rows,
    ".csv": _csv_rows,
    ".txt": lambda p: _text_rows(_decode(p.read_bytes(), str(p))),
}


def read_roster(path: str | os.PathLike) -> list[RosterUnit]:
    """The expected units from a roster file: .xlsx/.xls/.ods (first sheet), .csv or .txt, one unit a row,
    optional columns 上级/类别/联系人/别名 (named by a header row, else in that order after the name)."""
    path = Path(path)
    reader = _ROSTER_READERS.get(path.suffix.lower())
    if reader is None:
        raise RosterError(f"名单文件“{path}”的类型不支持，请使用 .xlsx、.csv 或 .txt 文件。")
    if not path.is_file():
        raise RosterError(f"找不到名单文件“{path}”。")
    try:
        rows = reader(path)
    except OSError as exc:
        raise RosterError(f"名单文件“{path}”无法打开：{exc.strerror or exc}。") from exc
    return _units_from_rows(rows, str(path))


def parse_roster_text(text: str) -> list[RosterUnit]:
    """Units from pasted text (a web form): one unit a line; further columns separated by a tab, comma or space."""
    return _units_from_rows(_text_rows(text), "粘贴的名单")


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return re.sub(r"\s+", " ", str(value)).strip()


def _units_from_rows(rows: Iterable[list], source: str) -> list[RosterUnit]:
    rows = [[_cell_text(v) for v in row] for row in rows]
    rows = [row for row in rows if any(row)]
    if not rows:
        raise RosterError(f"{source}中没有单位名称。")
    header = [_HEADERS.get(unit_key(c)) for c in rows[0]]
    if "name" in header:
        columns, rows = header, rows[1:]
    else:
        # no header: name first, unless the first column is a running number (序号)
        numbered = all(re.fullmatch(r"\d+[.、]?", row[0] or "0") for row in rows) and any(len(r) > 1 for r in rows)
        columns = (["skip"] if numbered else []) + list(_POSITIONAL)
    units, seen, twice = [], {}, []
    for row in rows:
        fields: dict[str, list[str]] = defaultdict(list)
        for col, value in zip(columns, row):
            if col and col != "skip" and value:
                fields[col].append(value)
        name = " ".join(fields.get("name", []))
        if not name:
            continue
        key = unit_key(name)
        if key in seen:
            twice.append(name)
            continue
        seen[key] = name
        aliases = tuple(a.strip() for v in fields.get("aliases", []) for a in _ALIAS_SPLIT.split(v) if a.strip())
        units.append(RosterUnit(name, " ".join(fields["parent"]) or None, " ".join(fields["category"]) or None,
                                " ".join(fields["contact"]) or None, aliases))
    if twice:
        raise RosterError(f"{source}中有重复的单位：{'、'.join(twice[:10])}{'等' if len(twice) > 10 else ''}"
                          f"（共 {len(twice)} 处），请删除重复行后再试。")
    if not units:
        raise RosterError(f"{source}中没有单位名称。")
    return units


class _Matcher:
    """Finds the roster unit of a reported name or of a file name."""

    def __init__(self, roster: list[RosterUnit]):
        self.names = {unit_key(u.name): u for u in roster}
        self.aliases = {unit_key(a): u for u in roster for a in u.aliases}

    def by_name(self, name: str | None) -> tuple[RosterUnit | None, str | None]:
        key = unit_key(name)
        if not key:
            return None, None
        if key in self.names:
            return self.names[key], "name"
        if key in self.aliases:
            return self.aliases[key], "alias"
        # 区农业农村局 for 某某区农业农村局 (or the other way round): one name ends the other, and only one unit fits
        fits = {id(u): u for k, u in self.names.items()
                if min(len(k), len(key)) >= MIN_ALIAS_CHARS and (k.endswith(key) or key.endswith(k))}
        return (next(iter(fits.values())), "alias") if len(fits) == 1 else (None, None)

    def by_file_name(self, path: str) -> RosterUnit | None:
        stem = unit_key(Path(path).stem)
        hits = [(len(k), u) for k, u in list(self.names.items()) + list(self.aliases.items()) if k and k in stem]
        if not hits:
            return None
        best = max(n for n, _ in hits)
        units = {id(u): u for n, u in hits if n == best}
        return next(iter(units.values())) if len(units) == 1 else None


# -- files received -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Received:
    """One file found under the collection's folders, with its check result (None when not checked)."""

    path: str
    result: FileResult | None
    received_at: datetime.datetime | None = None
    kind: str = REPORT            # report | not_a_report
    note: str | None = None


def submitted_at(path: str | os.PathLike) -> datetime.datetime | None:
    """The time `gkreport submit` recorded in the workbook's document properties, if any."""
    try:
        stamp = read_custom_properties(path).get(PROP_VALIDATED_AT)
        return datetime.datetime.fromisoformat(stamp.strip()) if stamp else None
    except (zipfile.BadZipFile, OSError, SyntaxError, ValueError, KeyError):
        return None


def arrival(r: Received) -> datetime.datetime | None:
    """When a file was received: the time given with it (a web upload), else the submission time recorded
    by `submit`, else the file's modification time. Looked up only where asked (the order of a unit's
    versions, the 汇总 column), and remembered while the file is unchanged."""
    if r.received_at is not None:
        return r.received_at
    try:
        st = os.stat(r.path)
    except OSError:
        return None
    return _file_time(r.path, st.st_mtime_ns, st.st_size, r.kind == REPORT)


@functools.lru_cache(maxsize=4096)
def _file_time(path: str, mtime_ns: int, size: int, report: bool) -> datetime.datetime:
    recorded = submitted_at(path) if report else None
    return recorded or datetime.datetime.fromtimestamp(mtime_ns / 1e9).astimezone()


def receive(path: str | os.PathLike, result: FileResult | None = None,
            received_at: datetime.datetime | None = None) -> Received:
    """A received file and what it is: not a report when it was not checked, its type is not one the reader
    knows (FILE-02), or it was read but holds nothing of a report (no official table, no unit, no year: a
    cover letter, a roster). `received_at`: when it came, if known (else see arrival())."""
    path = str(path)
    if result is None:
        return Received(path, None, received_at, NOT_REPORT_KIND, f"不是报告文件（{Path(path).suffix or '无扩展名'}）")
    if result.status == UNREADABLE and result.findings and result.findings[0].code == "FILE-02":
        return Received(path, result, received_at, NOT_REPORT_KIND, result.findings[0].message)
    if result.status in (PASSED, FAILED) and result.format_version is None and not result.unit \
            and result.report_year is None:
        return Received(path, result, received_at, NOT_REPORT_KIND, "文件中没有年度报告的内容（未找到封面和官方表格）。")
    return Received(path, result, received_at, REPORT)


# -- the view -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class FileView:
    received: Received
    status: str                       # passed|failed|unreadable|timeout|duplicate|not_a_report
    unit: str | None = None           # the unit the file belongs to (roster name, else the reported name)
    superseded_by: str | None = None  # for a duplicate: the path of the current report
    note: str | None = None           # the collector's remark (another year, not a report...)

    @property
    def path(self) -> str:
        return self.received.path

    @property
    def result(self) -> FileResult | None:
        return self.received.result


@dataclass(frozen=True)
class UnitView:
    unit: str
    status: str                              # passed|failed|unreadable|timeout|missing
    roster: RosterUnit | None = None         # None: a unit that is not on the roster (or no roster given)
    current: FileView | None = None
    superseded: tuple[FileView, ...] = ()
    others: tuple[FileView, ...] = ()        # its other files: unreadable, not reports, another year
    matched_by: str | None = None            # name|alias|file_name (roster units), None otherwise
    problems: tuple[str, ...] = ()           # the collector's own errors (a report of another year)

    @property
    def result(self) -> FileResult | None:
        return self.current.result if self.current else None

    @property
    def listed(self) -> bool:
        return self.roster is not None

    @property
    def contact(self) -> str | None:
        """Who to call: the optional cover fields the current report fills in (填报人, 联系电话…, named by
        the format's layout), else the roster's contact column."""
        filled = self.result.contacts if self.result is not None else {}
        if filled:
            return "；".join(f"{key}：{value}" for key, value in filled.items())
        return self.roster.contact if self.roster else None


@dataclass(frozen=True)
class Totals:
    """Which units the totals cover (and why the others not); the sums themselves are computed when first
    asked for (the workbooks), from the data documents, which a batch reads back from disk."""

    basis: str
    included: tuple[str, ...]
    excluded: tuple[tuple[str, str], ...]            # (unit, reason)
    summed: Mapping[str, tuple[str, FormatDef]] = field(default_factory=dict, compare=False, repr=False)
    source: Callable[[], Iterable[tuple[str, dict | None]]] | None = field(default=None, compare=False, repr=False)

    @property
    def sums(self) -> Mapping[str, Mapping[str, object]]:
        """format version -> pointer -> int | Decimal."""
        return self._computed[0]

    @property
    def coverage(self) -> Mapping[str, Mapping[str, int]]:
        """format version -> pointer -> how many reports were summed there (a cell that is not a number is not)."""
        return self._computed[1]

    @property
    def units(self) -> Mapping[str, tuple[str, ...]]:
        """format version -> the units included, in the units' order."""
        return self._computed[2]

    @functools.cached_property
    def _computed(self):
        pending = dict(self.summed)   # path of an included report -> (unit, format)
        sums: dict[str, dict] = {}
        coverage: dict[str, Counter] = {}
        version_of: dict[str, str] = {}
        for path, document in (self.source() if self.source is not None else ()):
            if path not in pending or document is None:
                continue
            unit, fmt = pending.pop(path)   # each report once, whatever the source repeats
            version_sums = sums.setdefault(fmt.version, {})
            counts = coverage.setdefault(fmt.version, Counter())
            for pointer, value in flat_values(fmt, document).items():
                n = _number(value)
                if n is not None:
                    version_sums[pointer] = version_sums.get(pointer, 0) + n
                    counts[pointer] += 1
            version_of[unit] = fmt.version
        by_version: dict[str, list[str]] = defaultdict(list)
        for unit in self.included:
            if unit in version_of:
                by_version[version_of[unit]].append(unit)
        return sums, {v: dict(c) for v, c in coverage.items()}, {v: tuple(n) for v, n in by_version.items()}


@dataclass(frozen=True)
class Reminder:
    unit: RosterUnit
    note: str | None = None


@dataclass(frozen=True)
class CollectionView:
    year: int | None
    year_given: bool
    roster_size: int | None
    units: tuple[UnitView, ...]
    files: tuple[FileView, ...]
    totals: Totals
    feedback: Mapping[str, str]          # unit -> 退回意见 text, for units that must correct and resend
    reminders: tuple[Reminder, ...]      # 催报: roster units that have not reported
    unlisted: tuple[FileView, ...]       # files whose unit is not on the roster (or is unknown)

    def unit_counts(self) -> Counter:
        return Counter(u.status for u in self.units)

    @property
    def other_years(self) -> tuple[FileView, ...]:
        """Reports of a year other than the collection's (last year's sent by mistake, next year's draft): with
        or without --year they are listed apart, never summed, so the collector sees them in the closing table."""
        if self.year is None:
            return ()
        return tuple(f for f in self.files
                     if _is_report(f.received) and f.result.report_year not in (self.year, None))

    def as_dict(self) -> dict:
        return {
            "year": self.year,
            "roster_size": self.roster_size,
            "units": [{"unit": u.unit, "status": u.status, "current": u.current.path if u.current else None,
                       "superseded": [f.path for f in u.superseded], "matched_by": u.matched_by}
                      for u in self.units],
            "unlisted": [{"unit": f.unit, "path": f.path} for f in self.unlisted],
            "files": [{"path": f.path, "status": f.status} for f in self.files],
            "other_years": [{"unit": f.unit, "year": f.result.report_year, "path": f.path, "status": f.status}
                            for f in self.other_years],
            "totals": {"basis": self.totals.basis, "included": list(self.totals.included),
                       "excluded": [{"unit": u, "reason": r} for u, r in self.totals.excluded]},
        }


def _file_status(result: FileResult) -> str:
    return {PASSED: PASSED, FAILED: FAILED, UNREADABLE: UNREADABLE, TIMED_OUT: TIMEOUT}.get(result.status, FAILED)


def _is_report(r: Received) -> bool:
    """A report read far enough to know its unit and numbers (passed or failed, not unreadable)."""
    return r.kind == REPORT and r.result is not None and r.result.status in (PASSED, FAILED)


def _newest_first(files: list[Received]) -> list[Received]:
    # unknown times count as oldest; on equal times the later path (「修改版」 sorts after the original) wins
    if len(files) < 2:
        return list(files)   # no time to look up
    epoch = datetime.datetime.min.replace(tzinfo=datetime.timezone.utc)

    def key(r: Received):
        t = arrival(r) or epoch
        return (t if t.tzinfo else t.astimezone(), r.path)
    return sorted(files, key=key, reverse=True)


def _collection_year(received: list[Received]) -> int | None:
    years = Counter(r.result.report_year for r in received if _is_report(r) and r.result.report_year)
    if not years:
        return None
    top = max(years.values())
    return max(y for y, n in years.items() if n == top)


def build(year: int | None, roster: list[RosterUnit] | None, received: Iterable[Received],
          totals_basis: str = "balanced", formats: Mapping[str, FormatDef] | None = None,
          documents: Callable[[], Iterable[tuple[str, dict | None]]] | None = None) -> CollectionView:
    """The collection of `received` files for report `year` (None: the year most reports give) against
    `roster` (None or empty: every reporting unit is expected). The totals sum the results' data documents,
    or, when the results were slimmed to keep memory flat, the (path, document) pairs `documents()` yields."""
    if totals_basis not in BASES:
        raise ValueError(f"unknown totals basis {totals_basis!r}")
    formats = formats if formats is not None else available_formats()
    received = list(received)
    year_given = year is not None
    year = year if year_given else _collection_year(received)
    matcher = _Matcher(roster or [])

    # 1. attribute every file to a unit: roster unit, or the unit's own name, or nobody
    groups: dict[str, list[Received]] = defaultdict(list)
    how: dict[str, str] = {}
    names: dict[str, str] = {}
    loose: list[Received] = []
    for r in received:
        reported = r.result.unit if _is_report(r) else None
        unit, by = matcher.by_name(reported) if reported else (None, None)
        if unit is None and r.kind == REPORT and not reported:
            unit, by = matcher.by_file_name(r.path), "file_name"
        if unit is None and r.kind == NOT_REPORT_KIND:
            unit, by = matcher.by_file_name(r.path), "file_name"
        if unit is not None:
            key = "roster:" + unit_key(unit.name)
            names[key] = unit.name
            # the best evidence over the unit's files: its name beats an alias beats a file name
            if key not in how or MATCH_RANK[by] < MATCH_RANK[how[key]]:
                how[key] = by
        elif reported:
            key = "name:" + unit_key(reported)
            names.setdefault(key, reported)
        else:
            loose.append(r)
            continue
        groups[key].append(r)

    # 2. per unit: the current report (newest of the collection's year), duplicates, other files
    views: dict[str, FileView] = {}
    units: list[UnitView] = []
    by_key = {"roster:" + unit_key(u.name): u for u in roster or []}
    order = list(by_key)
    order += sorted((k for k in groups if k.startswith("name:")), key=lambda k: names[k])
    for key in order:
        files = groups.get(key, [])
        roster_unit = by_key.get(key)
        unit_name = roster_unit.name if roster_unit else names[key]
        units.append(_unit_view(unit_name, roster_unit, files, how.get(key) if roster_unit else None,
                                year, year_given, views))
    for r in loose:
        status = NOT_A_REPORT if r.kind == NOT_REPORT_KIND else _file_status(r.result)
        views[r.path] = FileView(r, status, None, note=r.note)

    files = tuple(views[r.path] for r in received)
    unlisted = tuple(f for f in files if (roster and f.unit is not None and f.unit not in
                                          {u.name for u in roster}) or f.unit is None)
    totals = _totals(units, totals_basis, year, year_given, bool(roster), formats, documents)
    feedback = {u.unit: text for u in units if (text := feedback_text(u))}
    reminders = tuple(Reminder(u.roster, _missing_note(u)) for u in units if u.status == MISSING and u.roster)
    return CollectionView(year, year_given, len(roster) if roster else None, tuple(units), files, totals,
                          feedback, reminders, unlisted)


def _unit_view(name: str, roster_unit, files: list[Received], matched_by, year, year_given, views) -> UnitView:
    # candidates for the unit's current report: read, with official tables recognised
    reports = [r for r in files if _is_report(r) and r.result.format_version is not None]
    in_year = [r for r in reports if year is None or r.result.report_year in (year, None)]
    other_year = [r for r in reports if not (year is None or r.result.report_year in (year, None))]
    rest = [r for r in files if not (_is_report(r) and r.result.format_version is not None)]
    other_ids = {id(r) for r in other_year}
    problems: tuple[str, ...] = ()
    duplicates: list[Received] = []
    if in_year:
        current, *duplicates = _newest_first(in_year)
    elif other_year:
        # only another year's report came (last year's, sent by mistake): it stands for the unit
        current = _newest_first(other_year)[0]
        if year_given:
            problems = (_wrong_year(current.result.report_year, year),)
    else:
        # nothing usable: the newest file that was meant as a report (unreadable, timed out, no tables)
        tried = _newest_first([r for r in rest if r.kind == REPORT])
        current = tried[0] if tried else None

    def view(r: Received, status: str, superseded_by=None, note=None) -> FileView:
        v = FileView(r, status, name, superseded_by, note or r.note)
        views[r.path] = v
        return v

    def own_status(r: Received) -> str:
        if r.kind == NOT_REPORT_KIND:
            return NOT_A_REPORT
        if id(r) in other_ids and year_given:
            return FAILED
        return _file_status(r.result)

    cur = None
    if current is not None:
        note = _wrong_year(current.result.report_year, year) if id(current) in other_ids else None
        cur = view(current, own_status(current), note=note)
    superseded = tuple(view(r, DUPLICATE, current.path) for r in duplicates)
    others = tuple(view(r, own_status(r), note=_wrong_year(r.result.report_year, year) if id(r) in other_ids else None)
                   for r in other_year + rest if r is not current)
    unit_status = MISSING if cur is None else cur.status
    return UnitView(name, unit_status, roster_unit, cur, superseded, others, matched_by if files else None, problems)


def _wrong_year(found: int | None, year: int | None) -> str:
    return f"报告年度为{found}年，本次收集的是{year}年度报告（可能误报了其他年度的报告）。"


def _missing_note(u: UnitView) -> str | None:
    if u.others:
        return "；".join(f"收到的“{Path(f.path).name}”不是报告工作簿" for f in u.others) + "。"
    return None


# -- totals ---------------------------------------------------------------------------------------

def is_output_finding(f) -> bool:
    """A problem of the tool's own output (the marked copy could not be written): never the unit's."""
    return f.code.startswith(OUTPUT_CODE_PREFIX)


def report_counts(result: FileResult) -> dict[str, int]:
    """Errors/warnings/infos of the report itself: without the doubts of the reading (what the tool could not
    read or place) and the tool's own output problems, which are never the unit's."""
    counts = {s: 0 for s in SEVERITIES}
    for f in result.findings:
        if f.kind == REPORT_KIND and not is_output_finding(f):
            counts[f.severity] += 1
    return counts


def doubt_count(result: FileResult | None) -> int | None:
    """How many findings are doubts of the reading (the collector checks these against the original)."""
    return None if result is None else sum(f.kind == READING for f in result.findings if not is_output_finding(f))


def table_errors(result: FileResult) -> list[str]:
    """Codes of the errors that concern the tables' numbers (values, arithmetic, structure, formulas)."""
    codes = []
    for f in result.findings:
        entry = CATALOGUE.get(f.code)
        if f.severity == "error" and entry is not None and entry.group in TABLE_GROUPS and f.code not in codes:
            codes.append(f.code)
    return codes


def _exclusion(u: UnitView, basis: str, year, year_given: bool, formats) -> str | None:
    """Why a unit's current report is not summed under `basis`, or None when it is."""
    if u.current is None:
        return "未报送" if not u.others else "未报送报告工作簿"
    r = u.result
    if u.status == UNREADABLE:
        return "文件无法读取"
    if u.status == TIMEOUT:
        return "校验超时"
    if r is None or r.format_version not in formats:
        return "未能识别出官方表格"
    if year is not None and r.report_year != year:
        return f"报告年度为{r.report_year}年，不是{year}年"
    expected = format_for_year(year, formats) if year is not None else None
    if expected is not None and r.format_version != expected.version:
        return f"表格是{r.format_version}版格式，{year}年度应使用{expected.version}版格式"
    if basis == "passed" and r.status != PASSED:
        return "未通过校验（有错误）"
    if basis == "balanced":
        codes = table_errors(r)
        if codes:
            return f"表格有错误（{'、'.join(codes[:5])}{'等' if len(codes) > 5 else ''}）"
    return None


def _number(v):
    return v if isinstance(v, (int, Decimal)) and not isinstance(v, bool) else None


def _totals(units: list[UnitView], basis: str, year, year_given: bool, has_roster: bool, formats,
            documents: Callable[[], Iterable[tuple[str, dict | None]]] | None) -> Totals:
    included, excluded = [], []
    summed: dict[str, tuple[str, FormatDef]] = {}
    for u in units:
        reason = "不在名单中" if has_roster and not u.listed else _exclusion(u, basis, year, year_given, formats)
        if reason:
            excluded.append((u.unit, reason))
            continue
        summed[u.current.path] = (u.unit, formats[u.result.format_version])
        included.append(u.unit)
    if documents is None:
        current = [(u.current.path, u.result.document) for u in units if u.current is not None and u.result]
        documents = lambda: current  # noqa: E731
    return Totals(basis, tuple(included), tuple(excluded), summed, documents)


# -- feedback -------------------------------------------------------------------------------------

def _item(f) -> str:
    where = f"{f.sheet}!{f.cell}" if f.sheet and f.cell else (f.sheet or "")
    message = f.message.rstrip("。；; ")
    return f"{where} {message}" if where else message


def _numbered(items: list[str]) -> str:
    return "；".join(f"{i}. {text.rstrip('。；; ')}" for i, text in enumerate(items, 1))


def feedback_text(u: UnitView) -> str | None:
    """The 退回意见 for a unit that must correct and resend its report, naming every error and its cell; what
    the tool could not read or place (its errors and warnings) is listed apart, never as the unit's defect."""
    r = u.result
    if u.status in (UNREADABLE, TIMEOUT) and u.current is not None:
        reason = r.findings[0].message if r and r.findings else STATUS_ZH[u.status]
        return f"你单位报送的文件“{Path(u.current.path).name}”无法校验：{reason.rstrip('。')}。请处理后重新报送。"
    if u.status != FAILED or r is None:
        return None
    items = list(u.problems) + [_item(f) for f in r.findings if f.severity == "error" and f.kind == REPORT_KIND]
    doubts = [_item(f) for f in r.findings if f.kind == READING and f.severity != "info" and not is_output_finding(f)]
    if not items and not any(f.severity == "error" for f in r.findings if f.kind == READING):
        return None
    warnings = report_counts(r)["warning"]
    parts = [f"你单位报告存在以下问题：{_numbered(items)}。" if items else "",
             f"另有警告 {warnings} 条，请一并核实。" if warnings else "",
             f"{READING_HEADING}（不一定是报告的问题）：{_numbered(doubts)}。" if doubts else "",
             "请修改后重新报送。" if items else "如原件无误，请提供可以读取的文件（如报告工作簿或可复制文字的 PDF）后重新报送。"]
    return "".join(parts)


def main_problems(u: UnitView, limit: int = 3) -> str:
    """The first errors in words, for the 主要问题 column: the report's first, then what the tool could not read."""
    if u.status == MISSING:
        return _missing_note(u) or ""
    r = u.result
    if r is None:
        return ""
    errors = [f for f in r.findings if f.severity == "error"]
    items = list(u.problems) + [_item(f) for f in errors if f.kind == REPORT_KIND] + \
        [f"（读取存疑）{_item(f)}" for f in errors if f.kind == READING]
    if not items:
        return ""
    text = "；".join(i.rstrip("。") for i in items[:limit])
    return text + (f"；等共 {len(items)} 处" if len(items) > limit else "")


def all_passed(view: CollectionView) -> bool:
    """The run's exit status 0: some unit reported, every unit's current report passed, none is missing, no
    unreadable stray file (superseded versions and files that are not reports do not count against it)."""
    return bool(view.units) and all(u.status == "passed" for u in view.units) and \
        not any(f.unit is None and f.status in ("failed", "unreadable", "timeout") for f in view.files)


# -- year over year (同比) ------------------------------------------------------------------------

@dataclass(frozen=True)
class Figure:
    """A key figure of a report: the sum of `parts`, or its share of `of` in percent."""

    name: str
    parts: tuple[str, ...]
    of: tuple[str, ...] = ()

    def value(self, values: Mapping[str, object]):
        top = [_number(values.get(p)) for p in self.parts]
        if any(v is None for v in top):
            return None
        if not self.of:
            return sum(top)
        bottom = [_number(values.get(p)) for p in self.of]
        if any(v is None for v in bottom) or not sum(bottom):
            return None
        return (Decimal(sum(top)) * 100 / Decimal(sum(bottom))).quantize(Decimal("0.1"))


def key_figures(fmt: FormatDef) -> list[Figure]:
    """The figures evaluators compare year on year (applications received, the share granted in full, review
    and litigation results corrected, administrative-penalty decisions), as the format's layout names them."""
    return [Figure(f["name"], tuple(f["parts"]), tuple(f.get("of", ()))) for f in fmt.layout.get("key_figures", ())]


@dataclass(frozen=True)
class YearOnYear:
    unit: str
    figures: tuple[tuple[str, object, object, object], ...]   # (figure, this year, last year, change)


def year_on_year(view: CollectionView, previous: Iterable[FileResult],
                 formats: Mapping[str, FormatDef] | None = None,
                 documents: Callable[[], Iterable[tuple[str, dict | None]]] | None = None) -> list[YearOnYear]:
    """Each unit's key figures this year and last (its previous report matched by unit name), with the change;
    this year's documents from the results or from `documents()` as in build()."""
    formats = formats if formats is not None else available_formats()
    wanted = {u.current.path for u in view.units if u.result is not None}
    current = {path: doc for path, doc in (documents() if documents is not None else
                                           ((u.current.path, u.result.document) for u in view.units if u.result))
               if path in wanted and doc is not None}
    matcher = _Matcher([u.roster for u in view.units if u.roster])
    last: dict[str, FileResult] = {}
    for r in previous:
        if r.document is None or not r.unit or r.format_version not in formats:
            continue
        unit, _ = matcher.by_name(r.unit)
        last.setdefault(unit_key(unit.name if unit else r.unit), r)
    rows = []
    for u in view.units:
        this = u.result
        if this is None or current.get(u.current.path) is None or this.format_version not in formats:
            continue
        before = last.get(unit_key(u.unit)) or (last.get(unit_key(this.unit)) if this.unit else None)
        now_fmt = formats[this.format_version]
        now_values = flat_values(now_fmt, current[u.current.path])
        then = {}
        if before is not None:
            then_fmt = formats[before.format_version]
            then = {f.name: f.value(flat_values(then_fmt, before.document)) for f in key_figures(then_fmt)}
        figures = []
        for f in key_figures(now_fmt):
            a, b = f.value(now_values), then.get(f.name)
            figures.append((f.name, a, b, a - b if a is not None and b is not None else None))
        rows.append(YearOnYear(u.unit, tuple(figures)))
    return rows
