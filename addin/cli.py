"""Command line: parse arguments into options, then hand them to a command; parsing errors exit 2."""
from __future__ import annotations

import argparse
import importlib
import os
import re
import sys

from addin._version import __version__
from addin.commands import EXIT_USAGE, CommandError

# Each command module offers add_parser(subparsers) and run(args) -> exit status.
COMMANDS = ("check", "template", "submit", "verify", "addin", "serve")


class _Formatter(argparse.HelpFormatter):
    def add_usage(self, usage, actions, groups, prefix=None):
        return super().add_usage(usage, actions, groups, "用法：" if prefix is None else prefix)


class _Parser(argparse.ArgumentParser):
    """argparse with Chinese headings and error text; exits with status 2 on usage errors like argparse."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("formatter_class", _Formatter)
        kwargs["add_help"] = False
        super().__init__(*args, **kwargs)
        self._positionals.title = "参数"
        self._optionals.title = "选项"
        self.add_argument("-h", "--help", action="help", help="显示帮助并退出")

    def error(self, message):
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"用法错误：{_zh(message)}\n")


_ARGPARSE_ZH = (
    (r"the following arguments are required: (.*)", r"缺少必需的参数：\1"),
    (r"unrecognized arguments: (.*)", r"无法识别的参数：\1"),
    (r"argument (\S+): invalid choice: (.*?) \(choose from (.*)\)", r"参数 \1 的取值 \2 无效（可选：\3）"),
    (r"argument (\S+): invalid (\w+) value: (.*)", r"参数 \1 的值 \3 无效（应为 \2）"),
    (r"argument (\S+): expected one argument", r"参数 \1 需要一个值"),
    (r"argument (\S+): not allowed with argument (\S+)", r"参数 \1 不能与 \2 同时使用"),
)


def _zh(message: str) -> str:
    """argparse's own error messages in Chinese (the common ones; others pass through)."""
    for pattern, replacement in _ARGPARSE_ZH:
        if re.fullmatch(pattern, message):
            text = re.sub(pattern, replacement, message)
            return text.replace("（应为 int）", "（应为整数）").replace("（应为 float）", "（应为数字）")
    return message


def build_parser(argv: list[str] | None = None) -> argparse.ArgumentParser:
    """The parser; when `argv` names a command, only that command's module is imported (each imports what it
    runs with at its top, so a command does not pay for loading the others)."""
    parser = _Parser(prog="gkreport", description="政府信息公开工作年度报告校验工具：校验报告工作簿、生成标准模板。")
    parser.add_argument("--version", action="version", version=f"gkreport {__version__}", help="显示版本号")
    sub = parser.add_subparsers(dest="command", metavar="命令", parser_class=_Parser)
    named = next((a for a in argv or () if not a.startswith("-")), None)
    for name in COMMANDS if named not in COMMANDS else (named,):
        importlib.import_module(f"addin.commands.{name}").add_parser(sub)
    return parser


def _tolerant_streams() -> None:
    """Output never stops at a character the console cannot show (a GBK or cp1252 console on Windows, or
    output redirected there): such a character is written as "?" and the command carries on."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.reconfigure(errors="replace")
        except (AttributeError, ValueError):   # not a text stream of io (a test's StringIO, a closed stream)
            pass


def _command_parser(parser: argparse.ArgumentParser, command: str | None) -> argparse.ArgumentParser:
    """The sub-parser of `command` (the top-level parser when there is none)."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction) and command in action.choices:
            return action.choices[command]
    return parser


def main(argv: list[str] | None = None) -> int:
    _tolerant_streams()
    argv = sys.argv[1:] if argv is None else argv
    parser = build_parser(argv)
    args, extra = parser.parse_known_args(argv)
    if extra:
        # an option the command does not have: show that command's usage, not the top-level one
        _command_parser(parser, getattr(args, "command", None)).error(f"unrecognized arguments: {' '.join(extra)}")
    if not args.command:
        parser.print_help()
        return EXIT_USAGE
    try:
        return args.run(args)
    except CommandError as exc:
        print(exc.message, file=sys.stderr)
        return exc.status
    except KeyboardInterrupt:
        print("已中断。", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # output piped into `head` and the like: stop quietly, as other command-line tools do
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


if __name__ == "__main__":
    sys.exit(main())
