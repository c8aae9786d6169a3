"""A submission checked part by part against what `submit` writes for the data embedded in it."""
from __future__ import annotations

import datetime
import io
import os
import zipfile
from dataclasses import dataclass, field

from defusedxml.ElementTree import fromstring

from addin import jsonio, os_messages
from addin._version import __version__
from addin.catalogue import shorten
from addin.reading.source import NotRegular, TooLarge, read_source
from addin.writing.docprops import parse_custom_properties
from addin.writing.submission_build import (DATA_NS, DATA_PART, PROP_SHA256, PROP_VALIDATED_AT, PROP_VERSION,
                                            WORKBOOK_RELS, digest, package_bytes)
from addin.writing.template import PROP_FORMAT_VERSION

MAX_PACKAGE_BYTES = 16 * 1024 * 1024    # a submission is tens of KB; anything this large is not one
MAX_PARTS = 64
MAX_CELLS_LISTED = 20
CUSTOM_PROPS = "docProps/custom.xml"
_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"

# what a clerk is told a part holds, when a part other than a sheet differs
PART_MEANINGS = {
    "xl/styles.xml": "单元格格式（数字格式、字体、填充或边框）",
    "xl/workbook.xml": "工作簿结构（工作表、隐藏状态、定义的名称或重算设置）",
    WORKBOOK_RELS: "工作簿内部的引用关系",
    "[Content_Types].xml": "部件类型清单",
    "_rels/.rels": "文件的根引用关系",
    "docProps/core.xml": "文档属性（标题、作者、时间）",
    "docProps/app.xml": "文档属性（应用程序信息）",
    CUSTOM_PROPS: "自定义文档属性（单位、年度、摘要、填报人和联系电话）",
    "xl/theme/theme1.xml": "主题（颜色和字体）",
    DATA_PART: "内嵌的校验数据",
}


@dataclass
class PackageCheck:
    status: str                          # same|modified|no_data|unreadable
    message: str = ""                    # the first difference (or why it could not be checked), Chinese
    cells: list[str] = field(default_factory=list)   # differing cells, "表三 依申请公开!C7：应为 12，现为 13",
                                                     # then differing custom properties, "文档属性“联系电话”：…"
    recorded: str | None = None          # the digest recorded in the file
    document: dict | None = None         # the embedded data document

    @property
    def ok(self) -> bool:
        return self.status == "same"


def check_package(path: str | os.PathLike, schema_dir: str | None = None) -> PackageCheck:
    """Rebuild the submission from its embedded data and compare the file with it part by part."""
    try:
        data = read_source(path, MAX_PACKAGE_BYTES).data
    except NotRegular as exc:
        return PackageCheck("unreadable", f"{exc.kind}不是报送文件。")
    except TooLarge:
        return PackageCheck("unreadable", f"文件超过 {MAX_PACKAGE_BYTES // 1048576} MB，不是 gkreport 生成的报送文件。")
    except OSError as exc:
        return PackageCheck("unreadable", f"无法打开文件（{os_messages.describe(exc)}）。")
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        return PackageCheck("unreadable", "不是有效的 .xlsx 文件（不是 zip 包）。")
    problem = _package_problem(infos)
    if problem:
        return PackageCheck("modified", problem)
    parts = _read_parts(zf, infos)
    if isinstance(parts, str):
        return PackageCheck("unreadable", parts)
    props = parse_custom_properties(parts.get(CUSTOM_PROPS))
    recorded = (props.get(PROP_SHA256) or "").strip().lower() or None
    made_by = props.get(PROP_VERSION)
    if made_by and made_by != __version__:
        return PackageCheck("no_data", f"报送文件由 gkreport {made_by} 生成，当前为 {__version__}：请用生成它的版本核对。",
                            recorded=recorded)
    if DATA_PART not in parts and recorded is not None:
        return PackageCheck("modified", "报送文件中的校验数据部件已不存在：文件被其他程序重新保存或改动过。",
                            recorded=recorded)
    if DATA_PART not in parts:
        return PackageCheck("no_data", "文件中没有内嵌的校验数据（不是由本版本 gkreport submit 生成的报送文件）。",
                            recorded=recorded)
    document = _embedded_document(parts[DATA_PART])
    if document is None:
        return PackageCheck("modified", "内嵌的校验数据无法读取（已被改动）。", recorded=recorded)
    if recorded is None or digest(document) != recorded:
        return PackageCheck("modified", "内嵌的校验数据与文件中记录的摘要不符。", recorded=recorded, document=document)
    try:
        stamp = datetime.datetime.fromisoformat(props.get(PROP_VALIDATED_AT, ""))
        version = props[PROP_FORMAT_VERSION]
        expected = _read_parts(zipfile.ZipFile(io.BytesIO(package_bytes(document, version, stamp, schema_dir))), None)
    except Exception:   # any property or data the builder cannot take back: the file was not written so
        return PackageCheck("modified", "文档属性或内嵌数据无法重新生成报送文件（已被改动）。",
                            recorded=recorded, document=document)
    message, cells = compare(expected, parts)
    return PackageCheck("modified" if message else "same", message, cells, recorded, document)


def _package_problem(infos: list[zipfile.ZipInfo]) -> str | None:
    """Part names the rebuilt package cannot have: too many, repeated, or differing only in case or slash."""
    if len(infos) > MAX_PARTS:
        return f"文件包含 {len(infos)} 个部件，远多于报送文件的部件。"
    seen: dict[str, str] = {}
    for info in infos:
        key = info.filename.replace("\\", "/").lower()
        if key in seen:
            same = seen[key] == info.filename
            return (f"部件 {info.filename} 出现了两次" if same else
                    f"部件 {info.filename} 与 {seen[key]} 仅大小写或分隔符不同") + "（不同软件会读到不同的内容）。"
        seen[key] = info.filename
    if sum(i.file_size for i in infos) > 4 * MAX_PACKAGE_BYTES:
        return "文件解压后过大，不是 gkreport 生成的报送文件。"
    return None


def _read_parts(zf: zipfile.ZipFile, infos) -> dict[str, bytes] | str:
    try:
        return {i.filename: zf.read(i) for i in (infos if infos is not None else zf.infolist())}
    except (zipfile.BadZipFile, ValueError, OSError, EOFError, NotImplementedError, RuntimeError) as exc:
        return f"文件已损坏，无法读取其中的部件（{exc.__class__.__name__}）。"


def _embedded_document(xml: bytes) -> dict | None:
    try:
        root = fromstring(xml)
        document = jsonio.loads(root.text or "")
    except Exception:
        return None
    return document if isinstance(document, dict) and root.tag == f"{{{DATA_NS}}}data" else None


def compare(expected: dict[str, bytes], actual: dict[str, bytes]) -> tuple[str, list[str]]:
    """The first difference between two packages in Chinese ("" when the same), and the cells and custom
    properties that differ."""
    cells = _cell_differences(expected, actual)
    props = _property_differences(expected.get(CUSTOM_PROPS), actual.get(CUSTOM_PROPS))
    places = cells + props
    extra = [n for n in actual if n not in expected]
    if extra:
        return f"多出部件 {extra[0]}（{_guess(extra[0])}），报送文件不应包含。", places
    missing = [n for n in expected if n not in actual]
    if missing:
        return f"缺少部件 {missing[0]}（{PART_MEANINGS.get(missing[0], '报送文件的组成部分')}）。", places
    for name in expected:
        if expected[name] != actual[name]:
            if cells:
                return f"单元格内容或格式与校验时不同（{len(cells)} 处，首处 {cells[0]}）。", places
            if props and name == CUSTOM_PROPS:
                return f"自定义文档属性与校验时不同（{len(props)} 处，首处 {props[0]}）。", places
            sheets = _sheet_names(expected)
            what = f"工作表“{sheets[name]}”的设置（隐藏行列、格式、批注或公式）" if name in sheets else \
                PART_MEANINGS.get(name, "报送文件的组成部分")
            return f"部件 {name} 与 gkreport 生成时不同：{what}已被改动。", places
    return "", places


def _property_differences(expected: bytes | None, actual: bytes | None) -> list[str]:
    """Custom document properties whose text differs, is missing or was added (填报人, 联系电话, the digest...)."""
    want, have = parse_custom_properties(expected), parse_custom_properties(actual)
    out = []
    for name in list(want) + [n for n in have if n not in want]:
        if want.get(name) != have.get(name):
            out.append(f"文档属性“{name}”：应为 {_shown(want.get(name))}，现为 {_shown(have.get(name))}")
    return out[:MAX_CELLS_LISTED]


def _guess(name: str) -> str:
    lowered = name.lower()
    for needle, meaning in (("vba", "宏"), ("comment", "批注"), ("externallink", "外部链接"), ("drawing", "图形或批注框"),
                            ("worksheets/", "工作表"), ("printersettings", "打印设置"), ("customxml", "自定义数据")):
        if needle in lowered:
            return meaning
    return "其他内容"


def _sheet_names(parts: dict[str, bytes]) -> dict[str, str]:
    """worksheet part name -> sheet name, through workbook.xml and its relationships."""
    try:
        rels = {r.get("Id"): r.get("Target", "") for r in fromstring(parts[WORKBOOK_RELS])}
        sheets = fromstring(parts["xl/workbook.xml"]).find(f"{_MAIN}sheets")
    except Exception:
        return {}
    out = {}
    for sheet in (sheets if sheets is not None else []):
        target = rels.get(sheet.get(f"{_REL}id"), "")
        part = target.lstrip("/") if target.startswith("/") else "xl/" + target
        out[part] = sheet.get("name", "")
    return out


def _cells(xml: bytes | None) -> dict[str, tuple]:
    """ref -> (shown value, style index, formula) of one worksheet part, as its XML states them."""
    if xml is None:
        return {}
    try:
        root = fromstring(xml)
    except Exception:
        return {}
    out = {}
    for c in root.iter(f"{_MAIN}c"):
        f = c.find(f"{_MAIN}f")
        v = c.find(f"{_MAIN}v")
        text = "".join(t.text or "" for t in c.iter(f"{_MAIN}t")) if c.get("t") == "inlineStr" else \
            (v.text if v is not None else None)
        out[c.get("r", "")] = (text, c.get("s", "0"), None if f is None else (f.text or ""))
    return out


def _cell_differences(expected: dict[str, bytes], actual: dict[str, bytes]) -> list[str]:
    """Cells of the expected sheets whose value, format or formula differ in the file (sheets matched by name)."""
    out = []
    mine, theirs = _sheet_names(expected), {v: k for k, v in _sheet_names(actual).items()}
    for part, name in mine.items():
        want, have = _cells(expected.get(part)), _cells(actual.get(theirs.get(name, part)))
        for ref in list(want) + [r for r in have if r not in want]:
            a, b = want.get(ref, (None, "0", None)), have.get(ref, (None, "0", None))
            if a == b:
                continue
            if a[0] != b[0]:
                why = f"应为 {_shown(a[0])}，现为 {_shown(b[0])}"
            elif a[2] != b[2]:
                why = f"含公式 ={_shown(b[2])}"
            else:
                why = "格式（数字格式、字体或填充）已改"
            out.append(f"{name}!{ref}：{why}")
            if len(out) >= MAX_CELLS_LISTED:
                return out
    return out


def _shown(text: str | None) -> str:
    return "（空）" if text in (None, "") else f"“{shorten(text, 20)}”"
