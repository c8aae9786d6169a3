"""Text findings on reports as units publish them (web pages, Word text): each tests/cases/<name>/page.json
renders a realistic report, and expected.json lists the findings it must raise (and no others) among
the codes this suite judges. Negative cases list none: the wording in them must not raise a finding."""
from __future__ import annotations

import json
import re
from collections import Counter

import pytest

from addin.findings import REPORT
from addin.pipeline import check_file
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
