"""Where a report states its unit and year outside a cover: its title in any printed form, the paragraphs before
the first section, the statistics period, and the signature at the end."""
from __future__ import annotations

import re
from dataclasses import dataclass

from addin.reading.normalise import norm_label

HEAD_LINES = 12       # paragraphs at the top of a report searched for its title
OPENING_LINES = 3     # paragraphs under heading 一 searched as well as the preamble
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
# the year before the unit: «特向社会公布2025年度宁河区教育局政府信息公开年度报告»
_NAMED_YEAR_FIRST_RE = re.compile(rf"(?:公布|编制|发布|制作|形成)(?:了|本|的)?《?{_YEAR}(?:年度|年(?!度))(?!{_NAME}|政府{_NAME})(?P<unit>[^，。；、,;:：《》“”\"()（）]{{2,{MAX_UNIT_LEN}}}?){_NAME}(?:工作)?(?:年度)?(?:报告|年报)")
# «由××编制», «本报告由××按照…编制»
_COMPILED_BY_RE = re.compile(rf"由(?P<unit>[^，。；、,;:：《》“”\"()（）]{{1,{MAX_UNIT_LEN}}}?(?:{_UNIT_ENDS}))(?=按照|根据|依据|负责|编制|[,，])[^。]{{0,120}}?编制")
# the period statement: «统计期限自2023年1月1日起至…», «…2021年1月1日至2021年12月31日期间»
_PERIOD_RE = re.compile(rf"(?:统计|期限|时限|期间|时间|日期|范围|涵盖)[^。]{{0,24}}?{_YEAR}年0?1月0?1日")
# the first sentence of the text: «2022年,东风区司法局认真履行…»
_OPENING_RE = re.compile(rf"^{_YEAR}年度?[,，](?P<unit>[^，。；、,;:：]{{1,{MAX_UNIT_LEN}}}?(?:{_UNIT_ENDS}))")
# the unit as the subject of an opening sentence after a clause: «2023年,在区委、区政府的坚强领导下,官洲街道
# 办事处认真贯彻落实…»; a county or city named bare as the subject: «2020年,大英县认真贯彻落实…»
_SUBJECT_VERBS = r"(?:认真|坚持|严格|深入|全面|紧紧|高度|始终|持续|不断|扎实|按照|围绕|积极|聚焦|进一步)"
_SUBJECT_RE = re.compile(rf"(?:^|[,，])(?P<unit>[^，。；、,;:：《》“”\"()（）]{{2,{MAX_UNIT_LEN}}}?(?:{_UNIT_ENDS}))(?={_SUBJECT_VERBS})")
_PLACE_SUBJECT_RE = re.compile(rf"^{_YEAR}年度?[,，](?P<unit>[^，。；、,;:：《》“”\"()（）]{{2,12}}?[县市区旗])(?={_SUBJECT_VERBS})")
# a name printed without its place («市自然资源和规划局»), whose full name the text prints elsewhere
_BARE_LEVEL_RE = re.compile(r"^[市区县州旗]")
_FULL_NAME_BEFORE = r"(?:^|[:：《“\s,，。])(?P<place>(?![我本全各该])[\u4e00-\u9fff]{2,6}?)"
_NOT_A_PLACE_RE = re.compile(r"[请与和及向由在对为将把被从经是的了按据年月日]")   # words of a sentence, not a place name
# a year-only opening: «2020年在区委、区政府的正确领导下…», «2021年以来…»
_OPENING_YEAR_RE = re.compile(rf"^{_YEAR}年度?(?:[,，]|在|以来|全年|我|本)")
# the contact sentence: «请与剑阁县杨村镇人民政府党政办联系» (the sub-office is not the unit)
_CONTACT_RE = re.compile(rf"请与(?P<unit>[^，。；、,;:：《》“”\"()（）]{{1,{MAX_UNIT_LEN}}}?(?:{_UNIT_ENDS}))"
                         r"(?:(?:政务公开|政府信息公开|信息公开)(?:工作)?领导小组办公室|"
                         r"党政综合办公室|党政办公室|综合办公室|党政办|办公室|信息室|信息科|综合科)?联系")
_DATE_RE = re.compile(r"^(?P<unit>.*?)(?P<year>(?:19|20)\d{2})年\d{1,2}月\d{1,2}日$")
# a unit's name ends so; a sub-office named in a contact sentence is not the unit («…镇人民政府党政办»)
_UNIT_END_RE = re.compile(rf"(?:{_UNIT_ENDS})$")
_LABEL_PREFIX_RE = re.compile(r"^[^:：]{1,6}[:：]")   # «名称:» «标题:» «称:» before a name
# a page's metadata label run into the title without a colon («标题水城区杨梅乡2022年…报告»)
_BARE_LABEL_RE = re.compile(r"^(?:信息名称|文章标题|标题|名称|题名)(?=.{4,}(?:报告|年报)$)")
_PAGE_MARK_RE = re.compile(r"^[A-Za-z0-9.\-–—_:|/ ]+(?=[\u4e00-\u9fff])")   # a flip-book's «Page 2 -» before a name
_TITLE_LABEL_RE = re.compile(r"^(?:信息名称|文章标题|标题|题名)(?=.{2,})")
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
    unit = _TITLE_LABEL_RE.sub("", _LABEL_PREFIX_RE.sub("", text))
    unit = _PAGE_MARK_RE.sub("", unit)
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
    head = [(_BARE_LABEL_RE.sub("", _LABEL_PREFIX_RE.sub("", text)), at) for text, at in head]
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
    # the first paragraphs of 一: many reports write their preamble there, or open 一 with a sub-heading
    opening = paragraphs[first_heading + 1:first_heading + 1 + OPENING_LINES] if first_heading is not None else []
    for text, at in preamble + opening:
        m = _NAMED_RE.search(text) or _NAMED_YEAR_FIRST_RE.search(text)
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
    if unit is None:
        for text, at in preamble + opening:
            m = _PLACE_SUBJECT_RE.match(text) or _SUBJECT_RE.search(text[:120])
            named = clean_unit(m.group("unit")) if m and not _NOT_A_NAME_RE.match(m.group("unit")) else None
            # a bare «区统计局» as the subject is how the report speaks of itself, not its name
            if named and (not _BARE_LEVEL_RE.match(named) or _full_name(named, paragraphs)):
                unit, unit_source, unit_at = named, "首段", at
                break
    if year is None:
        hit = next(((m, at) for m, at in ((_OPENING_YEAR_RE.match(t), at) for t, at in preamble + opening) if m), None)
        if hit:
            year, year_source, year_at = int(hit[0].group("year")), "首段", hit[1]
    if unit is not None and _BARE_LEVEL_RE.match(unit):
        unit = _full_name(unit, paragraphs) or unit
    signer, signer_at = _signature(paragraphs[-TAIL_LINES:])
    if unit is None and signer:
        unit, unit_source, unit_at = signer, "落款", signer_at
    return Stated(unit, year, unit_source, year_source, unit_at, year_at, title_at, signer, signer_at)


def _full_name(unit: str, paragraphs: list[tuple[str, tuple]]) -> str | None:
    """The full name of a unit read without its place («市交通运输局»), where the text prints it after a
    label, a quote or a stop («名称:咸宁市交通运输局…», «《东阳市自然资源和规划局…》»)."""
    rx = re.compile(_FULL_NAME_BEFORE + re.escape(unit))
    for text, _ in paragraphs:
        for m in rx.finditer(text):
            if not _NOT_A_PLACE_RE.search(m.group("place")):
                return m.group("place") + unit
    return None


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
