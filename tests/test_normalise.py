"""Normalisation of cell values and labels (rules.md §1–§2), cell by cell."""
from __future__ import annotations

from decimal import Decimal

import pytest

from addin import jsonio
from addin.reading.normalise import label_matches, norm_label, parse_value


@pytest.mark.parametrize("raw, kind, unit, state, value, codes", [
    (None, "count", None, "BLANK", None, []),
    ("\u3000\u3000", "count", None, "BLANK", None, []),
    ("\u00a0", "count", None, "BLANK", None, []),
    ("\u30000", "count", None, "NUM", 0, ["VAL-07"]),
    ("0\u00a0", "count", None, "NUM", 0, ["VAL-07"]),
    ("１２", "count", None, "NUM", 12, ["VAL-08"]),
    ("3件", "count", None, "NUM", 3, ["VAL-09"]),
    ("1,234", "count", None, "NUM", 1234, ["NORM-06"]),
    ("1，234", "count", None, "NUM", 1234, ["NORM-06"]),
    ("1 234", "count", None, "TEXT", "1 234", ["VAL-07"]),
    ("-8", "signed", None, "NUM", -8, []),
    ("－8", "signed", None, "NUM", -8, []),
    ("−8", "signed", None, "NUM", -8, []),
    ("+3", "signed", None, "NUM", 3, ["VAL-04"]),
    ("-", "signed", None, "PLACEHOLDER", None, []),
    ("—", "count", None, "PLACEHOLDER", None, []),
    ("／", "count", None, "PLACEHOLDER", None, []),
    ("无", "count", None, "PLACEHOLDER", None, []),
    ("N/A", "count", None, "PLACEHOLDER", None, []),
    ("96171.6", "money", "万元", "NUM", Decimal("96171.6"), []),
    ("96171.6万元", "money", "万元", "NUM", Decimal("96171.6"), ["VAL-05"]),
    ("380元", "money", "万元", "NUM", 380, ["VAL-05"]),
    ("1.23456", "money", "万元", "NUM", Decimal("1.23456"), ["VAL-05"]),
    (251000, "money", None, "NUM", 251000, ["VAL-06"]),
    ("251000元", "money", None, "NUM", 251000, ["VAL-06"]),
    (0.1, "money", "万元", "NUM", Decimal("0.1"), []),
    (3.0, "count", None, "NUM", 3, []),
    ("#REF!", "count", None, "FORMULA_ERROR", "#REF!", []),
    ("若干", "count", None, "TEXT", "若干", []),
    ("3万元", "count", None, "TEXT", "3万元", []),
])
def test_parse_value(raw, kind, unit, state, value, codes):
    parsed = parse_value(raw, kind, unit)
    assert (parsed.state, parsed.value, [n.code for n in parsed.notices]) == (state, value, codes)
    assert type(parsed.value) is type(value)


def test_money_never_goes_through_binary_floats():
    parsed = parse_value(0.1, "money", "万元")
    assert parsed.value + parse_value(0.2, "money", "万元").value == Decimal("0.3")
    text = jsonio.dumps({"a": Decimal("96171.60"), "b": Decimal("0.0001")}, canonical=True)
    assert text == '{"a":96171.60,"b":0.0001}'
    assert jsonio.loads(text) == {"a": Decimal("96171.60"), "b": Decimal("0.0001")}


@pytest.mark.parametrize("cell, label, ok, noted", [
    ("商业 企业", "商业企业", True, False),
    ("总计商 业 企\n业", "商业企业", False, False),
    ("3.危及\"三安全一稳定\"", "3.危及“三安全一稳定”", True, False),
    ("(一)予以公开", "（一）予以公开", True, False),
    ("规章(设区的市、自治州人民政府应提供相关数据)", "规章", True, True),
    ("本年增/减（减用负值表示，如-8）", "本年增/减", True, True),
    ("（二）部分公开（区分处理的，只计这一情形，不计其他情形）", "（二）部分公开（区分处理的，只计这一情形，不计其他情形）", True, False),
    ("（二）部分公开", "（二）部分公开（区分处理的，只计这一情形，不计其他情形）", False, False),
    ("[bookmark: _GoBack]规章", "规章", True, False),
    ("1、属于国家秘密", "1.属于国家秘密", True, False),
    ("2．其他法律行政法规禁止公开", "2.其他法律行政法规禁止公开", True, False),
])
def test_label_matching(cell, label, ok, noted):
    assert label_matches(norm_label(cell), norm_label(label)) == (ok, noted)


def test_a_number_is_its_own_label_text():
    # the locator's text grid takes str(number) for a number cell without normalising it (SheetTexts)
    import random

    rnd = random.Random(3)
    numbers = [0, -1, 10**20, 2.5, -2.5, 1e20, 1e-7, float("inf"), float("nan"), 0.1 + 0.2, -0.0, 12.0]
    numbers += [rnd.randint(-10**12, 10**12) for _ in range(2000)]
    numbers += [rnd.random() * 10 ** rnd.randint(-30, 30) * rnd.choice((1, -1)) for _ in range(2000)]
    assert [v for v in numbers if norm_label(str(v)) != str(v)] == []
