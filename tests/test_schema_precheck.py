"""The schema precheck only skips jsonschema when jsonschema would report nothing: both paths agree."""
from __future__ import annotations

import copy
import random
from decimal import Decimal

import pytest

from addin.formats import available_formats
from addin.pipeline import check_file
from addin.validation.schema_check import compile_precheck, precheck, schema_findings
from tests.factory import consistent_values, write_report

ODD_VALUES = [None, 0, 7, -1, -3, Decimal("1.5"), Decimal("-0.5"), Decimal("2"), True, False,
              "12", "", 2.0, 10**20, Decimal("0.00001"), Decimal("-Infinity"), Decimal("Infinity"), float("nan"),
              Decimal("-0"), -0.0]


def _leaves(node, path=()):
    for key, value in node.items():
        if isinstance(value, dict):
            yield from _leaves(value, path + (key,))
        else:
            yield path + (key,)


def _set(doc, path, value):
    for key in path[:-1]:
        doc = doc[key]
    doc[path[-1]] = value


@pytest.mark.parametrize("version", ["2019", "2021"])
def test_precheck_and_jsonschema_give_identical_findings(version, tmp_path):
    fmt = available_formats()[version]
    year = 2022 if version == "2021" else 2020
    result = check_file(write_report(tmp_path / "r.xlsx", version, year, "甲局", consistent_values(fmt, 3)))
    base = result.document
    assert precheck(fmt)(base) is True
    assert schema_findings(fmt, base, result.origins, fast=False) == []
    leaves = list(_leaves(base))
    rnd = random.Random(7)
    outcomes = set()
    for trial in range(300):
        doc = copy.deepcopy(base)
        for path in rnd.sample(leaves, rnd.randint(1, 4)):
            _set(doc, path, rnd.choice(ODD_VALUES))
        if trial % 25 == 0:
            doc["T4"]["extra"] = 1                      # a key the schema does not allow
        if trial % 31 == 0:
            del doc["cover"]                          # a required key missing
        fast = schema_findings(fmt, doc, result.origins, fast=True)
        slow = schema_findings(fmt, doc, result.origins, fast=False)
        assert fast == slow, doc
        outcomes.add((precheck(fmt)(doc), bool(slow)))
    # both paths were exercised: skipped (no findings), and run with and without findings
    assert outcomes >= {(True, False), (False, True), (False, False)}
    assert (True, True) not in outcomes


def test_precheck_is_withheld_for_schemas_it_does_not_understand():
    assert compile_precheck({"type": "object", "properties": {"a": {"type": "integer", "maximum": 5}},
                             "additionalProperties": False}) is None
    assert compile_precheck({"type": "object", "properties": {"a": {"type": "integer"}}}) is None   # open object
    assert compile_precheck({"type": "object", "properties": {"a": {"allOf": [{"type": "integer"}]}},
                             "additionalProperties": False}) is None
    check = compile_precheck({"type": "object", "required": ["a"], "properties": {"a": {"type": "integer", "minimum": 0}},
                              "additionalProperties": False})
    assert check({"a": 3}) and check({"a": None})
    assert not check({"a": -1}) and not check({"a": True}) and not check({"a": 1.0}) and not check({}) and not check({"a": 1, "b": 2})
