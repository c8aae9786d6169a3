"""`gkreport verify`: check that a submission file is exactly the one gkreport wrote for the data embedded in it."""
from __future__ import annotations

import argparse

from addin.batch import DEFAULT_TIMEOUT, CallFailed, call_isolated
from addin.commands import CommandError
from addin.safe_text import for_terminal
from addin.writing.submission import digest, verify


def add_parser(sub) -> None:
    p = sub.add_parser("verify", help="核对报送文件是否被修改",
                       description="核对 gkreport submit 生成的报送文件：按文件内嵌的校验数据重新生成报送文件，逐个部件比较，"
                       "指出第一处不同和改动的单元格。摘要没有密钥：它证明文件生成后未被改动，不证明数据就是当初上报的那一份"
                       "（以收集方保存的摘要为准，见 docs/verify.md）。"
                       "退出码：0 一致，1 已被修改、没有摘要或无法读取，2 用法错误。")
    p.add_argument("path", metavar="FILE", help="报送文件（.xlsx）")
    p.add_argument("--schema-dir", metavar="DIR", help=argparse.SUPPRESS)
    p.set_defaults(run=run)



def run(args) -> int:
    name = for_terminal(args.path)
    try:   # an input, read as in `check`: in a process of its own, under the same time limit
        v = call_isolated(verify, (args.path, args.schema_dir), DEFAULT_TIMEOUT)
    except CallFailed as exc:
        raise CommandError(f"无法核对：{name}（{exc}）") from exc
    if v.status == "same":
        print(f"一致：{name} 正是 gkreport 为其中内嵌的校验数据生成的报送文件，未经改动（数据摘要 SHA-256 {v.recorded}）。")
        return 0
    if v.status == "modified":
        print(f"已被修改：{name} 与 gkreport 生成时不同。{for_terminal(v.message)}")
        for cell in v.cells:
            print(f"  {for_terminal(cell)}")
        if v.recorded:
            print(f"  记录的数据摘要：{v.recorded}")
        if v.document is not None:
            print(f"  内嵌数据的摘要：{digest(v.document)}")
        return 1
    if v.status == "no_data":
        print(f"无法核对：{name} 中没有可核对的数据摘要和内嵌数据。{for_terminal(v.message)}")
        return 1
    print(f"无法读取：{name}（{for_terminal(v.message)}）")
    return 1
