"""Catalogue of finding codes: the engine's own codes here, the rules' codes merged from schema/<version>/findings.json."""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import Iterator, Mapping

from addin.findings import KIND_ZH, KINDS, READING, REPORT, SEVERITY_ZH, Finding
from addin.formats import FormatDef, available_formats


@dataclass(frozen=True)
class Entry:
    code: str
    severity: str
    title: str
    templates: Mapping[str, str]
    group: str
    kind: str = REPORT      # findings.KINDS: a defect of the report, or a doubt of the reading
    kinds: Mapping[str, str] = field(default_factory=dict)   # variant -> kind, where a variant differs

    def kind_of(self, variant: str | None = None) -> str:
        return self.kinds.get(variant, self.kind) if variant else self.kind


def _e(code, severity, group, title, kind=REPORT, kinds=None, **templates) -> Entry:
    return Entry(code, severity, title, templates, group, kind, kinds or {})


# the messages the three table-structure codes (STR-06 表二, STR-07 表三, STR-10 表四) share, in their order
_TABLE_FOUND = dict(
    missing_table="未找到{table}（应含“{anchor}”等标签）。",
    not_found="文件中未找到{table}（应含“{anchor}”等标签）：该表可能以图片发布、未发布或未能识别，其中的数字未校验，也未与正文比较。请以原件核对。")
_TABLE_PARTS = dict(
    missing_column="{table}缺少“{label}”列。",
    missing_label="{table}表头缺少“{label}”。")
_TABLE_ROWS = dict(
    extra_row="{table}含有官方格式之外的行“{label}”，该行不参与校验。",
    unplaced_row="{table}中的“{label}”行无法对应到官方格式的任何一行，该行的数字未参与校验，请以原件核对。")
_TABLE_DOUBTS = {"not_found": READING, "unplaced_row": READING}   # the tool's doubts, not the report's defects

_ENTRIES = [
    # -- the file itself ----------------------------------------------------------------------
    _e("FILE-01", "error", "文件", "文件无法打开", kind=READING,
       default="无法打开文件：{reason}。"),
    _e("FILE-02", "error", "文件", "不支持的文件类型",
       default="不支持的文件类型（{kind}）。请将报告另存为 Excel 工作簿（.xlsx）后再校验。"),
    _e("FILE-03", "error", "文件", "文件已加密",
       default="文件设有打开密码（已加密），无法读取。请取消密码后另存为 .xlsx 再校验。",
       pdf="PDF 文件设有打开密码（已加密），无法读取。请提供未加密的 PDF，或 Word、网页、Excel 版本。"),
    _e("FILE-04", "error", "文件", "文件已损坏", kinds={"pdf_page": READING},
       default="文件已损坏或不是有效的 Excel 工作簿：{reason}。请用 Excel 或 WPS 打开后重新保存。",
       pdf="PDF 文件已损坏，无法读取：{reason}。请重新导出 PDF，或提供 Word、网页或 Excel 版本。",
       pdf_page="PDF 第 {page} 页无法读取（{reason}），该页内容未校验。",
       document="文件已损坏，无法读取：{reason}。请用原来的程序重新保存或导出后再校验。"),
    _e("FILE-05", "error", "文件", "文件超出安全限制",
       default="文件超出安全限制：{reason}。为防止恶意文件，已停止读取。"),
    _e("FILE-06", "info", "文件", "工作簿含宏",
       default="工作簿含有宏（VBA 项目）。gkreport 只读取数据，不会运行宏；报送时请使用不含宏的 .xlsx 文件。"),
    _e("FILE-07", "warning", "文件", "工作簿含外部链接",
       default="工作簿引用了其他文件（外部链接 {detail}）。报送文件不应依赖外部文件，请将链接转换为数值。"),
    _e("FILE-08", "error", "文件", "校验超时", kind=READING,
       default="文件在 {seconds} 秒内未能校验完毕，已跳过。请检查文件是否异常庞大或损坏。"),
    _e("FILE-09", "error", "文件", "校验程序异常", kind=READING,
       default="校验此文件时程序意外中止（{reason}）。其他文件不受影响，请将此文件反馈给技术支持。"),
    _e("FILE-10", "warning", "文件", "工作表范围过大，只读取了一部分", kind=READING,
       default="工作表“{sheet}”的内容延伸到第 {rows} 行、第 {cols} 列，超出读取范围；只读取了前 {max_rows} 行、前 {max_cols} 列。请删除表格以外的多余内容。"),
    _e("FILE-11", "info", "文件", "文件是网页格式", kind=READING,
       default="文件（扩展名 {suffix}）实际上是网页（HTML）格式，已按网页中的段落和表格读取。报送时请另存为 Excel 工作簿（.xlsx）。"),
    _e("FILE-12", "info", "文件", "文件是纯文本", kind=READING,
       default="文件是从 Word 导出的纯文本（{suffix}），已按其中的段落和以制表符分隔的表格读取；合并单元格已丢失，请以原始报告核对。"),
    _e("FILE-13", "info", "文件", "文件是 Word 文档", kind=READING,
       default="文件（扩展名 {suffix}）是 Word 文档，已按其中的段落和表格读取。报送时请使用 Excel 报告工作簿（.xlsx）。"),
    _e("FILE-14", "error", "文件", "PDF 中没有可提取的文字", kind=READING,
       scanned="扫描件，无法提取文字：PDF 的页面是图片，没有文字层，无法校验。请提供原始 Word、网页或 Excel 版本，或可复制文字的 PDF。",
       empty="PDF 中没有可提取的文字，无法校验。请提供原始 Word、网页或 Excel 版本。",
       pages="第 {pages} 页是图片（扫描件），无法提取文字，其中的正文和表格未能读取；以图片发布的表格会被报告为缺失，请以原件核对。"),
    _e("FILE-15", "info", "文件", "文件是 PDF", kind=READING,
       default="文件是 PDF，已按页面上的文字和带框线的表格读取；位置以页码和表格行列表示，请以原件核对。"),
    _e("FILE-16", "warning", "文件", "PDF 只读取了一部分", kind=READING,
       default="PDF 共 {pages} 页，超出读取限制，只读取了前 {read} 页；其余内容未校验。"),
    _e("FILE-17", "info", "文件", "扩展名与工作簿格式不符", kind=READING,
       default="文件扩展名是 {suffix}，内容却是{container}，已按其内容读取。报送时请另存为扩展名与内容一致的 Excel 工作簿（.xlsx）。",
       wps="文件扩展名是 .et，内容却是{container}：较新版本的 WPS 表格会这样保存 .et 文件。已按其内容读取；报送时请另存为 Excel 工作簿（.xlsx）。"),
    _e("OUT-01", "warning", "文件", "标注副本未能生成", kind=READING,
       default="未能生成标注副本：{reason}。校验结果不受影响。"),
    # -- cover and workbook structure -------------------------------------------------------------
    _e("COV-01", "error", "封面", "缺少单位名称", kinds={"document": READING},
       default="未找到单位名称：请在“单位名称”右侧的单元格中填写本单位全称。",
       document="未能在报告中识别出单位名称（标题、正文开头和落款中都没有找到）：可能是报告没有写明，也可能是工具未能识别，请以原件核对。"),
    _e("COV-02", "error", "封面", "报告年度缺失或无效", kinds={"missing_document": READING},
       missing="未找到报告年度：请在“报告年度”右侧的单元格中填写四位年份（如 2025）。",
       missing_document="未能在报告中识别出报告年度（标题、正文开头和统计期限中都没有找到）：可能是报告没有写明，也可能是工具未能识别，"
                        "请以原件核对；需要年度的检查未进行。",
       invalid="报告年度“{raw}”不是有效的四位年份。"),
    _e("COV-05", "error", "封面", "报告年度与标题年度不一致",
       default="封面填写的报告年度是 {year} 年，而报告标题写的是 {title_year} 年。请核实并改正报告年度（或标题）；"
               "正文和表格按标题的 {title_year} 年核对。"),
    _e("COV-03", "info", "封面", "单位名称或报告年度取自正文", kind=READING,
       both="报告没有按规范格式写明单位名称和报告年度：单位“{unit}”取自{unit_source}，年度 {year} 取自{year_source}，请核对。",
       unit="报告没有按规范格式写明单位名称：单位“{unit}”取自{unit_source}，请核对。",
       year="报告没有按规范格式写明报告年度：年度 {year} 取自{year_source}，请核对。"),
    _e("COV-04", "warning", "封面", "落款单位与报告单位不一致",
       default="报告落款单位“{signer}”与报告单位“{unit}”不一致，请核实是否沿用了其他单位的报告。"),
    # the cover's optional fields (not official): a doubtful value is only ever an info finding
    _e("COV-06", "info", "封面", "联系电话格式不规范",
       default="联系电话“{raw}”不像电话号码：请只填写数字、“-”、空格、括号和分机号（如 0451-12345678 转 8001），"
               "多个号码用顿号分隔。此项为选填，不影响校验结论。"),
    _e("COV-07", "info", "封面", "报送日期不是日期",
       default="报送日期“{raw}”不是日期：请填写如 2026-01-15 或 2026年1月15日。此项为选填，不影响校验结论。"),
    _e("STR-02", "warning", "正文", "标题不是法定名称",
       default="标题“{raw}”不是法定名称，应为“{expected}”（《条例》称“政府信息公开工作年度报告”）。"),
    _e("STR-03", "error", "正文", "一级标题缺失或编号不规范",
       default="报告缺少一级标题“{heading}”（官方格式共六部分：一、总体情况……六、其他需要报告的事项）。",
       numbering="标题写作“{raw}”，编号不规范，应为“{heading}”。",
       outline="报告的一级标题与官方格式（一、总体情况……六、其他需要报告的事项）不一致：{details}。请按官方格式的六个部分编排。"),
    _e("STR-04", "error", "结构", "表格格式与报告年度不符", kinds={"unknown_document": READING},
       wrong="{year}年度报告应使用{expected_name}（{expected_notice}）的表格，但工作簿中的表格属于{actual_name}（{actual_notice}）。",
       mixed="工作簿同时含有两种格式版本的表格标签（{versions}），新旧表格混用。",
       row="{table}中的“{raw}”是另一版格式（{other_notice}）的一行，本报告所用格式（{notice}）把它分为{rows}，新旧表格混用。该行的数字（{numbers}）无法分到各行，未参与核对，请按{notice}的格式填报。",
       unsupported="报告年度 {year} 不在本工具支持的范围内（支持 {supported}）。",
       unknown="未能在工作簿中识别出任何一版官方表格（表二、表三、表四），无法判断格式版本。",
       unknown_document="未能在文件中识别出任何一版官方表格（表二、表三、表四）：表格可能以图片发布、未发布或未能识别，"
                        "无法判断格式版本，表格未校验。请以原件核对。"),
    _e("STR-06", "error", "结构", "表二结构与官方格式不符", kinds=_TABLE_DOUBTS,
       **_TABLE_FOUND,
       missing_block="{table}缺少“{anchor}”部分。",
       missing_row="{table}缺少“{label}”行。",
       **_TABLE_PARTS, **_TABLE_ROWS,
       prefix="{table}标题写作“{raw}”（带条例名称前缀），可以接受。"),
    _e("STR-07", "error", "结构", "表三结构与官方格式不符", kinds=_TABLE_DOUBTS,
       **_TABLE_FOUND,
       missing_row="{table}缺少“{label}”行（或行的顺序与官方格式不符）。",
       **_TABLE_PARTS,
       note="{table}左上角的勾稽关系说明缺失或被改动：应为“{label}”。",
       **_TABLE_ROWS),
    _e("STR-08", "warning", "结构", "数据行超出表头范围", kinds={"sequence": READING},
       sequence="{table}的数字与表头各列没有对齐（常见于从 Word 复制、丢失了合并单元格的表格），已按每行标签之后的顺序从左到右读取 {n} 个数，请核对。",
       default="{table}“{label}”行在表头之外的单元格 {extra} 中还有内容，无法确定对齐方式，请删除多余内容。"),
    _e("STR-09", "warning", "结构", "自行增加的小计",
       added="{table}自行增加了小计“{label}”（官方格式没有此项），该小计不参与报送。",
       mismatch="{table}小计“{label}”应等于其各分项之和 {expected}，实际填写 {actual}。"),
    _e("STR-10", "error", "结构", "表四结构与官方格式不符", kinds={"not_found": READING},
       **_TABLE_FOUND, **_TABLE_PARTS,
       missing_row="{table}表头下方没有数据行。"),
    _e("WB-01", "warning", "结构", "表格位于隐藏工作表",
       default="{table}位于隐藏的工作表“{sheet}”中。请取消隐藏，确认其内容是本单位的正式报告。"),
    _e("WB-02", "warning", "结构", "表格重复出现",
       default="{table}在工作簿中出现了不止一次（另见工作表“{other}”），只校验第一处。"),
    _e("WB-03", "info", "正文", "正文单元格文字过长，无法完整显示和打印",
       default="“{heading}”下的这个单元格有 {length} 个字，超过一行所能显示的长度（Excel 的行高最多 409 磅），"
               "屏幕上和打印时都会被截去一部分。请每段写一行（在下方插入行），过长的段落分成几段。"),
    _e("FML-01", "error", "公式", "公式没有计算结果", kind=READING,
       default="{where}是公式“{formula}”，但文件中没有保存计算结果。请在 Excel/WPS 中打开、重新计算并保存，或改为填写数值。"),
    _e("FML-02", "error", "公式", "公式计算出错",
       default="{where}的公式结果是错误值 {raw}。"),
    # -- normalisation notices -------------------------------------------------------------------
    _e("NORM-04", "info", "正文", "文字提取残留标记", kind=READING,
       default="“{raw}”含有文字提取残留的书签标记（如 [bookmark: _GoBack]），已忽略。"),
    _e("NORM-06", "info", "数值", "数字含千位分隔符",
       default="{where}“{raw}”含千位分隔符，已读作 {value}。"),
    _e("NORM-08", "info", "结构", "标签含附加说明", kind=READING,
       default="“{raw}”含官方格式之外的说明文字，已按“{label}”识别。"),
    _e("NORM-09", "info", "结构", "标签与官方格式略有不同", kind=READING,
       default="{table}中的“{raw}”与官方格式的“{label}”略有不同（多字、少字或错字），已按“{label}”读取该{what}的数字，请按官方格式改正。"),
    # -- value rules (rules.md §2) -------------------------------------------------------------------
    _e("VAL-01", "error", "数值", "数据单元格为空",
       default="{where}为空{raw_note}。没有数据时应填写 0。",
       lenient="{where}为空{raw_note}，已按 0 处理（宽松模式）。正式报送前请填写 0。"),
    _e("VAL-02", "error", "数值", "以占位符代替数字",
       default="{where}填写的是“{raw}”而不是数字。没有数据时应填写 0。",
       lenient="{where}填写的是“{raw}”，已按 0 处理（宽松模式）。正式报送前请填写 0。"),
    _e("VAL-03", "error", "数值", "件数应为非负整数",
       default="{where}应为非负整数，实际为“{raw}”。"),
    _e("VAL-04", "error", "数值", "本年增/减应为整数",
       default="{where}应为整数（减少用负数表示，如 -8），实际为“{raw}”。",
       plus="{where}写作“{raw}”，正号可以省略，已读作 {value}。"),
    _e("VAL-05", "error", "数值", "收费金额（万元）有误",
       default="{where}应为以万元为单位的非负数，实际为“{raw}”。",
       wrong_unit="{where}“{raw}”的单位“{unit}”与表头的“万元”不符，请换算为万元后填写数字。",
       unit_repeated="{where}“{raw}”重复写了单位“万元”，已读作 {value}。",
       precision="{where}“{raw}”的小数超过 4 位（万元以下到 0.0001 万元即 1 元），请核实。"),
    _e("VAL-06", "error", "数值", "采购总金额有误",
       default="{where}应为非负数，实际为“{raw}”。",
       unit_unknown="{where}为 {value}，但表格和单元格都没有写明单位（元还是万元），请注明。",
       unit_recorded="{where}“{raw}”写明了单位“{unit}”，已记录。"),
    _e("VAL-07", "info", "数值", "数字前后有空格", kinds={"inner": READING},
       default="{where}“{raw}”的数字前后有空格或不可见字符（{chars}），已读作 {value}。",
       inner="{where}“{raw}”的数字之间有空格，可能是两个数字，请核实后只填写一个数。",
       grouped="{table}共有 {count} 个数字前后有空格或不可见字符（{chars}），如 {cells}，均已按数字读取；建议清除这些字符。"),
    _e("VAL-08", "info", "数值", "全角数字",
       default="{where}“{raw}”使用了全角数字，已读作 {value}。"),
    _e("VAL-09", "info", "数值", "数字带单位",
       default="{where}“{raw}”带有单位“{unit}”，已读作 {value}。"),
    # -- cross-year (rules.md §5): raised by the engine when no previous report is given ---------------
    _e("XY-10", "info", "跨年", "未找到上年报告", kind=READING,
       default="未找到本单位{prev_year}年度的报告，跨年度核对（XY-01 等）未进行。"),
]

# The codes the engine raises itself (reading, structure, values, files); the codes raised by the rules
# of a format version (T*, TT*, TXT*, XY-01..07, STR-05) are data beside those rules: findings.json.
ENGINE: dict[str, Entry] = {entry.code: entry for entry in _ENTRIES}


@cache
def entries_of(fmt: FormatDef) -> dict[str, Entry]:
    """The entries of a format version's findings.json (the codes its rules raise)."""
    return {code: Entry(code, d["severity"], d["title"], d["messages"], d["group"], d["kind"], d.get("kinds", {}))
            for code, d in fmt.findings.items()}


@cache
def _merged() -> dict[str, Entry]:
    merged = dict(ENGINE)
    for fmt in available_formats().values():
        for code, entry in entries_of(fmt).items():
            merged.setdefault(code, entry)
    return merged


class _Catalogue(Mapping):
    """Every code: the engine's and those of the bundled format versions (loaded on first use)."""

    def __getitem__(self, code: str) -> Entry:
        return _merged()[code]

    def __iter__(self) -> Iterator[str]:
        return iter(_merged())

    def __len__(self) -> int:
        return len(_merged())


CATALOGUE: Mapping[str, Entry] = _Catalogue()


class _Blank(dict):
    """Leave unknown placeholders visible instead of failing: a message is never lost."""

    def __missing__(self, key):
        return "{" + key + "}"


def make(code: str, variant: str = "default", *, entries: Mapping[str, Entry] | None = None,
         severity: str | None = None, pointer=None, sheet=None, cell=None, expected=None, actual=None,
         **fields) -> Finding:
    """Build a Finding from the entry `code` (of `entries`, a format's own, or the catalogue), filling the
    chosen message template."""
    entry = entries[code] if entries is not None else ENGINE.get(code) or CATALOGUE[code]
    template = entry.templates.get(variant) or next(iter(entry.templates.values()))
    message = tidy_quotes(template.format_map(_Blank({"sheet": sheet or "", **fields}, expected=_fmt(expected),
                                                       actual=_fmt(actual))))
    return Finding(code=code, severity=severity or entry.severity, message=message, pointer=pointer,
                   sheet=sheet, cell=cell, expected=expected, actual=actual, kind=entry.kind_of(variant))


def stored_kind(d: dict) -> str:
    """The kind of a finding in its JSON form; a record written before findings had a kind takes its code's."""
    kind = d.get("kind")
    if kind in KINDS:
        return kind
    entry = CATALOGUE.get(d["code"])
    return entry.kind if entry is not None else REPORT


def finding_from_dict(d: dict) -> Finding:
    """A Finding back from its JSON form (see stored_kind for records without a kind)."""
    kind = stored_kind(d)
    return Finding(code=d["code"], severity=d["severity"], message=d["message"], pointer=d.get("pointer"),
                   sheet=d.get("sheet"), cell=d.get("cell"), expected=d.get("expected"), actual=d.get("actual"), kind=kind)


def tidy_quotes(text: str) -> str:
    """Quotes inside quotes as Chinese writes them: 表三“3.危及‘三安全一稳定’”行, not “…“…””."""
    out, depth = [], 0
    for ch in text:
        if ch == "“":
            out.append("‘" if depth % 2 else "“")
            depth += 1
        elif ch == "”" and depth:
            depth -= 1
            out.append("’" if depth % 2 else "”")
        else:
            out.append(ch)
    return "".join(out)


def shorten(text: str, limit: int = 160) -> str:
    """Text quoted in a message: whitespace runs made single spaces, cut at `limit` characters with "…"."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit] + "…"


def _fmt(value) -> str:
    return "" if value is None else str(value)


def legend_rows(codes) -> list[tuple[str, str, str]]:
    """(code, severity, title) for the given codes, in catalogue order, for legends and docs."""
    wanted = set(codes)
    return [(e.code, e.severity, e.title) for e in CATALOGUE.values() if e.code in wanted]


# The message variants whose kind differs from their code's, in words for the legend (docs/findings.md;
# a document is a web page, Word, text or PDF report, as opposed to a workbook)
VARIANT_ZH = {
    "pdf_page": "PDF 某一页无法读取",
    "document": "文档中未识别出单位名称",
    "missing_document": "文档中未识别出报告年度",
    "unknown_document": "文档中未识别出任何表格",
    "not_found": "文档中未找到该表",
    "unplaced_row": "文档中的行无法对应到官方格式",
    "sequence": "数字与表头未对齐，按顺序读取",
    "inner": "数字之间有空格，可能是两个数",
}


def kind_text(entry: Entry) -> str:
    """The kind of an entry in words: «读取存疑», or «报告问题，读取存疑：…» naming the variants that differ."""
    if not entry.kinds:
        return KIND_ZH[entry.kind]
    parts = [KIND_ZH[entry.kind]]
    for kind in KINDS:
        variants = [VARIANT_ZH.get(v, v) for v, k in entry.kinds.items() if k == kind and k != entry.kind]
        if variants:
            parts.append(f"{KIND_ZH[kind]}：{'；'.join(variants)}")
    return "，".join(parts)


def _severity_text(entry: Entry) -> str:
    """The default severity, with the format versions whose own entry sets another (TXT-06: 提示 on 2019)."""
    others = [f"{fmt.version} 版格式为{SEVERITY_ZH[own.severity]}" for fmt in available_formats().values()
              if (own := entries_of(fmt).get(entry.code)) is not None and own.severity != entry.severity]
    return SEVERITY_ZH[entry.severity] + (f"（{'，'.join(others)}）" if others else "")


def markdown_table() -> str:
    """The merged catalogue as a Markdown table (docs/findings.md is generated from this)."""
    lines = ["| 代码 | 默认级别 | 性质 | 类别 | 说明 |", "|---|---|---|---|---|"]
    lines += [f"| {e.code} | {_severity_text(e)} | {kind_text(e)} | {e.group} | {e.title} |" for e in CATALOGUE.values()]
    return "\n".join(lines) + "\n"
