"""The paragraphs before 「一、总体情况」 are read (issue 13 class 1): the period and year rules apply to them."""
from __future__ import annotations

import pytest

from addin.pipeline import check_file

PERIOD_CODES = ("TXT-01", "TXT-10")
TITLE = "白渡镇人民政府2024年政府信息公开工作年度报告"
BODY = ["一、总体情况", "本年度主动公开政府信息120条。", "五、存在的主要问题及改进情况", "问题是公开不够及时，下一步将改进。",
        "六、其他需要报告的事项", "本年度未收取信息处理费。"]


def _check(tmp_path, preamble: list[str]):
    path = tmp_path / "report.txt"
    path.write_text("\n".join([TITLE, *preamble, *BODY]) + "\n", encoding="utf-8")
    return check_file(path)


@pytest.mark.parametrize("sentence", [
    "本报告中所列数据的统计期限自2024年1月1日起至2024年12月31日止。",
    "报告中所列数据统计时间为2024年1月1日至12月31日，公布方式为通过互联网面向公众公开。",
    "本报告中所列数据的统计日期为2024年1月1日—2024年12月31日。",
])
def test_a_period_stated_before_section_one_is_seen(tmp_path, sentence):
    result = _check(tmp_path, ["根据《条例》规定编制本报告。" + sentence])
    assert not {"TXT-10", "TXT-01"} & {f.code for f in result.findings}
    assert result.document["text"]["序"].endswith(sentence)


def test_a_wrong_year_in_the_preamble_is_found(tmp_path):
    result = _check(tmp_path, ["本报告中所列数据的统计期限自2023年1月1日起至2023年12月31日止。"])
    found = [(f.code, f.cell) for f in result.findings if f.code in PERIOD_CODES]
    assert found == [("TXT-01", "A2")]


def test_no_period_anywhere_is_still_noted(tmp_path):
    result = _check(tmp_path, ["根据《条例》规定编制本报告。"])
    assert [f.code for f in result.findings if f.code in PERIOD_CODES] == ["TXT-10"]


def test_the_title_and_cover_fields_are_not_the_preamble(tmp_path):
    result = _check(tmp_path, [])
    assert "序" not in result.document["text"] and "TXT-10" in {f.code for f in result.findings}


def test_the_standard_workbook_has_no_preamble(tmp_path):
    """The template's own note above 一 (the format's notice) is not report text."""
    from tests.helpers import build_case

    result = check_file(build_case({"format_version": "2021"}, tmp_path / "report.xlsx"))
    assert "序" not in result.document["text"] and result.status == "passed"
