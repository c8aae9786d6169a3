"""Near-variants of an official label as reports print them: a word left off or added at an end, or one character mistyped."""
from __future__ import annotations

MAX_AFFIX = 2        # characters an end may lose or gain (「规范性文件」 for 「行政规范性文件」, 「本年废止件」, 「本年增/减量」)
MIN_CORE = 4         # characters both must share at least: short labels (「其他」, 「总计」) have no variants


def near_variant(text: str, label: str) -> bool:
    """True when the normalised text is the normalised official label with at most MAX_AFFIX characters
    dropped or added at one end, or with one character replaced; never the label itself."""
    if not text or not label or text == label:
        return False
    short, long_ = sorted((text, label), key=len)
    if len(short) < MIN_CORE:
        return False
    if len(long_) - len(short) <= MAX_AFFIX and (long_.startswith(short) or long_.endswith(short)):
        return True
    if len(text) == len(label) and len(label) >= MIN_CORE + 1:
        differ = [i for i, (a, b) in enumerate(zip(text, label)) if a != b]
        # one mistyped character (「先行有效件数」), never an item number (「1.」 against 「2.」)
        return len(differ) == 1 and not (text[differ[0]].isdigit() or label[differ[0]].isdigit())
    return False


def variant_of(text: str, labels, exclude=frozenset()) -> str | None:
    """The one official label (of `labels`) the text is a near-variant of, else None: also when the
    text is itself an official label (in `exclude`) or a near-variant of two (then it cannot be placed)."""
    if text in exclude:
        return None
    hits = [label for label in set(labels) if near_variant(text, label)]
    return hits[0] if len(hits) == 1 else None
