"""Types and ranges of the data document, checked by jsonschema against report.schema.json."""
from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from typing import TYPE_CHECKING, Any, Callable

from addin import catalogue
from addin.findings import Finding
from addin.formats import FormatDef, escape
from addin.reading.normalise import show_raw

if TYPE_CHECKING:  # jsonschema is imported lazily: slow to import, and not needed for every run
    from jsonschema import Draft202012Validator

Precheck = Callable[[Any], bool]


def schema_findings(fmt: FormatDef, document: dict, origins: dict, fast: bool = True) -> list[Finding]:
    """One finding per failing value; the code comes from the failing subschema's x-code.

    jsonschema is the validator. When the precheck proves that jsonschema can only report blanks
    (instance None, which the reader already reported as VAL-01/02 and this function drops), the
    call is skipped: most reports are clean and validating ~200 cells was a quarter of a check."""
    check = precheck(fmt)
    if fast and check is not None and check(document):
        return []
    findings = []
    seen = set()
    for error in validator(fmt).iter_errors(document):
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


@cache
def validator(fmt: FormatDef) -> "Draft202012Validator":
    """The format's report schema compiled by jsonschema, once per format."""
    from jsonschema import Draft202012Validator   # imported on first use: slow to import

    return Draft202012Validator(fmt.inlined_schema)


@cache
def precheck(fmt: FormatDef) -> Precheck | None:
    """A cheap test that the report schema can only fail at blank leaves (None: always run jsonschema)."""
    return compile_precheck(fmt.inlined_schema)


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
# JSON type -> the Python types a data document may hold for it (a Decimal must also be finite)
_PY_TYPES: dict[str, frozenset] = {
    "integer": frozenset({int}),
    "number": frozenset({int, Decimal}),
    "string": frozenset({str}),
    "null": frozenset({type(None)}),
}


@dataclass(frozen=True)
class _LeafSpec:
    """A leaf schema as data: objects whose properties share one spec are checked in a single loop."""

    types: frozenset       # Python types allowed (besides None)
    minimum: Any = None    # applies to numbers
    const: str | None = None
    pattern: re.Pattern | None = None   # applies to strings (jsonschema's "pattern": a search, not a full match)

    def accepts(self, v) -> bool:
        if v is None:
            return True   # valid, or an error at this leaf with instance None, which is dropped
        if self.const is not None:
            return type(v) is str and v == self.const
        t = type(v)
        if t not in self.types or (t is Decimal and not v.is_finite()):
            return False
        if t is str:
            return self.pattern is None or self.pattern.search(v) is not None
        return self.minimum is None or v >= self.minimum


def compile_precheck(schema: Any) -> Precheck | None:
    compiled = _compile(schema)
    return compiled.accepts if isinstance(compiled, _LeafSpec) else compiled


def _compile(schema: Any):
    if not isinstance(schema, dict):
        return None
    keys = set(schema) - _ANNOTATIONS
    if schema.get("type") == "object":
        if keys - {"type", "required", "properties", "additionalProperties"} or schema.get("additionalProperties") is not False:
            return None
        props = {name: _compile(sub) for name, sub in schema.get("properties", {}).items()}
        if any(p is None for p in props.values()):
            return None
        names, required = frozenset(props), frozenset(schema.get("required", ()))
        specs = set(props.values())
        if len(specs) == 1 and isinstance(next(iter(specs)), _LeafSpec) and next(iter(specs)).const is None \
                and next(iter(specs)).pattern is None:
            return _uniform_object(names, required, next(iter(specs)))
        checks = {name: p.accepts if isinstance(p, _LeafSpec) else p for name, p in props.items()}

        def check_object(v) -> bool:
            if type(v) is not dict or not required <= v.keys() or not v.keys() <= names:
                return False
            for k, x in v.items():
                if not checks[k](x):
                    return False
            return True
        return check_object
    return _leaf(schema, keys)


def _uniform_object(names: frozenset, required: frozenset, spec: _LeafSpec) -> Precheck:
    """An object whose every property is the same leaf (a table row: one count per column)."""
    types, minimum = spec.types, spec.minimum
    exact = Decimal not in types

    def check_row(v) -> bool:   # _LeafSpec.accepts for every value, inlined: this runs for every table row
        if type(v) is not dict or not required <= v.keys() or not v.keys() <= names:
            return False
        for x in v.values():
            if x is None:
                continue
            t = type(x)
            if t not in types or (not exact and t is Decimal and not x.is_finite()):
                return False
            if minimum is not None and t is not str and x < minimum:
                return False
        return True
    return check_row


def _leaf(schema: dict, keys: set) -> _LeafSpec | None:
    if keys - {"type", "minimum", "const", "pattern"}:
        return None
    if "const" in schema:
        const = schema["const"]
        if keys != {"const"} or type(const) is not str:
            return None
        return _LeafSpec(frozenset({str}), None, const)
    types = schema.get("type")
    types = [types] if isinstance(types, str) else types
    if not isinstance(types, list) or not types or any(not isinstance(t, str) or t not in _PY_TYPES for t in types):
        return None
    minimum = schema.get("minimum")
    if minimum is not None and type(minimum) not in (int, float):
        return None
    pattern = schema.get("pattern")
    if pattern is not None and type(pattern) is not str:
        return None
    return _LeafSpec(frozenset().union(*(_PY_TYPES[t] for t in types)), minimum,
                     pattern=re.compile(pattern) if pattern is not None else None)
