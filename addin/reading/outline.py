"""The report's outline: its top-level headings, each statutory section found by its heading's subject (the number a hint)."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from addin.reading.model import SheetData, filled_cells
from addin.reading.normalise import norm_label

NUMERALS = "一二三四五六七八九十"
MAX_HEADING_LEN = 40    # longer lines are sentences, never headings
# a top-level heading: a Chinese numeral, 、 or a full stop, then words (a heading may end with 。 or ：)
HEADING_RE = re.compile(rf"^(?P<number>[{NUMERALS}]{{1,3}})[、.](?P<words>[^。；;]{{2,{MAX_HEADING_LEN}}}?)[。:：]?$")
# a table of contents' entry (normalised): dot leaders or ellipses, then a page number («一、总体情况……1»)
TOC_ENTRY_RE = re.compile(r"(?:\.{3,}|…{2,}|·{3,}|-{4,}|_{4,})\d{1,3}$")
BARE_NUMBER_RE = re.compile(rf"^[{NUMERALS}]{{1,3}}[、.]$")
# a line of the web page around the article (share bar, footer), normalised: the article ends before it
CHROME_LINE_RE = re.compile(r"^(?:附件下载|扫一扫|【?打印(?:本页|此页)?】|【?关闭(?:窗口|本页)?】?$|分享到|相关链接|主办单位|"
                            r"承办单位|网站标识码|.{0,4}ICP备|.{0,6}公网安备|技术支持[:：]|版权所有|Copyright|©)", re.I)

_DATE_LINE_RE = re.compile(r"^(?:19|20)\d{2}年\d{1,2}月\d{1,2}日$")
SIGNATURE_LEN = 40      # a signature line (the issuing unit) is short
_SIGNATURE_UNIT_RE = re.compile(r"^[^。；;，,：:]{2,}(?:政府|办公室|办公厅|办事处|委员会|管委会|局|委|办|厅|署|中心|院|所|处|站|队|会)$")


def without_closing(parts: list[str], at_end: bool) -> list[str]:
    """The paragraphs of a part of the report without the date and signature closing the report: a
    date line last, and the issuing unit's name above it (or last, in a part that runs to the end of
    the report or of the article, `at_end`)."""
    dated = bool(parts) and bool(_DATE_LINE_RE.match(norm_label(parts[-1])))
    if dated:
        parts = parts[:-1]
    if (dated or at_end) and parts and _is_signature(parts[-1]):
        parts = parts[:-1]
    return parts


def _is_signature(line: str) -> bool:
    return len(line.strip()) <= SIGNATURE_LEN and bool(_SIGNATURE_UNIT_RE.search(norm_label(line)))


def numeral_value(text: str) -> int | None:
    """一 .. 九十九 as a number (一=1, 十=10, 十二=12, 二十=20)."""
    if not text or any(ch not in NUMERALS for ch in text):
        return None
    if "十" not in text:
        return NUMERALS.index(text) + 1 if len(text) == 1 else None
    tens, _, ones = text.partition("十")
    t = NUMERALS.index(tens) + 1 if tens else 1
    o = NUMERALS.index(ones) + 1 if ones else 0
    return t * 10 + o if len(tens) <= 1 and len(ones) <= 1 else None


@dataclass
class Heading:
    """A top-level heading of the report as printed, and the statutory section it was taken for."""

    number: int
    words: str          # normalised text after the number
    raw: str            # the line as printed
    sheet: int
    row: int
    col: int
    key: str | None = None       # statutory section ("一".."六") it stands for, None: not a statutory section
    by_subject: bool = False     # found by its words (else by its number alone)
    text: str | None = None      # what stands below it, up to the next heading (sections outside the outline)


@dataclass
class Outline:
    headings: list[Heading] = field(default_factory=list)
    by_key: dict[str, Heading] = field(default_factory=dict)

    @property
    def extras(self) -> list[Heading]:
        """Headings of sections outside the official outline (a statutory heading printed twice, as a
        table copied onto another sheet, is a duplicate, not another section)."""
        taken = {(h.number, h.words) for h in self.by_key.values()}
        return [h for h in self.headings if h.key is None and (h.number, h.words) not in taken]

    def moved(self) -> list[Heading]:
        """Statutory sections printed under another number than theirs."""
        return [h for h in self.by_key.values() if numeral_value(h.key) != h.number]


@dataclass(frozen=True)
class Statutory:
    """A statutory section as the outline looks for it: its key (一..六), heading and subject (regex on words)."""

    key: str
    heading: str
    subject: str


def headings(sheets: list[SheetData], exclude: frozenset[str] = frozenset(), sections: list["Statutory"] = ()) -> list[Heading]:
    """Lines standing alone in their row that read as top-level headings, in reading order; texts in
    `exclude` (the tables' own labels, such as 「三、本年度办理结果」) are not headings. A heading numbered
    no higher than the one before it on its sheet starts a numbered list inside a section; within that
    list only a heading naming the statutory subject of its own number (「二、主动公开政府信息情况」)
    is top-level again."""
    subjects = {numeral_value(sec.key): re.compile(sec.subject) for sec in sections}
    out = []
    for s, sheet in enumerate(sheets):
        last, nested = 0, False
        for i, row in enumerate(sheet.rows):
            filled = filled_cells(row)
            if len(filled) != 1 or not isinstance(filled[0][1], str) or len(filled[0][1]) > 3 * MAX_HEADING_LEN:
                continue
            j, raw = filled[0]
            text = norm_label(raw)
            if BARE_NUMBER_RE.match(text) and i + 1 < len(sheet.rows):
                # the number alone on its line and the words on the next («一、» / «总体情况»: a PDF or a
                # page that broke the heading): one heading
                after = [v for _, v in filled_cells(sheet.rows[i + 1])]
                if len(after) == 1 and isinstance(after[0], str) and len(after[0]) <= MAX_HEADING_LEN:
                    raw = raw.strip() + after[0].strip()
                    text = norm_label(raw)
            m = HEADING_RE.match(text)
            if not m or text in exclude or TOC_ENTRY_RE.search(text):
                continue
            number, words = numeral_value(m.group("number")), m.group("words")
            if number is None:
                continue
            if number <= last:
                nested = True
                continue
            if nested and not (number in subjects and subjects[number].search(words)):
                continue
            last, nested = number, False
            out.append(Heading(number, words, raw.strip(), s, i + sheet.row_offset, j + sheet.col_offset))
    return out


def outline(found: list[Heading], sections: list[Statutory]) -> Outline:
    """Each statutory section's heading: the one whose words name its subject (preferring its own number),
    else the heading of its number whose words name no statutory subject. Each heading stands for one section."""
    result = Outline(found)
    subjects = {sec.key: re.compile(sec.subject) for sec in sections}
    matches = {id(h): [k for k, rx in subjects.items() if rx.search(h.words)] for h in found}
    for sec in sections:
        number = numeral_value(sec.key)
        candidates = [h for h in found if h.key is None and sec.key in matches[id(h)]]
        if not candidates:
            continue
        # its own number first, then a heading naming only this subject, then the first
        best = min(candidates, key=lambda h: (h.number != number, len(matches[id(h)]) > 1, found.index(h)))
        best.key, best.by_subject = sec.key, True
        result.by_key[sec.key] = best
    for sec in sections:
        if sec.key in result.by_key:
            continue
        number = numeral_value(sec.key)
        hit = next((h for h in found if h.key is None and h.number == number and not matches[id(h)]), None)
        if hit:
            hit.key = sec.key
            result.by_key[sec.key] = hit
    return result
