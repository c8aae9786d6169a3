"""Build the add-in files from xlwings' ribbon add-in: ribbon XML, properties and config sheet replaced, VBA project untouched."""
from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from xml.sax.saxutils import escape
from zipfile import ZIP_DEFLATED, ZipFile, ZipInfo

from addin._version import __version__
from addin.writing.atomic import atomic_write

ADDIN_NAME = "addin.xlam"   # RibbonMyAddin.RunMain runs "import <file stem>; <file stem>.main()"
CUSTOM_UI = "customUI/customUI.xml"
WORKBOOK = "xl/workbook.xml"
CORE_PROPS = "docProps/core.xml"
CONF_SHEET_PART = "xl/worksheets/sheet1.xml"
# The VBA keeps PROJECT_NAME = "myaddin": it reads the sheet "myaddin.conf" of the add-in and the
# user file ~/.myaddin/myaddin.conf; the shipped sheet "_myaddin.conf" is the inactive form.
PROJECT_NAME = "myaddin"
CONF_SHEET, CONF_SHEET_OFF = f"{PROJECT_NAME}.conf", f"_{PROJECT_NAME}.conf"
RUN_MAIN = "RibbonMyAddin.RunMain"
RIBBON_NS = "gkreport.addin"   # the add-ins share one tab and group through qualified ids (idQ)


@dataclass(frozen=True)
class Button:
    """One ribbon button and the add-in file that carries it: the VBA runs `<module>.main()`, the module
    being the file name without ".xlam" (so "addin.button_clear.xlam" runs addin.button_clear.main())."""

    module: str
    id: str
    label: str
    size: str
    image: str
    screentip: str
    supertip: str

    @property
    def file_name(self) -> str:
        return f"{self.module}.xlam"


BUTTONS = (
    Button("addin", "gkreportValidate", "校验", "large", "ReviewAcceptChange", "校验当前工作簿",
           "按官方格式校验当前打开的政府信息公开工作年度报告：有问题的单元格标色并加批注，结果列在“校验结果”工作表；"
           "没有错误时在工作簿旁生成报送文件。"),
    Button("addin.button_clear", "gkreportClear", "清除标记", "normal", "ClearFormats", "清除校验标记",
           "去掉“校验”加上的全部颜色、批注和“校验结果”工作表，恢复单元格原来的样式；您自己写的批注保持不变。"),
    Button("addin.button_submit", "gkreportSubmit", "生成报送文件", "normal", "FileSaveAs", "生成报送文件",
           "重新校验当前工作簿；没有错误时在工作簿旁生成干净的报送文件“<文件名>-报送.xlsx”，有错误时说明原因。"),
)
ADDIN_FILES = tuple(b.file_name for b in BUTTONS)


def ribbon_xml(button: Button) -> str:
    return f"""<customUI xmlns="http://schemas.microsoft.com/office/2006/01/customui" xmlns:g="{RIBBON_NS}">
    <ribbon>
        <tabs>
            <tab idQ="g:gkreportTab" label="政务公开年报">
                <group idQ="g:gkreportGroup" label="年报校验">
                    <button id="{button.id}" label="{escape(button.label)}" size="{button.size}" onAction="{RUN_MAIN}" imageMso="{button.image}" screentip="{escape(button.screentip)}" supertip="{escape(button.supertip, {'"': "&quot;"})}" />
                </group>
            </tab>
        </tabs>
    </ribbon>
</customUI>"""


def core_properties(button: Button) -> str:
    """The add-in's own document properties (xlwings' template carries its author's name and dates)."""
    import xlwings

    stamp = "2000-01-01T00:00:00Z"
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
            'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
            'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
            f"<dc:title>gkreport Excel 加载项：{escape(button.label)}</dc:title>"
            "<dc:subject>政府信息公开工作年度报告校验</dc:subject>"
            "<dc:creator>gkreport</dc:creator><cp:lastModifiedBy>gkreport</cp:lastModifiedBy>"
            f"<dc:description>gkreport {__version__}；xlwings {xlwings.__version__}</dc:description>"
            f'<dcterms:created xsi:type="dcterms:W3CDTF">{stamp}</dcterms:created>'
            f'<dcterms:modified xsi:type="dcterms:W3CDTF">{stamp}</dcterms:modified>'
            "</cp:coreProperties>")


# The folder the template was saved from on its developer's computer
_ABS_PATH_RE = re.compile(r"<mc:AlternateContent\b[^>]*>(?:(?!</mc:AlternateContent>).)*?x15ac:absPath\b.*?</mc:AlternateContent>", re.S)


class BuildError(Exception):
    """The xlwings ribbon add-in to start from is missing or not as expected."""


def source_addin() -> Path:
    import xlwings

    return Path(xlwings.__file__).with_name("quickstart_addin_ribbon.xlam")


def default_config() -> dict[str, str]:
    """Interpreter and PYTHONPATH of the environment running this (only for Windows and macOS)."""
    root = str(Path(__file__).resolve().parent.parent)
    exe = Path(sys.executable)
    if sys.platform.startswith("win"):
        # pythonw.exe runs without flashing a console window on every click
        pyw = exe.with_name("pythonw.exe")
        return {"Interpreter_Win": str(pyw if pyw.exists() else exe), "PYTHONPATH": root}
    if sys.platform == "darwin":
        return {"Interpreter_Mac": str(exe), "PYTHONPATH": root}
    return {}


def _conf_sheet_xml(original: str, config: dict[str, str]) -> str:
    """The config sheet with exactly the given keys in A/B (the VBA reads A1 down to the first gap)."""
    start, end = original.index("<sheetData>"), original.index("</sheetData>") + len("</sheetData>")
    rows = []
    for i, (key, value) in enumerate(config.items(), start=1):
        rows.append(f'<row r="{i}"><c r="A{i}" t="inlineStr"><is><t>{escape(key)}</t></is></c>'
                    f'<c r="B{i}" t="inlineStr"><is><t xml:space="preserve">{escape(value)}</t></is></c></row>')
    body = "<sheetData>" + "".join(rows) + "</sheetData>"
    out = original[:start] + body + original[end:]
    return out.replace('<dimension ref="A1:B13" />', f'<dimension ref="A1:B{max(len(config), 1)}" />')


def build(out_dir: str | os.PathLike = ".", config: dict[str, str] | None = None) -> list[Path]:
    """Write the add-in files (addin.xlam and one per further button) into out_dir. `config` (xlwings
    keys such as Interpreter_Win, PYTHONPATH) goes into each add-in's active config sheet; without it
    the sheet stays inactive and the add-in reads the user's config file written by `gkreport addin install`."""
    src = source_addin()
    if not src.is_file():
        raise BuildError(f"找不到 xlwings 自带的功能区加载项：{src}")
    config = {k: v for k, v in (config or {}).items() if v}
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    with ZipFile(src) as zin:
        names = zin.namelist()
        if CUSTOM_UI not in names or "xl/vbaProject.bin" not in names:
            raise BuildError("xlwings 的功能区加载项结构与预期不符（缺少 customUI 或 VBA 工程）。")
        parts = [(info, zin.read(info.filename)) for info in zin.infolist()]
    return [atomic_write(out_dir / b.file_name, partial(_write_addin, parts=parts, button=b, config=config))
            for b in BUTTONS]


def _write_addin(tmp: Path, parts, button: Button, config: dict[str, str]) -> None:
    with ZipFile(tmp, "w", ZIP_DEFLATED) as zout:
        for info, data in parts:
            if info.filename == CUSTOM_UI:
                data = ribbon_xml(button).encode("utf-8")
            elif info.filename == CORE_PROPS:
                data = core_properties(button).encode("utf-8")
            elif info.filename == WORKBOOK:
                text = _ABS_PATH_RE.sub("", data.decode("utf-8"))
                if config:
                    if f'name="{CONF_SHEET_OFF}"' not in text:
                        raise BuildError("xlwings 加载项中没有配置工作表 _myaddin.conf。")
                    text = text.replace(f'name="{CONF_SHEET_OFF}"', f'name="{CONF_SHEET}"')
                data = text.encode("utf-8")
            elif config and info.filename == CONF_SHEET_PART:
                data = _conf_sheet_xml(data.decode("utf-8"), config).encode("utf-8")
            # Everything else, the VBA project above all, is copied byte for byte.
            info = ZipInfo(info.filename, date_time=(2000, 1, 1, 0, 0, 0))
            zout.writestr(info, data, compress_type=ZIP_DEFLATED)


def startup_folder() -> Path | None:
    """Excel's start-up folder for this user (None where there is no desktop Excel)."""
    if sys.platform.startswith("win"):
        try:  # a running Excel knows its own XLSTART (as xlwings' addin install asks it)
            import xlwings as xw

            if xw.apps:
                return Path(xw.apps.active.startup_path)
        except Exception:
            pass
        appdata = os.environ.get("APPDATA")
        return Path(appdata) / "Microsoft" / "Excel" / "XLSTART" if appdata else None
    if sys.platform == "darwin":
        try:
            import xlwings as xw

            if xw.apps:
                return Path(xw.apps.active.startup_path)
        except Exception:
            pass
        return (Path.home() / "Library" / "Containers" / "com.microsoft.Excel" / "Data" / "Library"
                / "Application Support" / "Microsoft" / "Office" / "Startup" / "Excel")
    return None


def user_config_file() -> Path | None:
    """The user config file the add-in's VBA reads (GetConfigFilePath with PROJECT_NAME)."""
    if sys.platform.startswith("win"):
        profile = os.environ.get("USERPROFILE")
        return Path(profile) / f".{PROJECT_NAME}" / f"{PROJECT_NAME}.conf" if profile else None
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Containers" / "com.microsoft.Excel" / "Data" / f"{PROJECT_NAME}.conf"
    return None


def config_file_text(config: dict[str, str]) -> str:
    # VBA `Input #f, name, value` reads comma-separated quoted pairs, one per line.
    return "".join(f'"{k.upper()}","{v}"\r\n' for k, v in config.items() if v)
