"""退回意见 as one text file per unit (to send by mail or message), and the 催报 list, written atomically."""
from __future__ import annotations

import os
import re
from pathlib import Path

from addin.collection import CollectionView
from addin.writing.atomic import write_bytes_atomic

ENCODING = "utf-8-sig"   # the BOM makes Windows Notepad and WPS open it as UTF-8
_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f]')   # not allowed in Windows file names


def file_name(unit: str) -> str:
    return (_UNSAFE.sub("_", unit).strip(" .") or "未命名单位")[:100] + ".txt"


def write_feedback(folder: str | os.PathLike, view: CollectionView) -> list[Path]:
    """One <单位>.txt per unit with 退回意见, and 催报名单.txt when units have not reported."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for unit, text in view.feedback.items():
        written.append(write_bytes_atomic(folder / file_name(unit), (text + "\n").encode(ENCODING)))
    if view.reminders:
        lines = ["以下单位尚未报送政府信息公开工作年度报告，请督促报送：" if not view.year else
                 f"以下单位尚未报送{view.year}年政府信息公开工作年度报告，请督促报送："]
        for i, r in enumerate(view.reminders, 1):
            extra = "　".join(x for x in (r.unit.contact, r.note) if x)
            lines.append(f"{i}. {r.unit.name}" + (f"　{extra}" if extra else ""))
        written.append(write_bytes_atomic(folder / "催报名单.txt", ("\n".join(lines) + "\n").encode(ENCODING)))
    return written
