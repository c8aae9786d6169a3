"""Formulas saved without their result: the template's own totals are worked out, any other formula is FML-01."""
from __future__ import annotations

from decimal import Decimal

from addin import catalogue
from addin.formats import FormatDef
from addin.reading.model import parse_a1
from addin.totals import sum_formula, totals


def _normalised(formula: str) -> str:
    # the same formula as Excel, LibreOffice or openpyxl write it: "=sum($D$6:$I$6)" is "SUM(D6:I6)"
    return formula.lstrip("=").replace("$", "").replace(" ", "").upper()


def settle(ex, fmt: FormatDef, pending: dict[str, tuple[str, str, str, str]]) -> None:
    """Give each pending cell (pointer -> (sheet, cell, formula, where)) a value or an FML-01 finding.

    A total holding exactly the SUM formula the template writes for it, over the cells the format says
    it adds up (where this workbook has them), takes the sum those cells give, as Excel and LibreOffice
    compute it: numbers add, text and blanks count for nothing; a part that is itself such a total is
    worked out first. Any other formula without a result cannot be known and stays FML-01."""
    parts_of = totals(fmt)
    done: dict[str, object] = {}

    def value_of(pointer: str, seen: tuple = ()):
        if pointer in done:
            return done[pointer]
        sheet, cell, formula, _where = pending[pointer]
        parts = parts_of.get(pointer)
        result = None
        if parts and pointer not in seen and all(ex.origins.get(p) and ex.origins[p].sheet == sheet for p in parts):
            refs = [parse_a1(ex.origins[p].cell) for p in parts]
            if _normalised(formula) == sum_formula(refs):
                total: int | Decimal = 0
                known = True
                for p in parts:
                    if p in pending:
                        v = value_of(p, seen + (pointer,))
                        known = known and v is not None   # a part whose own formula cannot be worked out
                    else:
                        v = ex.origins[p].raw
                    if v is None or isinstance(v, (bool, str)):
                        continue
                    total += Decimal(str(v)) if isinstance(v, float) else v
                if known:
                    result = int(total) if total == int(total) else total
        done[pointer] = result
        return result

    for pointer, (sheet, cell, formula, where) in pending.items():
        value = value_of(pointer)
        if value is None:
            ex.findings.append(catalogue.make("FML-01", pointer=pointer, sheet=sheet, cell=cell, where=where,
                                              formula="=" + formula))
        ex.values[pointer] = value
