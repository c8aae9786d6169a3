"""Text findings on reports as units publish them (web pages, Word text): each tests/cases/<name>/page.json
renders a realistic report, and expected.json lists the findings it must raise (and no others) among
the codes this suite judges. Negative cases list none: the wording in them must not raise a finding."""
from __future__ import annotations

import json
import re
from collections import Counter

import pytest

from addin.findings import REPORT
from addin.formats import available_formats
from addin.pipeline import check_file
from addin.reading import statements
from addin.reading.normalise import norm_label
from tests.helpers import CASES
from tests.published import build_page, case_values

# notices about the input kind and the preamble/cover (another suite judges them) are not counted here
NOT_JUDGED = {"FILE-11", "FILE-12"}

BASE_TEXTS = {
    "一、总体情况": [
        "本年度，我局坚持以习近平新时代中国特色社会主义思想为指导，认真贯彻落实《中华人民共和国政府信息公开条例》，"
        "扎实推进政务公开各项工作。本报告所列数据的统计期限自{year}年1月1日起至{year}年12月31日止。",
        "（一）主动公开政府信息情况。全年通过门户网站主动公开政府信息356条，其中制发行政规范性文件{/T2/A1/行政规范性文件/本年制发件数}件。",
        "（二）依申请公开情况。全年共收到政府信息公开申请{/T3/new/C7}件，上年结转{/T3/carried_in/C7}件，"
        "已全部依法依规按时答复。",
        "（三）政府信息管理情况。严格落实信息发布“三审三校”制度，动态更新政府信息公开目录。",
        "（四）政府信息公开平台建设情况。持续优化政府门户网站政府信息公开专栏，做好政务新媒体日常维护。",
        "（五）监督保障情况。将政务公开工作纳入年度绩效考核，全年组织业务培训2次。",
    ],
    "五、存在的主要问题及改进情况": [
        "本年度政府信息公开工作取得一定成效，但仍存在公开内容不够全面、解读形式较为单一等问题。",
        "下一步，我局将进一步加强业务培训，丰富政策解读形式，不断提升政务公开质量。",
    ],
    "六、其他需要报告的事项": "本年度未收取信息处理费。无其他需要报告的事项。",
}


def page_case(name: str) -> dict:
    case = json.loads((CASES / name / "page.json").read_text(encoding="utf-8"))
    values = case_values(case)
    texts = dict(BASE_TEXTS)
    texts.update(case.get("texts", {}))

    def fill(text: str) -> str:
        return re.sub(r"\{(/[^{}]+)\}", lambda m: str(values[m.group(1)]), text).replace("{year}", str(case["year"]))

    case["texts"] = {k: fill(v) if isinstance(v, str) else [fill(x) for x in v] for k, v in texts.items()}
    return case


PAGE_DIRS = sorted(p for p in CASES.iterdir() if (p / "page.json").is_file())


@pytest.mark.parametrize("case_dir", PAGE_DIRS, ids=[p.name for p in PAGE_DIRS])
def test_published_case(case_dir, tmp_path, request):
    case = page_case(case_dir.name)
    expected = json.loads((case_dir / "expected.json").read_text(encoding="utf-8"))
    if expected.get("pending"):   # written before the reader/rule change that makes it hold
        request.applymarker(pytest.mark.xfail(reason=expected["pending"], strict=True))
    result = check_file(build_page(case, tmp_path))
    # (code, severity[, kind]): a finding listed without a kind is a defect of the report
    got = Counter((f.code, f.severity, f.kind) for f in result.findings if f.code not in NOT_JUDGED)
    want = Counter((*x[:2], x[2] if len(x) > 2 else REPORT) for x in expected["findings"])
    assert got == want, [(f.code, f.severity, f.cell, f.message) for f in result.findings]
    for pointer, value in expected.get("values", {}).items():
        assert result.document is not None and _at(result.document, pointer) == value, pointer
    if "format_version" in expected:
        assert result.format_version == expected["format_version"]


def _at(document: dict, pointer: str):
    node = document
    for token in pointer.lstrip("/").split("/"):
        node = node.get(token.replace("~1", "/").replace("~0", "~")) if isinstance(node, dict) else None
    return node


def _stated(lines: list[str], first_heading: int | None):
    pattern = re.compile(available_formats()["2021"].layout["cover"]["title_pattern"])
    return statements.find([(norm_label(t), (0, i, 0)) for i, t in enumerate(lines)], pattern, first_heading)


# (paragraphs, index of heading 一, unit that must be read, year that must be read) from real report openings
STATED = [
    # the unit as the subject of 一's opening sentence after a clause
    (["一、总体情况", "2023年，在区委、区政府的坚强领导下，某洲街道办事处认真贯彻落实《条例》，向社会公开政府信息。"], 0,
     "某洲街道办事处", 2023),
    # a county named bare as the subject
    (["根据《条例》规定，县政府编制了2020年度政府信息公开工作报告。", "一、总体情况", "2020年，大英县认真贯彻落实国、省、市决策部署。"],
     1, "大英县", 2020),
    # the report named with the year first, written under heading 一
    (["一、总体情况", "根据《条例》要求，特向社会公布2025年度某河区教育局政府信息公开年度报告。"], 0, "某河区教育局", 2025),
    # the year in 一's first sentence after a sub-heading; the unit never named
    (["根据《条例》和《格式》（国办公开办函〔2021〕30号）要求，编制本年度报告。", "一、总体情况", "（一）主动公开情况",
      "2022年，我单位全年主动公开各类政务信息430条。"], 1, None, 2022),
    # a name printed without its place, printed whole elsewhere in the text
    (["一、总体情况", "2023年，市自然资源和规划局认真贯彻落实市委市政府信息公开工作要求。", "（三）政府信息管理",
      "印发《东阳市自然资源和规划局信息公开工作机制（试行）》。"], 0, "东阳市自然资源和规划局", 2023),
]
# negative: how a report speaks of itself is not its name
NOT_STATED = [
    # a bare «区统计局» with no full name anywhere: no unit (COV-01 stays)
    (["2023年政府信息公开工作年度报告", "一、总体情况", "2023年，在区委、区政府的统一部署下，区统计局紧紧围绕中心工作。"], 1, None),
    # «请与区司法局联系»: «请与» is not a place
    (["如有疑问，请与区司法局办公室联系。", "一、总体情况", "2022年，区司法局认真履行职责。"], 1, "区司法局"),
    # «编制了2020年度政府信息公开工作报告»: «政府» is not a unit
    (["县政府编制了2020年度政府信息公开工作报告。", "一、总体情况", "全年主动公开信息12条。"], 1, None),
]


@pytest.mark.parametrize("lines,first,unit,year", STATED, ids=[s[2] or str(s[3]) for s in STATED])
def test_unit_and_year_stated(lines, first, unit, year):
    stated = _stated(lines, first)
    assert (stated.unit, stated.year) == (unit, year)


@pytest.mark.parametrize("lines,first,unit", NOT_STATED, ids=["bare-subject", "contact-verb", "government-word"])
def test_unit_not_misread(lines, first, unit):
    assert _stated(lines, first).unit == unit


@pytest.mark.parametrize("title,unit", [
    ("标题水城区杨梅乡2022年政府信息公开工作年度报告", "水城区杨梅乡"),          # a page's metadata label run into the title
    ("Page 2 - 省交通运输厅2019年度政府信息公开工作年度报告", "省交通运输厅"),   # a flip-book's page marker
    ("标准化办公室2022年政府信息公开工作年度报告", "标准化办公室"),            # negative: a name that begins so stays whole
])
def test_title_unit_without_page_labels(title, unit):
    m = re.compile(available_formats()["2021"].layout["cover"]["title_pattern"]).match(norm_label(title))
    assert statements.clean_unit(m.group("unit")) == unit


def test_cells_per_line_regrouped_only_where_labels_say_so():
    """One cell per line is regrouped by the official labels; prose, a lone label and numbers after a
    sentence stay as they were (negative)."""
    from addin.reading import flattened
    from addin.reading.extract import _table_labels
    from addin.reading.model import SheetData, WorkbookData
    lines = ["全年主动公开政府信息356条。", "12", "规章", "本年度未收取信息处理费。", "信息内容",
             "本年制", "发件数", "本年废止件数", "现行有效件", "行政规范性文件", "3", "1", "9"]
    book = flattened.regroup(WorkbookData([SheetData("文本", [[x] for x in lines])], paragraphs=True),
                             *_table_labels(available_formats()))
    assert book.sheets[0].rows == [["全年主动公开政府信息356条。"], ["12"], ["规章"], ["本年度未收取信息处理费。"],
                                   ["信息内容", "本年制发件数", "本年废止件数", "现行有效件"],
                                   ["行政规范性文件", "3", "1", "9"]]


def test_table_of_contents_lines_are_not_headings():
    """A contents entry («一、总体情况……………1», «二、主动公开政府信息情况 ....... 3») is not a heading; a heading
    ending in an ellipsis or a number without leaders still is (negative)."""
    from addin.reading import outline
    from addin.reading.model import SheetData
    lines = ["目录", "一、总体情况……………1", "二、主动公开政府信息情况 ................ 3", "一、总体情况",
             "二、主动公开政府信息情况……", "三、2024年收到和处理政府信息公开申请情况"]
    found = outline.headings([SheetData("文本", [[x] for x in lines])])
    assert [(h.number, h.row) for h in found] == [(1, 3), (2, 4), (3, 5)]
