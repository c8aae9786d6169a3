"""The one place where load → extract → validate → result is wired; CLI and add-in only call this."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from addin import catalogue
from addin.findings import Finding
from addin.formats import FormatDef, available_formats, escape, pointer_tokens
from addin.reading.extract import Extraction, extract
from addin.reading.load import Unreadable, load_workbook
from addin.reading.model import WorkbookData, parse_a1, place_text
from addin.result import FAILED, PASSED, UNREADABLE, FileResult
from addin.validation import cross_year, engine, rules, schema_check
from addin.validation.context import Context


@dataclass(frozen=True)
class Options:
    lenient: bool = False
    schema_dir: str | None = None   # another folder of format versions (tests, future formats)
    keep_origins: bool = True       # False: batch workers drop the cell origins the parent does not use

    def formats(self) -> dict[str, FormatDef]:
        return available_formats(self.schema_dir)


def validate(ex: Extraction) -> tuple[list[Finding], list]:
    """Schema and consistency findings for an extraction, located through its origins."""
    if ex.fmt is None or ex.document is None:
        return [], []
    found = schema_check.schema_findings(ex.fmt, ex.document, ex.origins)
    # A value that breaks its type (a negative count, a decimal count) is not an operand: the
    # arithmetic would only repeat the same defect at other cells.
    invalid = {f.pointer for f in found}
    operands = {p: (None if p in invalid else v) for p, v in ex.values.items()} if invalid else ex.values
    # the sections whose heading was found (read_texts gave them an origin)
    keys = [s["key"] for s in ex.fmt.layout["cover"]["sections"]] + [p["key"] for p in [ex.fmt.layout["cover"].get("preamble")] if p]
    located = {escape(k) for k in keys if "/text/" + escape(k) in ex.origins}
    ctx = Context(ex.fmt, operands, texts=ex.document.get("text", {}), notes=ex.document.get("notes", {}),
                  located=located, year=ex.year, unit=ex.unit, extra_sections=ex.extra_sections,
                  origins=ex.origins, all_whole=rules.all_whole(ex.fmt, operands))
    # tables of another version than the year calls for (STR-04): the text is still the year's report,
    # held to the text rules of the year's notice (a 2021 report printing 2019 tables owes 2021's five aspects)
    text_fmt = ex.expected_fmt if ex.expected_fmt is not None and ex.expected_fmt is not ex.fmt else None
    found += engine.run(ctx, [r for r in ex.fmt.rules if text_fmt is None or r["kind"] != "text"])
    if text_fmt is not None:
        text_ctx = Context(text_fmt, operands, texts=ctx.texts, notes=ctx.notes, located=located, year=ex.year, unit=ex.unit,
                           extra_sections=ex.extra_sections, origins=ex.origins, all_whole=ctx.all_whole)
        found += engine.run(text_ctx, [r for r in text_fmt.rules if r["kind"] == "text"])
    return [_locate(f, ex) for f in found], ctx.skipped


def _locate(f: Finding, ex: Extraction) -> Finding:
    origin = ex.origins.get(f.pointer) if f.pointer else None
    return f.at(origin.sheet, origin.cell) if origin and not f.cell else f


def _printed_at(findings: list[Finding], workbook: WorkbookData, ex: Extraction) -> list[Finding]:
    """Findings in a document with pages (PDF) say where they are printed instead of a grid cell;
    a table is named by the official table read from it."""
    sheets = {s.name: s for s in workbook.sheets if s.places}
    names = {t["id"]: t["name"] for t in ex.fmt.tables()} if ex.fmt is not None else {}
    numbered = {}   # table number in the document -> official name, from where the values were read
    for pointer, origin in ex.origins.items():
        sheet = sheets.get(origin.sheet)
        name = names.get(pointer_tokens(pointer)[0]) if sheet is not None else None
        if name:
            row = parse_a1(origin.cell)[0] - sheet.row_offset
            if 0 <= row < len(sheet.places) and sheet.places[row][1]:
                numbered.setdefault(sheet.places[row][1], name)
    out = []
    for f in findings:
        sheet = sheets.get(f.sheet)
        if sheet is None or not f.cell:
            out.append(f)
            continue
        row, col = parse_a1(f.cell)
        i = row - sheet.row_offset
        place = sheet.places[i] if 0 <= i < len(sheet.places) else None
        out.append(f.at(f.sheet, place_text(place, col - sheet.col_offset, numbered.get(place[1]))) if place else f)
    return out


def check_data(workbook: WorkbookData, path: str, options: Options = Options()) -> FileResult:
    """Check a workbook that is already read (from a file or from a live Excel book)."""
    formats = options.formats()
    ex = extract(workbook, formats, lenient=options.lenient)
    more, skipped = validate(ex)
    if ex.fmt is not None:
        skipped = skipped + cross_year.pending(ex.fmt, ex.year, formats)
    findings = sorted(workbook.findings + ex.findings + more, key=Finding.sort_key)
    if any(s.places for s in workbook.sheets):
        findings = _printed_at(findings, workbook, ex)
    status = FAILED if any(f.severity == "error" for f in findings) else PASSED
    held = rules.held(ex.fmt, {f.code for f in findings}, skipped) if ex.fmt is not None and ex.document is not None else []
    return FileResult(path=path, status=status, format_version=ex.fmt.version if ex.fmt else None,
                      report_year=ex.year, unit=ex.unit, findings=findings, not_evaluated=skipped,
                      rules_held=held, document=ex.document, origins=ex.origins, contacts=ex.contacts)


def check_file(path: str | Path, options: Options = Options()) -> FileResult:
    """Read and check one file; a file that cannot be read gives an "unreadable" result, never an exception."""
    try:
        workbook = load_workbook(path)
    except Unreadable as exc:
        return FileResult(path=str(path), status=UNREADABLE, findings=[exc.finding], content_hash=exc.sha256)
    except Exception as exc:  # a reader bug must not stop a batch: report it as this file's finding
        return FileResult(path=str(path), status=UNREADABLE,
                          findings=[catalogue.make("FILE-09", reason=f"{exc.__class__.__name__}: {exc}"[:200])])
    try:
        result = check_data(workbook, str(path), options)
    except Exception as exc:  # an engine bug on a strange workbook is this file's finding, never a traceback
        result = FileResult(path=str(path), status=UNREADABLE,
                            findings=[catalogue.make("FILE-09", reason=f"{exc.__class__.__name__}: {exc}"[:200])])
    result.content_hash = workbook.sha256   # of the bytes checked, not of whatever the path holds later
    return result
