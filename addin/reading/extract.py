"""Extraction: detect the format version, read cover, texts and every table value with where it came from."""
from __future__ import annotations

import datetime
import re
from functools import partial
from typing import Any

from addin import catalogue
from addin.findings import Finding
from addin.formats import FormatDef, escape, format_for_year, pointer_tokens
from addin.reading import flattened, formulas, outline, statements
from addin.reading.notes import read_notes as notes_of
from addin.reading.extraction import Extraction, Origin
from addin.reading.labels import LabelIndex, SheetTexts, numbered_heading
from addin.reading.locate import Located, locate_block
from addin.reading.model import SheetData, WorkbookData, a1, holds_something
from addin.reading.normalise import norm_label, parse_value, show_raw
from addin.reading.plans import block_plans, reading_plan
from addin.textfit import fits_in_a_row
from addin.reading.variants import variant_of
from addin.validation import structure

__all__ = ["Extraction", "Origin", "extract"]

MIN_LABEL_SHARE = 0.2   # share of a version's labels that must be present to call its tables found
MIN_OWN_LABELS = 3     # labels printed by one version only that identify its tables when too few are present for a share


# -- format detection and cover ------------------------------------------------------------------

def detect_versions(index: LabelIndex, formats: dict[str, FormatDef]) -> tuple[str | None, list[str]]:
    """(version whose tables the workbook holds, other versions whose own labels also appear).

    The tables belong to the version with the largest share of its labels present (ties: more labels);
    labels that only another version prints are that version's fingerprints (a mix is a defect)."""
    labels = {v: reading_plan(f).label_keys for v, f in formats.items()}
    present = {v: {t for t in ls if t in index.by_label} for v, ls in labels.items()}
    ranked = sorted(formats, key=lambda v: (len(present[v]) / len(labels[v]), len(present[v])), reverse=True)
    best = ranked[0] if ranked and len(present[ranked[0]]) >= MIN_LABEL_SHARE * len(labels[ranked[0]]) else None
    if best is None:
        # too little of any table for a share (a page cut after table 二): labels that only one version
        # prints still tell its tables apart («本年新制作数量» is 2019's alone)
        own = {v: {t for t in present[v] if not any(t in labels[w] for w in formats if w != v)} for v in formats}
        by_own = sorted(formats, key=lambda v: len(own[v]), reverse=True)
        if by_own and len(own[by_own[0]]) >= MIN_OWN_LABELS and all(not own[v] for v in by_own[1:]):
            return by_own[0], []
        return None, []
    # a label of another version that is a near-variant of one of this version's labels the workbook
    # lacks (「规范性文件」 printed for 「行政规范性文件」) is that label misprinted, not the other version
    absent = labels[best] - present[best]
    mixed = [v for v in ranked[1:] if any(variant_of(t, absent) is None for t in present[v] - labels[best])]
    return best, mixed


def _field_value(index: LabelIndex, label: str):
    """The first non-empty cell right of a label cell ("单位名称" or "单位名称："), and where it is."""
    for candidate in (label, label + "：", label + ":"):
        for s, r, c, _ in index.find(candidate):
            sheet = index.sheets[s]
            for cc in range(c + 1, c + 8):
                v = sheet.value(r, cc)
                if holds_something(v):
                    return v, sheet.name, a1(r, cc), True
            return None, sheet.name, a1(r, c + 1), True
    return None, None, None, False


def read_cover(index: LabelIndex, fmt: FormatDef, ex: Extraction) -> dict:
    cover = {}
    ex.title = _title(index, fmt)
    title_year, title_unit = (int(ex.title[0].group("year")), statements.clean_unit(ex.title[0].group("unit"))) if ex.title else (None, None)
    missing = []   # (field, pointer, sheet, cell, raw) of the cover fields neither filled in nor in the title
    for fdef in fmt.layout["cover"]["fields"]:
        raw, sheet, cell, found = _field_value(index, fdef["label"])
        pointer = "/cover/" + escape(fdef["key"])
        if sheet:
            ex.origins[pointer] = Origin(sheet, cell, raw)
        if fdef["type"] == "year":
            year = _parse_year(raw)
            if year is None and title_year is not None and raw is None:
                year = title_year
            if year is None:
                missing.append((fdef, pointer, sheet, cell, raw))
            cover[fdef["key"]] = year
            ex.year = year
            if year is not None and title_year is not None and year != title_year:
                # the year cell is what disagrees with the title (and the text written for the title's
                # year): point there, and judge the text against the title's year, not the cell's
                ex.findings.append(catalogue.make("COV-05", pointer=pointer, sheet=sheet, cell=cell, year=year,
                                                  title_year=title_year, actual=year, expected=title_year))
                ex.year = title_year
        else:
            text = " ".join(str(raw).split()) if raw is not None else (title_unit if title_unit else None)
            if not text:
                missing.append((fdef, pointer, sheet, cell, raw))
                text = None
            cover[fdef["key"]] = text
            ex.unit = text
    for fdef in fmt.layout["cover"].get("optional_fields", []):
        # never required: a field left empty is absent from the document (so a document without them,
        # and a submission made before they were kept, stay as they were); a filled one is part of it
        raw, sheet, cell, _ = _field_value(index, fdef["label"])
        if raw is None or not str(raw).strip():
            continue
        pointer = "/cover/" + escape(fdef["key"])
        ex.origins[pointer] = Origin(sheet, cell, raw)
        value = raw.date().isoformat() if isinstance(raw, datetime.datetime) else " ".join(str(raw).split())
        cover[fdef["key"]] = ex.contacts[fdef["key"]] = value
    paragraphs = _paragraphs(index)
    first = next((i for i, (text, _) in enumerate(paragraphs) if _FIRST_SECTION_RE.match(text)), None)
    pattern = fmt.layout["cover"].get("title_pattern")
    stated = statements.find(paragraphs, re.compile(pattern) if pattern else None, first)
    _from_statements(index, ex, cover, missing, stated)
    return cover


_FIRST_SECTION_RE = re.compile(r"^一[、.]")


def _paragraphs(index: LabelIndex) -> list[tuple[str, tuple]]:
    """The report's paragraphs in reading order, normalised: rows holding one text (a cell's lines each),
    with (sheet index, row, col); the text of a report that is not a cover-and-tables workbook."""
    out = []
    for s, sheet in enumerate(index.sheets):
        for i, row in enumerate(sheet.rows):
            filled = [(j, v) for j, v in enumerate(row) if v is not None and v != ""]
            if len(filled) != 1 or type(filled[0][1]) is not str:
                continue
            j, text = filled[0]
            for line in text.split("\n"):
                line = norm_label(line)
                if line:
                    out.append((line, (s, i + sheet.row_offset, j + sheet.col_offset)))
    return out


def _from_statements(index: LabelIndex, ex: Extraction, cover: dict, missing: list, stated) -> None:
    """Cover fields the report states elsewhere (a title in another form, the first paragraph, the
    statistics period, the signature) are taken from there with a COV-03 note saying where, when the
    report has no such field (a document); the rest get COV-01/COV-02. A signature naming another unit than the report's is COV-04."""
    found = {}
    for fdef, pointer, sheet, cell, raw in missing:
        is_year = fdef["type"] == "year"
        # a cover field the workbook has but left empty stays a defect of the cover
        value = None if sheet is not None else stated.year if is_year else stated.unit
        if value is None:
            # a document with no cover field: the tool did not find the unit or year where reports state them
            in_document = sheet is None
            if is_year:
                variant = "invalid" if raw is not None else "missing_document" if in_document else "missing"
                ex.findings.append(catalogue.make("COV-02", variant, pointer=pointer, sheet=sheet, cell=cell, raw=show_raw(raw)))
            else:
                ex.findings.append(catalogue.make("COV-01", "document" if in_document else "default", pointer=pointer,
                                                  sheet=sheet, cell=cell))
            continue
        cover[fdef["key"]] = value
        if is_year:
            ex.year = value
            found["year"] = (value, stated.year_source)
        else:
            ex.unit = value
            found["unit"] = (value, stated.unit_source)
    if found:
        at = (stated.unit_at if "unit" in found else stated.year_at) or stated.title_at
        sheet, cell = (index.sheets[at[0]].name, a1(at[1], at[2])) if at else (None, None)
        variant = "both" if len(found) == 2 else next(iter(found))
        ex.findings.append(catalogue.make("COV-03", variant, sheet=sheet, cell=cell,
                                          unit=found.get("unit", ("", ""))[0], unit_source=found.get("unit", ("", ""))[1],
                                          year=found.get("year", ("", ""))[0], year_source=found.get("year", ("", ""))[1]))
    if stated.signer and ex.unit and not statements.same_unit(stated.signer, ex.unit):
        at = stated.signer_at
        ex.findings.append(catalogue.make("COV-04", sheet=index.sheets[at[0]].name, cell=a1(at[1], at[2]),
                                          signer=stated.signer, unit=ex.unit))


def _parse_year(raw) -> int | None:
    if isinstance(raw, bool) or raw is None:
        return None
    if isinstance(raw, (int, float)) and float(raw).is_integer():
        year = int(raw)
    else:
        m = re.fullmatch(r"\s*((?:19|20)\d{2})\s*年?\s*度?\s*", norm_label(str(raw)))
        if not m:
            return None
        year = int(m.group(1))
    return year if 1990 <= year <= 2100 else None


def _title(index: LabelIndex, fmt: FormatDef):
    """The report's title line (layout cover.title_pattern): (match on its normalised text, its cell) or None."""
    pattern = fmt.layout["cover"].get("title_pattern")
    if not pattern:
        return None
    compiled = re.compile(pattern)
    for key, cells in index.by_label.items():
        m = compiled.search(key)
        if m:
            return m, cells[0]
    return None


TEXT_ROWS_LIMIT = 200   # rows read below a section heading for its text


def statutory_sections(fmt: FormatDef) -> list[outline.Statutory]:
    """The official outline's six sections (the narrative ones and the tables' headings) with their subjects."""
    out = [outline.Statutory(sec["key"], sec["heading"], sec["subject"]) for sec in fmt.layout["cover"]["sections"]]
    out += [outline.Statutory(t["heading"][0], t["heading"], t["subject"]) for t in fmt.tables()]
    return sorted(out, key=lambda sec: outline.numeral_value(sec.key) or 0)


def read_texts(index: LabelIndex, fmt: FormatDef, ex: Extraction) -> dict:
    """Each narrative section's text: every text cell below its heading, up to the next top-level heading.
    A section is found by its heading's subject wherever the report put it (its number only a hint).
    For a report without cover fields, the preamble (layout cover.preamble) above the first heading too."""
    texts = {}
    plan = reading_plan(fmt)
    stops, table_labels = plan.stops, plan.label_keys
    sections = statutory_sections(fmt)
    ex.outline = outline.outline(outline.headings(index.sheets, table_labels, sections), sections)
    heading_rows = frozenset((h.sheet, h.row) for h in ex.outline.headings)
    below = partial(_section_text, stops=stops, heading_rows=heading_rows)
    for h in ex.outline.extras:
        h.text = below(index.texts(index.sheets[h.sheet]), h.row + 1, h.sheet)
    for section in fmt.layout["cover"]["sections"]:
        value = None
        pointer = "/text/" + escape(section["key"])
        long_cells: list | None = [] if ex.in_cells else None
        below = partial(_section_text, stops=stops, heading_rows=heading_rows, too_long=long_cells)
        h = ex.outline.by_key.get(section["key"])
        if h is not None:
            sheet = index.sheets[h.sheet]
            text = below(index.texts(sheet), h.row + 1, h.sheet)
            if h.by_subject:
                ex.origins[pointer] = Origin(sheet.name, a1(h.row + 1, h.col), sheet.value(h.row + 1, h.col))
                value = text
            else:
                # a heading in other words ("一、《条例》第三十二条规定的6个方面内容"), found by its number:
                # its own words are part of what the text rules read
                ex.origins[pointer] = Origin(sheet.name, a1(h.row, h.col), sheet.value(h.row, h.col))
                value = h.raw + ("\n" + text if text else "")
            texts[section["key"]] = value
            _too_long(ex, index, section, long_cells)
            continue
        for heading in [section["heading"], *section["variants"]]:
            hits = index.find(heading)
            if hits:
                s, r, c, _ = hits[0]
                sheet = index.sheets[s]
                ex.origins[pointer] = Origin(sheet.name, a1(r + 1, c), sheet.value(r + 1, c))
                value = below(index.texts(sheet), r + 1, s)
                break
        else:
            hit = numbered_heading(index, section["heading"], table_labels)
            if hit:
                s, r, c = hit
                sheet = index.sheets[s]
                ex.origins[pointer] = Origin(sheet.name, a1(r, c), sheet.value(r, c))
                text = below(index.texts(sheet), r + 1, s)
                value = str(sheet.value(r, c)).strip() + ("\n" + text if text else "")
        texts[section["key"]] = value
        _too_long(ex, index, section, long_cells)
    preamble = fmt.layout["cover"].get("preamble")
    headings = [(h.sheet, h.row) for h in ex.outline.headings]
    # a report with cover fields is the standard workbook, whose rows above 一 are the template's own notes
    if preamble and headings and not any(p.startswith("/cover/") for p in ex.origins):
        value = _preamble(index, ex, preamble["key"], min(headings))
        if value is not None:
            texts[preamble["key"]] = value
    return texts


def _too_long(ex: Extraction, index: LabelIndex, section: dict, cells: list | None) -> None:
    """WB-03 for each text cell of the section too long to show or print whole."""
    for s, r, c in dict.fromkeys(cells or ()):
        sheet = index.sheets[s]
        ex.findings.append(catalogue.make("WB-03", sheet=sheet.name, cell=a1(r, c), heading=section["heading"],
                                          length=len(str(sheet.value(r, c)))))


def _preamble(index: LabelIndex, ex: Extraction, key: str, first_heading: tuple[int, int]) -> str | None:
    """The paragraphs between the title (or the sheet's top) and the first section heading: where most
    reports state the statistics period. Rows of more than one cell (a label and its value) are not text."""
    s, end = first_heading
    sheet = index.sheets[s]
    start = sheet.row_offset
    if ex.title is not None and ex.title[1][0] == s and ex.title[1][1] < end:
        start = ex.title[1][1] + 1
    parts, origin = [], None
    for r in range(start, min(end, start + TEXT_ROWS_LIMIT)):
        row = sheet.rows[r - sheet.row_offset]
        filled = [(j, v) for j, v in enumerate(row) if v is not None and v != ""]
        if len(filled) == 1 and type(filled[0][1]) is str and filled[0][1].strip():
            j, text = filled[0]
            parts.append(text.strip())
            if origin is None:
                origin = Origin(sheet.name, a1(r, j + sheet.col_offset), text)
    if not parts:
        return None
    ex.origins["/text/" + escape(key)] = origin
    return "\n".join(parts)


def _section_text(tx: SheetTexts, first_row: int, s_index: int, stops: frozenset[str],
                  heading_rows: frozenset, too_long: list | None = None) -> str | None:
    """The text cells from first_row down to the next top-level heading, a table's label, or the web
    page's own lines after the article (share bar, footer); the signature and date closing the report
    are not part of its last section."""
    parts = []
    sheet = tx.sheet
    rows, offset = sheet.rows, sheet.row_offset
    last_section = True   # the text runs to the end of the report (or of the article): it may end in a signature
    for r in range(max(first_row, offset), min(first_row + TEXT_ROWS_LIMIT, sheet.n_rows)):
        row = rows[r - offset]
        filled = [j for j, v in enumerate(row) if isinstance(v, str) and v.strip()]
        if filled:
            texts = [tx.cell(r - offset, j) for j in filled]
            if outline.CHROME_LINE_RE.match(texts[0]):
                break
            # the cell directly below the heading is the section's own text, whatever it starts with
            if r > first_row and ((s_index, r) in heading_rows or any(t in stops for t in texts)):
                last_section = False
                break
        parts.extend(row[j] for j in filled)
        if too_long is not None:   # (sheet, row, col) of cells too long for a row: WB-03
            too_long.extend((s_index, r, j + sheet.col_offset) for j in filled if not fits_in_a_row(row[j]))
    parts = outline.without_closing(parts, last_section)
    return "\n".join(parts) if parts else None


# -- values ---------------------------------------------------------------------------------------

_VALUE_CODES = {"BLANK": "VAL-01", "PLACEHOLDER": "VAL-02"}


def _read_block_cells(ex: Extraction, runs: tuple, located: Located, lenient: bool) -> None:
    """Every data cell of a located block into ex.values, with its origin (the loop of every check)."""
    sheet = located.sheet
    name, rows, row_offset, col_offset = sheet.name, sheet.rows, sheet.row_offset, sheet.col_offset
    uncached = sheet.uncached_formulas
    found_rows, values, origins = located.rows, ex.values, ex.origins
    for row_key, cells in runs:
        r = found_rows.get(row_key)
        columns = located.columns if located.row_columns is None else located.row_columns.get(row_key, {})
        i = -1 if r is None else r - row_offset
        row = rows[i] if 0 <= i < len(rows) else ()
        for column_key, pointer, plain, cell_def in cells:
            c = columns.get(column_key)
            if r is None or c is None:
                values[pointer] = None
                continue
            j = c - col_offset
            raw = row[j] if 0 <= j < len(row) else None
            ref = a1(r, c)
            origins[pointer] = _new_origin((name, ref, raw))
            if plain and type(raw) is int and (not uncached or (r, c) not in uncached):
                # the common case: a whole number in a count column parses to itself with no notice
                values[pointer] = raw
            else:
                _read_cell(ex, cell_def, sheet, ref, uncached.get((r, c)) if uncached else None, raw, lenient)


_new_origin = partial(tuple.__new__, Origin)   # Origin without its Python-level __new__ (one per data cell)


def _read_cell(ex: Extraction, cell_def, sheet: SheetData, ref: str, formula: str | None, raw, lenient: bool) -> None:
    """A cell that needs more than taking its whole number: an uncached formula, or a value to parse."""
    pointer = cell_def.pointer
    where = cell_def.where
    if formula is not None:
        ex.pending_formulas[pointer] = (sheet.name, ref, formula, where)   # worked out or FML-01 once all is read
        ex.values[pointer] = None
        return
    parsed = parse_value(raw, cell_def.type, cell_def.unit)
    if parsed.state == "FORMULA_ERROR":
        ex.findings.append(catalogue.make("FML-02", pointer=pointer, sheet=sheet.name, cell=ref, where=where, raw=parsed.value))
        ex.values[pointer] = None
        return
    if parsed.state in _VALUE_CODES:
        shown = show_raw(raw)
        raw_note = f"（单元格内容为“{shown}”）" if raw not in (None, "") else ""
        ex.findings.append(catalogue.make(_VALUE_CODES[parsed.state], "lenient" if lenient else "default",
                                          severity="warning" if lenient else None, pointer=pointer, sheet=sheet.name,
                                          cell=ref, where=where, raw=shown, raw_note=raw_note, actual=shown, expected=0))
        ex.values[pointer] = 0 if lenient else None
    else:
        ex.values[pointer] = parsed.value
    if parsed.notices:
        shown = show_raw(raw)
        for n in parsed.notices:
            finding = catalogue.make(n.code, n.variant, severity=n.severity, pointer=pointer, sheet=sheet.name,
                                     cell=ref, where=where, raw=shown, value=parsed.value, **n.fields)
            ex.findings.append(finding)
            if n.code == "VAL-07" and n.variant == "default":
                ex.padded.append((finding, n.fields.get("chars", "")))


PAD_GROUP_MIN = 3   # this many padded numbers in one table are one notice, not one line each
PAD_GROUP_SHOWN = 3  # cells named in the grouped notice


def _group_padding(ex: Extraction) -> None:
    """Padded numbers (VAL-07, read correctly) of one table as one grouped notice: a table copied from
    Word pads nearly every value, and 159 identical notices would bury the findings that matter."""
    groups: dict[tuple, list[tuple[Finding, str]]] = {}
    for finding, chars in ex.padded:
        table = pointer_tokens(finding.pointer)[0] if finding.pointer else ""
        groups.setdefault((finding.sheet, table), []).append((finding, chars))
    grouped = {id(f) for members in groups.values() if len(members) >= PAD_GROUP_MIN for f, _ in members}
    if not grouped:
        return
    names = {t["id"]: t["name"] for t in ex.fmt.layout["tables"]}
    first_at = {}
    for (sheet, table), members in groups.items():
        if len(members) >= PAD_GROUP_MIN:
            first_at[id(members[0][0])] = catalogue.make(
                "VAL-07", "grouped", pointer="/" + escape(table), sheet=sheet, cell=members[0][0].cell, actual=len(members),
                table=names.get(table, table), count=len(members),
                chars="、".join(dict.fromkeys(c for part in members for c in part[1].split("、") if c)),
                cells="、".join(f.cell for f, _ in members[:PAD_GROUP_SHOWN] if f.cell)
                + ("等" if len(members) > PAD_GROUP_SHOWN else ""))
    # the grouped notice takes the place of its group's first finding, keeping the reading order
    ex.findings[:] = [first_at.get(id(f), f) for f in ex.findings if id(f) not in grouped or id(f) in first_at]
    ex.padded.clear()


def _nest(flat: dict[str, Any], skeleton: dict, paths: dict[str, tuple[tuple[str, ...], str]]) -> dict:
    """The flat pointer -> value map as the nested data document, in the map's order."""
    nodes: dict[tuple[str, ...], dict] = {(): skeleton}

    def node_at(parent: tuple[str, ...]) -> dict:
        node = nodes.get(parent)
        if node is None:
            node = nodes[parent] = node_at(parent[:-1]).setdefault(parent[-1], {})
        return node

    last_parent, node = None, skeleton
    for pointer, value in flat.items():
        split = paths.get(pointer)
        if split is None:
            tokens = pointer_tokens(pointer)
            split = (tokens[:-1], tokens[-1])
        parent, leaf = split
        if parent is not last_parent:   # cells of one row follow each other: look their node up once
            node = nodes.get(parent) or node_at(parent)
            last_parent = parent
        node[leaf] = value
    return skeleton


def extract(workbook: WorkbookData, formats: dict[str, FormatDef], lenient: bool = False) -> Extraction:
    """Detect the format version, read cover, texts and tables into a data document with origins."""
    if workbook.paragraphs:
        workbook = flattened.regroup(workbook, *_table_labels(formats))
    index = LabelIndex(workbook)
    ex, cover, assumed = _identify(index, formats, workbook.is_document)
    fmt = ex.fmt
    if fmt is None:
        return ex
    ex.in_cells = not workbook.paragraphs
    texts = read_texts(index, fmt, ex)
    if assumed and not any(p.startswith("/text/") for p in ex.origins):
        ex.fmt = None   # neither the tables nor the text of a report: nothing more to check
        return ex
    structure.judge_narrative(index, fmt, ex)
    _read_tables(index, fmt, ex, lenient, look=not assumed)
    structure.rows_of_other_versions(ex, fmt, formats)
    if ex.pending_formulas:
        formulas.settle(ex, fmt, ex.pending_formulas)
    structure.check_subtotals(ex, fmt, lenient)
    _group_padding(ex)
    skeleton = {"format_version": fmt.version, "cover": cover, "text": texts}
    notes = notes_of(index, fmt, ex) if not assumed else {}
    if notes:   # only tables that have a note: a document without any stays as it always was
        skeleton["notes"] = notes
    ex.document = _nest(ex.values, skeleton, reading_plan(fmt).nest_paths)
    return ex


def _table_labels(formats: dict[str, FormatDef]) -> tuple[frozenset[str], frozenset[str]]:
    """(labels heading columns, labels of rows) of every version's tables, normalised: what regrouping a
    table given one cell per line goes by."""
    rows, headers = set(), set()
    for fmt in formats.values():
        plans = block_plans(fmt).values()
        row_labels = {t for p in plans for t in p.row_label_set}
        rows |= row_labels
        groups = {norm for p in plans for _, norm in p.column_groups}   # «行政复议» heads 表四 and anchors it
        headers |= (reading_plan(fmt).label_keys - row_labels - reading_plan(fmt).stops) | groups
    return frozenset(headers), frozenset(rows)


def _identify(index: LabelIndex, formats: dict[str, FormatDef], in_document: bool) -> tuple[Extraction, dict, bool]:
    """The format version the tables and the year call for (STR-04 when they disagree or none fits), the cover,
    and whether the version is only assumed: with no table and no year the text is still read, by the
    newest format's sections, so that every rule that needs no year runs."""
    best, mixed = detect_versions(index, formats)
    fmt = formats[best] if best else None
    probe = fmt or next(iter(formats.values()))
    ex = Extraction(fmt, in_document=in_document)
    cover = read_cover(index, probe, ex)
    if ex.year is not None:
        ex.expected_fmt = format_for_year(ex.year, formats)
    if mixed:
        ex.findings.append(catalogue.make("STR-04", "mixed", versions="、".join(formats[v].notice for v in [best, *mixed])))
    if ex.year is not None and ex.expected_fmt is None:
        supported = "、".join(f"{f.meta['years']['first']}—{f.meta['years']['last'] or ''}" for f in formats.values())
        ex.findings.append(catalogue.make("STR-04", "unsupported", year=ex.year, supported=supported))
    assumed = False
    if fmt is None:
        fmt = ex.expected_fmt
        if fmt is None:
            ex.findings.append(catalogue.make("STR-04", "unknown_document" if in_document else "unknown"))
            fmt, assumed = max(formats.values(), key=lambda f: f.meta["years"]["first"]), True
    elif ex.expected_fmt is not None and ex.expected_fmt is not fmt:
        ex.findings.append(catalogue.make("STR-04", "wrong", year=ex.year, expected_name=ex.expected_fmt.name,
                                          expected_notice=ex.expected_fmt.notice, actual_name=fmt.name, actual_notice=fmt.notice))
    ex.fmt = fmt
    return ex, cover, assumed


def _read_tables(index: LabelIndex, fmt: FormatDef, ex: Extraction, lenient: bool, look: bool = True) -> None:
    """Locate every block of every table and read its cells; a cell of a table not found reads as None.
    With look=False (an assumed format: STR-04 said no table was found) every cell reads as None."""
    plan, blocks = reading_plan(fmt), block_plans(fmt)
    for table in fmt.tables():
        located_any = not look
        for block in (table["blocks"] if look else []):
            located = locate_block(index, table, block, ex, table["structure_code"], blocks[id(block)])
            if located is None:
                continue
            located_any = True
            _note_place(index, ex, table["id"], located)
            if not located.sheet.visible:
                ex.findings.append(catalogue.make("WB-01", sheet=located.sheet.name, table=table["name"]))
            for key, r in located.rows.items():
                ex.row_positions[(block["id"], key)] = r
            _read_block_cells(ex, plan.cells_by_block[(table["id"], block["id"])], located, lenient)
        if not located_any:
            ex.findings.append(catalogue.make(table["structure_code"], "not_found" if ex.in_document else "missing_table",
                                              table=table["name"], anchor=table["blocks"][0]["anchor"]))
        elif look:
            for block in table["blocks"]:
                if not any((block["id"], row["key"]) in ex.row_positions for row in block["rows"]) and len(table["blocks"]) > 1:
                    ex.findings.append(catalogue.make(table["structure_code"], "missing_block", table=table["name"], anchor=block["anchor"]))
        for pointer in plan.pointers_by_table[table["id"]]:
            ex.values.setdefault(pointer, None)


def _note_place(index: LabelIndex, ex: Extraction, table_id: str, located: Located) -> None:
    """Widen the table's extent (tables_at) by a located block on the sheet of its first block."""
    s = next(i for i, sheet in enumerate(index.sheets) if sheet is located.sheet)
    top = located.top if located.top is not None else min(located.rows.values(), default=None)
    if top is None:
        return
    bottom = max(located.rows.values(), default=top)
    at = ex.tables_at.get(table_id)
    if at is None:
        ex.tables_at[table_id] = (s, top, bottom)
    elif at[0] == s:
        ex.tables_at[table_id] = (s, min(at[1], top), max(at[2], bottom))
