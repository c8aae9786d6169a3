"""Text checks on what the prose says by itself: a total whose listed parts add up to more than it."""
from __future__ import annotations

import re

from addin.findings import Finding
from addin.validation.context import Context

# «共收到申请372件，其中自然人申请331件、法人或其他组织申请61件»: a total, 其中, then the parts of one clause
_TOTAL_RE = re.compile(r"(?:共|总计|合计|累计|全年)[^。；;，,\d]{0,20}?(\d+)([件条份起个项])[，,:：]?其中")
_CLAUSE_END = re.compile(r"[，,。；;！!]")
_BRACKETED = re.compile(r"[（(][^）)]*[）)]")   # «（含…3件）» breaks a part down: not another part
MIN_PARTS = 2


def prose_sum(ctx: Context, rule: dict, s) -> list[Finding]:
    """TXT-12: the parts listed after 其中 in one clause, counted in the total's unit, add up to more than
    the total. A smaller sum is not judged: a list after 其中 may name only some of the parts."""
    findings = []
    for m in _TOTAL_RE.finditer(s.compact):
        total, unit = int(m.group(1)), m.group(2)
        rest = s.compact[m.end():]
        end = _CLAUSE_END.search(rest)
        clause = rest[:end.start()] if end else rest
        parts = [int(x) for x in re.findall(rf"(?<![\d.])(\d+){unit}", _BRACKETED.sub("", clause))]
        if len(parts) >= MIN_PARTS and sum(parts) > total:
            quote = s.compact[m.start():m.end() + len(clause)]
            findings.append(ctx.make(rule["id"], pointer=s.pointer, quote=quote, total=total,
                                     parts="+".join(map(str, parts)), actual=sum(parts), expected=total, **s.labels))
    return findings
