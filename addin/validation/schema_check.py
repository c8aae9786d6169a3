"""Types and ranges of the data document, checked by jsonschema against report.schema.json."""
from __future__ import annotations

from decimal import Decimal
from typing import Any, Callable

from addin import catalogue
from addin.findings import Finding
from addin.formats import FormatDef, escape
from addin.reading.normalise import show_raw

Precheck = Callable[[Any], bool]


def schema_findings(fmt: FormatDef, document: dict, origins: dict, fast: bool = True) -> list[Finding]:
    """One finding per failing value; the code comes from the failing subschema's x-code.

    jsonschema is the validator. When the precheck proves that jsonschema can only report blanks
    (instance None, which the reader already reported as VAL-01/02 and this function drops), the
    call is skipped: most reports are clean and validating ~200 cells was a quarter of a check."""
    if fast and fmt.schema_precheck is not None and fmt.schema_precheck(document):
        return []
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


# -- precheck ------------------------------------------------------------------------------------
# compile_precheck turns a (ref-inlined) schema made only of the keywords below into a predicate
# that is True only if every jsonschema error for the document would be at a leaf whose instance is
# None. It under-approximates: a value it is unsure about (a bool, a Decimal in an integer column,
# a key too many) makes it False, and jsonschema runs. A schema using any other keyword gets no
# precheck at all (None), so a format folder with richer constraints is always fully validated.

_ANNOTATIONS = {"description", "title", "x-code", "$comment", "$schema", "$id", "$defs"}
_TYPES: dict[str, Callable[[Any], bool]] = {
    "integer": lambda v: type(v) is int,
    "number": lambda v: type(v) is int or (type(v) is Decimal and v.is_finite()),
    "string": lambda v: type(v) is str,
    "null": lambda v: v is None,
}


def compile_precheck(schema: Any) -> Precheck | None:
    if not isinstance(schema, dict):
        return None
    keys = set(schema) - _ANNOTATIONS
    if schema.get("type") == "object":
        if keys - {"type", "required", "properties", "additionalProperties"} or schema.get("additionalProperties") is not False:
            return None
        props = {name: compile_precheck(sub) for name, sub in schema.get("properties", {}).items()}
        if any(p is None for p in props.values()):
            return None
        names, required = frozenset(props), frozenset(schema.get("required", ()))

        def check_object(v) -> bool:
            if type(v) is not dict or not required <= v.keys() or not v.keys() <= names:
                return False
            return all(props[k](x) for k, x in v.items())
        return check_object
    return _leaf(schema, keys)


def _leaf(schema: dict, keys: set) -> Precheck | None:
    if keys - {"type", "minimum", "const"}:
        return None
    if "const" in schema:
        const = schema["const"]
        if keys != {"const"} or type(const) is not str:
            return None
        return lambda v: type(v) is str and v == const
    types = schema.get("type")
    types = [types] if isinstance(types, str) else types
    if not isinstance(types, list) or not types or any(t not in _TYPES for t in types):
        return None
    tests = [_TYPES[t] for t in types]
    minimum = schema.get("minimum")
    if minimum is not None and (type(minimum) not in (int, float) or "minimum" not in keys):
        return None

    def check_leaf(v) -> bool:
        if v is None:
            return True   # valid, or an error at this leaf with instance None, which is dropped
        if not any(t(v) for t in tests):
            return False
        return minimum is None or type(v) is str or v >= minimum
    return check_leaf
