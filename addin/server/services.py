"""What the routes do, independent of HTML or JSON: store an upload, check it, submit, read a collection."""
from __future__ import annotations

import datetime as dt
import io
import shutil
import zipfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from addin import jsonio
from addin.reporters.content import show
from addin.result import FAILED, PASSED, FileResult
from addin.server.checker import SubmissionFile, marked_copy_step
from addin.server.collect import unit_rows
from addin.server.db import Check, Collection, Submission, Unit, utcnow
from addin.server.security import new_token
from addin.server.store import safe_suffix
from addin.validation.cross_year import unit_key
from addin.writing.submission import canonical_document, digest

BEIJING = dt.timezone(dt.timedelta(hours=8))
MAX_NAME = 200
MARKABLE = (".xlsx", ".xlsm", ".xls", ".ods")   # what the marked-copy writer takes (others: results only)


def local(t: dt.datetime | None) -> str:
    """A stored UTC time as Beijing time for people."""
    if t is None:
        return ""
    return t.replace(tzinfo=dt.timezone.utc).astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S")


def clean_name(filename: str | None) -> str:
    """The uploaded file's own name, only ever shown and used in download names (never as a path)."""
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1].strip()
    name = "".join(ch for ch in name if ch.isprintable())
    return name[-MAX_NAME:] or "报告"


def content_disposition(filename: str) -> str:
    """attachment with an ASCII fallback and the real (Chinese) name per RFC 5987/6266."""
    ascii_name = "".join(ch if ch.isascii() and ch.isprintable() and ch not in '"\\;' else "_" for ch in filename)
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename, safe='')}"


def result_record(result) -> dict:
    """The stored form of a check: the --jsonl line (result, sha256, document) plus the origins the
    drawings need (raw values as text)."""
    item = result.as_dict()
    item["document"] = result.document
    item["origins"] = {p: [o.sheet, o.cell, o.raw if isinstance(o.raw, str) else show(o.raw)]
                       for p, o in (result.origins or {}).items()}
    item.pop("annotated", None)
    return item


def result_from_record(d: dict):
    """A FileResult back from a stored record (for the summary workbook and the cross-year view)."""
    return FileResult.from_dict(d)


class Refused(Exception):
    """A submission that is not accepted; the message says why (Chinese, for the unit)."""


@dataclass
class Service:
    Session: object          # sessionmaker
    store: object            # FileStore
    pool: object             # CheckerPool
    settings: object

    # -- checks ------------------------------------------------------------------------------

    def check_upload(self, stream, filename: str | None, unit_id: int | None = None) -> Check:
        """Store the upload (complete or not at all), check it in a worker, record the check."""
        suffix = safe_suffix(filename)
        stored = self.store.put(stream, suffix, self.settings.max_upload)
        path = self.store.path(stored.key)
        result = self.pool.check(path)
        record = result_record(result)
        record["path"] = clean_name(filename)
        check = Check(id=new_token(), unit_id=unit_id, file_key=stored.key, original_name=clean_name(filename),
                      status=result.status, result_json=jsonio.dumps(record), created_at=utcnow())
        with self.Session() as s:
            s.add(check)
            s.commit()
        return check

    def get_check(self, check_id: str, unit_id: int | None = None, any_unit: bool = False) -> Check | None:
        """A check by its id, only within its own scope: a clerk's check (no unit), a unit's own, or any (collector)."""
        with self.Session() as s:
            c = s.get(Check, check_id)
        if c is None or (not any_unit and c.unit_id != unit_id):
            return None
        return c

    def marked_copy(self, check: Check) -> tuple[Path, str] | None:
        """The marked copy exactly as `check --annotate` writes it, into a scratch folder; (path, download name)."""
        src = self.store.path(check.file_key)
        stem = Path(check.original_name).stem or "报告"
        out = self.store.scratch()
        result = self.pool.check(src, marked_copy_step(str(out), str(src), stem))
        if not result.annotated:
            shutil.rmtree(out, ignore_errors=True)
            return None
        return Path(result.annotated), Path(result.annotated).name

    @staticmethod
    def markable(check: Check) -> bool:
        """Whether a marked copy can be made: a workbook that was read (not a web page, text or Word file)."""
        return check.status in (PASSED, FAILED) and check.file_key[64:] in MARKABLE

    def submission_file(self, check: Check, docx: bool = False) -> tuple[Path, str] | None:
        """The clean submission workbook (gkreport submit) of a check without errors, or with `docx` the
        published report (gkreport submit --docx)."""
        if check.status != PASSED:
            return None
        out = self.store.scratch()
        stem = Path(check.original_name).stem or "报告"
        target = out / (f"{stem}-报告.docx" if docx else f"{stem}-报送.xlsx")
        result = self.pool.check(self.store.path(check.file_key), SubmissionFile(str(target), docx))
        if not result.ok or not result.annotated:
            shutil.rmtree(out, ignore_errors=True)
            return None
        return target, target.name

    # -- submissions ---------------------------------------------------------------------------

    def submit(self, unit: Unit, check_id: str) -> Submission:
        """Record a unit's check without errors as its next version; the same check twice gives the same
        version. Concurrent submissions of one unit get consecutive versions (the unique key decides)."""
        check = self.get_check(check_id, unit.id)
        if check is None:
            raise Refused("没有找到这次上传。请重新上传并校验。")
        if check.status != PASSED:
            raise Refused("报告仍有错误（或无法读取），不能提交。请改正后重新上传。")
        record = jsonio.loads(check.result_json)
        with self.Session() as s:
            year = s.get(Collection, unit.collection_id).year
        if record.get("report_year") != year:
            raise Refused(f"这份报告的年度是 {record.get('report_year')} 年，本次收集的是 {year} 年度的报告，不能提交。")
        data_digest = digest(canonical_document(record["document"])) if record.get("document") else ""
        for _ in range(20):
            with self.Session() as s:
                existing = s.scalar(select(Submission).where(Submission.check_id == check.id))
                if existing is not None:
                    return existing
                version = (s.scalar(select(func.max(Submission.version)).where(Submission.unit_id == unit.id)) or 0) + 1
                sub = Submission(unit_id=unit.id, version=version, check_id=check.id, file_key=check.file_key,
                                 digest=data_digest, submitted_at=utcnow())
                s.add(sub)
                try:
                    s.commit()
                    return sub
                except IntegrityError:
                    s.rollback()   # another request took this version number or this check: look again
        raise RuntimeError("submission could not get a version number")

    def unit_by_token(self, token: str) -> Unit | None:
        if not token or len(token) > 64:
            return None
        with self.Session() as s:
            return s.scalar(select(Unit).where(Unit.token == token))

    # -- collections ---------------------------------------------------------------------------

    def create_collection(self, year: int, title: str, roster) -> Collection:
        with self.Session() as s:
            c = Collection(year=year, title=title[:MAX_NAME], created_at=utcnow())
            s.add(c)
            s.flush()
            self._add_units(s, c, roster)
            s.commit()
            return c

    def add_units(self, collection_id: int, roster) -> int:
        with self.Session() as s:
            c = s.get(Collection, collection_id)
            n = self._add_units(s, c, roster)
            s.commit()
            return n

    def _add_units(self, s, c: Collection, roster) -> int:
        have = set(s.scalars(select(Unit.key).where(Unit.collection_id == c.id)))
        start = s.scalar(select(func.count()).select_from(Unit).where(Unit.collection_id == c.id)) or 0
        added = 0
        for ru in roster:
            key = unit_key(ru.name)[:MAX_NAME]
            if not key or key in have:
                continue
            have.add(key)
            s.add(Unit(collection_id=c.id, position=start + added, name=ru.name[:MAX_NAME], key=key,
                       parent=(ru.parent or "")[:MAX_NAME], category=(ru.category or "")[:100],
                       contact=(ru.contact or "")[:MAX_NAME], token=new_token()))
            added += 1
        return added

    def collection_state(self, collection_id: int):
        """(collection, units, checks by unit, submissions by unit), each list in time order, with results parsed."""
        with self.Session() as s:
            c = s.get(Collection, collection_id)
            if c is None:
                return None
            units = list(s.scalars(select(Unit).where(Unit.collection_id == c.id).order_by(Unit.position)))
            ids = [u.id for u in units]
            checks: dict[int, list] = {}
            for ch in s.scalars(select(Check).where(Check.unit_id.in_(ids)).order_by(Check.created_at)):
                checks.setdefault(ch.unit_id, []).append(ch)
            subs: dict[int, list] = {}
            for sub in s.scalars(select(Submission).where(Submission.unit_id.in_(ids)).order_by(Submission.version)):
                subs.setdefault(sub.unit_id, []).append(sub)
                sub.file_name = s.get(Check, sub.check_id).original_name
        for group in checks.values():
            for ch in group:
                ch.result = jsonio.loads(ch.result_json)
        by_check = {ch.id: ch for group in checks.values() for ch in group}
        for group in subs.values():
            for sub in group:
                sub.result = by_check[sub.check_id].result
        return c, units, checks, subs

    def rows(self, collection_id: int):
        state = self.collection_state(collection_id)
        if state is None:
            return None
        c, units, checks, subs = state
        return c, unit_rows(units, checks, subs, c.year, local), subs

    def current_results(self, subs: dict) -> list:
        """The current (latest) submission of every unit, as FileResults named by their stored file."""
        out = []
        for group in subs.values():
            r = result_from_record(group[-1].result)
            r.path = group[-1].file_name
            out.append(r)
        return out

    def previous_collection(self, c: Collection) -> Collection | None:
        with self.Session() as s:
            return s.scalar(select(Collection).where(Collection.year == c.year - 1).order_by(Collection.id.desc()))

    # -- downloads -------------------------------------------------------------------------------

    def zip_current(self, units, subs) -> bytes:
        """All current submissions, one file per unit named 单位-第N版.ext."""
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
            for u in units:
                group = subs.get(u.id)
                if not group:
                    continue
                sub = group[-1]
                suffix = sub.file_key[64:]
                z.write(self.store.path(sub.file_key), f"{_safe_member(u.name)}-第{sub.version}版{suffix}")
        return buffer.getvalue()

    def jsonl_current(self, subs) -> str:
        return "".join(jsonio.dumps({k: v for k, v in group[-1].result.items() if k != "origins"}) + "\n"
                       for group in subs.values())


def _safe_member(name: str) -> str:
    """A zip member name with no folder parts (a unit name is data, not a path)."""
    return "".join("_" if ch in '/\\:*?"<>|' or not ch.isprintable() else ch for ch in name).strip(". ") or "单位"
