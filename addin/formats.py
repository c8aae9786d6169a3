"""Official format versions, loaded from the data under schema/<version>/ and checked on load."""
from __future__ import annotations

import hashlib
import itertools
import json
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from addin.validation.pointers import escape, expand_pointers, pointer_tokens, unescape  # noqa: F401 (re-exported)

if TYPE_CHECKING:  # jsonschema is imported lazily: slow to import, and not needed for every run
    from jsonschema import Draft202012Validator

FORMAT_FILES = ("format.json", "layout.json", "rules.json", "findings.json", "report.schema.json")
# Digest of the bundled format data as last checked against the meta-schemas (by the tests, see
# tests/test_formats.py). While the files match it, loading them skips the meta-schema validation,
# which was half of a cold start; any other folder (--schema-dir) is always fully checked.
CHECKED_DIGEST_FILE = "checked.digest.json"


class FormatError(Exception):
    """A format folder under schema/ is incomplete or breaks its meta-schema."""


def column_label(path) -> str:
    """A column's header path as one label, "申请人情况/法人或其他组织/商业企业" ("/" rather than "›":
    messages must survive a GBK console)."""
    return "/".join(path)


def schema_root() -> Path:
    """The installed format data (addin/_schema in a wheel) or the source tree's schema/."""
    packaged = Path(__file__).with_name("_schema")
    if (packaged / "meta").is_dir():
        return packaged
    return Path(__file__).resolve().parent.parent / "schema"


@dataclass(frozen=True)
class DataCell:
    """One data cell of the official tables, as the layout defines it."""

    pointer: str
    table: str
    table_name: str
    block: str
    row: str
    row_label: str | None
    column: str
    column_path: tuple[str, ...]
    type: str
    unit: str | None

    @property
    def where(self) -> str:
        """Chinese description: 表三「（七）总计」行「自然人」列."""
        parts = [self.table_name]
        if self.row_label:
            parts.append(f"“{self.row_label}”行")
        parts.append(f"“{column_label(self.column_path)}”列")
        return "".join(parts)


@dataclass(eq=False)
class FormatDef:
    """One official format version: metadata, workbook layout, data schema, rules and their messages.
    Plain data, hashable by identity: reading and validation key what they compile from it on the object."""

    directory: Path
    meta: dict
    layout: dict
    rules: list
    report_schema: dict
    cells: list[DataCell] = field(default_factory=list)
    cross_year: list = field(default_factory=list)   # rules.json "cross_year": this report vs last year's
    findings: dict = field(default_factory=dict)     # findings.json: code -> severity, group, title, messages

    @property
    def version(self) -> str:
        return self.meta["version"]

    @property
    def name(self) -> str:
        return self.meta["name"]

    @property
    def notice(self) -> str:
        return self.meta["notice"]

    def covers_year(self, year: int) -> bool:
        years = self.meta["years"]
        return years["first"] <= year and (years["last"] is None or year <= years["last"])

    @cached_property
    def by_pointer(self) -> dict[str, DataCell]:
        return {c.pointer: c for c in self.cells}

    @cached_property
    def pointer_paths(self) -> dict[str, tuple[str, ...]]:
        """Each data cell's pointer as its unescaped tokens, split once (every report's document needs them)."""
        return {c.pointer: pointer_tokens(c.pointer) for c in self.cells}

    @cached_property
    def inlined_schema(self) -> dict:
        # Local "$ref"s are inlined once: resolving a reference for each of ~200 cells per report was
        # most of the validation time. A referenced definition keeps its x-code, so findings do not change.
        return _inline_refs(self.report_schema, self.report_schema.get("$defs", {}))

    def tables(self):
        return self.layout["tables"]

    def block(self, ref: str) -> dict:
        """A block by reference "T3" (single-block table) or "T2.A5"."""
        table_id, _, block_id = ref.partition(".")
        for table in self.layout["tables"]:
            if table["id"] == table_id:
                blocks = table["blocks"]
                if not block_id:
                    if len(blocks) != 1:
                        raise FormatError(f"{ref}: table has several blocks, name one")
                    return blocks[0]
                for block in blocks:
                    if block["id"] == block_id:
                        return block
        raise FormatError(f"{self.version}: no block {ref}")

    def rows_of(self, ref: str, tag: str | None = None) -> list[str]:
        return [r["key"] for r in self.block(ref)["rows"] if tag is None or tag in r.get("tags", ())]

    def columns_of(self, ref: str) -> list[str]:
        return [c["key"] for c in self.block(ref)["columns"]]

    @cached_property
    def labels(self) -> set[str]:
        """Every label text printed in this version's tables (used to tell versions apart)."""
        out = set()
        for table in self.layout["tables"]:
            for block in table["blocks"]:
                out.add(block["anchor"])
                for row in block["header"] + [block.get("caption", [])] + [r["cells"] for r in block["rows"]]:
                    out.update(c["text"] for c in row)
        return out


def _inline_refs(node, defs: dict, depth: int = 0):
    """A copy of a schema with every "#/$defs/X" reference replaced by the definition (defs are not recursive)."""
    if depth > 32:
        raise FormatError("report.schema.json: $ref nesting too deep (recursive definitions are not supported)")
    if isinstance(node, list):
        return [_inline_refs(v, defs, depth) for v in node]
    if not isinstance(node, dict):
        return node
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/") and ref.split("/")[-1] in defs:
        rest = {k: _inline_refs(v, defs, depth) for k, v in node.items() if k != "$ref"}
        target = _inline_refs(defs[ref.split("/")[-1]], defs, depth + 1)
        return {**target, **rest} if not set(rest) & set(target) else {"allOf": [target, rest]}
    return {k: (v if k == "$defs" else _inline_refs(v, defs, depth)) for k, v in node.items()}


def _build_cells(layout: dict) -> list[DataCell]:
    cells = []
    for table in layout["tables"]:
        for block in table["blocks"]:
            for row, col in itertools.product(block["rows"], block["columns"]):
                pointer = block["pointer"].format(row=escape(row["key"]), column=escape(col["key"]))
                cells.append(DataCell(pointer, table["id"], table["name"], block["id"], row["key"], row["label"],
                                      col["key"], tuple(col["path"]), col["type"], col.get("unit")))
    return cells


@lru_cache(maxsize=None)
def _meta_validator(name: str) -> "Draft202012Validator":
    from jsonschema import Draft202012Validator

    schema = json.loads((schema_root() / "meta" / f"{name}.schema.json").read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def _load_checked(path: Path, meta_name: str | None):
    """The JSON of a format file, validated against its meta-schema unless meta_name is None."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise FormatError(f"{path}: {exc}") from exc
    if meta_name:
        errors = sorted(_meta_validator(meta_name).iter_errors(data), key=lambda e: list(e.path))
        if errors:
            e = errors[0]
            raise FormatError(f"{path}: {'/'.join(map(str, e.path))}: {e.message}")
    return data


def load_format(directory: Path, checked: bool = False) -> FormatDef:
    """Load and check one format folder; raise FormatError with the first problem found.
    checked=True: the files are the bundled ones whose meta-schema check is on record (skip it)."""
    directory = Path(directory)
    missing = [f for f in FORMAT_FILES if not (directory / f).is_file()]
    if missing:
        raise FormatError(f"{directory}: missing {', '.join(missing)}")
    meta = _load_checked(directory / "format.json", None if checked else "format")
    layout = _load_checked(directory / "layout.json", None if checked else "layout")
    rules_doc = _load_checked(directory / "rules.json", None if checked else "rules")
    rules = rules_doc["rules"]
    messages = _load_checked(directory / "findings.json", None if checked else "findings")["findings"]
    report_schema = _load_checked(directory / "report.schema.json", None)
    if not checked:
        from jsonschema import Draft202012Validator

        try:
            Draft202012Validator.check_schema(report_schema)
        except Exception as exc:
            raise FormatError(f"{directory / 'report.schema.json'}: {exc}") from exc
    if meta["version"] != directory.name:
        raise FormatError(f"{directory}: format.json says version {meta['version']}")
    fmt = FormatDef(directory, meta, layout, rules, report_schema, _build_cells(layout), rules_doc.get("cross_year", []),
                    messages)
    _check_rules(fmt)
    return fmt


def _check_rules(fmt: FormatDef) -> None:
    """Every rule id has its message in findings.json, every pointer a rule can produce is a layout cell and
    every table whose note a rule reads is a layout table."""
    tables = {t["id"] for t in fmt.tables()}
    for rule in fmt.rules:
        if rule["id"] not in fmt.findings:
            raise FormatError(f"{fmt.directory}/rules.json: rule {rule['id']} has no entry in findings.json")
        for pointer in expand_pointers(fmt, rule):
            if pointer not in fmt.by_pointer:
                raise FormatError(f"{fmt.directory}/rules.json: rule {rule['id']} refers to unknown cell {pointer}")
        for table_id in rule.get("notes", ()):
            if table_id not in tables:
                raise FormatError(f"{fmt.directory}/rules.json: rule {rule['id']} reads the note of unknown table {table_id!r}")
    for rule in fmt.cross_year:
        if rule["id"] not in fmt.findings:
            raise FormatError(f"{fmt.directory}/rules.json: rule {rule['id']} has no entry in findings.json")
        sections = {s["key"] for s in fmt.layout["cover"]["sections"]}
        for key in rule.get("sections", ()):
            if key not in sections:
                raise FormatError(f"{fmt.directory}/rules.json: rule {rule['id']} names unknown text section {key!r}")
        for pointer in expand_pointers(fmt, rule):
            # only this year's side can be checked here; last year's is checked against its own format on use
            if pointer.startswith("/this/") and pointer[len("/this"):] not in fmt.by_pointer:
                raise FormatError(f"{fmt.directory}/rules.json: rule {rule['id']} refers to unknown cell {pointer}")


@lru_cache(maxsize=None)
def available_formats(root: str | None = None) -> dict[str, FormatDef]:
    """Every format folder under the schema root (any folder holding a format.json)."""
    base = Path(root) if root else schema_root()
    checked = root is None and recorded_digest(base) == tree_digest(base)
    found = {}
    for directory in sorted(p for p in base.iterdir() if (p / "format.json").is_file()):
        fmt = load_format(directory, checked=checked)
        found[fmt.version] = fmt
    if not found:
        raise FormatError(f"{base}: no format versions found")
    return found


def tree_digest(base: Path) -> str:
    """sha256 over every JSON file under a schema root (relative names and contents), the digest file aside."""
    h = hashlib.sha256()
    for p in sorted(base.rglob("*.json")):
        if p.name != CHECKED_DIGEST_FILE:
            h.update(p.relative_to(base).as_posix().encode() + b"\0" + p.read_bytes() + b"\0")
    return h.hexdigest()


def recorded_digest(base: Path) -> str | None:
    try:
        return json.loads((base / CHECKED_DIGEST_FILE).read_text(encoding="utf-8"))["sha256"]
    except (OSError, ValueError, KeyError, TypeError):
        return None


def format_for_year(year: int, formats: dict[str, FormatDef] | None = None) -> FormatDef | None:
    for fmt in (formats or available_formats()).values():
        if fmt.covers_year(year):
            return fmt
    return None
