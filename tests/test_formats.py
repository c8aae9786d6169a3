"""Format versions are data: loading checks them, and a new version needs no Python change."""
from __future__ import annotations

import json
import shutil

import pytest
from jsonschema import Draft202012Validator

from addin.formats import FormatError, available_formats, load_format, schema_root
from addin.pipeline import Options, check_file
from addin.writing.template import build_workbook, plan, save_workbook
from tests.helpers import base_data, base_texts

TYPE_REFS = {"count": "#/$defs/count", "signed": "#/$defs/signed"}


def test_both_official_versions_load_and_cover_their_years():
    formats = available_formats()
    assert set(formats) == {"2019", "2021"}
    assert [v for y in (2019, 2020) for v, f in formats.items() if f.covers_year(y)] == ["2019", "2019"]
    assert [v for y in (2021, 2025, 2030) for v, f in formats.items() if f.covers_year(y)] == ["2021"] * 3
    assert len(formats["2019"].cells) == 22 + 161 + 15
    assert len(formats["2021"].cells) == 10 + 175 + 15


@pytest.mark.parametrize("version", ["2019", "2021"])
def test_report_schema_matches_the_layout(version):
    fmt = available_formats()[version]
    schema = fmt.report_schema
    Draft202012Validator.check_schema(schema)
    for cell in fmt.cells:
        node = schema
        for token in cell.pointer.split("/")[1:]:
            node = node["properties"][token.replace("~1", "/").replace("~0", "~")]
        want = TYPE_REFS.get(cell.type) or ("#/$defs/money_wanyuan" if cell.unit == "万元" else "#/$defs/money")
        assert node == {"$ref": want}, cell.pointer


def _copy_schema(tmp_path):
    root = tmp_path / "schema"
    shutil.copytree(schema_root(), root, ignore=shutil.ignore_patterns("__pycache__"))
    return root


def _edit(path, change):
    data = json.loads(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")


def test_a_third_version_is_added_as_data_only(tmp_path):
    """A hypothetical 2031 format adds a row 行政确认 to table 二 block A5; no Python changes."""
    root = _copy_schema(tmp_path)
    new = root / "2031"
    shutil.copytree(root / "2021", new)
    _edit(root / "2021" / "format.json", lambda d: d["years"].update(last=2030))

    def meta(d):
        d.update(version="2031", name="假设的2031版格式", notice="国办公开办函〔2031〕1号")
        d["years"] = {"first": 2031, "last": None}
    _edit(new / "format.json", meta)

    def layout(d):
        a5 = next(b for b in d["tables"][0]["blocks"] if b["id"] == "A5")
        a5["rows"].append({"key": "行政确认", "label": "行政确认", "cells": [{"text": "行政确认"}]})
    _edit(new / "layout.json", layout)

    def schema(d):
        d["properties"]["format_version"] = {"const": "2031"}
        a5 = d["properties"]["T2"]["properties"]["A5"]
        a5["properties"]["行政确认"] = a5["properties"]["行政许可"]
        a5["required"].append("行政确认")
    _edit(new / "report.schema.json", schema)

    formats = available_formats(str(root))
    assert set(formats) == {"2019", "2021", "2031"}
    fmt = formats["2031"]
    assert "/T2/A5/行政确认/本年处理决定数量" in fmt.by_pointer
    values = dict(base_data("2021")["values"])
    values["/T2/A5/行政确认/本年处理决定数量"] = "-4"
    path = tmp_path / "r2031.xlsx"
    save_workbook(build_workbook(fmt, 2031, "测试单位", values, base_texts("2021", 2031)), path)
    result = check_file(path, Options(schema_dir=str(root)))
    assert result.format_version == "2031"
    sheet, cell = plan(fmt, 2031).address("/T2/A5/行政确认/本年处理决定数量")
    assert [(f.sheet, f.cell, f.code) for f in result.findings] == [(sheet, cell, "VAL-03")]
    # the 2021 tables are now the old format for a 2031 report
    old = tmp_path / "old.xlsx"
    save_workbook(build_workbook(formats["2021"], 2031, "测试单位", base_data("2021")["values"], base_texts("2021", 2031)), old)
    assert [f.code for f in check_file(old, Options(schema_dir=str(root))).findings] == ["STR-04"]


@pytest.mark.parametrize("breakage, message", [
    (lambda r: _edit(r / "2021" / "rules.json", lambda d: d["rules"][0].update(mark="/T3/nowhere/{row}")), "unknown cell"),
    (lambda r: _edit(r / "2021" / "rules.json", lambda d: d["rules"][0].update(id="ZZ-99")), "has no entry in findings.json"),
    (lambda r: _edit(r / "2021" / "rules.json", lambda d: d["rules"][0].update(op="!=")), "rules.json"),
    (lambda r: _edit(r / "2021" / "layout.json", lambda d: d["tables"][0].pop("sheet")), "layout.json"),
    (lambda r: _edit(r / "2021" / "format.json", lambda d: d.update(version="2022")), "says version"),
    (lambda r: (r / "2021" / "report.schema.json").unlink(), "missing report.schema.json"),
    (lambda r: (r / "2021" / "findings.json").unlink(), "missing findings.json"),
    (lambda r: _edit(r / "2021" / "findings.json", lambda d: d["findings"]["T3-01"].update(messages={})), "findings.json"),
    (lambda r: _edit(r / "2021" / "rules.json", lambda d: d["cross_year"][-1].update(sections=["七"])), "unknown text section"),
    (lambda r: _edit(r / "2021" / "rules.json", lambda d: d["cross_year"][-1].update(threshold=1.5)), "rules.json"),
])
def test_a_broken_format_folder_is_refused_when_loaded(tmp_path, breakage, message):
    root = _copy_schema(tmp_path)
    breakage(root)
    with pytest.raises(FormatError, match=message):
        load_format(root / "2021")


def test_findings_doc_is_generated_from_the_catalogue():
    from pathlib import Path

    from addin.catalogue import CATALOGUE
    from addin.docs import findings_markdown

    doc = Path(__file__).resolve().parent.parent / "docs" / "findings.md"
    assert doc.read_text(encoding="utf-8") == findings_markdown(), "run: python -m addin.docs"
    # every rule id used by a format is documented
    for fmt in available_formats().values():
        for rule in fmt.rules:
            assert rule["id"] in CATALOGUE and f"| {rule['id']} |" in findings_markdown()


def test_bundled_formats_pass_the_meta_schemas_and_their_digest_is_on_record():
    # The runtime skips the meta-schema check of the bundled files while they match the recorded
    # digest; this test is where that check happens. After editing schema/, rerun the full check and
    # record the new digest: `python -m tests.test_formats`.
    from addin.formats import CHECKED_DIGEST_FILE, recorded_digest, tree_digest

    base = schema_root()
    for version in available_formats():
        load_format(base / version, checked=False)
    assert recorded_digest(base) == tree_digest(base), f"schema/ changed: regenerate {CHECKED_DIGEST_FILE}"


def test_a_changed_bundled_copy_is_checked_again(tmp_path):
    # the same files elsewhere (--schema-dir) are always validated, even with the digest file copied along
    from addin.formats import CHECKED_DIGEST_FILE

    root = tmp_path / "schema"
    shutil.copytree(schema_root(), root)
    assert (root / CHECKED_DIGEST_FILE).is_file()
    layout = json.loads((root / "2021" / "layout.json").read_text(encoding="utf-8"))
    layout["unexpected_key"] = 1
    (root / "2021" / "layout.json").write_text(json.dumps(layout, ensure_ascii=False), encoding="utf-8")
    available_formats.cache_clear()
    try:
        with pytest.raises(FormatError):
            available_formats(str(root))
    finally:
        available_formats.cache_clear()


if __name__ == "__main__":
    from addin.formats import CHECKED_DIGEST_FILE, tree_digest

    base = schema_root()
    for version in ("2019", "2021"):
        load_format(base / version, checked=False)   # raises on any problem: nothing is recorded then
    note = "sha256 of the format data under schema/ that passed the meta-schema checks; regenerate with: python -m tests.test_formats"
    (base / CHECKED_DIGEST_FILE).write_text(json.dumps({"sha256": tree_digest(base), "note": note}, indent=1) + "\n",
                                            encoding="utf-8")
    print(f"recorded {tree_digest(base)}")
