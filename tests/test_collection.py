"""The collector's January: a generated round of 80+ units with a roster, planted problems, exact statuses and totals."""
from __future__ import annotations

import datetime
import io
import os
import re
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from addin.collection import (RosterError, RosterUnit, build, parse_roster_text, read_roster, receive, unit_key)
from addin.formats import available_formats
from addin.pipeline import check_file
from addin.reporters.closing import write_closing
from addin.values import flat_values
from addin.writing.collection_book import write_book, write_totals
from addin.writing.submission import write_submission
from tests.factory import broken_values, consistent_values, write_report
from tests.helpers import base_texts
from tests.hostile import encrypted
from tests.office import convert, needs_office, pdf_pages
from tests.official_labels import OFFICIAL

ROOT = Path(__file__).resolve().parent.parent
YEAR = 2025
COUNTY = "青山区"
DEPARTMENTS = ["发展和改革局", "教育局", "科学技术局", "工业和信息化局", "民族宗教事务局", "公安分局", "民政局", "司法局",
               "财政局", "人力资源和社会保障局", "自然资源局", "生态环境分局", "住房和城乡建设局", "交通运输局", "水务局",
               "农业农村局", "商务局", "文化和旅游局", "卫生健康委员会", "退役军人事务局", "应急管理局", "审计局",
               "市场监督管理局", "统计局", "医疗保障局", "城市管理局", "林业局", "信访局", "政务服务管理局", "投资促进局",
               "机关事务管理局", "体育局", "粮食和物资储备局", "国有资产监督管理委员会", "人民防空办公室", "地方金融管理局",
               "数据资源管理局", "乡村振兴局", "行政审批局", "综合行政执法局"]
STREETS = ["东风", "红旗", "胜利", "解放", "建设", "和平", "新华", "人民", "光明", "朝阳", "向阳", "长青", "北苑", "南湖",
           "西城", "东城", "河东", "河西", "滨江", "金山", "银湖", "翠屏", "龙泉", "凤鸣", "桃源", "杏林", "松涛", "梅园",
           "竹溪", "兰亭", "青石", "白沙", "黄河", "长江", "泰山", "华山", "嵩山", "衡山", "恒山", "昆仑", "天山", "燕山",
           "太行", "秦岭"]
NOW = datetime.datetime.now().timestamp()
T0 = NOW - 30 * 86400   # the originals' modification time; a 修改版 comes a day later


def _units() -> list[RosterUnit]:
    out = [RosterUnit(COUNTY + d, f"{COUNTY}人民政府", "部门", f"联系人{i} 1380000{i:04d}") for i, d in enumerate(DEPARTMENTS)]
    out += [RosterUnit(f"{COUNTY}{s}街道办事处", f"{COUNTY}人民政府", "街道", f"联系人{100 + i}") for i, s in enumerate(STREETS)]
    return out


def _values(fmt, unit: RosterUnit, seed: int) -> dict:
    values = consistent_values(fmt, seed)
    if unit.category == "街道":   # streets make no 规章 (T2-03 would only warn, but keep them clean)
        for cell in fmt.cells:
            if cell.table == "T2" and cell.row == "规章":
                values[cell.pointer] = 0
    return values


def _stamp(path: Path, t: float) -> Path:
    os.utime(path, (t, t))
    return path


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    """The folder of received files, the roster, and what the test knows about each (independently of the tool)."""
    base = tmp_path_factory.mktemp("collection")
    inbox = base / "收集"
    inbox.mkdir()
    fmt = available_formats()["2021"]
    units = _units()
    assert len(units) >= 80
    expect_unit: dict[str, str] = {}       # unit -> status
    expect_file: dict[str, str] = {}       # path -> status
    current: dict[str, str] = {}           # unit -> path of its current report
    balanced: dict[str, dict] = {}         # unit -> the values of its current report when its tables hold
    matched: dict[str, str] = {}

    def report(unit: RosterUnit, name: str, values=None, texts=None, year=YEAR, t=T0, reported=None) -> Path:
        p = inbox / name
        write_report(p, "2021", year, reported or unit.name, values, texts=texts or base_texts("2021", year))
        return _stamp(p, t)

    roles = iter(units)
    seed = iter(range(1000))

    # duplicates: a broken original, then a good 修改版
    for _ in range(3):
        u = next(roles)
        old = report(u, f"{u.name}.xlsx", broken_values(fmt, next(seed)))
        vals = _values(fmt, u, next(seed))
        new = report(u, f"{u.name}（修改版）.xlsx", vals, t=T0 + 86400)
        expect_file[str(old)], expect_file[str(new)] = "duplicate", "passed"
        expect_unit[u.name], current[u.name], balanced[u.name] = "passed", str(new), vals
    # a good original, then a 修改版 whose tables hold but whose text fails (TXT-03): failed, still summed
    u = next(roles)
    old = report(u, f"{u.name}.xlsx", _values(fmt, u, next(seed)))
    vals = _values(fmt, u, next(seed))
    no_fee = {**base_texts("2021", YEAR), "六": "无。"}
    new = report(u, f"{u.name}（修改版）.xlsx", vals, texts=no_fee, t=T0 + 86400)
    expect_file[str(old)], expect_file[str(new)] = "duplicate", "failed"
    expect_unit[u.name], current[u.name], balanced[u.name] = "failed", str(new), vals
    # a submission file (报送文件) whose own mtime is old: the time `submit` recorded makes it the newer one
    u = next(roles)
    plain = report(u, f"{u.name}.xlsx", broken_values(fmt, next(seed)), t=NOW - 3600)
    vals = _values(fmt, u, next(seed))
    good = report(u, "_good.xlsx", vals)
    sub = inbox / f"{u.name}-报送.xlsx"
    write_submission(check_file(good), sub)
    good.unlink()
    _stamp(sub, NOW - 10 * 86400)
    expect_file[str(plain)], expect_file[str(sub)] = "duplicate", "passed"
    expect_unit[u.name], current[u.name], balanced[u.name] = "passed", str(sub), vals
    # tables that do not add up: failed, not summed
    for _ in range(3):
        u = next(roles)
        p = report(u, f"{u.name}.xlsx", broken_values(fmt, next(seed)))
        expect_file[str(p)], expect_unit[u.name], current[u.name] = "failed", "failed", str(p)
    # tables that hold, text that fails: failed, summed under the default basis
    for _ in range(3):
        u = next(roles)
        vals = _values(fmt, u, next(seed))
        p = report(u, f"{u.name}.xlsx", vals, texts=no_fee)
        expect_file[str(p)], expect_unit[u.name], current[u.name], balanced[u.name] = "failed", "failed", str(p), vals
    # .xls, .ods and a WPS .et (an .xls container under WPS's suffix)
    for kind in ("xls", "ods", "et"):
        u = next(roles)
        vals = _values(fmt, u, next(seed))
        src = report(u, f"{u.name}.xlsx", vals)
        made = convert(src, "xls" if kind == "et" else kind, base / "converted")
        target = inbox / f"{u.name}.{kind}"
        shutil.move(made, target)
        src.unlink()
        _stamp(target, T0)
        expect_file[str(target)], expect_unit[u.name], current[u.name], balanced[u.name] = "passed", "passed", str(target), vals
    # a Word cover letter beside a good workbook: read, holds no report, does not displace the workbook
    u = next(roles)
    vals = _values(fmt, u, next(seed))
    p = report(u, f"{u.name}.xlsx", vals)
    letter = _stamp(_word_letter(inbox / f"{u.name}报送函.docx", u.name), T0 + 86400)
    expect_file[str(p)], expect_file[str(letter)] = "passed", "not_a_report"
    expect_unit[u.name], current[u.name], balanced[u.name] = "passed", str(p), vals
    # only a corrupt file, only an encrypted file: unreadable, known by the file name
    u = next(roles)
    whole = report(u, "_whole.xlsx").read_bytes()
    (inbox / "_whole.xlsx").unlink()
    corrupt = inbox / f"{u.name}.xlsx"
    corrupt.write_bytes(whole[: len(whole) // 2])
    expect_file[str(corrupt)], expect_unit[u.name], current[u.name] = "unreadable", "unreadable", str(corrupt)
    matched[u.name] = "file_name"
    u = next(roles)
    enc = encrypted(base)
    locked = inbox / f"{u.name}.xlsx"
    shutil.move(enc, locked)
    expect_file[str(locked)], expect_unit[u.name], current[u.name] = "unreadable", "unreadable", str(locked)
    matched[u.name] = "file_name"
    # last year's report sent by mistake: an error for the collector; and one unit that sent both years
    u = next(roles)
    p = report(u, f"{u.name}2024.xlsx", _values(fmt, u, next(seed)), year=YEAR - 1)
    expect_file[str(p)], expect_unit[u.name], current[u.name] = "failed", "failed", str(p)
    u = next(roles)
    old_year = report(u, f"{u.name}2024年报告.xlsx", _values(fmt, u, next(seed)), year=YEAR - 1, t=T0 + 86400)
    vals = _values(fmt, u, next(seed))
    p = report(u, f"{u.name}.xlsx", vals)
    expect_file[str(old_year)], expect_file[str(p)] = "failed", "passed"
    expect_unit[u.name], current[u.name], balanced[u.name] = "passed", str(p), vals
    # an alias: the cover says 区农业农村局 for 青山区农业农村局
    u = next(r for r in units if r.name.endswith("农业农村局"))
    vals = _values(fmt, u, next(seed))
    p = report(u, "农业农村局年报.xlsx", vals, reported="区农业农村局")
    expect_file[str(p)], expect_unit[u.name], current[u.name], balanced[u.name] = "passed", "passed", str(p), vals
    matched[u.name] = "alias"
    # four units send nothing; the last of them only a WPS 文字 document (a kind the reader does not take;
    # a PDF is read since issue 13)
    missing = units[-4:]
    pdf = inbox / f"{missing[-1].name}年报.wps"
    pdf.write_bytes(b"\x00\x01WPS\x00" * 16)
    expect_file[str(pdf)] = "not_a_report"
    for u in missing:
        expect_unit[u.name] = "missing"
    # everyone else: a good report
    for u in units:
        if u.name not in expect_unit:
            vals = _values(fmt, u, next(seed))
            p = report(u, f"{u.name}.xlsx", vals)
            expect_file[str(p)], expect_unit[u.name], current[u.name], balanced[u.name] = "passed", "passed", str(p), vals
    # a unit that is not on the roster, and a photo of a page
    stranger = report(RosterUnit(f"{COUNTY}档案馆"), f"{COUNTY}档案馆.xlsx", consistent_values(fmt, 999))
    expect_file[str(stranger)] = "passed"
    photo = inbox / "扫描件.png"
    photo.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(200))
    expect_file[str(photo)] = "not_a_report"

    roster_path = base / "名单.xlsx"
    wb = Workbook()
    wb.active.append(["序号", "单位名称", "上级单位", "类别", "联系人"])
    for i, u in enumerate(units, 1):
        wb.active.append([i, u.name, u.parent, u.category, u.contact])
    wb.save(roster_path)
    files = sorted(str(p) for p in inbox.iterdir())
    assert set(files) == set(expect_file), "every planted file has an expected status"
    received = [receive(p, check_file(p)) for p in files]
    return dict(base=base, units=units, roster_path=roster_path, received=received, expect_unit=expect_unit,
                expect_file=expect_file, current=current, balanced=balanced, matched=matched, stranger=str(stranger),
                fmt=fmt)


def _word_letter(path: Path, unit: str) -> Path:
    import docx

    d = docx.Document()
    d.add_paragraph(f"关于报送{unit}{YEAR}年政府信息公开工作年度报告的函")
    d.add_paragraph("区政务公开办：现将我单位年度报告报送，请审阅。")
    d.save(path)
    return path


@pytest.fixture(scope="module")
def view(planted):
    return build(YEAR, read_roster(planted["roster_path"]), planted["received"])


@needs_office
def test_every_unit_and_file_gets_exactly_the_planted_status(planted, view):
    units = {u.unit: u for u in view.units if u.listed}
    assert view.roster_size == len(planted["units"]) >= 80
    assert {n: u.status for n, u in units.items()} == planted["expect_unit"]
    assert {f.path: f.status for f in view.files} == planted["expect_file"]
    assert {n: u.current.path for n, u in units.items() if u.current} == planted["current"]
    for name, how in planted["matched"].items():
        assert units[name].matched_by == how
    others = {n: u.matched_by for n, u in units.items() if u.current and n not in planted["matched"]}
    assert set(others.values()) == {"name"}
    # duplicates point at the report that superseded them
    for f in view.files:
        if f.status == "duplicate":
            assert f.superseded_by == planted["current"][f.unit]
            assert f.path in [s.path for s in units[f.unit].superseded]
    # the unit off the roster and the unidentified photo are listed, not dropped
    assert {(f.unit, Path(f.path).name) for f in view.unlisted} == {(f"{COUNTY}档案馆", f"{COUNTY}档案馆.xlsx"),
                                                                     (None, "扫描件.png")}
    # the wrong year is the collector's error, named in the unit's feedback
    wrong = next(u for u in units.values() if u.current and u.current.path.endswith("2024.xlsx"))
    assert wrong.problems and "2024" in view.feedback[wrong.unit]
    # 催报: the missing units, the one that sent only a PDF says so
    reminders = {r.unit.name: r.note for r in view.reminders}
    missing = [n for n, s in planted["expect_unit"].items() if s == "missing"]
    assert sorted(reminders) == sorted(missing)
    assert "不是报告工作簿" in reminders[planted["units"][-1].name]


def _gbk(ch: str) -> bool:
    try:
        ch.encode("gbk")
        return True
    except UnicodeEncodeError:
        return False


def _independent_sum(values_list, fmt) -> dict:
    out: dict = {}
    for values in values_list:
        for pointer, v in values.items():
            if fmt.by_pointer.get(pointer) and isinstance(v, (int, Decimal)) and not isinstance(v, bool):
                out[pointer] = out.get(pointer, 0) + v
    return out


@needs_office
def test_totals_are_the_sum_of_current_balanced_reports_each_unit_once(planted, view):
    t = view.totals
    assert t.basis == "balanced"
    assert len(t.included) == len(set(t.included)), "a unit counted twice"
    assert sorted(t.included) == sorted(planted["balanced"])
    expected = _independent_sum(planted["balanced"].values(), planted["fmt"])
    assert dict(t.sums["2021"]) == expected
    excluded = dict(t.excluded)
    assert set(excluded) == ({u.name for u in planted["units"]} - set(planted["balanced"])) | {f"{COUNTY}档案馆"}
    assert excluded[f"{COUNTY}档案馆"] == "不在名单中"
    assert all(reason for reason in excluded.values())
    # basis passed: the text failures drop out; basis readable: the broken tables come in (numbers only)
    passed = build(YEAR, read_roster(planted["roster_path"]), planted["received"], "passed").totals
    text_failed = {n for n, s in planted["expect_unit"].items() if s == "failed" and n in planted["balanced"]}
    assert sorted(passed.included) == sorted(set(planted["balanced"]) - text_failed)
    # results slimmed to keep a batch's memory flat: the documents come back from a stream, same totals
    from dataclasses import replace

    slim = [replace(r, result=replace(r.result, document=None)) if r.result else r for r in planted["received"]]
    stream = lambda: ((r.path, r.result.document) for r in planted["received"] if r.result)  # noqa: E731
    again = build(YEAR, read_roster(planted["roster_path"]), slim, documents=stream).totals
    assert again == t and again.sums == t.sums and again.units == t.units
    readable = build(YEAR, read_roster(planted["roster_path"]), planted["received"], "readable").totals
    assert set(readable.included) > set(planted["balanced"])
    assert len(readable.included) == len(set(readable.included))


@needs_office
def test_feedback_names_every_error_with_its_cell(view):
    must_act = [u for u in view.units if u.status in ("failed", "unreadable", "timeout")]
    assert must_act and set(view.feedback) == {u.unit for u in must_act}
    for u in must_act:
        text = view.feedback[u.unit]
        if u.status == "failed":
            assert text.startswith("你单位报告存在以下问题：1. ") and text.endswith("请修改后重新报送。")
            errors = [f for f in u.result.findings if f.severity == "error"]
            for f in errors:
                if f.cell:
                    assert f"{f.sheet}!{f.cell}" in text
                assert f.message.rstrip("。")[:30] in text
            assert f"{len(errors) + len(u.problems)}. " in text
        else:
            assert Path(u.current.path).name in text


@needs_office
def test_as_dict_has_the_issue_shape(planted, view):
    d = view.as_dict()
    assert set(d) == {"year", "roster_size", "units", "unlisted", "files", "totals", "other_years"}
    assert d["year"] == YEAR and d["roster_size"] == len(planted["units"])
    # the two reports of last year (one standing for its unit, one beside the unit's current report)
    assert sorted((o["path"].endswith("年报告.xlsx"), o["year"], o["status"]) for o in d["other_years"]) == \
        [(False, YEAR - 1, "failed"), (True, YEAR - 1, "failed")]
    assert all(set(u) == {"unit", "status", "current", "superseded", "matched_by"} for u in d["units"])
    assert {u["status"] for u in d["units"]} <= {"passed", "failed", "unreadable", "timeout", "missing"}
    assert {f["status"] for f in d["files"]} == {"passed", "failed", "unreadable", "duplicate", "not_a_report"}
    letter = next(f for f in view.files if f.path.endswith("报送函.docx"))
    assert letter.unit and "没有年度报告的内容" in letter.note
    assert set(d["totals"]) == {"basis", "included", "excluded"}
    assert len(d["files"]) == len(planted["expect_file"])


def _pdf_text(pdf: Path) -> str:
    return subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _whole(label: str, text: str) -> bool:
    """The label is printed complete: in one piece, or wrapped over lines that pdftotext interleaves with the
    neighbouring cells (then every piece is a whole text fragment of some line, in order)."""
    if _squash(label) in _squash(text):
        return True
    fragments = {f for line in text.splitlines() for f in line.split()}
    rest = _squash(label)
    while rest:
        piece = max((f for f in fragments if rest.startswith(f)), key=len, default=None)
        if piece is None:
            return False
        rest = rest[len(piece):]
    return True


@needs_office
def test_summary_workbook_sheets_and_print(planted, view, tmp_path):
    out = write_book(tmp_path / "汇总.xlsx", view, command="gkreport check 收集 --roster 名单.xlsx",
                     roster_path=str(planted["roster_path"]), skipped=[("收集/~$甲.xlsx", "Office 临时锁文件")])
    wb = load_workbook(out)
    assert wb.sheetnames[:3] == ["汇总", "退回意见", "催报"]
    assert {"合计 表二 主动公开", "合计 表三 依申请公开", "合计 表四 复议诉讼", "说明"} <= set(wb.sheetnames)
    ws = wb["汇总"]
    assert ws.freeze_panes == "B2" and ws.auto_filter.ref.startswith("A1:N")   # the last column: 读取存疑
    assert ws.page_setup.orientation == "landscape" and ws.page_setup.fitToWidth == 1
    head = [c.value for c in ws[1]]
    assert head[:7] == ["单位", "上级单位", "类别", "状态", "错误", "警告", "主要问题"]
    statuses = [ws.cell(r, 4).value for r in range(2, ws.max_row + 1)]
    # failed first, then unreadable, missing, passed; one row per roster unit, then the unlisted
    rank = {"未通过": 0, "无法读取": 1, "超时": 2, "未报送": 3, "已通过": 4}
    listed = statuses[:len(planted["units"])]
    assert listed == sorted(listed, key=rank.get)
    assert len(statuses) == len(planted["units"]) + 2
    # the path column is wide, the unit column fits, the problem column wraps
    assert ws.column_dimensions["L"].width >= 30 and ws.column_dimensions["G"].width >= 50
    shown = {ws.cell(r, 12).value for r in range(2, ws.max_row + 1)}
    assert "青山区财政局.xlsx" in shown or any(str(v).endswith(".xlsx") for v in shown)
    notes = "\n".join(str(c.value) for row in wb["说明"].iter_rows() for c in row if c.value is not None)
    for path, status in planted["expect_file"].items():
        if status in ("unreadable", "not_a_report"):
            assert path in notes
    assert "~$甲.xlsx" in notes and "gkreport check 收集" in notes
    totals = wb["合计 表二 主动公开"]
    texts = {c.value for row in totals.iter_rows() for c in row if isinstance(c.value, str)}
    assert f"纳入合计的单位（{len(view.totals.included)} 个）" in texts
    # rendered: every official label of 表二/表三/表四 whole, pages sane
    pdf = convert(out, "pdf", tmp_path / "pdf")
    text = _pdf_text(pdf)
    for table, labels in OFFICIAL["2021"].items():
        for label in labels:
            assert _whole(label, text), (table, label)
    for u in planted["units"]:
        assert _whole(u.name, text), u.name
    assert 6 <= pdf_pages(pdf) <= 40


@needs_office
def test_standalone_totals_workbook_prints_the_three_tables(planted, view, tmp_path):
    out = write_totals(tmp_path / "合计.xlsx", view)
    # read back as a report: the tables are the official layout, the values the totals
    again = check_file(out)
    assert again.format_version == "2021"
    values = flat_values(planted["fmt"], again.document)
    assert {p: v for p, v in values.items() if v is not None} == dict(view.totals.sums["2021"])
    assert not [f for f in again.findings if f.code.startswith(("T3-", "T4-", "VAL-", "STR-"))]
    pdf = convert(out, "pdf", tmp_path / "pdf")
    assert pdf_pages(pdf) == 3
    text = _pdf_text(pdf)
    for labels in OFFICIAL["2021"].values():
        for label in labels:
            assert _whole(label, text), label


# -- roster reading ------------------------------------------------------------------------------

def test_roster_from_csv_in_every_encoding_and_text(tmp_path):
    rows = "单位名称,上级单位,类别,联系人,别名\n青山区财政局,青山区人民政府,部门,张三 13800000000,区财政局、财政局\n青山区东风街道办事处,,街道,,\n"
    want = [RosterUnit("青山区财政局", "青山区人民政府", "部门", "张三 13800000000", ("区财政局", "财政局")),
            RosterUnit("青山区东风街道办事处", None, "街道", None)]
    for enc in ("utf-8", "utf-8-sig", "gb18030"):
        p = tmp_path / f"r-{enc}.csv"
        p.write_bytes(rows.encode(enc))
        assert read_roster(p) == want
    txt = tmp_path / "r.txt"
    txt.write_text("# 名单\n青山区财政局\n\n  青山区东风街道办事处  \n", encoding="gb18030")
    assert [u.name for u in read_roster(txt)] == ["青山区财政局", "青山区东风街道办事处"]
    pasted = parse_roster_text("1\t青山区财政局\t青山区人民政府\n2\t青山区教育局\t青山区人民政府\n")
    assert [(u.name, u.parent) for u in pasted] == [("青山区财政局", "青山区人民政府"), ("青山区教育局", "青山区人民政府")]
    assert [u.name for u in parse_roster_text("青山区财政局，张三\n青山区教育局 李四")] == ["青山区财政局", "青山区教育局"]


def test_bad_rosters_are_refused_in_chinese(tmp_path):
    with pytest.raises(RosterError, match="重复"):
        parse_roster_text("青山区AB局\n青山区ＡＢ局\n")
    with pytest.raises(RosterError, match="没有单位名称"):
        parse_roster_text("\n\n")
    with pytest.raises(RosterError, match="类型不支持"):
        read_roster(tmp_path / "名单.pdf")
    with pytest.raises(RosterError, match="找不到"):
        read_roster(tmp_path / "没有.xlsx")
    broken = tmp_path / "坏.xlsx"
    broken.write_bytes(b"PK\x03\x04 broken")
    with pytest.raises(RosterError, match="无法读取"):
        read_roster(broken)
    assert unit_key(" 青山区\u3000财政局 ") == "青山区财政局"


def test_alias_must_be_unambiguous():
    roster = parse_roster_text("东城区农业农村局\n西城区农业农村局\n青山区财政局")
    from addin.collection import _Matcher

    m = _Matcher(roster)
    assert m.by_name("区农业农村局") == (None, None)       # two units end so: not guessed
    assert m.by_name("区财政局") == (roster[2], "alias")
    assert m.by_name("青山区 财政局") == (roster[2], "name")


def test_year_on_year_figures_against_last_years_reports(tmp_path):
    from addin.collection import year_on_year

    fmt = available_formats()["2021"]
    roster = parse_roster_text("青山区财政局\n青山区教育局\n青山区民政局")
    now_values = [consistent_values(fmt, 11), consistent_values(fmt, 12), consistent_values(fmt, 13)]
    then_values = [consistent_values(fmt, 21), consistent_values(fmt, 22)]
    received, previous = [], []
    for u, vals in zip(roster, now_values):
        received.append(receive(p := write_report(tmp_path / f"{u.name}.xlsx", "2021", YEAR, u.name, vals),
                                check_file(p)))
    # last year the first unit wrote its name with a space; the third sent nothing last year
    for name, vals in zip(["青山区 财政局", "青山区教育局"], then_values):
        previous.append(check_file(write_report(tmp_path / f"{name}-2024.xlsx", "2021", YEAR - 1, name, vals)))
    v = build(YEAR, roster, received)
    rows = {r.unit: {name: (a, b, d) for name, a, b, d in r.figures} for r in year_on_year(v, previous)}
    t3 = fmt.block("T3")["pointer"]
    for unit, now, then in [("青山区财政局", now_values[0], then_values[0]), ("青山区教育局", now_values[1], then_values[1])]:
        a, b = now[t3.format(row="new", column="C7")], then[t3.format(row="new", column="C7")]
        assert rows[unit]["收到申请数"] == (a, b, a - b)
        corrected = sum(now[f"/T4/D{i}"] for i in (2, 7, 12))
        assert rows[unit]["复议诉讼结果纠正数"][0] == corrected
        share = rows[unit]["予以公开占比（%）"][0]
        total = now[t3.format(row="r_total", column="C7")]
        if total:
            assert abs(float(share) - 100 * now[t3.format(row="r_open", column="C7")] / total) < 0.06
    assert all(b is None for _, a, b, d in [(n, *rows["青山区民政局"][n]) for n in rows["青山区民政局"]])
    out = write_book(tmp_path / "汇总.xlsx", v, previous=previous)
    ws = load_workbook(out)["同比"]
    assert [c.value for c in ws[1]][:4] == ["单位", "收到申请数（本年）", "收到申请数（上年）", "收到申请数（增减）"]
    assert ws.max_row == 4


@needs_office
def test_closing_table_and_feedback_files(planted, view, tmp_path):
    import io

    from addin.reporters.closing import write_closing
    from addin.writing.feedback import file_name, write_feedback

    buf = io.StringIO()
    write_closing(view, buf)
    text = buf.getvalue()
    # survives a Chinese Windows console: any character outside GBK comes from the engine's own messages
    def outside_gbk(t: str) -> set:
        return {ch for ch in t if not _gbk(ch)}
    messages = "".join(f.message for f in view.files if f.result for f in f.result.findings)
    assert outside_gbk(text) <= outside_gbk(messages)
    statuses = planted["expect_unit"]
    for name, status in statuses.items():
        if status != "passed":
            assert name in text
    assert "未报送（4）" in text and "重复报送（5 个单位" in text and f"{COUNTY}档案馆" in text
    # the failed come before the missing
    assert text.index("未通过（") < text.index("未报送（")
    written = write_feedback(tmp_path / "退回意见", view)
    assert len(written) == len(view.feedback) + 1
    for unit, body in view.feedback.items():
        assert (tmp_path / "退回意见" / file_name(unit)).read_text(encoding="utf-8-sig") == body + "\n"
    reminders = (tmp_path / "退回意见" / "催报名单.txt").read_text(encoding="utf-8-sig")
    assert all(r.unit.name in reminders for r in view.reminders)


# -- the command line ----------------------------------------------------------------------------

def _small_round(d: Path) -> dict:
    """Five expected units: one passes, one fails, one resubmits, one sends a PDF, one nothing; a stray image."""
    fmt = available_formats()["2021"]
    inbox = d / "收集"
    inbox.mkdir()
    texts = base_texts("2021", YEAR)
    write_report(inbox / "青山区财政局.xlsx", "2021", YEAR, "青山区财政局", consistent_values(fmt, 1), texts=texts)
    write_report(inbox / "青山区教育局.xlsx", "2021", YEAR, "青山区教育局", broken_values(fmt, 2), texts=texts)
    _stamp(write_report(inbox / "青山区民政局.xlsx", "2021", YEAR, "青山区民政局", broken_values(fmt, 3), texts=texts), T0)
    write_report(inbox / "青山区民政局（修改版）.xlsx", "2021", YEAR, "青山区民政局", consistent_values(fmt, 4), texts=texts)
    (inbox / "青山区司法局年报.wps").write_bytes(b"\x00\x01WPS\x00" * 16)
    (inbox / "照片.jpg").write_bytes(b"\xff\xd8\xff\xe0" + bytes(100))
    (inbox / "~$青山区财政局.xlsx").write_bytes(b"\x00lock")
    roster = d / "名单.csv"
    roster.write_text("单位名称,联系人\n青山区财政局,甲\n青山区教育局,乙\n青山区民政局,丙\n青山区司法局,丁\n青山区审计局,戊\n",
                      encoding="gb18030")
    return {"inbox": inbox, "roster": roster}


def _gk(*args, timeout=300):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "addin", "check", *map(str, args)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout)


def test_command_line_collection_json_jsonl_feedback_and_quiet(tmp_path):
    from addin import jsonio

    r = _small_round(tmp_path)
    p = _gk(r["inbox"], "--roster", r["roster"], "--year", YEAR, "--json", "--workers", "2")
    assert p.returncode == 1 and "Traceback" not in p.stderr, p.stderr
    doc = jsonio.loads(p.stdout)
    c = doc["collection"]
    assert c["year"] == YEAR and c["roster_size"] == 5
    assert {u["unit"]: u["status"] for u in c["units"]} == {"青山区财政局": "passed", "青山区教育局": "failed",
                                                           "青山区民政局": "passed", "青山区司法局": "missing",
                                                           "青山区审计局": "missing"}
    files = {Path(f["path"]).name: f["status"] for f in c["files"]}
    assert files == {"青山区财政局.xlsx": "passed", "青山区教育局.xlsx": "failed", "青山区民政局.xlsx": "duplicate",
                     "青山区民政局（修改版）.xlsx": "passed", "青山区司法局年报.wps": "not_a_report", "照片.jpg": "not_a_report"}
    assert c["totals"]["included"] == ["青山区财政局", "青山区民政局"]
    assert len(doc["results"]) == 4   # the workbooks checked; the WPS document and the photo are not read
    # the quiet run: only the closing table; JSONL ends with the collection; feedback and totals written
    jsonl, fb, totals = tmp_path / "r.jsonl", tmp_path / "意见", tmp_path / "合计.xlsx"
    q = _gk(r["inbox"], "--roster", r["roster"], "--year", YEAR, "--quiet", "--jsonl", jsonl, "--feedback-dir", fb,
            "--totals-out", totals, "--summary", tmp_path / "汇总.xlsx")
    assert q.returncode == 1
    assert "[错误]" not in q.stdout and "错误 0" not in q.stdout
    assert "未通过（1）" in q.stdout and "未报送（2）" in q.stdout and "重复报送（1 个单位" in q.stdout
    assert "青山区司法局　收到的“青山区司法局年报.wps”不是报告工作簿" in q.stdout
    lines = [jsonio.loads(x) for x in jsonl.read_text(encoding="utf-8").splitlines()]
    assert [set(x) for x in lines[-1:]] == [{"collection"}] and len(lines) == 5
    assert lines[-1]["collection"] == c
    assert sorted(x.name for x in fb.iterdir()) == sorted(["青山区教育局.txt", "催报名单.txt"])
    assert load_workbook(totals).sheetnames == [t["sheet"] for t in available_formats()["2021"].tables()]
    notes = load_workbook(tmp_path / "汇总.xlsx")["说明"]
    texts = " ".join(str(x.value) for row in notes.iter_rows() for x in row if x.value)
    assert "~$青山区财政局.xlsx" in texts and "照片.jpg" in texts and "--roster" in texts


def test_batch_prints_one_line_a_file_unless_verbose(tmp_path):
    r = _small_round(tmp_path)
    p = _gk(r["inbox"], "--workers", "1")
    lines = p.stdout.splitlines()
    assert not [x for x in lines if x.lstrip().startswith("[")]         # no per-finding lines
    assert sum(1 for x in lines if x.startswith(("通过　错误", "未通过　错误"))) == 4
    assert "收到 3 个单位的报告" in p.stdout                              # no roster: the reporting units
    v = _gk(r["inbox"], "--workers", "1", "--verbose")
    assert "[错误]" in v.stdout


@needs_office
def test_a_folder_with_only_a_wps_file_is_checked(tmp_path):
    d = tmp_path / "in"
    d.mkdir()
    src = write_report(tmp_path / "甲.xlsx", "2021", YEAR, "青山区财政局", consistent_values(available_formats()["2021"], 5))
    shutil.move(convert(src, "xls", tmp_path / "xls"), d / "甲.et")
    p = _gk(d, "--year", YEAR, "--annotate")
    assert "没有要校验的文件" not in p.stdout + p.stderr
    assert p.returncode == 0, p.stdout + p.stderr
    assert "已通过 1" in p.stdout and "OUT-01" not in p.stdout
    assert (d / "甲.校验结果.xlsx").is_file()   # the results workbook for an .et, never a warning against the unit


def test_without_year_and_roster_the_year_most_reports_give_is_the_collections(tmp_path):
    fmt = available_formats()["2021"]
    received = []
    for i, (unit, year) in enumerate([("甲局", YEAR), ("乙局", YEAR), ("丙局", YEAR - 1), ("甲局", YEAR - 1)]):
        p = write_report(tmp_path / f"{i}.xlsx", "2021", year, unit, consistent_values(fmt, i),
                         texts=base_texts("2021", year))
        received.append(receive(p, check_file(p)))
    v = build(None, None, received)
    assert v.year == YEAR and not v.year_given and v.roster_size is None
    units = {u.unit: u for u in v.units}
    assert {n: u.status for n, u in units.items()} == {"甲局": "passed", "乙局": "passed", "丙局": "passed"}
    assert units["甲局"].current.path.endswith("0.xlsx") and not units["甲局"].superseded
    # last year's reports keep their own status without --year, but are not summed
    assert {Path(f.path).name: f.status for f in v.files} == {"0.xlsx": "passed", "1.xlsx": "passed",
                                                               "2.xlsx": "passed", "3.xlsx": "passed"}
    assert sorted(v.totals.included) == ["乙局", "甲局"]
    assert dict(v.totals.excluded) == {"丙局": f"报告年度为{YEAR - 1}年，不是{YEAR}年"}
    assert not v.feedback and not v.reminders and not v.unlisted
    # ... and are named apart, in the JSON object and the closing table
    assert [(Path(o["path"]).name, o["unit"], o["year"]) for o in v.as_dict()["other_years"]] == \
        [("2.xlsx", "丙局", YEAR - 1), ("3.xlsx", "甲局", YEAR - 1)]
    out = io.StringIO()
    write_closing(v, out)
    text = out.getvalue()
    assert f"{YEAR}年度，收到 3 个单位的报告：已通过 3；另有其他年度的报告 2 份。" in text
    assert f"其他年度的报告（2 份，不计入{YEAR}年度）：\n  丙局　{YEAR - 1}年度　2.xlsx\n  甲局　{YEAR - 1}年度　3.xlsx\n" in text


def test_a_report_of_another_year_beside_this_years_is_in_the_closing_table_and_notes(tmp_path):
    """Without --year: a 2025 report beside two 2020 ones is named in the closing table, --json and 说明."""
    from addin import jsonio

    d = tmp_path / "收集"
    d.mkdir()
    for name in ("clean-2020.xlsx", "seed-2020.xlsx", "clean-2025.xlsx"):
        shutil.copy(ROOT / "examples" / name, d / name)
    summary = tmp_path / "汇总.xlsx"
    p = _gk(d, "--workers", "1", "--summary", summary)
    assert "2020年度，收到 2 个单位的报告：已通过 1，未通过 1；另有其他年度的报告 1 份。" in p.stdout, p.stdout
    assert "其他年度的报告（1 份，不计入2020年度）：\n  某市某区某街道办事处　2025年度　clean-2025.xlsx\n" in p.stdout
    notes = {row[0]: row[1:] for row in load_workbook(summary)["说明"].iter_rows(values_only=True) if row[0]}
    assert notes["其他年度的报告（不计入本年度）"][0] == 1
    assert notes[str(d / "clean-2025.xlsx")] == ("已通过", "2025年度的报告，不计入2020年度（某市某区某街道办事处）")
    j = jsonio.loads(_gk(d, "--workers", "1", "--json").stdout)["collection"]
    assert j["other_years"] == [{"unit": "某市某区某街道办事处", "year": 2025, "path": str(d / "clean-2025.xlsx"),
                                 "status": "passed"}]
    assert [u["unit"] for u in j["units"]] == ["某市某区某街道办事处", "鹤岗市南山区大陆街道办事处"]


def test_contact_comes_from_the_report_cover_then_the_roster(tmp_path):
    """汇总's 联系人: the optional cover fields a report fills in (填报人, 联系电话) before the roster's column."""
    from addin.writing.template import plan

    fmt = available_formats()["2021"]
    filled, plain = write_report(tmp_path / "甲.xlsx", "2021", 2025, "某某区甲局"), \
        write_report(tmp_path / "乙.xlsx", "2021", 2025, "某某区乙局")
    wb = load_workbook(filled)
    where = plan(fmt, 2025, "某某区甲局").address
    for key, value in (("填报人", "张三"), ("联系电话", "0451-12345678")):
        sheet, ref = where(("cover", key))
        wb[sheet][ref].value = value
    wb.save(filled)
    roster = [RosterUnit("某某区甲局", contact="名单联系人甲"), RosterUnit("某某区乙局", contact="名单联系人乙")]
    view = build(2025, roster, [receive(str(p), check_file(p)) for p in (filled, plain)])
    contact = {u.unit: u.contact for u in view.units}
    assert contact["某某区甲局"] == "填报人：张三；联系电话：0451-12345678"
    assert contact["某某区乙局"] == "名单联系人乙"


def test_key_figures_are_format_data_naming_data_cells():
    """同比's figures come from layout.json (key_figures), each pointer a data cell of that format."""
    from addin.collection import key_figures

    for fmt in available_formats().values():
        figures = key_figures(fmt)
        assert [f.name for f in figures] == ["收到申请数", "予以公开占比（%）", "复议诉讼结果纠正数", "行政处罚决定数"]
        assert all(p in fmt.by_pointer for f in figures for p in (*f.parts, *f.of)), fmt.version
