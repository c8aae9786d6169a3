"""A workbook's custom document properties (docProps/custom.xml), read without a workbook library."""
from __future__ import annotations

import os
import zipfile

from defusedxml.ElementTree import fromstring

MAX_PART_BYTES = 1_000_000   # a properties part is a few KB; refuse to inflate a bomb
PROP_VALIDATED_AT = "gkreport.validated_at"   # written by `gkreport submit`, read by the collection


def read_custom_properties(path: str | os.PathLike) -> dict[str, str]:
    """Custom document properties (docProps/custom.xml) as name -> text; {} when there are none."""
    with zipfile.ZipFile(path) as z:
        try:
            info = z.getinfo("docProps/custom.xml")
        except KeyError:
            return {}
        if info.file_size > MAX_PART_BYTES:
            return {}
        return parse_custom_properties(z.read(info))


def parse_custom_properties(xml: bytes | None) -> dict[str, str]:
    """name -> text of a docProps/custom.xml part; {} when it is missing or not XML."""
    if not xml:
        return {}
    try:
        root = fromstring(xml)
    except Exception:   # a damaged part has no properties to give
        return {}
    return {p.get("name"): (p[0].text or "") for p in root if p.get("name") and len(p)}
