"""Build addin.xlam from xlwings' ribbon add-in: new ribbon XML and config sheet, VBA project untouched."""
from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path
from xml.sax.saxutils import escape
from zipfile import ZIP_DEFLATED, ZipFile

ADDIN_NAME = "addin.xlam"   # RibbonMyAddin.RunMain runs "import <file stem>; <file stem>.main()"
CUSTOM_UI = "customUI/customUI.xml"
WORKBOOK = "xl/workbook.xml"
CONF_SHEET_PART = "xl/worksheets/sheet1.xml"
# The VBA keeps PROJECT_NAME = "myaddin": it reads the sheet "myaddin.conf" of the add-in and the
# user file ~/.myaddin/myaddin.conf; the shipped sheet "_myaddin.conf" is the inactive form.
PROJECT_NAME = "myaddin"
CONF_SHEET, CONF_SHEET_OFF = f"{PROJECT_NAME}.conf", f"_{PROJECT_NAME}.conf"
RUN_MAIN = "RibbonMyAddin.RunMain"

RIBBON_XML = f"""<customUI xmlns="http://schemas.microsoft.com/office/2006/01/customui">
    <ribbon>
        <tabs>
            <tab id="gkreportTab" label="政务公开年报">
                <group id="gkreportGroup" label="年报校验">
                    <button id="gkreportValidate" label="校验" size="large" onAction="{RUN_MAIN}" imageMso="ReviewAcceptChange" screentip="校验当前工作簿" supertip="按官方格式校验当前打开的政府信息公开工作年度报告：有问题的单元格标色并加批注，结果列在“校验结果”工作表；没有错误时在工作簿旁生成报送文件。" />
                </group>
            </tab>
        </tabs>
    </ribbon>
</customUI>"""


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


def build(out_dir: str | os.PathLike = ".", config: dict[str, str] | None = None) -> Path:
    """Write `addin.xlam` into out_dir. `config` (xlwings keys such as Interpreter_Win, PYTHONPATH)
    goes into the add-in's active config sheet; without it the sheet stays inactive and the
    add-in reads the user's config file written by `gkreport addin install`."""
    src = source_addin()
    if not src.is_file():
        raise BuildError(f"找不到 xlwings 自带的功能区加载项：{src}")
    config = {k: v for k, v in (config or {}).items() if v}
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / ADDIN_NAME
    fd, tmp = tempfile.mkstemp(prefix=f".{ADDIN_NAME}.", suffix=".tmp", dir=out_dir)
    os.close(fd)
    try:
        with ZipFile(src) as zin, ZipFile(tmp, "w", ZIP_DEFLATED) as zout:
            names = zin.namelist()
            if CUSTOM_UI not in names or "xl/vbaProject.bin" not in names:
                raise BuildError("xlwings 的功能区加载项结构与预期不符（缺少 customUI 或 VBA 工程）。")
            for info in zin.infolist():
                data = zin.read(info.filename)
                if info.filename == CUSTOM_UI:
                    data = RIBBON_XML.encode("utf-8")
                elif config and info.filename == WORKBOOK:
                    text = data.decode("utf-8")
                    if f'name="{CONF_SHEET_OFF}"' not in text:
                        raise BuildError("xlwings 加载项中没有配置工作表 _myaddin.conf。")
                    data = text.replace(f'name="{CONF_SHEET_OFF}"', f'name="{CONF_SHEET}"').encode("utf-8")
                elif config and info.filename == CONF_SHEET_PART:
                    data = _conf_sheet_xml(data.decode("utf-8"), config).encode("utf-8")
                # Everything else, the VBA project above all, is copied byte for byte.
                zout.writestr(info, data, compress_type=ZIP_DEFLATED)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


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
