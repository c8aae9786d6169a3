"""A rule and its message are data: a new rule of an existing kind needs one rules.json entry and one findings.json entry."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from addin import catalogue
from addin.findings import KINDS as FINDING_KINDS
from addin.findings import SEVERITY_ZH
from addin.formats import FormatError, available_formats, load_format, schema_root
from addin.pipeline import Options, check_file
from addin.result import FileResult
from addin.validation.engine import KINDS
from addin.validation.text import TEXT_CHECKS
from addin.writing.template import build_workbook, plan, save_workbook
from tests.helpers import base_data, base_texts

ROOT = Path(__file__).resolve().parent.parent
PERMIT = "/T2/A5/行政许可/本年处理决定数量"
PENALTY = "/T2/A6/行政处罚/本年处理决定数量"


def _edit(path: Path, change) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")


def _with_new_rules(tmp_path: Path) -> Path:
    """A copy of the bundled formats whose 2021 version has two more rules, each with its message as data."""
    root = tmp_path / "schema"
    shutil.copytree(schema_root(), root, ignore=shutil.ignore_patterns("__pycache__"))
    _edit(root / "2021" / "rules.json", lambda d: d["rules"].extend([
        {"id": "T2-09", "kind": "linear", "mark": PERMIT, "lhs": {"plus": [PERMIT]}, "op": "<=", "rhs": {"plus": [PENALTY]}},
        {"id": "TXT-11", "kind": "text", "section": "六", "check": "contains_none", "phrases": ["未收取信息处理费"]},
    ]))
    _edit(root / "2021" / "findings.json", lambda d: d["findings"].update({
        "T2-09": {"severity": "warning", "kind": "report", "group": "勾稽", "title": "许可决定数多于处罚决定数（测试规则）",
                  "messages": {"default": "{where}为 {actual}，多于{table}“行政处罚”行的 {bound}（测试规则）。"}},
        "TXT-11": {"severity": "info", "kind": "report", "group": "正文", "title": "正文写有指定短语（测试规则）",
                   "messages": {"default": "“{section}”写有“{phrase}”（测试规则）。"}},
    }))
    return root


def test_a_new_rule_of_an_existing_kind_is_data_only(tmp_path):
    root = _with_new_rules(tmp_path)
    fmt = available_formats(str(root))["2021"]
    path = tmp_path / "r.xlsx"
    save_workbook(build_workbook(fmt, 2022, "测试单位", base_data("2021")["values"], base_texts("2021", 2022)), path)

    # the bundled formats do not have the rules: a clean report
    assert check_file(path).findings == []
    result = check_file(path, Options(schema_dir=str(root)))
    found = {f.code: f for f in result.findings}
    assert set(found) == {"T2-09", "TXT-11"}
    permit = found["T2-09"]
    assert (permit.sheet, permit.cell) == plan(fmt, 2022).address(PERMIT)
    values = base_data("2021")["values"]
    permit_n, penalty_n = values[PERMIT], values[PENALTY]
    assert permit_n > penalty_n
    assert (permit.severity, permit.actual, permit.expected) == ("warning", permit_n, f"≤ {penalty_n}")
    assert permit.message == f"{fmt.by_pointer[PERMIT].where}为 {permit_n}，多于表二“行政处罚”行的 {penalty_n}（测试规则）。"
    text = found["TXT-11"]
    assert (text.severity, text.pointer) == ("info", "/text/六")
    assert text.message == "“六、其他需要报告的事项”写有“未收取信息处理费”（测试规则）。"

    # and through the command line, as a user would run it
    out = subprocess.run([sys.executable, "-m", "addin", "check", str(path), "--schema-dir", str(root), "--json"],
                         cwd=ROOT, capture_output=True, text=True, encoding="utf-8")
    assert "“六、其他需要报告的事项”写有“未收取信息处理费”（测试规则）。" in out.stdout
    assert "T2-09" in out.stdout


def test_a_rule_without_its_message_is_refused_on_load(tmp_path):
    root = _with_new_rules(tmp_path)
    _edit(root / "2021" / "findings.json", lambda d: d["findings"].pop("TXT-11"))
    with pytest.raises(FormatError, match="TXT-11 has no entry in findings.json"):
        load_format(root / "2021")
    _edit(root / "2021" / "findings.json", lambda d: d["findings"].update(
        {"TXT-11": {"severity": "fatal", "kind": "report", "group": "正文", "title": "x", "messages": {"default": "x"}}}))
    with pytest.raises(FormatError, match="findings.json"):
        load_format(root / "2021")
    # every code says what it is about: a defect of the report or a doubt of the reading
    _edit(root / "2021" / "findings.json", lambda d: d["findings"].update(
        {"TXT-11": {"severity": "info", "group": "正文", "title": "x", "messages": {"default": "x"}}}))
    with pytest.raises(FormatError, match="TXT-11: 'kind' is a required property"):
        load_format(root / "2021")
    _edit(root / "2021" / "findings.json", lambda d: d["findings"]["TXT-11"].update(kind="doubt"))
    with pytest.raises(FormatError, match="findings.json"):
        load_format(root / "2021")


def test_every_kind_and_check_of_the_meta_schema_has_its_function():
    meta = json.loads((schema_root() / "meta" / "rules.schema.json").read_text(encoding="utf-8"))
    defs = meta["$defs"]
    kinds = {d["properties"]["kind"]["const"] for d in defs.values() if "const" in d.get("properties", {}).get("kind", {})}
    kinds |= {k for d in defs.values() for k in d.get("properties", {}).get("kind", {}).get("enum", ())}
    assert kinds == set(KINDS)
    assert set(defs["text"]["properties"]["check"]["enum"]) == set(TEXT_CHECKS)


def test_rule_codes_are_data_and_the_catalogue_merges_them():
    formats = available_formats()
    for fmt in formats.values():
        raised = {r["id"] for r in [*fmt.rules, *fmt.cross_year]}
        assert set(fmt.findings) == raised, "findings.json holds exactly the codes the format's rules raise"
        assert not raised & set(catalogue.ENGINE), "a rule's code is not also an engine code"
        for code, entry in catalogue.entries_of(fmt).items():
            merged = catalogue.CATALOGUE[code]
            assert (merged.title, merged.group, merged.kind) == (entry.title, entry.group, entry.kind), code
            if merged.severity != entry.severity:   # TXT-06: a notice on 2019-format reports, a warning on 2021
                assert f"{fmt.version} 版格式为{SEVERITY_ZH[entry.severity]}" in catalogue.markdown_table(), code
    assert set(catalogue.CATALOGUE) == set(catalogue.ENGINE) | {c for f in formats.values() for c in f.findings}


def test_every_code_and_variant_has_a_kind():
    entries = [*catalogue.CATALOGUE.values(), *(e for f in available_formats().values() for e in catalogue.entries_of(f).values())]
    for entry in entries:
        assert entry.kind in FINDING_KINDS, entry.code
        for variant, kind in entry.kinds.items():
            assert variant in entry.templates and kind in FINDING_KINDS and kind != entry.kind, (entry.code, variant)
            assert variant in catalogue.VARIANT_ZH, (entry.code, variant)   # the legend names it in words
        for variant in entry.templates:
            made = catalogue.make(entry.code, variant, entries={entry.code: entry})
            assert made.kind == entry.kind_of(variant) and made.as_dict()["kind"] == made.kind
            assert FileResult.from_dict({"path": "p", "status": "failed", "findings": [made.as_dict()]}).findings == [made]
