"""Structure judgements made while reading: the report's title (STR-02), its headings (STR-03), subtotals (STR-09)."""
from __future__ import annotations

from addin import catalogue
from addin.formats import FormatDef, escape
from addin.reading.extraction import Extraction
from addin.reading.labels import NUMBERING_RE, LabelIndex, numbered_heading
from addin.reading.model import a1
from addin.reading.normalise import ARTEFACT_RE, norm_label, parse_value, show_raw
from addin.reading.outline import numeral_value
from addin.reading.plans import reading_plan


def judge_narrative(index: LabelIndex, fmt: FormatDef, ex: Extraction) -> None:
    """STR-03 for the headings and STR-02 for the title, both judged where the report has its narrative."""
    check_headings(index, fmt, ex)
    if ex.title and any(p.startswith("/text/") for p in ex.origins):
        judge_title(index, fmt, ex, ex.title)


def judge_title(index: LabelIndex, fmt: FormatDef, ex: Extraction, title) -> None:
    """STR-02 when the title is not the statutory name, NORM-04 for text-extraction artefacts in it."""
    m, (s, r, c) = title
    sheet = index.sheets[s]
    raw = str(sheet.value(r, c)).strip()
    statutory = norm_label(fmt.layout["cover"]["title"].split("{year}年", 1)[-1])
    if statutory and statutory not in m.string:
        ex.findings.append(catalogue.make("STR-02", sheet=sheet.name, cell=a1(r, c), raw=raw,
                                          expected=f"{m.group('unit')}{m.group('year')}年{statutory}"))
    if ARTEFACT_RE.search(raw):
        ex.findings.append(catalogue.make("NORM-04", sheet=sheet.name, cell=a1(r, c), raw=raw))


def check_headings(index: LabelIndex, fmt: FormatDef, ex: Extraction) -> None:
    """STR-03: the six top-level headings. Judged only where the report has its narrative (some heading of
    一/五/六 is there); a workbook of tables alone is not a report text. A heading numbered in another
    style (「3、」) is a warning of its own; an outline that departs from the official one (sections
    missing, added or under another number) is reported once."""
    if not any(p.startswith("/text/") for p in ex.origins):
        return
    found = ex.outline.by_key if ex.outline is not None else {}
    headings = [(s["heading"], s["variants"]) for s in fmt.layout["cover"]["sections"]]
    headings += [(t["heading"], []) for t in fmt.tables()]
    table_labels = reading_plan(fmt).label_keys
    by_words = {}
    for number, entries in index.numbered.items():
        for key, cell in entries:
            if key not in table_labels:
                by_words.setdefault(key[len(number):], []).append((number, key, cell))
    missing = []
    for heading, variants in sorted(headings, key=lambda h: numeral_value(h[0][0]) or 0):
        if heading[0] in found or any(index.find(h) for h in [heading, *variants]) or \
                numbered_heading(index, heading, table_labels):
            continue
        # the same words under another numbering style and the same number: 「3、」 or 「（三）」 for 「三、」
        # (a sub-item 「（一）主动公开政府信息情况」 of section 一 is not section 二)
        words = [NUMBERING_RE.sub("", norm_label(h)) for h in [heading, *variants]]
        hit = next((e for w in words for e in by_words.get(w, ()) if _number_of(e[0]) == numeral_value(heading[0])), None)
        if hit:
            _, key, (s, r, c) = hit
            ex.findings.append(catalogue.make("STR-03", "numbering", severity="warning", sheet=index.sheets[s].name, cell=a1(r, c),
                                              raw=str(index.sheets[s].value(r, c)).strip(), heading=heading))
        else:
            missing.append(heading)
    extras = ex.outline.extras if ex.outline is not None else []
    moved = ex.outline.moved() if ex.outline is not None else []
    if len(missing) == 1 and not extras and not moved:
        ex.findings.append(catalogue.make("STR-03", heading=missing[0]))
    elif missing or extras or moved:
        details = []
        if missing:
            details.append("缺少" + "".join(f"“{h}”" for h in missing))
        if extras:
            details.append("多出" + "".join(f"“{h.raw}”" for h in extras))
        details += [f"“{h.raw}”应为第{h.key}部分" for h in sorted(moved, key=lambda h: h.number)]
        first = min(extras + moved, key=lambda h: (h.sheet, h.row), default=None)
        where = {"sheet": index.sheets[first.sheet].name, "cell": a1(first.row, first.col)} if first else {}
        ex.findings.append(catalogue.make("STR-03", "outline", severity="error" if missing else "warning",
                                          details="；".join(details), **where))


def _number_of(numbering: str) -> int | None:
    """The number of an item numbering: 「三、」 3, 「3、」 3, 「(三)」 3."""
    core = numbering.strip("()、.")
    return int(core) if core.isdigit() else numeral_value(core)


def rows_of_other_versions(ex: Extraction, fmt: FormatDef, formats: dict[str, FormatDef]) -> None:
    """A group of rows printed as the single row another version has (the 2019 「（六）其他处理」 in a
    2021 table 三) is a version mix (STR-04), not a subtotal the filer added: its numbers are quoted in
    the finding (they cannot be split over the group's rows), and its rows are not reported missing
    one by one."""
    rows_elsewhere = {norm_label(row["label"]): other for other in formats.values() if other is not fmt
                      for t in other.tables() for b in t["blocks"] for row in b["rows"] if row["label"]}
    keep = []
    for sub in ex.subtotals:
        kind, sheet, r, group, columns, table_name, raw = sub
        other = rows_elsewhere.get(norm_label(raw)) if kind == "row" and isinstance(group.get("rows"), list) else None
        if other is None:
            keep.append(sub)
            continue
        block = next(b for t in fmt.tables() for b in t["blocks"] if group in b.get("groups", []))
        labels = [row["label"] for row in block["rows"] if row["key"] in group["rows"]]
        if any((block["id"], row["key"]) in ex.row_positions for row in block["rows"] if row["key"] in group["rows"]):
            keep.append(sub)   # the group's own rows are there too: a subtotal after all
            continue
        code = next(t["structure_code"] for t in fmt.tables() if block in t["blocks"])
        added = next((f for f in ex.findings if f.code == "STR-09" and f.sheet == sheet.name and f"“{raw}”" in f.message), None)
        cell = added.cell if added else None
        ex.findings[:] = [f for f in ex.findings if f is not added and not (
            f.code == code and any(f"“{lab}”" in f.message for lab in labels))]
        numbers = "、".join(show_raw(sheet.value(r, c)) for c in columns.values())
        ex.findings.append(catalogue.make("STR-04", "row", table=table_name, raw=raw, other_notice=other.notice, notice=fmt.notice,
                                          rows="".join(f"“{lab}”" for lab in labels), numbers=numbers,
                                          sheet=sheet.name, cell=cell))
    ex.subtotals[:] = keep


def check_subtotals(ex: Extraction, fmt: FormatDef, lenient: bool) -> None:
    for kind, sheet, at, spec, columns, table_name, label in ex.subtotals:
        if kind == "row":
            members = spec["rows"]
            block = next(b for t in fmt.tables() for b in t["blocks"] if spec in b.get("groups", []))
            member_keys = fmt.rows_of(f"{_table_of(fmt, block)}.{block['id']}", members) if isinstance(members, str) else members
            for col_key, c in columns.items():
                parts = [ex.values.get(_ptr(block, key, col_key)) for key in member_keys]
                _compare_subtotal(ex, sheet, at, c, parts, table_name, label, lenient)
        else:
            block = spec
            keys = list(columns)
            left = [k for k, c in columns.items() if c < at]
            if not left:
                continue
            group_of = {col["key"]: tuple(col["path"][:-1]) for col in block["columns"]}
            group = group_of[left[-1]]
            member_cols = [k for k in keys if group_of[k] == group and len(group) > 1]
            for row in block["rows"]:
                r = ex.row_positions.get((block["id"], row["key"]))
                if r is None:
                    continue
                parts = [ex.values.get(_ptr(block, row["key"], k)) for k in member_cols]
                _compare_subtotal(ex, sheet, r, at, parts, table_name, label, lenient)


def _table_of(fmt: FormatDef, block: dict) -> str:
    return next(t["id"] for t in fmt.tables() if block in t["blocks"])


def _ptr(block: dict, row: str, column: str) -> str:
    return block["pointer"].format(row=escape(row), column=escape(column))


def _compare_subtotal(ex, sheet, r, c, parts, table_name, label, lenient) -> None:
    parsed = parse_value(sheet.value(r, c), "count")
    if parsed.state != "NUM" or any(not isinstance(p, (int,)) and p.__class__.__name__ != "Decimal" for p in parts):
        return
    expected = sum(parts)
    if parsed.value != expected:
        ex.findings.append(catalogue.make("STR-09", "mismatch", severity="error", sheet=sheet.name, cell=a1(r, c),
                                          table=table_name, label=label, expected=expected, actual=parsed.value))
