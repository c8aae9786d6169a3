"""Tables a document gives one cell per line (a page archive's text, a copied web page): regrouped into rows by the official labels."""
from __future__ import annotations

import re
from dataclasses import replace

from addin.reading.model import SheetData, WorkbookData, holds_something
from addin.reading.normalise import norm_label
from addin.reading.variants import variant_of

MAX_LABEL_LEN = 80     # the longest official label is shorter; a longer line is a paragraph
MAX_PARTS = 3          # a header cell broken over at most this many lines («本年新» / «制作数量»)
_NUMBER_RE = re.compile(r"^-?\d+(?:\.\d+)?(?:万元|元)?$")


def regroup(workbook: WorkbookData, headers: frozenset[str], row_labels: frozenset[str]) -> WorkbookData:
    """The workbook with each run of one-cell rows that spells a table row put back in one row: a row
    label and the numbers on the lines after it; a header's labels (`headers`: the tables' labels that
    head columns) on consecutive lines, and numbers right below them as a row. A label broken over lines
    is joined first. Other rows are kept."""
    return replace(workbook, sheets=[_regroup_sheet(s, headers, row_labels) for s in workbook.sheets])


def _single(row: list) -> str | None:
    """The one filled cell of a row, as text, or None."""
    filled = [v for v in row if holds_something(v)]
    return str(filled[0]).strip() if len(filled) == 1 else None


def _regroup_sheet(sheet: SheetData, headers: frozenset[str], row_labels: frozenset[str]) -> SheetData:
    if sheet.places is not None or sheet.uncached_formulas:
        return sheet     # a PDF's rows carry printed places; a workbook's rows are cells
    labels = headers | row_labels
    rows, out, i = sheet.rows, [], 0
    changed = False
    while i < len(rows):
        text = _single(rows[i])
        if text is None:
            out.append(rows[i])
            i += 1
            continue
        label, used, key = _label_at(rows, i, labels)
        if key in row_labels and not _is_number(label):
            numbers, j = _numbers_from(rows, i + used)
            if numbers:
                out.append([label, *numbers])
                i, changed = j, True
                continue
        if key in headers:
            run, j = [label], i + used
            while j < len(rows) and _single(rows[j]) is not None:
                nxt, n, nxt_key = _label_at(rows, j, labels, headers)
                if nxt_key not in headers:
                    break
                run.append(nxt)
                j += n
            if len(run) > 1:
                out.append(run)
                # numbers right below a header with no label of their own: the one data row of a table
                # whose rows are not labelled (表四)
                numbers, j = _numbers_from(rows, j)
                if numbers:
                    out.append(numbers)
                i, changed = j, True
                continue
        if used > 1:
            out.append([label])
            i, changed = i + used, True
            continue
        out.append(rows[i])
        i += 1
    return replace(sheet, rows=out) if changed else sheet


def _numbers_from(rows: list, j: int) -> tuple[list[str], int]:
    """The numbers on the one-cell lines from row j on, and the row after them."""
    numbers = []
    while j < len(rows) and (text := _single(rows[j])) is not None and _is_number(text):
        numbers.append(text)
        j += 1
    return numbers, j


def _label_at(rows: list, i: int, labels: frozenset[str], near: frozenset[str] = frozenset()) -> tuple[str, int, str | None]:
    """(text, lines used, the official label it is) at row i: a label broken over up to MAX_PARTS one-cell
    lines joined; within a header (`near`), a near-variant of one of its labels («现行有效件»), which the
    table locator then reports as a variant."""
    first = _single(rows[i])
    if len(first) > MAX_LABEL_LEN:
        return first, 1, None     # a paragraph, never a label (and long text is not normalised three times)
    if norm_label(first) in labels:
        return first, 1, norm_label(first)
    joined = first
    for n in range(1, MAX_PARTS):
        nxt = _single(rows[i + n]) if i + n < len(rows) else None
        if nxt is None:
            break
        joined += nxt
        if len(joined) > MAX_LABEL_LEN:
            break
        if norm_label(joined) in labels:
            return joined, n + 1, norm_label(joined)
    key = variant_of(norm_label(first), near) if near and len(first) <= 20 and not _is_number(first) else None
    return first, 1, key


def _is_number(text: str) -> bool:
    return bool(_NUMBER_RE.match(norm_label(text)))
