"""A realistic long 总体情况 (about 4,000 characters in paragraphs), for the print-whole tests."""
from __future__ import annotations

_ASPECTS = ["主动公开", "依申请公开", "政府信息管理", "政府信息公开平台建设", "监督保障"]
_SENTENCES = [
    "本单位坚持以公开为常态、不公开为例外，围绕{aspect}工作，认真落实年度政务公开工作要点。",
    "全年通过门户网站、政务新媒体和公开栏等渠道及时发布各类信息，做到应公开尽公开。",
    "严格执行信息发布审核制度，明确专人负责，确保发布内容准确、规范、及时。",
    "对照{aspect}工作任务清单逐项梳理，建立工作台账，定期调度推进情况。",
    "加强与上级主管部门的沟通衔接，及时掌握最新工作要求，切实提升工作质量。",
    "针对群众关注的热点问题，主动回应社会关切，解读重要政策文件，增进社会理解。",
]


def long_overview(year: int, chars: int = 4000) -> str:
    """Paragraphs of 400-600 characters, one per aspect and then more, until `chars` characters."""
    paragraphs = [f"本报告中所列数据的统计期限自{year}年1月1日起至{year}年12月31日止。"]
    i = 0
    while sum(len(p) for p in paragraphs) + len(paragraphs) - 1 < chars:
        aspect = _ASPECTS[i % len(_ASPECTS)]
        body = f"（{'一二三四五六七八九十'[i % 10]}）{aspect}情况。"
        k = 0
        while len(body) < 420 + 40 * (i % 5):
            body += _SENTENCES[(i + k) % len(_SENTENCES)].format(aspect=aspect)
            k += 1
        paragraphs.append(body)
        i += 1
    text = "\n".join(paragraphs)
    return text[:chars - 1].rstrip() + "。"
