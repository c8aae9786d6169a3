"""Cross-year rules (rules.md §5) between two real workbooks of the same unit, evaluated in process."""
from __future__ import annotations

from addin.pipeline import check_file
from addin.validation.cross_year import apply, findings
from tests.helpers import build_case


# The base report carries 4,1,0,0,1,1 (7) applications into the next year; a next-year report that
# takes them in stays balanced by carrying the same extra applications out again.
CARRIED = {"/T3/carried_in/C1": 4, "/T3/carried_in/C5": 1, "/T3/carried_in/C6": 1, "/T3/carried_in/C7": 7,
           "/T3/carried_out/C1": 5, "/T3/carried_out/C5": 2, "/T3/carried_out/C6": 2, "/T3/carried_out/C7": 10}


def _pair(tmp_path, version_prev, year_prev, prev_values, version, year, values):
    prev = check_file(build_case({"format_version": version_prev, "year": year_prev, "values": prev_values},
                                 tmp_path / "prev.xlsx"))
    this = check_file(build_case({"format_version": version, "year": year, "values": {**CARRIED, **values}},
                                 tmp_path / "this.xlsx"))
    assert prev.status == this.status == "passed"
    return prev, this


def _codes(found):
    return sorted((f.code, f.severity, f.pointer) for f in found)


def test_xy02_stock_of_documents_2021_to_2022(tmp_path):
    # 2021: 25 in force; 2022: 3 issued, 1 repealed -> 27 expected, 25 written
    prev, this = _pair(tmp_path, "2021", 2021, {}, "2021", 2022, {})
    assert _codes(findings(this, prev)) == [("XY-02", "warning", "/T2/A1/行政规范性文件/现行有效件数")]
    fixed = check_file(build_case({"format_version": "2021", "year": 2022,
                                   "values": {**CARRIED, "/T2/A1/行政规范性文件/现行有效件数": 27}}, tmp_path / "fixed.xlsx"))
    assert findings(fixed, prev) == []


def test_xy03_and_xy04_items_2019_to_2020(tmp_path):
    # 2019 report: 行政许可 10 items, -2 this year -> 8 at the start of 2020; 2020 writes 10 (XY-03).
    # 对外公开总数量: 2019 total 21, 2020 newly published 3 -> about 24; 2020 writes 21 (XY-04).
    prev, this = _pair(tmp_path, "2019", 2019, {}, "2019", 2020, {})
    got = _codes(findings(this, prev))
    assert ("XY-03", "warning", "/T2/A5/行政许可/上一年项目数量") in got
    assert ("XY-04", "warning", "/T2/A1/规范性文件/对外公开总数量") in got
    assert {c for c, _, _ in got} == {"XY-03", "XY-04"}   # carried-over applications agree: no XY-01


def test_xy01_across_the_version_change_2020_to_2021(tmp_path):
    prev, this = _pair(tmp_path, "2019", 2020, {"/T3/carried_out/C1": 5, "/T3/carried_out/C7": 8,
                                                  "/T3/r_total/C1": 48, "/T3/r_total/C7": 55, "/T3/r_open/C1": 19,
                                                  "/T3/r_open/C7": 22},
                       "2021", 2021, {})
    result = apply(this, prev)
    assert _codes(f for f in result.findings if f.code.startswith("XY")) == [
        ("XY-01", "error", "/T3/carried_in/C1"), ("XY-01", "error", "/T3/carried_in/C7"),
        ("XY-05", "info", None)]   # and table 二 of the two formats is not comparable
    assert result.status == "failed"


def test_no_previous_report_is_noted(tmp_path):
    this = check_file(build_case({"format_version": "2021"}, tmp_path / "this.xlsx"))
    assert [f.code for f in apply(this, None).findings] == ["XY-10"]


# A section 一/五/六 of realistic length (the test texts of the other cases are too short to be judged).
OVERVIEW = ("本年度，我局认真贯彻落实《中华人民共和国政府信息公开条例》，围绕中心工作，深化主动公开，"
            "规范依申请公开办理，加强平台建设和监督保障。全年主动公开政府信息一百二十条，其中规范性文件三件；"
            "受理政府信息公开申请十二件，均在法定期限内答复；未发生行政复议和行政诉讼。")
PROBLEMS = ("存在的主要问题：一是公开内容的深度和广度有待提高；二是政策解读形式较为单一。"
            "改进措施：加强业务培训，丰富解读形式，提升公开质量。")
OTHER = "本机关未收取信息处理费。"
TEXTS = {"一": OVERVIEW, "五": PROBLEMS, "六": OTHER}


def _year_pair(tmp_path, prev_texts, texts, prev_values=None, values=None):
    prev = check_file(build_case({"format_version": "2021", "year": 2021, "texts": prev_texts,
                                  "values": prev_values or {}}, tmp_path / "prev.xlsx"))
    this = check_file(build_case({"format_version": "2021", "year": 2022, "texts": texts,
                                  "values": values if values is not None else CARRIED}, tmp_path / "this.xlsx"))
    return prev, this


def test_xy06_xy07_text_copied_from_last_year(tmp_path):
    # last year's text with this year's numbers and year: still a copy
    copied = {k: v.replace("一百二十", "一百三十").replace("十二件", "十五件") for k, v in TEXTS.items()}
    prev, this = _year_pair(tmp_path, TEXTS, copied)
    got = {(f.code, f.pointer): f for f in findings(this, prev) if f.code in ("XY-06", "XY-07")}
    assert set(got) == {("XY-06", "/text/一"), ("XY-07", "/text/五")}
    assert got[("XY-07", "/text/五")].cell is not None   # located at the section's text


def test_xy06_xy07_own_text_is_not_a_copy(tmp_path):
    own = {"一": "本年度本机关围绕优化营商环境推进决策公开、执行公开、管理公开、服务公开和结果公开，"
                 "新开设政策问答专栏，公开重大行政决策事项四项，组织政府开放日活动两次，"
                 "依申请公开办理流程全面实行网上登记，平均答复时间缩短至八个工作日。" * 2,
           "五": "问题：基层政务公开标准目录更新不及时，个别栏目信息发布滞后。措施：建立栏目责任清单和季度巡查机制，"
                 "年内完成标准目录动态调整。",
           "六": "本年度未收取信息处理费。"}
    prev, this = _year_pair(tmp_path, TEXTS, own)
    assert [f.code for f in findings(this, prev) if f.code in ("XY-06", "XY-07")] == []


def test_xy06_tables_identical_to_last_year(tmp_path):
    # the same tables two years running (and no narrative to judge): the tables alone are reported
    same = {**CARRIED, "/T3/carried_in/C1": 5, "/T3/carried_in/C5": 2, "/T3/carried_in/C6": 2, "/T3/carried_in/C7": 10}
    prev, this = _year_pair(tmp_path, {}, {}, prev_values=same, values=same)
    got = [f for f in findings(this, prev) if f.code == "XY-06"]
    assert [(f.code, f.pointer) for f in got] == [("XY-06", None)]
    changed = check_file(build_case({"format_version": "2021", "year": 2022, "values": {**same, "/T4/D1": 99}},
                                    tmp_path / "changed.xlsx"))
    assert [f for f in findings(changed, prev) if f.code == "XY-06"] == []


def test_text_overlap_measure():
    from addin.validation.text import text_overlap

    assert text_overlap(OVERVIEW, OVERVIEW) == 1.0
    assert text_overlap(OVERVIEW, PROBLEMS) < 0.1
    assert text_overlap("", OVERVIEW) == 0.0
    assert 0.5 < text_overlap(OVERVIEW, OVERVIEW[: len(OVERVIEW) * 2 // 3]) < 0.8


def test_cross_year_rules_are_listed_as_not_evaluated_until_last_years_report_is_given(tmp_path):
    # rules.md / seed-walkthrough §3: without last year's report the XY rules are NOT_EVALUABLE, not silent
    prev, this = _pair(tmp_path, "2021", 2021, {}, "2021", 2022, {})
    waiting = lambda r: sorted(n.rule for n in r.not_evaluated if n.waits_for_previous)  # noqa: E731
    assert waiting(this) == ["XY-01", "XY-02", "XY-06", "XY-07"]
    assert all(n.mark is None for n in this.not_evaluated if n.waits_for_previous)
    assert waiting(apply(this, prev)) == [] and waiting(apply(this, None)) == []   # evaluated, or XY-10
    across = check_file(build_case({"format_version": "2021", "year": 2021}, tmp_path / "2021.xlsx"))
    assert waiting(across) == ["XY-01", "XY-05", "XY-06", "XY-07"]   # last year's report is a 2019-format one
    first = check_file(build_case({"format_version": "2019", "year": 2019}, tmp_path / "2019.xlsx"))
    assert waiting(first) == []   # 2019: no report of 2018 in these formats
