"""`gkreport template`: write the blank standard workbook for a report year."""
from __future__ import annotations

from addin.commands import EXIT_USAGE, CommandError
from addin.os_messages import describe
from addin.writing.template import TemplateError, write_template


def add_parser(sub) -> None:
    p = sub.add_parser("template", help="生成某一年度的空白标准报告工作簿",
                       description="按官方格式生成空白的年度报告工作簿（.xlsx）。")
    p.add_argument("--year", type=int, required=True, metavar="YYYY", help="报告年度，如 2026")
    p.add_argument("--format-version", metavar="VERSION", help="格式版本（如 2019、2021）；默认按年度自动确定")
    p.add_argument("--unit", metavar="单位名称", help="预先填入的单位名称")
    p.add_argument("-o", "--output", required=True, metavar="FILE.xlsx", help="输出文件路径")
    p.set_defaults(run=run)


def run(args) -> int:
    try:
        path = write_template(args.output, args.year, args.format_version, args.unit)
    except TemplateError as exc:
        raise CommandError(f"无法生成模板：{exc}", EXIT_USAGE) from exc
    except OSError as exc:
        raise CommandError(f"无法写入 {args.output}：{describe(exc)}") from exc
    print(f"已生成 {args.year} 年度报告模板：{path}")
    return 0
