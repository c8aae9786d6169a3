"""Total cells of a format (its "total == sum of parts" rules) and the SUM formula the template writes for them."""
from __future__ import annotations

from decimal import Decimal
from functools import cache

from addin.formats import FormatDef
from addin.reading.model import a1
from addin.validation.rules import compiled_rules


@cache
def totals(fmt: FormatDef) -> dict[str, tuple[str, ...]]:
    """total pointer -> the pointers it adds up, in order: every binding of a linear rule "X == a + b + ..."
    that marks X (T3's 总计 column and （七）总计 row, 表四's 总计 cells). A cell that two rules total
    (表三 （七）总计/总计) takes the first rule's parts; both give the same number when the table balances."""
    out: dict[str, tuple[str, ...]] = {}
    for rule in fmt.rules:
        if rule["kind"] != "linear" or rule["op"] != "==":
            continue
        for inst in compiled_rules(fmt)[id(rule)]:
            if (len(inst.lhs) == 1 and inst.lhs[0] == (inst.mark, 1) and len(inst.rhs) > 1
                    and all(sign == 1 for _p, sign in inst.rhs)):
                out.setdefault(inst.mark, tuple(p for p, _s in inst.rhs))
    return out


def sum_formula(cells: list[tuple[int, int]]) -> str:
    """The formula (without "=") adding 0-based (row, col) cells: runs of neighbours in one row or one
    column become ranges, e.g. SUM(D5:I5) or SUM(D5:D26,D28)."""
    parts: list[str] = []
    run: list[tuple[int, int]] = []

    def flush():
        if run:
            parts.append(a1(*run[0]) if len(run) == 1 else f"{a1(*run[0])}:{a1(*run[-1])}")

    for cell in cells:
        if run:
            (r0, c0), (r1, c1) = run[-1], cell
            step = (r1 - r0, c1 - c0)
            direction = (run[1][0] - run[0][0], run[1][1] - run[0][1]) if len(run) > 1 else None
            if step in ((0, 1), (1, 0)) and direction in (None, step):
                run.append(cell)
                continue
            flush()
            run.clear()
        run.append(cell)
    flush()
    return f"SUM({','.join(parts)})"


def add_up(values: list) -> int | Decimal:
    """What SUM gives over these values: numbers add, blanks and text count for nothing."""
    total: int | Decimal = 0
    for v in values:
        if isinstance(v, bool) or not isinstance(v, (int, float, Decimal)):
            continue
        total += Decimal(str(v)) if isinstance(v, float) else v
    return total
