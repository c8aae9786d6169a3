"""Types and ranges of the data document, checked by jsonschema against report.schema.json."""
from __future__ import annotations

from addin import catalogue
from addin.findings import Finding
from addin.formats import FormatDef, escape
from addin.reading.normalise import show_raw


def schema_findings(fmt: FormatDef, document: dict, origins: dict) -> list[Finding]:
    """One finding per failing value; the code comes from the failing subschema's x-code."""
    findings = []
    seen = set()
    for error in fmt.validator.iter_errors(document):
        pointer = "/" + "/".join(escape(str(p)) for p in error.absolute_path) if error.absolute_path else ""
        if error.instance is None or pointer in seen:
            continue  # blanks and placeholders were reported by the reader (VAL-01/02)
        code = error.schema.get("x-code") if isinstance(error.schema, dict) else None
        if code is None:
            code = _code_from_parent(fmt, error) or "VAL-03"
        seen.add(pointer)
        cell = fmt.by_pointer.get(pointer)
        origin = origins.get(pointer)
        raw = origin.raw if origin else error.instance
        findings.append(catalogue.make(code, pointer=pointer, where=cell.where if cell else pointer,
                                       raw=show_raw(raw), actual=show_raw(raw)))
    return findings


def _code_from_parent(fmt: FormatDef, error) -> str | None:
    # a "$ref"-resolved subschema carries x-code; walk the schema path to find the referenced definition
    for ref in reversed(list(error.schema_path)):
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            return fmt.report_schema["$defs"][ref.split("/")[-1]].get("x-code")
    return None
