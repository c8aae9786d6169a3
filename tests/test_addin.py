"""The Excel add-in: remote-engine payloads of real workbooks, marks, round trips, addin.xlam."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from defusedxml import ElementTree as ET
from openpyxl import load_workbook
from openpyxl.comments import Comment

os.environ["XLWINGS_LICENSE_KEY"] = "noncommercial"

import addin  # noqa: E402
from addin import excel, xlam  # noqa: E402
from addin.formats import available_formats  # noqa: E402
from addin.pipeline import check_file  # noqa: E402
from addin.reporters import annotate, content  # noqa: E402
from addin.writing.template import build_workbook, save_workbook  # noqa: E402
from tests.helpers import base_texts  # noqa: E402
from tests.office_js import Client  # noqa: E402
from tests.office import convert  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SEED = json.loads((ROOT / "tests" / "cases" / "seed_2020" / "values.json").read_text(encoding="utf-8"))
COLOR_FUNCS = {"setRangeColors", "setRangeColor"}


def _save(wb, path: Path) -> Path:
    save_workbook(wb, path)
    return path


@pytest.fixture
def seed_path(tmp_path):
    fmt = available_formats()[SEED["format_version"]]
    return _save(build_workbook(fmt, SEED["year"], SEED["unit"], SEED["values"]), tmp_path / "seed.xlsx")


def clean_workbook(version="2021", year=2023):
    fmt = available_formats()[version]
    return build_workbook(fmt, year, "某某市某某局", {c.pointer: 0 for c in fmt.cells}, base_texts("2021", year))


@pytest.fixture
def clean_path(tmp_path):
    return _save(clean_workbook(), tmp_path / "clean.xlsx")


def _error_book(tmp_path, name="errors.xlsx", pad=0):
    """A 2021 report with a blank cell, a non-number and a broken total, optionally padded with
    `pad` filled cells on an unrelated sheet and beside the tables."""
    fmt = available_formats()["2021"]
    values = {c.pointer: 0 for c in fmt.cells}
    cells = fmt.cells
    values[cells[0].pointer] = "\u3000"
    values[cells[3].pointer] = "abc"
    values[cells[-1].pointer] = 7
    wb = build_workbook(fmt, 2023, "某某市某某局", values, base_texts("2021", 2023))
    if pad:
        ws = wb.create_sheet("工作底稿")
        side = int(pad ** 0.5) + 1
        for i in range(pad):
            ws.cell(1 + i // side, 1 + i % side, f"底稿{i}" if i % 3 else i * 1.5)
    return _save(wb, tmp_path / name)


def _colored(client_actions, payload_sheets) -> dict[tuple[str, str], str | None]:
    """(sheet, cell) -> colour for every cell an action actually colours (not "keep")."""
    from addin.reading.model import a1

    out = {}
    for act in client_actions:
        if act["func"] not in COLOR_FUNCS:
            continue
        name = payload_sheets[act["sheet_position"]]["name"]
        for i in range(act["row_count"]):
            for j in range(act["column_count"]):
                color = act["args"][0][i][j] if act["func"] == "setRangeColors" else act["args"][0]
                if color != "keep":
                    out[(name, a1(act["start_row"] + i, act["start_column"] + j))] = color
    return out


def _sheet_names_after(client: Client, actions) -> list:
    client.apply(actions)
    return [s["name"] for s in client.payload["sheets"]]


def _results_block(actions) -> list[list]:
    # positions shift as sheets come and go: only actions after the results sheet was added count
    start = next(i for i, a in enumerate(actions) if a["func"] == "addSheet" and a["args"][1] == content.RESULTS_SHEET)
    ix = actions[start]["args"][0]
    blocks = [a["values"] for a in actions[start:] if a["func"] == "setValues" and a["sheet_position"] == ix]
    assert len(blocks) == 1
    return blocks[0]


def _findings_cells(path, severity=None):
    return {(f.sheet, f.cell) for f in check_file(path).findings
            if f.sheet and f.cell and (severity is None or f.severity == severity)}


# ---------------------------------------------------------------------------------------------


def test_seed_payload_marks_the_cells_the_engine_finds(seed_path):
    client = Client(seed_path)
    book = client.book()
    result = addin.validate(book)
    assert result.status == "failed"
    actions = book.json()["actions"]
    expected = _findings_cells(seed_path)
    assert expected and _findings_cells(seed_path, "error")
    colored = _colored(actions, client.payload["sheets"])
    assert set(colored) == expected
    marks = content.marks_for(result)
    for key, color in colored.items():
        assert color.upper() == "#" + content.SEVERITY_FILL[marks[key].severity]
    sheets = [s["name"] for s in client.payload["sheets"]]
    notes = {(sheets[a["sheet_position"]], a["args"][0].replace("$", "")): a["args"][1]
             for a in actions if a["func"] == "addNote"}
    assert set(notes) == expected
    for key, text in notes.items():
        assert text == marks[key].note
    # the results sheet is added and filled in one block with links to every error cell
    block = _results_block(actions)
    flat = [v for row in block for v in row if isinstance(v, str)]
    links = {v for v in flat if v.startswith("=HYPERLINK(")}
    for sheet, cell in _findings_cells(seed_path, "error"):
        assert any(f"'{sheet}'!{cell}\"" in link for link in links), (sheet, cell)
    status = block[0][0]
    assert f"{result.counts['error']} 个错误" in status


def test_clean_report_gets_no_marks_and_a_submission(clean_path, tmp_path):
    client = Client(clean_path, "clean.xlsx")
    book = client.book()
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    result = addin.validate(book, submission_dir=out_dir)
    assert result.status == "passed"
    actions = book.json()["actions"]
    assert not [a for a in actions if a["func"] in COLOR_FUNCS | {"addNote"}]
    produced = out_dir / "clean-报送.xlsx"
    assert produced.is_file()
    assert check_file(produced).status == "passed"
    block = _results_block(actions)
    assert "校验通过" in block[0][0] and produced.name in block[0][0]

    # export_submission on its own, through the shared writer
    target = tmp_path / "explicit-报送.xlsx"
    assert addin.export_submission(client.book(), target) == target
    assert check_file(target).status == "passed"
    assert check_file(target).document == check_file(clean_path).document


def test_export_refuses_a_book_with_errors(seed_path, tmp_path):
    with pytest.raises(excel.NotClean, match="个错误"):
        addin.export_submission(Client(seed_path).book(), tmp_path / "x.xlsx")
    assert not (tmp_path / "x.xlsx").exists()


def test_action_count_bounded_by_marked_cells_not_workbook_size(tmp_path):
    small = _error_book(tmp_path, "small.xlsx")
    big = _error_book(tmp_path, "big.xlsx", pad=6000)
    counts = {}
    for path in (small, big):
        book = Client(path).book()
        result = addin.validate(book)
        k = len(content.marks_for(result))
        counts[path.name] = (len(book.json()["actions"]), k)
    (n_small, k_small), (n_big, k_big) = counts["small.xlsx"], counts["big.xlsx"]
    assert k_small == k_big >= 3
    assert n_big == n_small
    # fixed part: state sheet (add, hide, write), results sheet (add, block, 2 bold, autofit, activate)
    assert n_big <= 12 + 2 * k_big


def test_spread_marks_on_one_sheet_use_few_calls(tmp_path):
    """Marks far apart on a sheet: set_colors stays under its 10,000-cell limit per call."""
    from xlwings.utils import col_name

    client = Client(_error_book(tmp_path))
    book = client.book()
    name = client.payload["sheets"][1]["name"]
    fills = {(name, f"{col_name(c)}{r}"): "#FF0000" for r, c in ((1, 1), (5000, 30), (9000, 2))}
    excel._color_calls(book, fills)
    actions = book.json()["actions"]
    assert 1 <= len(actions) <= len(fills)
    assert all(a["row_count"] * a["column_count"] <= excel.MAX_COLOR_CELLS for a in actions)
    assert set(_colored(actions, client.payload["sheets"])) == set(fills)


def test_revalidate_and_clear_round_trip(seed_path, tmp_path):
    """The client applies each run's actions to its payload, so the next request carries the
    _gkreport sheet and the notes that the previous run wrote (as Excel would send them)."""
    wb = load_workbook(seed_path)
    errors = sorted(_findings_cells(seed_path, "error"))
    user_sheet, user_cell = errors[0]
    wb[user_sheet][user_cell].comment = Comment("填报人的说明", "张三")
    path = tmp_path / "with-note.xlsx"
    wb.save(path)

    client = Client(path)
    fills0, notes0 = dict(client.fills), dict(client.note_text)
    sheets0 = [s["name"] for s in client.payload["sheets"]]

    book = client.book()
    addin.validate(book)
    first = book.json()["actions"]
    assert not any(a["func"] == "addNote" and a["args"][0].replace("$", "") == user_cell
                   and client.payload["sheets"][a["sheet_position"]]["name"] == user_sheet for a in first)
    client.apply(first)
    fills1, notes1 = dict(client.fills), dict(client.note_text)
    assert fills1[(user_sheet, user_cell)] != fills0.get((user_sheet, user_cell))
    assert notes1[(user_sheet, user_cell)] == "填报人的说明"
    state = next(s for s in client.payload["sheets"] if s["name"] == excel.STATE_SHEET)
    assert state["visibility"] == "VeryHidden"
    names1 = [s["name"] for s in client.payload["sheets"]]
    assert sorted(names1) == sorted(sheets0 + [excel.STATE_SHEET, content.RESULTS_SHEET])

    book = client.book()
    addin.validate(book)
    client.apply(book.json()["actions"])
    assert client.fills == fills1
    assert client.note_text == notes1
    assert [s["name"] for s in client.payload["sheets"]] == names1
    for sheet in client.payload["sheets"]:
        addresses = [n["address"].replace("$", "") for n in sheet["notes"]]
        assert len(addresses) == len(set(addresses))

    book = client.book()
    removed = addin.clear_marks(book)
    assert removed == len(_findings_cells(path))
    client.apply(book.json()["actions"])
    # template input cells: the standard fill is their original look
    assert client.fills == fills0
    assert client.note_text == notes0
    assert content.RESULTS_SHEET not in [s["name"] for s in client.payload["sheets"]]
    assert excel.read_state(client.book()).cells == []


def test_not_a_report_gets_a_results_sheet_not_a_traceback(tmp_path):
    from openpyxl import Workbook

    wb = Workbook()
    wb.active["A1"] = "随便什么表格"
    wb.active["B2"] = 3.5
    wb.save(tmp_path / "other.xlsx")
    book = Client(tmp_path / "other.xlsx").book()
    result = addin.validate(book)
    assert result.format_version is None
    actions = book.json()["actions"]
    assert not [a for a in actions if a["func"] in COLOR_FUNCS]
    assert _results_block(actions)[0][0].startswith("未能识别")


def test_read_book_converts_payload_values_like_the_file_reader(seed_path):
    from addin.reading.load import load_workbook as load_file

    from_book = excel.read_book(Client(seed_path).book())
    from_file = load_file(seed_path)
    for a, b in zip(from_book.sheets, from_file.sheets):
        assert a.name == b.name
        for r in range(max(a.n_rows, b.n_rows)):
            for c in range(max(a.n_cols, b.n_cols)):
                assert a.value(r, c) == b.value(r, c), (a.name, r, c)


def test_cli_cold_start_does_not_import_xlwings():
    code = "import sys, addin, addin.cli; addin.cli.build_parser(); print('xlwings' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# --- addin.xlam -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("xlam")
    proc = subprocess.run([sys.executable, "-m", "addin", "addin", "build", "-o", str(out),
                           "--interpreter-win", r"C:\Python311\pythonw.exe", "--pythonpath", r"C:\gkreport"],
                          cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    return out / "addin.xlam"


def test_xlam_ribbon_and_vba(built):
    ns = {"ui": "http://schemas.microsoft.com/office/2006/01/customui"}
    buttons = {}
    for button in xlam.BUTTONS:
        with zipfile.ZipFile(built.with_name(button.file_name)) as z:
            assert z.testzip() is None
            ui = ET.fromstring(z.read("customUI/customUI.xml"))
            vba = z.read("xl/vbaProject.bin")
            types = z.read("[Content_Types].xml").decode()
        with zipfile.ZipFile(xlam.source_addin()) as z:
            assert vba == z.read("xl/vbaProject.bin")
        # every add-in file puts its button into the one shared tab and group (qualified ids)
        tab = ui.find(".//ui:tab", ns)
        group = tab.find("ui:group", ns)
        assert (tab.get("idQ"), group.get("idQ")) == ("g:gkreportTab", "g:gkreportGroup")
        assert (tab.get("label"), group.get("label")) == ("政务公开年报", "年报校验")
        (b,) = group.findall("ui:button", ns)
        assert b.get("onAction") == "RibbonMyAddin.RunMain"
        buttons[b.get("label")] = (b.get("size"), button.file_name)
        assert "addin.macroEnabled" in types
    assert buttons == {"校验": ("large", "addin.xlam"), "清除标记": ("normal", "addin.button_clear.xlam"),
                       "生成报送文件": ("normal", "addin.button_submit.xlam")}

    from oletools.olevba import VBA_Parser

    parser = VBA_Parser(str(built))
    modules = {name.rsplit("/", 1)[-1]: code for _, _, name, code in parser.extract_macros()}
    parser.close()
    ribbon = next(code for name, code in modules.items() if name.startswith("RibbonMyAddin"))
    assert "Sub RunMain(control As IRibbonControl)" in ribbon
    # the module imported is the add-in's file name without extension: addin.xlam -> addin.main(),
    # addin.button_clear.xlam -> addin.button_clear.main()
    assert 'RunPython "import " & mymodule & ";" & mymodule & ".main()"' in ribbon
    assert "Left(ThisWorkbook.Name, (InStrRev(ThisWorkbook.Name, \".\"" in ribbon
    main_code = next(code for name, code in modules.items() if name.startswith("xlwings"))
    assert 'PROJECT_NAME As String = "myaddin"' in main_code
    # the VBA is the pinned xlwings version's: the Python and VBA sides of xlwings must match
    import importlib.metadata
    import re as _re

    vba_version = _re.search(r"'Version: (\S+)", main_code).group(1)
    pinned = _re.search(r'"xlwings==([^"]+)"', (ROOT / "pyproject.toml").read_text(encoding="utf-8")).group(1)
    assert vba_version == pinned == importlib.metadata.version("xlwings")


def test_button_modules_run_the_excel_functions():
    import importlib

    for button in xlam.BUTTONS:
        module = importlib.import_module(button.module)
        assert callable(module.main)
    assert excel.clear_button and excel.submit_button


def test_xlam_properties_and_permissions(built):
    umask = os.umask(0o022)
    os.umask(umask)
    for button in xlam.BUTTONS:
        path = built.with_name(button.file_name)
        assert path.stat().st_mode & 0o777 == 0o666 & ~umask   # 0644 under the usual umask, not mkstemp's 0600
        with zipfile.ZipFile(path) as z:
            core = z.read("docProps/core.xml").decode()
            workbook = z.read("xl/workbook.xml").decode()
        assert "<dc:creator>gkreport</dc:creator>" in core and "Felix" not in core
        assert button.label in core
        assert "absPath" not in workbook and "felix" not in workbook.lower()


def test_xlam_config_sheet_and_libreoffice(built, tmp_path):
    converted = convert(built, "xlsx", tmp_path / "lo", infilter="Calc MS Excel 2007 VBA XML")
    ws = load_workbook(converted)[xlam.CONF_SHEET]
    config = {ws.cell(r, 1).value: ws.cell(r, 2).value for r in range(1, ws.max_row + 1)}
    assert config == {"Interpreter_Win": r"C:\Python311\pythonw.exe", "PYTHONPATH": r"C:\gkreport"}


def test_xlam_without_config_keeps_the_sheet_inactive(tmp_path):
    path = xlam.build(tmp_path, {})[0]
    assert path.name == "addin.xlam"
    with zipfile.ZipFile(path) as z:
        assert f'name="{xlam.CONF_SHEET_OFF}"' in z.read("xl/workbook.xml").decode()


@pytest.mark.skipif(sys.platform.startswith("win") or sys.platform == "darwin", reason="machine without Excel")
def test_install_without_excel_explains_in_chinese(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "addin", "addin", "install"], cwd=ROOT, capture_output=True,
                          text=True, env={**os.environ, "HOME": str(tmp_path)})
    assert proc.returncode == 1
    assert "Excel" in proc.stderr and "启动文件夹" in proc.stderr
    assert not list(tmp_path.iterdir())


def test_results_sheet_is_first_and_the_same_as_in_the_marked_copy(seed_path, tmp_path):
    """One content, one place: the add-in's 校验结果 is the first sheet and holds what the copy's holds."""
    client = Client(seed_path)
    book = client.book()
    result = addin.validate(book)
    client.apply(book.json()["actions"])
    assert client.payload["sheets"][0]["name"] == content.RESULTS_SHEET
    expected = content.results_sheet(result).rows
    block = client.payload["sheets"][0]["values"]
    assert block[0][0].startswith("发现 ") and "请从 " in block[0][0]
    assert [str(r[1]) if len(r) > 1 else "" for r in expected[:expected.index([])]] == \
        [str(row[1]) for row in block[:expected.index([])]]
    copy = annotate.annotate(check_file(seed_path), seed_path, tmp_path)
    wb = load_workbook(copy.path)
    assert wb.sheetnames[0] == content.RESULTS_SHEET and wb.worksheets[0]["A1"].value == block[0][0]
