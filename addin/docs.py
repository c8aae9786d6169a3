"""Generated documentation: the findings catalogue as docs/findings.md."""
from __future__ import annotations

import sys
from pathlib import Path

from addin.catalogue import markdown_table

HEADER = """# 校验结果代码一览（Finding codes）

本文件由 `python -m addin.docs` 根据 `addin/catalogue.py`（程序自身的代码）与 `schema/<版本>/findings.json`（各版本规则的代码）生成，请勿手工修改。
规则编号与 `shared/spec/rules.md` 一致；FILE-、COV-、WB-、FML- 开头的是针对工作簿文件本身的检查。

"""


def findings_markdown() -> str:
    return HEADER + markdown_table()


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent.parent / "docs" / "findings.md"
    target.write_text(findings_markdown(), encoding="utf-8")
    print(f"written {target}")
