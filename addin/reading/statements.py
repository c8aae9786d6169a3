"""Where a report states its unit and year outside a cover: its title in any printed form, the paragraphs before
the first section, the statistics period, and the signature at the end."""
from __future__ import annotations

import re
from dataclasses import dataclass

from addin.reading.normalise import norm_label

HEAD_LINES = 12       # paragraphs at the top of a report searched for its title
TAIL_LINES = 8        # paragraphs at the end searched for the signature and date
MAX_UNIT_LEN = 40
_YEAR = r"(?P<year>(?:19|20)\d{2})"
# how a unit's name ends («…镇人民政府», «…司法局», «…街道办事处»)
# (longer endings first: at one place the first alternative that fits wins, «街道办事处» before «街道»)
_UNIT_ENDS = ("人民政府办公室|人民政府办公厅|镇人民政府|乡人民政府|人民政府|街道办事处|办事处|委员会|办公室|办公厅|管委会|"
              "管理委员会|管理处|政府|局|委|厅|署|院|中心|街道|镇|乡|站|所|会")
_NAME = r"(?:政府信息公开|政务公开|信息公开)"
# a title in the forms real reports print (normalised text: no whitespace, NFKC), besides the layout's own
# title_pattern: the year first («2019年上海市人民政府办公厅…»), the year after 工作 («…公开工作2025年度报告»)
TITLE_FORMS = [
    re.compile(rf"^{_YEAR}年度?(?!{_NAME}|政府{_NAME})(?P<unit>.+?){_NAME}工作.{{0,6}}(?:报告|年报)$"),
    re.compile(rf"^(?P<unit>.+?){_NAME}工作{_YEAR}年度?(?:报告|年报)$"),
]
# the first paragraph naming the report: «现公布××2019年政府信息公开工作年度报告», «特编制××…»
_NAMED_RE = re.compile(rf"(?:公布|编制|发布|制作|形成)(?:了|本|的)?《?(?P<unit>[^，。；、,;:：《》“”\"()（）]{{2,{MAX_UNIT_LEN}}}?){_YEAR}年度?{_NAME}工作(?:年度)?(?:报告|年报)")
# «由××编制», «本报告由××按照…编制»
_COMPILED_BY_RE = re.compile(rf"由(?P<unit>[^，。；、,;:：《》“”\"()（）]{{1,{MAX_UNIT_LEN}}}?(?:{_UNIT_ENDS}))(?=按照|根据|依据|负责|编制|[,，])[^。]{{0,120}}?编制")
# the period statement: «统计期限自2023年1月1日起至…», «…2021年1月1日至2021年12月31日期间»
_PERIOD_RE = re.compile(rf"(?:统计|期限|时限|期间|时间|日期|范围|涵盖)[^。]{{0,24}}?{_YEAR}年0?1月0?1日")
# the first sentence of the text: «2022年,东风区司法局认真履行…»
_OPENING_RE = re.compile(rf"^{_YEAR}年度?[,，](?P<unit>[^，。；、,;:：]{{1,{MAX_UNIT_LEN}}}?(?:{_UNIT_ENDS}))")
# a year-only opening: «2020年在区委、区政府的正确领导下…», «2021年以来…»
_OPENING_YEAR_RE = re.compile(rf"^{_YEAR}年度?(?:[,，]|在|以来|全年|我|本)")
# the contact sentence: «请与剑阁县杨村镇人民政府党政办联系» (the sub-office is not the unit)
_CONTACT_RE = re.compile(rf"请与(?P<unit>[^，。；、,;:：《》“”\"()（）]{{1,{MAX_UNIT_LEN}}}?(?:{_UNIT_ENDS}))"
                         r"(?:党政综合办公室|党政办公室|综合办公室|党政办|办公室|信息室|信息科|综合科)?联系")
_DATE_RE = re.compile(r"^(?P<unit>.*?)(?P<year>(?:19|20)\d{2})年\d{1,2}月\d{1,2}日$")
# a unit's name ends so; a sub-office named in a contact sentence is not the unit («…镇人民政府党政办»)
_UNIT_END_RE = re.compile(rf"(?:{_UNIT_ENDS})$")
_LABEL_PREFIX_RE = re.compile(r"^[^:：]{1,6}[:：]")   # «名称:» «标题:» «称:» before a name
_NOT_A_NAME_RE = re.compile(r"^(?:在|按照|根据|依据|围绕|坚持|认真|以|对|为|从|经|结合|我|本|全|各|区委|县委|市委)")
_NOT_A_UNIT_RE = re.compile(r"(?:19|20)\d{2}年|报告|政府信息公开|政务公开")   # a title or a date, not a name
_TRAILING_RE = re.compile(r"(?:关于|的)$")          # «…管理局关于2021年度…»
_LEADING_RE = re.compile(r"^(?:(?:19|20)\d{2}年度?|现|特|本|我|关于)+")


@dataclass(frozen=True)
class Stated:
    """What the report's own text says: the unit, the year, and where each was read (for the message)."""

    unit: str | None = None
    year: int | None = None
    unit_source: str | None = None
    year_source: str | None = None
    unit_at: tuple | None = None     # (sheet index, row, col) of the paragraph the unit was read from
    year_at: tuple | None = None     # and the year
    title_at: tuple | None = None    # where the title is, when it was found in one of the other forms
    signer: str | None = None        # the unit on the signature line at the end
    signer_at: tuple | None = None


def clean_unit(text: str | None) -> str | None:
    """A unit's name without a label before it, a year, or a trailing 关于."""
    if not text:
        return None
    unit = _LABEL_PREFIX_RE.sub("", text)
    unit = _TRAILING_RE.sub("", _LEADING_RE.sub("", unit))
    unit = unit.strip("《》“”\"'()（）,，.。 ")
    if _NOT_A_UNIT_RE.search(unit):
        return None
    return unit if 2 <= len(unit) <= MAX_UNIT_LEN else None


def title_form(text: str):
    """A match of one of the other title forms on a normalised paragraph, or None."""
    for form in TITLE_FORMS:
        m = form.match(text)
        if m:
            return m
    return None


def find(paragraphs: list[tuple[str, tuple]], title_pattern: re.Pattern | None, first_heading: int | None) -> Stated:
    """Unit and year from a report's paragraphs [(normalised text, (sheet index, row, col))] in reading
    order; `first_heading` is the index of the first section heading among them (None: not found)."""
    head = paragraphs[:first_heading if first_heading is not None else HEAD_LINES][:HEAD_LINES]
    unit = year = unit_source = year_source = unit_at = year_at = title_at = None
    # the title in another form, or split over two lines («福建省司法厅» / «2025年政府信息公开工作年度报告»)
    head = [(_LABEL_PREFIX_RE.sub("", text), at) for text, at in head]
    for i, (text, at) in enumerate(head):
        candidates = [(text, "标题", at)]
        if i + 1 < len(head):
            candidates.append((text + head[i + 1][0], "标题（分两行）", at))
        for joined, source, where in candidates:
            m = (title_pattern.match(joined) if title_pattern is not None else None) or title_form(joined)
            if m and (source != "标题" or title_form(joined)):
                unit, year = clean_unit(m.group("unit")), int(m.group("year"))
                unit_source = year_source = source
                unit_at = year_at = title_at = where
                break
        if year is not None:
            break
    preamble = head if first_heading is not None else head[:3]
    opening = paragraphs[first_heading + 1:first_heading + 2] if first_heading is not None else []
    for text, at in preamble:
        m = _NAMED_RE.search(text)
        if m and clean_unit(m.group("unit")):
            if unit is None:
                unit, unit_source, unit_at = clean_unit(m.group("unit")), "首段", at
            if year is None:
                year, year_source, year_at = int(m.group("year")), "首段", at
    for text, at in preamble:
        m = _COMPILED_BY_RE.search(text)
        if unit is None and m and clean_unit(m.group("unit")) and _UNIT_END_RE.search(clean_unit(m.group("unit"))):
            unit, unit_source, unit_at = clean_unit(m.group("unit")), "首段", at
    for text, at in preamble:
        m = _CONTACT_RE.search(text)
        if unit is None and m and clean_unit(m.group("unit")):
            unit, unit_source, unit_at = clean_unit(m.group("unit")), "首段", at
    if year is None:
        for text, at in preamble + opening:
            m = _PERIOD_RE.search(text)
            if m:
                year, year_source, year_at = int(m.group("year")), "统计期限", at
                break
    for text, at in preamble + opening:
        m = _OPENING_RE.match(text)
        if m and not _NOT_A_NAME_RE.match(m.group("unit")):
            if unit is None and clean_unit(m.group("unit")):
                unit, unit_source, unit_at = clean_unit(m.group("unit")), "首段", at
            if year is None:
                year, year_source, year_at = int(m.group("year")), "首段", at
            break
    if year is None:
        hit = next(((m, at) for m, at in ((_OPENING_YEAR_RE.match(t), at) for t, at in preamble + opening) if m), None)
        if hit:
            year, year_source, year_at = int(hit[0].group("year")), "首段", hit[1]
    signer, signer_at = _signature(paragraphs[-TAIL_LINES:])
    if unit is None and signer:
        unit, unit_source, unit_at = signer, "落款", signer_at
    return Stated(unit, year, unit_source, year_source, unit_at, year_at, title_at, signer, signer_at)


def _signature(tail: list[tuple[str, tuple]]) -> tuple[str | None, tuple | None]:
    """The unit on the signature line: the line before a date line at the end, or on the date line itself."""
    for i in range(len(tail) - 1, -1, -1):
        text, at = tail[i]
        m = _DATE_RE.match(text)
        if not m:
            continue
        same_line = clean_unit(m.group("unit"))
        if same_line and _UNIT_END_RE.search(same_line):
            return same_line, at
        if i > 0:
            before, before_at = tail[i - 1]
            unit = clean_unit(before)
            if unit and len(before) <= MAX_UNIT_LEN and _UNIT_END_RE.search(unit) and not re.search(r"[，。；,;]", before):
                return unit, before_at
        return None, None
    return None, None


def same_unit(a: str, b: str) -> bool:
    """Two names of one unit: equal, or one within the other («米山镇人民政府» in «高平市米山镇人民政府»)."""
    a, b = norm_label(a), norm_label(b)
    return a in b or b in a
