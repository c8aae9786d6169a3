"""`gkreport verify`: check that a submission file's data still matches the digest recorded in it."""
from __future__ import annotations

import argparse

from addin.writing.submission import verify


def add_parser(sub) -> None:
    p = sub.add_parser("verify", help="核对报送文件是否被修改",
                       description="重新读取 gkreport submit 生成的报送文件，计算数据摘要并与文件中记录的摘要比较。"
                       "退出码：0 一致，1 已被修改、没有摘要或无法读取，2 用法错误。")
    p.add_argument("path", metavar="FILE", help="报送文件（.xlsx）")
    p.add_argument("--schema-dir", metavar="DIR", help=argparse.SUPPRESS)
    p.set_defaults(run=run)



def run(args) -> int:
    v = verify(args.path, schema_dir=args.schema_dir)
    if v.status == "same":
        print(f"一致：{args.path} 的数据与生成时记录的摘要相符（SHA-256 {v.actual}）。")
        return 0
    if v.status == "modified":
        print(f"已被修改：{args.path} 的数据与生成时记录的摘要不符。")
        print(f"  记录的摘要：{v.recorded}")
        print(f"  当前的摘要：{v.actual or '（无法读出数据）'}")
        return 1
    if v.status == "no_digest":
        print(f"无法核对：{args.path} 中没有 gkreport 记录的数据摘要（不是由 gkreport submit 生成的报送文件）。")
        return 1
    finding = v.result.findings[0] if v.result and v.result.findings else None
    print(f"无法读取：{args.path}" + (f"（{finding.message}）" if finding else ""))
    return 1
