"""The built add-in, followed from ribbon to Python: button -> onAction -> VBA macro -> RunPython -> addin function."""
from __future__ import annotations

import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from defusedxml import ElementTree as ET

os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")

from addin import excel  # noqa: E402
from tests.office import convert, needs_office  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
UI_NS = {"ui": "http://schemas.microsoft.com/office/2006/01/customui"}
UI_REL = "http://schemas.microsoft.com/office/2007/relationships/ui/extensibility"
# what each button must end up calling in addin.excel (the add-in layer, driven in tests/test_addin.py)
EXPECTED = {"校验": "main", "清除标记": "clear_button", "生成报送文件": "submit_button"}


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> list[Path]:
    """The add-in files as the project's build writes them (`gkreport addin build`)."""
    out = tmp_path_factory.mktemp("ribbon")
    proc = subprocess.run([sys.executable, "-m", "addin", "addin", "build", "-o", str(out), "--no-config"],
                          cwd=ROOT, capture_output=True, text=True, encoding="utf-8")
    assert proc.returncode == 0, proc.stderr
    return sorted(out.glob("*.xlam"))


def ribbon_buttons(path: Path) -> list:
    """The buttons of the customUI part the package's root relationships point Excel to."""
    with zipfile.ZipFile(path) as z:
        rels = ET.fromstring(z.read("_rels/.rels"))
        (target,) = [r.get("Target") for r in rels if r.get("Type") == UI_REL]
        ui = ET.fromstring(z.read(target.lstrip("/")))
    return ui.findall(".//ui:button", UI_NS)


def vba_modules(path: Path) -> dict[str, str]:
    """Module name (its Attribute VB_Name) -> source, decompressed from the vbaProject (MS-OVBA) by oletools."""
    from oletools.olevba import VBA_Parser

    parser = VBA_Parser(str(path))
    try:
        codes = [code for _, _, _, code in parser.extract_macros()]
    finally:
        parser.close()
    return {re.search(r'Attribute VB_Name = "([^"]+)"', c).group(1): c for c in codes}


def sub_body(source: str, name: str) -> tuple[str, str]:
    """(parameter list, body) of `Sub name(...)` ... `End Sub` in a module's source."""
    m = re.search(rf"^(?:Public\s+)?Sub\s+{re.escape(name)}\s*\(([^)]*)\)\s*$(.*?)^End Sub", source, re.M | re.S | re.I)
    assert m, f"no Sub {name}"
    return m.group(1).strip(), m.group(2)


def vba_string(expr: str, variables: dict[str, str]) -> str:
    """The value of a VBA string expression of literals ("..." with "" for a quote) and variables joined by &."""
    out = []
    for token in re.findall(r'"(?:[^"]|"")*"|[A-Za-z_]\w*', expr):
        out.append(token[1:-1].replace('""', '"') if token.startswith('"') else variables[token])
    return "".join(out)


def python_called(body: str, file_name: str) -> str:
    """The Python code the macro hands to RunPython when it runs in the add-in file `file_name`: its one
    assignment (ThisWorkbook.Name up to the last dot, the only form it has) evaluated, then the argument."""
    variables = {}
    for var, value in re.findall(r"^\s*(\w+)\s*=\s*(.+?)\s*$", body, re.M):
        assert re.fullmatch(r'Left\(ThisWorkbook\.Name, \(InStrRev\(ThisWorkbook\.Name, "\.", -1, vb\w+Compare\) - 1\)\)',
                            value), f"macro computes {var} in a form this test does not evaluate: {value}"
        variables[var] = file_name[:file_name.rindex(".")]
    (arg,) = re.findall(r"^\s*RunPython\s+(.+?)\s*$", body, re.M)
    return vba_string(arg, variables)


def test_three_buttons_each_reach_a_vba_macro_and_the_addin_function(built, monkeypatch):
    assert [p.name for p in built] == ["addin.button_clear.xlam", "addin.button_submit.xlam", "addin.xlam"]
    called = []
    for name in EXPECTED.values():
        monkeypatch.setattr(excel, name, lambda name=name: called.append(name))
    seen = {}
    for path in built:
        modules = vba_modules(path)
        assert "Function RunPython(" in modules["xlwings"]   # the VBA side of xlwings that runs Python
        for button in ribbon_buttons(path):
            module, macro = button.get("onAction").split(".")
            params, body = sub_body(modules[module], macro)
            assert re.fullmatch(r"\w+ As IRibbonControl", params)   # the signature a ribbon callback needs
            code = python_called(body, path.name)
            assert code == f"import {path.stem};{path.stem}.main()"
            del called[:]
            exec(code, {})   # what xlwings runs, with the Excel-facing functions recorded instead of run
            seen[button.get("label")] = called[:]
    assert seen == {label: [function] for label, function in EXPECTED.items()}


def test_a_macro_that_calls_a_missing_python_function_is_caught(built, tmp_path):
    """The check above can fail: a button whose module does not exist is reported, not passed over."""
    modules = vba_modules(built[0])
    _, body = sub_body(modules["RibbonMyAddin"], "RunMain")
    code = python_called(body, "addin.button_missing.xlam")
    with pytest.raises(ModuleNotFoundError):
        exec(code, {})


@needs_office
def test_libreoffice_opens_every_built_addin(built, tmp_path):
    for path in built:
        out = convert(path, "xlsx", tmp_path / path.stem, infilter="Calc MS Excel 2007 VBA XML")
        with zipfile.ZipFile(out) as z:
            assert z.testzip() is None and "xl/workbook.xml" in z.namelist()
