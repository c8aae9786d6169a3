"""`gkreport addin`: build the Excel add-in file, or install it into Excel's start-up folder."""
from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from addin.commands import CommandError
from addin.os_messages import describe
from addin.xlam import BuildError, build, config_file_text, default_config, startup_folder, user_config_file


def add_parser(sub) -> None:
    p = sub.add_parser("addin", help="生成或安装 Excel 加载项（功能区“政务公开年报”：校验、清除标记、生成报送文件）",
                       description="生成加载项文件 addin.xlam、addin.button_clear.xlam、addin.button_submit.xlam"
                                   "（基于 xlwings 功能区加载项），或安装到本机 Excel 的启动文件夹。")
    actions = p.add_subparsers(dest="action", metavar="操作", required=True)

    b = actions.add_parser("build", help="生成加载项文件（addin.xlam 等三个）")
    b.add_argument("-o", "--output-dir", default=".", metavar="DIR", help="输出文件夹（默认当前文件夹）")
    _config_args(b)
    b.set_defaults(run=run_build)

    i = actions.add_parser("install", help="安装到本机 Excel 的启动文件夹并写入 xlwings 配置")
    _config_args(i)
    i.set_defaults(run=run_install)


def _config_args(p) -> None:
    p.add_argument("--interpreter-win", metavar="PYTHON.EXE", help="Windows 上运行校验的 Python（默认：当前 Python）")
    p.add_argument("--interpreter-mac", metavar="PYTHON", help="macOS 上运行校验的 Python（默认：当前 Python）")
    p.add_argument("--pythonpath", metavar="DIR", help="加入 PYTHONPATH 的文件夹（默认：gkreport 所在位置）")
    p.add_argument("--no-config", action="store_true",
                   help="不把配置写入加载项（批量部署时由每台电脑的 ~/.myaddin/myaddin.conf 提供）")


def _config(args) -> dict[str, str]:
    if args.no_config:
        return {}
    config = default_config()
    for key, value in (("Interpreter_Win", args.interpreter_win), ("Interpreter_Mac", args.interpreter_mac),
                       ("PYTHONPATH", args.pythonpath)):
        if value:
            config[key] = value
    return config


def run_build(args) -> int:
    config = _config(args)
    try:
        paths = build(args.output_dir, config)
    except BuildError as exc:
        raise CommandError(f"无法生成加载项：{exc}") from exc
    except OSError as exc:
        raise CommandError(f"无法写入 {args.output_dir}：{describe(exc)}") from exc
    print("已生成 Excel 加载项：" + "、".join(str(p) for p in paths))
    if config:
        print("已写入配置：" + "；".join(f"{k}={v}" for k, v in config.items()))
    else:
        print("加载项中未写入 Python 配置：请在每台电脑上运行 gkreport addin install，"
              "或部署 myaddin.conf 配置文件（见 docs/addin.md）。")
    return 0


def run_install(args) -> int:
    folder, conf_file = startup_folder(), user_config_file()
    if folder is None or conf_file is None:
        raise CommandError("本机没有可用的桌面版 Excel（加载项只能安装在 Windows 或 macOS 的 Excel 中）。\n"
                           "请在装有 Excel 的电脑上安装 gkreport 后运行：gkreport addin install；\n"
                           "或先运行 gkreport addin build -o 文件夹 生成加载项文件（addin.xlam 等三个），"
                           "再把它们复制到该电脑 Excel 的启动文件夹（Windows：%APPDATA%\\Microsoft\\Excel\\XLSTART）。")
    config = _config(args)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            folder.mkdir(parents=True, exist_ok=True)
            installed = []
            for built in build(tmp, config):
                shutil.copyfile(built, folder / built.name)
                installed.append(folder / built.name)
        text = config_file_text(config)
        if text:
            conf_file.parent.mkdir(parents=True, exist_ok=True)
            conf_file.write_text(text, encoding="utf-8")
    except BuildError as exc:
        raise CommandError(f"无法生成加载项：{exc}") from exc
    except OSError as exc:
        raise CommandError(f"安装失败：{describe(exc)}（{getattr(exc, 'filename', '')}）。"
                           "如 Excel 正在运行，请先关闭后重试。") from exc
    print("已安装加载项：" + "、".join(str(p) for p in installed))
    if text:
        print(f"已写入配置文件：{conf_file}")
    print("请重新启动 Excel，在功能区“政务公开年报”选项卡中点击“校验”（旁边是“清除标记”和“生成报送文件”）。")
    return 0
