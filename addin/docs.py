"""Generated documentation: the findings catalogue as docs/findings.md."""
from __future__ import annotations

import sys
from pathlib import Path

from addin.catalogue import markdown_table

HEADER = """# 校验结果代码一览（Finding codes）

本文件由 `python -m addin.docs` 根据 `addin/catalogue.py`（程序自身的代码）与 `schema/<版本>/findings.json`（各版本规则的代码）生成，请勿手工修改。
规则编号与 `shared/spec/rules.md` 一致；FILE-、COV-、WB-、FML- 开头的是针对工作簿文件本身的检查。

“性质”一栏区分两类结果：**报告问题**是报告本身的缺陷（数字不平、缺项、格式不符等），应由填报单位改正；
**读取存疑**是工具未能读取、定位或核对的内容（扫描页、以图片发布或未能识别的表格、按顺序读取的数字、与官方格式略有不同的标签、
单位名称或年度的取得方式等），报告本身不一定有错，请以原件人工核对。同一代码在不同情形下性质不同时分别列出；
“文档”指网页、Word、文本和 PDF 格式的报告（相对于 Excel 工作簿）。读取存疑中的“错误”（如扫描件、未找到的表格）同样使文件不通过：
未能读取的内容不能当作已核对。

"""


def findings_markdown() -> str:
    return HEADER + markdown_table()


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent.parent / "docs" / "findings.md"
    target.write_text(findings_markdown(), encoding="utf-8")
    print(f"written {target}")
