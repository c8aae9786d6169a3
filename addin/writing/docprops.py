"""A workbook's custom document properties (docProps/custom.xml), read without a workbook library."""
from __future__ import annotations

import os
import zipfile

from defusedxml.ElementTree import fromstring

MAX_PART_BYTES = 1_000_000   # a properties part is a few KB; refuse to inflate a bomb


def read_custom_properties(path: str | os.PathLike) -> dict[str, str]:
    """Custom document properties (docProps/custom.xml) as name -> text; {} when there are none."""
    with zipfile.ZipFile(path) as z:
        try:
            info = z.getinfo("docProps/custom.xml")
        except KeyError:
            return {}
        if info.file_size > MAX_PART_BYTES:
            return {}
        root = fromstring(z.read(info))
    out = {}
    for prop in root:
        name = prop.get("name")
        if name and len(prop):
            out[name] = prop[0].text or ""
    return out
