"""Unit and year read wherever a report states them: title forms, split titles, first paragraph, period, signature."""
from __future__ import annotations

import re

import pytest

from addin.formats import available_formats
from addin.reading.normalise import norm_label
from addin.reading.statements import find, same_unit

PATTERN = re.compile(available_formats()["2021"].layout["cover"]["title_pattern"])


def _find(lines: list[str], heading: str = "一、总体情况"):
    paragraphs = [(norm_label(t), (0, i, 0)) for i, t in enumerate(lines)]
    first = next((i for i, t in enumerate(lines) if t == heading), None)
    return find(paragraphs, PATTERN, first)


@pytest.mark.parametrize("lines, unit, year, source", [
    (["2019年上海市人民政府办公厅政府信息公开工作年度报告", "一、总体情况"], "上海市人民政府办公厅", 2019, "标题"),
    (["2024年白渡镇政府信息公开工作年度报告", "一、总体情况"], "白渡镇", 2024, "标题"),
    (["滨海新区司法局政府信息公开工作2025年度报告", "一、总体情况"], "滨海新区司法局", 2025, "标题"),
    (["福建省司法厅", "2025年政府信息公开工作年度报告", "一、总体情况"], "福建省司法厅", 2025, "标题（分两行）"),
    (["硚口区人民政府汉正街道办事处2025年", "政府信息公开工作年度报告", "一、总体情况"], "硚口区人民政府汉正街道办事处", 2025, "标题（分两行）"),
    (["××市自然资源管理局 关于2021年度政府信息公开工作年度报告", "一、总体情况"], None, None, None),   # the layout's own form: extract reads it
    (["根据《条例》要求，现公布荷塘区桂花街道办事处2019年政府信息公开工作年度报告。本年报中所列数据的统计期限自2019年1月1日起至2019年12月31日止。",
      "一、总体情况"], "荷塘区桂花街道办事处", 2019, "首段"),
    (["本年度报告是根据《条例》的要求，由杭州市上城区司法局编制。本年度报告中所列数据的统计期限自2021年1月1日起至2021年12月31日止。",
      "一、总体情况"], "杭州市上城区司法局", 2021, "首段"),
    (["一、总体情况", "2022年，东风区司法局认真履行《条例》规定的法定义务。"], "东风区司法局", 2022, "首段"),
    # the office named in the contact sentence is the unit's own group office, not the unit
    (["本年度报告中所列数据的统计期限自2024年1月1日起至12月31日止。如对本年度报告有任何疑问，请与桐屿街道信息公开领导小组办公室联系。",
      "一、总体情况"], "桐屿街道", 2024, "首段"),
])
def test_unit_and_year_are_found_where_the_report_states_them(lines, unit, year, source):
    stated = _find(lines)
    assert (stated.unit, stated.year, stated.unit_source) == (unit, year, source)


def test_the_year_of_the_period_statement():
    stated = _find(["本报告中所列数据统计时间为2024年1月1日至12月31日，公布方式为通过互联网面向公众公开。", "一、总体情况"])
    assert (stated.unit, stated.year, stated.year_source) == (None, 2024, "统计期限")


def test_labels_and_years_are_not_part_of_the_unit():
    assert _find(["标题：2024年白渡镇政府信息公开工作年度报告", "一、总体情况"]).unit == "白渡镇"
    assert _find(["名称:2024年白渡镇政府信息公开工作年度报告", "一、总体情况"]).unit == "白渡镇"


def test_the_signature_names_the_issuing_unit():
    lines = ["一、总体情况", "本年度我镇主动公开信息120条。", "六、其他需要报告的事项", "无。", "白渡镇人民政府", "2025年1月20日"]
    stated = _find(lines)
    assert (stated.signer, stated.unit, stated.unit_source) == ("白渡镇人民政府", "白渡镇人民政府", "落款")
    assert _find(lines[:-1]).signer is None   # no date line: no signature
    assert _find(lines[:-2] + ["白渡镇人民政府 2025年1月20日"]).signer == "白渡镇人民政府"


@pytest.mark.parametrize("lines", [
    ["一、总体情况", "2023年，在区委、区政府的统一部署下，区统计局紧紧围绕中心工作。"],   # no unit named at the start
    ["2023年政府信息公开工作年度报告", "一、总体情况", "本单位高度重视。"],                # the title names no unit
    ["一、总体情况", "全年主动公开信息100余条。", "六、其他需要报告的事项", "请与本单位办公室联系。", "2025年1月20日"],
])
def test_no_unit_is_made_up(lines):
    assert _find(lines).unit is None


def test_same_unit():
    assert same_unit("米山镇人民政府", "高平市米山镇人民政府")
    assert not same_unit("白渡镇人民政府", "黄渡镇人民政府")


def _check_text(tmp_path, lines: list[str]):
    from addin.pipeline import check_file

    path = tmp_path / "report.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return check_file(path)


BODY = ["一、总体情况", "本年度主动公开政府信息120条。", "六、其他需要报告的事项", "本年度未收取信息处理费。"]


def test_a_report_checked_with_the_unit_and_year_it_states(tmp_path):
    result = _check_text(tmp_path, ["福建省司法厅", "2025年政府信息公开工作年度报告"] + BODY + ["福建省司法厅", "2026年1月20日"])
    assert (result.unit, result.report_year) == ("福建省司法厅", 2025)
    codes = [(f.code, f.cell) for f in result.findings if f.code.startswith("COV")]
    assert codes == [("COV-03", "A1")]   # says where the unit was read; no COV-01/02, no COV-04


def test_a_report_signed_by_another_unit(tmp_path):
    result = _check_text(tmp_path, ["2024年白渡镇政府信息公开工作年度报告"] + BODY + ["黄渡镇人民政府", "2025年1月20日"])
    assert result.unit == "白渡镇" and result.report_year == 2024
    signed = [(f.code, f.severity, f.cell) for f in result.findings if f.code == "COV-04"]
    assert signed == [("COV-04", "warning", "A6")]


def test_a_report_without_unit_or_year_still_says_so(tmp_path):
    result = _check_text(tmp_path, ["一、总体情况", "全年主动公开信息100余条。"])
    assert {"COV-01", "COV-02"} <= {f.code for f in result.findings} and result.unit is None


def test_without_year_and_tables_the_text_is_still_checked(tmp_path):
    """A report whose tables are not in the file (images) and which names no year: every rule that does
    not need the year runs on its text; the missing tables are reported once (STR-04), not per table."""
    result = _check_text(tmp_path, ["一、总体情况", "全年主动公开信息100余条。", "二、主动公开政府信息情况",
                                    "三、收到和处理政府信息公开申请情况", "四、政府信息公开行政复议、行政诉讼情况",
                                    "五、存在的主要问题及改进情况", "存在的问题是公开不够及时。", "六、其他需要报告的事项", ""])
    codes = [f.code for f in result.findings]
    assert "STR-04" in codes and not {"STR-06", "STR-07", "STR-10"} & set(codes)
    assert "TXT-05" in codes   # 五 names problems and no measure: a rule that needs no year ran


def test_a_file_that_is_no_report_gets_only_the_format_finding(tmp_path):
    result = _check_text(tmp_path, ["会议纪要", "各部门：请按时参会。"])
    assert sorted({f.code for f in result.findings} - {"FILE-12"}) == ["COV-01", "COV-02", "STR-04"]


def test_a_title_with_guanyu_and_a_label_prefix(tmp_path):
    result = _check_text(tmp_path, ["××市自然资源管理局 关于2021年度政府信息公开工作年度报告"] + BODY)
    assert (result.unit, result.report_year) == ("××市自然资源管理局", 2021)
    result = _check_text(tmp_path, ["称：鹿城街道2025年政府信息公开工作年度报告"] + BODY)
    assert (result.unit, result.report_year) == ("鹿城街道", 2025)
