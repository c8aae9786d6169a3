"""Catalogue of every finding code: severity, Chinese title and message templates."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from addin.findings import Finding


@dataclass(frozen=True)
class Entry:
    code: str
    severity: str
    title: str
    templates: Mapping[str, str]
    group: str


def _e(code, severity, group, title, **templates) -> Entry:
    return Entry(code, severity, title, templates, group)


_ENTRIES = [
    # -- the file itself ----------------------------------------------------------------------
    _e("FILE-01", "error", "文件", "文件无法打开",
       default="无法打开文件：{reason}。"),
    _e("FILE-02", "error", "文件", "不支持的文件类型",
       default="不支持的文件类型（{kind}）。请将报告另存为 Excel 工作簿（.xlsx）后再校验。"),
    _e("FILE-03", "error", "文件", "文件已加密",
       default="文件设有打开密码（已加密），无法读取。请取消密码后另存为 .xlsx 再校验。"),
    _e("FILE-04", "error", "文件", "文件已损坏",
       default="文件已损坏或不是有效的 Excel 工作簿：{reason}。请用 Excel 或 WPS 打开后重新保存。"),
    _e("FILE-05", "error", "文件", "文件超出安全限制",
       default="文件超出安全限制：{reason}。为防止恶意文件，已停止读取。"),
    _e("FILE-06", "info", "文件", "工作簿含宏",
       default="工作簿含有宏（VBA 项目）。gkreport 只读取数据，不会运行宏；报送时请使用不含宏的 .xlsx 文件。"),
    _e("FILE-07", "warning", "文件", "工作簿含外部链接",
       default="工作簿引用了其他文件（外部链接 {detail}）。报送文件不应依赖外部文件，请将链接转换为数值。"),
    _e("FILE-08", "error", "文件", "校验超时",
       default="文件在 {seconds} 秒内未能校验完毕，已跳过。请检查文件是否异常庞大或损坏。"),
    _e("FILE-09", "error", "文件", "校验程序异常",
       default="校验此文件时程序意外中止（{reason}）。其他文件不受影响，请将此文件反馈给技术支持。"),
    _e("FILE-10", "warning", "文件", "工作表范围过大，只读取了一部分",
       default="工作表“{sheet}”的内容延伸到第 {rows} 行、第 {cols} 列，超出读取范围；只读取了前 {max_rows} 行、前 {max_cols} 列。请删除表格以外的多余内容。"),
    _e("FILE-11", "info", "文件", "文件是网页格式",
       default="文件（扩展名 {suffix}）实际上是网页（HTML）格式，已按网页中的段落和表格读取。报送时请另存为 Excel 工作簿（.xlsx）。"),
    _e("FILE-12", "info", "文件", "文件是纯文本",
       default="文件是从 Word 导出的纯文本（{suffix}），已按其中的段落和以制表符分隔的表格读取；合并单元格已丢失，请以原始报告核对。"),
    _e("FILE-13", "info", "文件", "文件是 Word 文档",
       default="文件（扩展名 {suffix}）是 Word 文档，已按其中的段落和表格读取。报送时请使用 Excel 报告工作簿（.xlsx）。"),
    _e("OUT-01", "warning", "文件", "标注副本未能生成",
       default="未能生成标注副本：{reason}。校验结果不受影响。"),
    # -- cover and workbook structure -------------------------------------------------------------
    _e("COV-01", "error", "封面", "缺少单位名称",
       default="未找到单位名称：请在“单位名称”右侧的单元格中填写本单位全称。"),
    _e("COV-02", "error", "封面", "报告年度缺失或无效",
       missing="未找到报告年度：请在“报告年度”右侧的单元格中填写四位年份（如 2025）。",
       invalid="报告年度“{raw}”不是有效的四位年份。"),
    _e("STR-02", "warning", "正文", "标题不是法定名称",
       default="标题“{raw}”不是法定名称，应为“{expected}”（《条例》称“政府信息公开工作年度报告”）。"),
    _e("STR-03", "error", "正文", "一级标题缺失或编号不规范",
       default="报告缺少一级标题“{heading}”（官方格式共六部分：一、总体情况……六、其他需要报告的事项）。",
       numbering="标题写作“{raw}”，编号不规范，应为“{heading}”。"),
    _e("STR-04", "error", "结构", "表格格式与报告年度不符",
       wrong="{year}年度报告应使用{expected_name}（{expected_notice}）的表格，但工作簿中的表格属于{actual_name}（{actual_notice}）。",
       mixed="工作簿同时含有两种格式版本的表格标签（{versions}），新旧表格混用。",
       unsupported="报告年度 {year} 不在本工具支持的范围内（支持 {supported}）。",
       unknown="未能在工作簿中识别出任何一版官方表格（表二、表三、表四），无法判断格式版本。"),
    _e("STR-05", "error", "正文", "总体情况沿用旧条例的报告提纲",
       default="“一、总体情况”的内容含有“{phrase}”，沿用了 2008 年旧条例第三十二条的六方面提纲。2019 年起应按新条例第五十条和官方格式撰写总体情况。"),
    _e("STR-06", "error", "结构", "表二结构与官方格式不符",
       missing_table="未找到{table}（应含“{anchor}”等标签）。",
       missing_block="{table}缺少“{anchor}”部分。",
       missing_row="{table}缺少“{label}”行。",
       missing_column="{table}缺少“{label}”列。",
       missing_label="{table}表头缺少“{label}”。",
       extra_row="{table}含有官方格式之外的行“{label}”，该行不参与校验。",
       prefix="{table}标题写作“{raw}”（带条例名称前缀），可以接受。"),
    _e("STR-07", "error", "结构", "表三结构与官方格式不符",
       missing_table="未找到{table}（应含“{anchor}”等标签）。",
       missing_row="{table}缺少“{label}”行（或行的顺序与官方格式不符）。",
       missing_column="{table}缺少“{label}”列。",
       missing_label="{table}表头缺少“{label}”。",
       note="{table}左上角的勾稽关系说明缺失或被改动：应为“{label}”。",
       extra_row="{table}含有官方格式之外的行“{label}”，该行不参与校验。"),
    _e("STR-08", "warning", "结构", "数据行超出表头范围",
       sequence="{table}的数字与表头各列没有对齐（常见于从 Word 复制、丢失了合并单元格的表格），已按每行标签之后的顺序从左到右读取 {n} 个数，请核对。",
       default="{table}“{label}”行在表头之外的单元格 {extra} 中还有内容，无法确定对齐方式，请删除多余内容。"),
    _e("STR-09", "warning", "结构", "自行增加的小计",
       added="{table}自行增加了小计“{label}”（官方格式没有此项），该小计不参与报送。",
       mismatch="{table}小计“{label}”应等于其各分项之和 {expected}，实际填写 {actual}。"),
    _e("STR-10", "error", "结构", "表四结构与官方格式不符",
       missing_table="未找到{table}（应含“{anchor}”等标签）。",
       missing_column="{table}缺少“{label}”列。",
       missing_label="{table}表头缺少“{label}”。",
       missing_row="{table}表头下方没有数据行。"),
    _e("TXT-01", "error", "正文", "统计期限与报告年度不符",
       default="统计期限所写年度与报告年度 {year} 年不符（“{excerpt}…”），请核实是否沿用了其他年度的报告。"),
    _e("TXT-02", "warning", "正文", "计划写成了本年度",
       default="年度报告中对今后工作的安排写成了 {year} 年（“{excerpt}…”），应为 {next_year} 年，请核实。"),
    _e("TXT-03", "error", "正文", "未说明信息处理费收取情况",
       default="“六、其他需要报告的事项”没有说明信息处理费的收取情况（如“本年度未收取信息处理费”）。2021 版格式要求报告此项。"),
    _e("T3-05", "warning", "正文与表格", "有因逾期未缴费不再处理的申请，正文未说明收费情况",
       default="表三“2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请”的总计为 {count}，"
               "说明本年度发出过收费通知，但“六、其他需要报告的事项”没有提到信息处理费或收费通知，请补充说明收费情况。"),
    _e("TXT-04", "error", "正文", "其他需要报告的事项为空",
       default="“六、其他需要报告的事项”没有填写内容。没有其他事项时也应写明（如“无”），2021 版格式还须说明信息处理费收取情况。"),
    _e("TXT-05", "warning", "正文", "未写改进措施",
       empty="“五、存在的主要问题及改进情况”没有填写内容。",
       default="“五、存在的主要问题及改进情况”只写了问题，没有看到改进措施（如“改进”“下一步”“措施”），请补充。"),
    _e("TXT-06", "warning", "正文", "总体情况缺少应写的方面",
       default="“一、总体情况”没有写到：{missing}（官方格式要求总体情况包括主动公开、依申请公开、政府信息管理、政府信息公开平台建设、监督保障等方面）。"),
    _e("TXT-07", "warning", "正文", "正文用语与单位层级不符",
       default="单位“{unit}”属{level}，正文却写有“{word}”（“{excerpt}…”），请核实是否沿用了其他单位的报告。"),
    _e("TXT-08", "warning", "正文", "同一事项写了两处且说法不同",
       default="“一、总体情况”中的“{item}”与“{other}”都写了{name}，内容却不相同（“{excerpt}”与“{other_excerpt}”），请核实并统一。",
       none="“一、总体情况”中的“{item}”写有内容（“{excerpt}”），而“{other}”写的是“{other_excerpt}”，两处说法矛盾。"),
    _e("TXT-09", "error", "正文", "引用了已失效的旧条例条款",
       default="正文引用了旧条例关于年度报告的条款或提纲（“{excerpt}…”）。2019 年修订的《条例》中，年度报告的内容见第五十条、"
               "公布时限见第四十九条，“收费及减免”也不再是年度报告的单列事项，请按新条例改写。"),
    _e("TXT-10", "info", "正文", "没有统计期限说明",
       default="正文中没有统计期限的说明（如“本报告中所列数据的统计期限自{year}年1月1日起至{year}年12月31日止”）。"),
    _e("TT-01", "error", "正文与表格", "正文与表二的规范性文件数量不一致",
       default="正文写有“{quote}”，而{where}填写的是 {actual}，两者不一致。",
       blank="正文写有“{quote}”，而{where}为空，正文与表格矛盾。"),
    _e("TT-02", "warning", "正文与表格", "正文所述收到的申请数与表三不一致",
       default="正文写有“{quote}”，而表三“一、本年新收政府信息公开申请数量”的总计为 {actual}，两者不一致（如正文数字含上年结转，请注明）。",
       blank="正文写有“{quote}”，而表三“一、本年新收政府信息公开申请数量”的总计为空，正文与表格矛盾。"),
    _e("TT-03", "error", "正文与表格", "正文称未收到申请而表三有申请",
       default="正文写有“{quote}”，而表三“一、本年新收政府信息公开申请数量”的总计为 {actual}，两者矛盾。"),
    _e("TT-04", "warning", "正文与表格", "正文所述办结数与表三不一致",
       default="正文写有“{quote}”，而表三“三、本年度办理结果”的总计为 {actual}，两者不一致。",
       blank="正文写有“{quote}”，而表三“三、本年度办理结果”的总计为空，正文与表格矛盾。"),
    _e("TT-05", "warning", "正文与表格", "正文所述结转数与表三不一致",
       default="正文写有“{quote}”，而表三“四、结转下年度继续办理”的总计为 {actual}，两者不一致。",
       blank="正文写有“{quote}”，而表三“四、结转下年度继续办理”的总计为空，正文与表格矛盾。"),
    _e("TT-06", "error", "正文与表格", "正文与表四的复议、诉讼数量不一致",
       default="正文写有“{quote}”，而表四中相应的总计为 {actual}，两者不一致。",
       blank="正文写有“{quote}”，而表四相应的总计为空，正文与表格矛盾。"),
    _e("TT-07", "warning", "正文与表格", "正文所述办理结果分类数与表三不一致",
       default="正文写有“{quote}”，而表三相应办理结果各行的总计之和为 {actual}，两者不一致。",
       blank="正文写有“{quote}”，而表三相应办理结果各行的总计为空，正文与表格矛盾。"),
    _e("TT-08", "warning", "正文与表格", "正文所述行政许可、处罚、强制或收费数与表二不一致",
       default="正文写有“{quote}”，而{where}填写的是 {actual}，两者不一致。",
       blank="正文写有“{quote}”，而{where}为空，正文与表格矛盾。"),
    _e("WB-01", "warning", "结构", "表格位于隐藏工作表",
       default="{table}位于隐藏的工作表“{sheet}”中。请取消隐藏，确认其内容是本单位的正式报告。"),
    _e("WB-02", "warning", "结构", "表格重复出现",
       default="{table}在工作簿中出现了不止一次（另见工作表“{other}”），只校验第一处。"),
    _e("FML-01", "error", "公式", "公式没有计算结果",
       default="{where}是公式“{formula}”，但文件中没有保存计算结果。请在 Excel/WPS 中打开、重新计算并保存，或改为填写数值。"),
    _e("FML-02", "error", "公式", "公式计算出错",
       default="{where}的公式结果是错误值 {raw}。"),
    # -- normalisation notices -------------------------------------------------------------------
    _e("NORM-04", "info", "正文", "文字提取残留标记",
       default="“{raw}”含有文字提取残留的书签标记（如 [bookmark: _GoBack]），已忽略。"),
    _e("NORM-06", "info", "数值", "数字含千位分隔符",
       default="{where}“{raw}”含千位分隔符，已读作 {value}。"),
    _e("NORM-08", "info", "结构", "标签含附加说明",
       default="“{raw}”含官方格式之外的说明文字，已按“{label}”识别。"),
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
    _e("VAL-07", "info", "数值", "数字前后有空格",
       default="{where}“{raw}”的数字前后有空格或不可见字符（{chars}），已读作 {value}。",
       inner="{where}“{raw}”的数字之间有空格，可能是两个数字，请核实后只填写一个数。"),
    _e("VAL-08", "info", "数值", "全角数字",
       default="{where}“{raw}”使用了全角数字，已读作 {value}。"),
    _e("VAL-09", "info", "数值", "数字带单位",
       default="{where}“{raw}”带有单位“{unit}”，已读作 {value}。"),
    # -- arithmetic rules (rules.md §4) ---------------------------------------------------------
    _e("T2-01", "warning", "勾稽", "现行有效件数小于制发减废止",
       default="{where}：现行有效件数 {actual} 小于本年制发件数减本年废止件数（{bound}），请核实。"),
    _e("T2-02", "warning", "勾稽", "现行有效件数小于本年制发件数",
       default="{where}：现行有效件数 {actual} 小于本年制发件数 {bound}，即本年制发的文件在本年内已被废止，请核实。"),
    _e("T2-03", "warning", "勾稽", "无规章制定权的单位填写了规章数",
       default="单位“{unit}”属{level}，没有制定规章的权限，但{where}填写了 {actual}。规章由省、自治区、直辖市和设区的市、自治州人民政府"
               "（及国务院部门）制定，请核实是否把上级规章或本单位的规范性文件计入了“规章”行。"),
    _e("T2-04", "error", "勾稽", "年末项目数量为负",
       default="{where}：上一年项目数量加本年增/减为 {total}，年末项目数量不能为负。"),
    _e("T2-05", "warning", "勾稽", "对外公开总数量小于本年新公开数量",
       default="{where}：对外公开总数量 {actual} 小于本年新公开数量 {bound}，请核实。"),
    _e("T2-06", "warning", "勾稽", "本年新公开数量大于本年新制作数量",
       default="{where}：本年新公开数量 {actual} 大于本年新制作数量 {bound}，请核实（补公开往年文件时可能出现）。"),
    _e("T2-07", "info", "勾稽", "执法部门的处理决定数为 0",
       default="单位“{unit}”属{level}，{where}为 0。处理决定数量应统计本年作出的全部处理决定（包括依法不予公开的），请核实。"),
    _e("T3-01", "error", "勾稽", "表三第一项加第二项不等于第三项加第四项",
       default="{where}：一、本年新收 + 二、上年结转 = {lhs}，而（七）总计 + 四、结转下年度 = {rhs}，两者应相等。"),
    _e("T3-02", "error", "勾稽", "表三（七）总计不等于各办理结果之和",
       default="{where}：（七）总计应等于（一）至（六）各项办理结果之和 {expected}，实际填写 {actual}。"),
    _e("T3-03", "error", "勾稽", "表三总计列不等于各申请人列之和",
       default="{where}：总计应等于自然人与法人或其他组织各列之和 {expected}，实际填写 {actual}。"),
    _e("T3-04", "error", "勾稽", "表三总计列有误（只在总计列不平）",
       default="{where}：总计应为本行各申请人列之和 {expected}，实际填写 {actual}；表三各项勾稽关系只在总计列不成立，均由此引起。"),
    _e("T4-01", "error", "勾稽", "行政复议总计不等于各项之和",
       default="{where}：行政复议总计应等于结果维持、结果纠正、其他结果、尚未审结之和 {expected}，实际填写 {actual}。"),
    _e("T4-02", "error", "勾稽", "未经复议直接起诉总计不等于各项之和",
       default="{where}：未经复议直接起诉的总计应等于各项之和 {expected}，实际填写 {actual}。"),
    _e("T4-03", "error", "勾稽", "复议后起诉总计不等于各项之和",
       default="{where}：复议后起诉的总计应等于各项之和 {expected}，实际填写 {actual}。"),
]

_ENTRIES += [
    # -- cross-year rules (rules.md §5): this year's report against last year's -----------------------
    _e("XY-01", "error", "跨年", "上年结转与上年报告的结转下年度不一致",
       default="{where}：本年“二、上年结转政府信息公开申请数量”为 {actual}，而{prev_year}年度报告“四、结转下年度继续办理”为 {expected}，两者应相等。"),
    _e("XY-02", "warning", "跨年", "现行有效件数与上年不衔接",
       default="{where}：现行有效件数 {actual}，而{prev_year}年度的现行有效件数加本年制发、减本年废止为 {expected}，请核实。"),
    _e("XY-03", "warning", "跨年", "上一年项目数量与上年报告不衔接",
       default="{where}：上一年项目数量 {actual}，而{prev_year}年度报告的上一年项目数量加本年增/减为 {expected}，请核实。"),
    _e("XY-04", "warning", "跨年", "对外公开总数量与上年不衔接",
       default="{where}：对外公开总数量 {actual}，而{prev_year}年度的对外公开总数量加本年新公开数量为 {expected}，请核实（如有撤回的文件请说明）。"),
    _e("XY-05", "info", "跨年", "表二与上年报告不可直接对比",
       default="本报告使用 2021 版格式，{prev_year}年度报告使用 2019 版格式：表二的栏目及含义已变化，两年的表二数据不能直接对比。"),
    _e("XY-06", "warning", "跨年", "与上年报告内容雷同",
       tables="表二至表四与{prev_year}年度报告完全相同（其中 {n} 项不为零），请核实是否沿用了上年数据。",
       text="正文（{sections}）与{prev_year}年度报告约 {share}% 相同，请核实是否照搬了上年报告（内容雷同）。"),
    _e("XY-07", "warning", "跨年", "存在的问题及改进情况照搬上年",
       default="“{sections}”与{prev_year}年度报告约 {share}% 相同：存在的问题和改进措施应结合本年度逐项说明。"),
    _e("XY-10", "info", "跨年", "未找到上年报告",
       default="未找到本单位{prev_year}年度的报告，跨年度核对（XY-01 等）未进行。"),
]

CATALOGUE: dict[str, Entry] = {entry.code: entry for entry in _ENTRIES}


class _Blank(dict):
    """Leave unknown placeholders visible instead of failing: a message is never lost."""

    def __missing__(self, key):
        return "{" + key + "}"


def make(code: str, variant: str = "default", *, severity: str | None = None, pointer=None,
         sheet=None, cell=None, expected=None, actual=None, **fields) -> Finding:
    """Build a Finding from the catalogue entry `code`, filling the chosen message template."""
    entry = CATALOGUE[code]
    template = entry.templates.get(variant) or next(iter(entry.templates.values()))
    message = template.format_map(_Blank({"sheet": sheet or "", **fields}, expected=_fmt(expected), actual=_fmt(actual)))
    return Finding(code=code, severity=severity or entry.severity, message=message, pointer=pointer,
                   sheet=sheet, cell=cell, expected=expected, actual=actual)


def shorten(text: str, limit: int = 160) -> str:
    """Text quoted in a message: whitespace runs made single spaces, cut at `limit` characters with "…"."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit] + "…"


def _fmt(value) -> str:
    return "" if value is None else str(value)


def legend_rows(codes) -> list[tuple[str, str, str]]:
    """(code, severity, title) for the given codes, in catalogue order, for legends and docs."""
    wanted = set(codes)
    return [(e.code, e.severity, e.title) for e in _ENTRIES if e.code in wanted]


def markdown_table() -> str:
    """The catalogue as a Markdown table (docs/findings.md is generated from this)."""
    from addin.findings import SEVERITY_ZH

    lines = ["| 代码 | 默认级别 | 类别 | 说明 |", "|---|---|---|---|"]
    lines += [f"| {e.code} | {SEVERITY_ZH[e.severity]} | {e.group} | {e.title} |" for e in _ENTRIES]
    return "\n".join(lines) + "\n"
