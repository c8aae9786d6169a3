"""HTML pages: the clerk's 校验 page, a unit's 报送 pages, and the collecting office's desk."""
from __future__ import annotations

import datetime as dt
import io
import shutil
import tempfile
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.templating import Jinja2Templates
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from sqlalchemy import func, select
from starlette.background import BackgroundTask
from starlette.exceptions import HTTPException

from addin import jsonio
from addin.catalogue import stored_kind
from addin.findings import READING, READING_HEADING, SEVERITY_ZH
from addin.result import FAILED, PASSED, TIMED_OUT
from addin.server import collect, paper, security
from addin.server.db import Collection, Setting, Submission, Unit, User, utcnow
from addin.server.services import Refused, Service, content_disposition, local, result_from_record
from addin.server.store import TooLarge, too_large_message
from addin.validation.cross_year import findings as xy_findings
from addin.writing.collection_book import build_book, write_totals
from addin.writing.template import TemplateError, write_template

router = APIRouter(include_in_schema=False)
HERE = Path(__file__).resolve().parent
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
YEARS = range(2019, dt.date.today().year + 2)


def _templates():
    t = Jinja2Templates(directory=str(HERE / "templates"))
    t.env.globals.update(SEVERITY_ZH=SEVERITY_ZH, READING_HEADING=READING_HEADING, local=local, STATUSES=collect.STATUSES, markable=Service.markable)
    t.env.filters["local"] = local
    return t


TEMPLATES = None


def page(request: Request, name: str, status_code: int = 200, **context) -> HTMLResponse:
    global TEMPLATES
    if TEMPLATES is None:
        TEMPLATES = _templates()
    context.setdefault("user", request.session.get("user"))
    context["csrf"] = csrf_token(request)
    return TEMPLATES.TemplateResponse(request, name, context, status_code=status_code)


def message(request: Request, title: str, text: str, status_code: int = 400) -> HTMLResponse:
    return page(request, "message.html", status_code, title=title, text=text)


def service(request: Request):
    return request.app.state.service


# -- CSRF ----------------------------------------------------------------------------------------

def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not token:
        token = request.session["csrf"] = security.new_token(16)
    return token


def check_csrf(request: Request, form) -> None:
    if not security.same(form.get("csrf"), request.session.get("csrf")):
        raise HTTPException(403, "页面已过期或来源不明（CSRF 校验未通过）。请刷新页面后重试。")


async def read_form(request: Request):
    form = await request.form(max_files=1, max_fields=20)
    check_csrf(request, form)
    return form


def wants_json(request: Request) -> bool:
    return "application/json" in request.headers.get("accept", "")


def install_errors(app) -> None:
    @app.exception_handler(HTTPException)
    async def _http_error(request: Request, exc: HTTPException):
        if request.url.path.startswith("/api/") or wants_json(request):
            return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers)
        if exc.status_code in (301, 302, 303) and exc.headers:
            return RedirectResponse(exc.headers["Location"], status_code=303)
        titles = {403: "无法完成操作", 404: "未找到", 413: "文件太大", 429: "请稍后再试"}
        detail = exc.detail if isinstance(exc.detail, str) and exc.status_code != 404 else "您要找的页面不存在或链接已失效。"
        return message(request, titles.get(exc.status_code, "出错了"), detail, exc.status_code)

    @app.exception_handler(Exception)
    async def _server_error(request: Request, exc: Exception):
        # a bug must not show a traceback to the clerk; the server log has it
        import logging

        logging.getLogger("gkreport.server").exception("unhandled error on %s", request.url.path)
        text = "服务器处理时出错，您的文件没有丢失。请稍后重试；如果仍然出错，请联系收集单位。"
        if request.url.path.startswith("/api/") or wants_json(request):
            return JSONResponse({"detail": text}, status_code=500)
        return HTMLResponse(f"<!doctype html><meta charset=utf-8><title>出错了</title><p>{text}</p>", status_code=500)


# -- presentation of one result --------------------------------------------------------------------

def verdict(result: dict) -> str:
    c = result.get("counts", {})
    status = result.get("status")
    if status == PASSED:
        if c.get("warning"):
            return f"校验通过：没有错误，有 {c['warning']} 处警告，请逐一核实。可以下载报送文件。"
        return "校验通过：没有发现错误。可以下载报送文件。"
    if status == FAILED:
        if not any(f.get("severity") == "error" and stored_kind(f) != READING for f in result.get("findings", [])):
            return (f"校验未通过：有 {c.get('error', 0)} 处内容工具未能读取（读取存疑），未经校验不能视为通过。"
                    "请以原件核对，或上传可以读取的文件（如报告工作簿或可复制文字的 PDF）。")
        return f"校验未通过：有 {c.get('error', 0)} 处错误。请按下面的说明改正后重新上传校验。"
    first = (result.get("findings") or [{}])[0].get("message", "")
    if status == TIMED_OUT:
        return f"校验超时：{first} 请检查文件是否正常，或联系收集单位。"
    return f"无法读取该文件：{first}"


def grouped(result: dict) -> list[tuple[str, list[dict]]]:
    """The report's defects by sheet; the doubts of the reading are listed apart (doubts)."""
    groups: dict[str, list[dict]] = {}
    for f in result.get("findings", []):
        if stored_kind(f) != READING:
            groups.setdefault(f.get("sheet") or "（整个文件）", []).append(f)
    return list(groups.items())


def doubts(result: dict) -> list[dict]:
    """What the tool could not read, place or compare: shown after the report's defects, apart from them."""
    return [f for f in result.get("findings", []) if stored_kind(f) == READING]


def result_context(check) -> dict:
    result = jsonio.loads(check.result_json)
    return dict(check=check, result=result, verdict=verdict(result), groups=grouped(result), doubts=doubts(result),
                sheets=paper.sheets(result), passed=check.status == PASSED, markable=Service.markable(check))


def download(path: Path, name: str, media_type: str = XLSX) -> FileResponse:
    return FileResponse(path, media_type=media_type, headers={"Content-Disposition": content_disposition(name)},
                        background=BackgroundTask(shutil.rmtree, path.parent, ignore_errors=True))


def bytes_download(data: bytes | str, name: str, media_type: str) -> Response:
    return Response(data, media_type=media_type, headers={"Content-Disposition": content_disposition(name)})


async def _upload(request: Request, unit_id: int | None):
    form = await read_form(request)
    upload = form.get("file")
    if upload is None or not hasattr(upload, "read") or not upload.filename:
        raise HTTPException(400, "请先选择要校验的报告文件。")
    svc = service(request)
    try:
        return await run_in_threadpool(svc.check_upload, upload.file, upload.filename, unit_id)
    except TooLarge:
        raise HTTPException(413, too_large_message(svc.settings.max_upload))


def _go(request: Request, url: str):
    """After a POST: JSON {"url"} for the page's script (progress bar), a 303 redirect without script."""
    if wants_json(request):
        return JSONResponse({"url": url})
    return RedirectResponse(url, status_code=303)


# -- the clerk ---------------------------------------------------------------------------------------

@router.get("/", response_class=HTMLResponse)
def index(request: Request):
    return page(request, "index.html", years=YEARS, this_year=dt.date.today().year - 1,
                max_mb=service(request).settings.max_upload // (1024 * 1024))


@router.post("/check")
async def check(request: Request):
    c = await _upload(request, None)
    return _go(request, f"/check/{c.id}")


def _clerk_check(request: Request, check_id: str):
    c = service(request).get_check(check_id, None)
    if c is None:
        raise HTTPException(404)
    return c


@router.get("/check/{check_id}", response_class=HTMLResponse)
def check_page(request: Request, check_id: str):
    c = _clerk_check(request, check_id)
    return page(request, "result.html", base=f"/check/{c.id}", kept_days=service(request).settings.retention_days,
                **result_context(c))


@router.get("/check/{check_id}/marked")
def check_marked(request: Request, check_id: str):
    return _marked(request, _clerk_check(request, check_id))


@router.get("/check/{check_id}/submission")
def check_submission(request: Request, check_id: str):
    return _submission(request, _clerk_check(request, check_id))


@router.get("/check/{check_id}/report.docx")
def check_report_docx(request: Request, check_id: str):
    return _submission(request, _clerk_check(request, check_id), docx=True)


def _marked(request: Request, c):
    got = service(request).marked_copy(c) if Service.markable(c) else None
    if got is None:
        return message(request, "无法生成标注副本", "只有能读取的 Excel 工作簿（.xlsx、.xlsm、.xls、.ods）才能生成标注副本；"
                       "网页、纯文本和 Word 形式的报告请按页面上的问题清单修改。", 409)
    return download(*got)


def _submission(request: Request, c, docx: bool = False):
    got = service(request).submission_file(c, docx)
    if got is None:
        return message(request, "无法生成报送文件", "报告仍有错误（或无法读取），改正全部错误后才能生成报送文件。", 409)
    return download(*got)


@router.get("/template")
def template(request: Request, year: int):
    folder = Path(tempfile.mkdtemp(dir=service(request).store.tmp))
    name = f"{year}年政府信息公开工作年度报告（空白模板）.xlsx"
    try:
        write_template(folder / "template.xlsx", year)
    except TemplateError as exc:
        folder.rmdir()
        return message(request, "无法生成模板", str(exc), 400)
    return download(folder / "template.xlsx", name)


# -- a unit (its link) ---------------------------------------------------------------------------------

def _unit(request: Request, token: str) -> Unit:
    u = service(request).unit_by_token(token)
    if u is None:
        raise HTTPException(404)
    return u


def _unit_versions(request: Request, u: Unit):
    with service(request).Session() as s:
        return list(s.scalars(select(Submission).where(Submission.unit_id == u.id).order_by(Submission.version)))


def _collection_of(request: Request, u: Unit) -> Collection:
    with service(request).Session() as s:
        return s.get(Collection, u.collection_id)


@router.get("/u/{token}", response_class=HTMLResponse)
def unit_home(request: Request, token: str):
    u = _unit(request, token)
    return page(request, "unit.html", unit=u, collection=_collection_of(request, u), versions=_unit_versions(request, u),
                max_mb=service(request).settings.max_upload // (1024 * 1024))


@router.post("/u/{token}/check")
async def unit_check(request: Request, token: str):
    u = _unit(request, token)
    c = await _upload(request, u.id)
    return _go(request, f"/u/{token}/check/{c.id}")


def _unit_check(request: Request, token: str, check_id: str):
    u = _unit(request, token)
    c = service(request).get_check(check_id, u.id)
    if c is None:
        raise HTTPException(404)
    return u, c


@router.get("/u/{token}/check/{check_id}", response_class=HTMLResponse)
def unit_check_page(request: Request, token: str, check_id: str):
    u, c = _unit_check(request, token, check_id)
    return page(request, "result.html", base=f"/u/{token}/check/{c.id}", unit=u, token=token,
                collection=_collection_of(request, u), **result_context(c))


@router.get("/u/{token}/check/{check_id}/marked")
def unit_marked(request: Request, token: str, check_id: str):
    return _marked(request, _unit_check(request, token, check_id)[1])


@router.get("/u/{token}/check/{check_id}/submission")
def unit_submission_file(request: Request, token: str, check_id: str):
    return _submission(request, _unit_check(request, token, check_id)[1])


@router.get("/u/{token}/check/{check_id}/report.docx")
def unit_report_docx(request: Request, token: str, check_id: str):
    return _submission(request, _unit_check(request, token, check_id)[1], docx=True)


@router.post("/u/{token}/submit")
async def unit_submit(request: Request, token: str):
    u = _unit(request, token)
    form = await read_form(request)
    try:
        sub = await run_in_threadpool(service(request).submit, u, str(form.get("check", ""))[:64])
    except Refused as exc:
        return message(request, "未能提交", str(exc), 409)
    return RedirectResponse(f"/u/{token}/receipt/{sub.version}", status_code=303)


@router.get("/u/{token}/receipt/{version}", response_class=HTMLResponse)
def unit_receipt(request: Request, token: str, version: int):
    u = _unit(request, token)
    sub = next((v for v in _unit_versions(request, u) if v.version == version), None)
    if sub is None:
        raise HTTPException(404)
    c = service(request).get_check(sub.check_id, u.id)
    return page(request, "receipt.html", unit=u, collection=_collection_of(request, u), sub=sub, check=c,
                token=token, result=jsonio.loads(c.result_json))


# -- the collecting office: account ----------------------------------------------------------------------

LOGIN_BLOCKED_ZH = {
    "address": "登录失败次数过多，请 15 分钟后再试。",
    "account": "该用户名最近登录失败次数过多，为防止密码被猜测，已暂停登录，请 15 分钟后再试。",
}


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def collector(request: Request) -> int:
    uid = request.session.get("uid")
    if not uid:
        raise HTTPException(303, headers={"Location": "/login"})
    return uid


def _setup_valid(request: Request, token: str) -> bool:
    with service(request).Session() as s:
        stored = s.get(Setting, "setup_token")
        has_user = s.scalar(select(func.count()).select_from(User))
    return bool(stored and stored.value and not has_user and security.same(stored.value, security.token_digest(token)))


@router.get("/setup/{token}", response_class=HTMLResponse)
def setup_page(request: Request, token: str):
    if not _setup_valid(request, token):
        raise HTTPException(404)
    return page(request, "setup.html", token=token)


@router.post("/setup/{token}")
async def setup(request: Request, token: str):
    form = await read_form(request)
    if not _setup_valid(request, token):
        raise HTTPException(404)
    username, password = str(form.get("username", "")).strip(), str(form.get("password", ""))
    if not username or len(password) < 10 or password != form.get("password2"):
        return page(request, "setup.html", 400, token=token,
                    error="请填写用户名；密码至少 10 个字符，两次输入须一致。")
    with service(request).Session() as s:
        s.add(User(username=username[:64], password_hash=security.hash_password(password), created_at=utcnow()))
        s.delete(s.get(Setting, "setup_token"))
        s.commit()
    return RedirectResponse("/login", status_code=303)


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request):
    return page(request, "login.html")


@router.post("/login")
async def login(request: Request):
    form = await read_form(request)
    svc = service(request)
    address = _client(request)
    username = str(form.get("username", "")).strip()
    with svc.Session() as s:
        blocked = security.login_blocked(s, address, username, svc.settings.login_limit,
                                         svc.settings.account_login_limit)
        if blocked:
            return page(request, "login.html", 429, error=LOGIN_BLOCKED_ZH[blocked])
        user = s.scalar(select(User).where(User.username == username))
        ok = user is not None and security.verify_password(user.password_hash, str(form.get("password", "")))
        security.record_login(s, address, username, ok)
    if not ok:
        return page(request, "login.html", 401, error="用户名或密码不正确。")
    request.session.clear()   # a new session on login (no fixation)
    request.session.update(uid=user.id, user=user.username, csrf=security.new_token(16))
    return RedirectResponse("/collections", status_code=303)


@router.post("/logout")
async def logout(request: Request):
    await read_form(request)
    request.session.clear()
    return RedirectResponse("/login", status_code=303)


# -- collections and the dashboard --------------------------------------------------------------------

@router.get("/collections", response_class=HTMLResponse)
def collections(request: Request):
    collector(request)
    with service(request).Session() as s:
        items = list(s.scalars(select(Collection).order_by(Collection.year.desc(), Collection.id.desc())))
    return page(request, "collections.html", items=items, years=YEARS, this_year=dt.date.today().year - 1)


async def _roster(form) -> list:
    text = str(form.get("roster", ""))
    upload = form.get("roster_file")
    if upload is not None and hasattr(upload, "read") and upload.filename:
        data = await upload.read(2 * 1024 * 1024)
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                text += "\n" + data.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
    return collect.parse_roster_text(text) if text.strip() else []


@router.post("/collections")
async def create_collection(request: Request):
    collector(request)
    form = await read_form(request)
    try:
        year = int(str(form.get("year", "")))
    except ValueError:
        year = 0
    if year not in YEARS:
        return message(request, "无法创建", "请选择正确的报告年度。", 400)
    title = str(form.get("title", "")).strip() or f"{year}年度政府信息公开工作年度报告收集"
    try:
        roster = await _roster(form)
    except collect.RosterError as exc:
        return message(request, "单位名单有误", str(exc), 400)
    c = await run_in_threadpool(service(request).create_collection, year, title, roster)
    return RedirectResponse(f"/collections/{c.id}", status_code=303)


@router.post("/collections/{cid}/units")
async def add_units(request: Request, cid: int):
    collector(request)
    form = await read_form(request)
    if _rows(request, cid) is None:
        raise HTTPException(404)
    try:
        roster = await _roster(form)
    except collect.RosterError as exc:
        return message(request, "单位名单有误", str(exc), 400)
    await run_in_threadpool(service(request).add_units, cid, roster)
    return RedirectResponse(f"/collections/{cid}", status_code=303)


def _rows(request: Request, cid: int):
    return service(request).rows(cid)


def _need_rows(request: Request, cid: int):
    collector(request)
    got = _rows(request, cid)
    if got is None:
        raise HTTPException(404)
    return got


@router.get("/collections/{cid}", response_class=HTMLResponse)
def dashboard(request: Request, cid: int, status: str = "", q: str = ""):
    c, rows, subs = _need_rows(request, cid)
    counts = {s: sum(1 for r in rows if r.status == s) for s in collect.STATUSES}
    shown = [r for r in rows if (not status or r.status == status) and (not q or q in r.unit.name)]
    remind = [r for r in rows if r.status != collect.SUBMITTED]
    base = str(request.base_url).rstrip("/")
    return page(request, "dashboard.html", collection=c, rows=shown, counts=counts, status=status, q=q,
                remind=remind, base=base, total=len(rows), has_previous=service(request).previous_collection(c) is not None)


@router.get("/collections/{cid}/units/{uid}", response_class=HTMLResponse)
def unit_detail(request: Request, cid: int, uid: int):
    c, rows, subs = _need_rows(request, cid)
    row = next((r for r in rows if r.unit.id == uid), None)
    if row is None:
        raise HTTPException(404)
    state = service(request).collection_state(cid)
    checks = state[2].get(uid, [])
    latest = row.latest
    sheets = paper.sheets(latest) if latest else []
    return page(request, "unit_detail.html", collection=c, row=row, versions=subs.get(uid, []), checks=checks,
                result=latest, groups=grouped(latest) if latest else [], doubts=doubts(latest) if latest else [],
                sheets=sheets,
                link=str(request.base_url).rstrip("/") + f"/u/{row.unit.token}")


def _collection_check(request: Request, cid: int, check_id: str):
    """A check uploaded through the link of a unit of this collection (the collector's view)."""
    collector(request)
    svc = service(request)
    c = svc.get_check(check_id, any_unit=True)
    state = svc.collection_state(cid)
    if c is None or state is None or c.unit_id not in {u.id for u in state[1]}:
        raise HTTPException(404)
    return c


@router.get("/collections/{cid}/checks/{check_id}/file")
def collector_file(request: Request, cid: int, check_id: str):
    c = _collection_check(request, cid, check_id)
    return FileResponse(service(request).store.path(c.file_key), media_type="application/octet-stream",
                        headers={"Content-Disposition": content_disposition(c.original_name)})


@router.get("/collections/{cid}/checks/{check_id}/marked")
def collector_marked(request: Request, cid: int, check_id: str):
    return _marked(request, _collection_check(request, cid, check_id))


@router.get("/collections/{cid}/yoy", response_class=HTMLResponse)
def year_over_year(request: Request, cid: int):
    c, rows, subs = _need_rows(request, cid)
    svc = service(request)
    prev = svc.previous_collection(c)
    if prev is None:
        return message(request, "没有上一年度的收集", f"没有 {c.year - 1} 年度的收集，无法做跨年度对比。", 404)
    _, prev_rows, prev_subs = svc.rows(prev.id)
    by_key = {r.unit.key: r for r in prev_rows}
    items = []
    for r in rows:
        p = by_key.get(r.unit.key)
        found = []
        if p is not None and r.status == collect.SUBMITTED and p.status == collect.SUBMITTED:
            found = [f.as_dict() for f in xy_findings(result_from_record(r.latest), result_from_record(p.latest))]
        items.append(dict(row=r, prev=p, findings=found))
    figures = collect.year_on_year(collect.submissions_view(c, [r.unit for r in rows], subs), svc.current_results(prev_subs))
    return page(request, "yoy.html", collection=c, previous=prev, items=items, figures=figures)


# -- downloads ---------------------------------------------------------------------------------------------

def _name(c: Collection, what: str, suffix: str) -> str:
    return f"{c.title}-{what}{suffix}"


@router.get("/collections/{cid}/summary.xlsx")
def summary_download(request: Request, cid: int):
    c, rows, subs = _need_rows(request, cid)
    svc = service(request)
    view = collect.submissions_view(c, [r.unit for r in rows], subs)
    prev = svc.previous_collection(c)
    previous = svc.current_results(svc.rows(prev.id)[2]) if prev is not None else None
    buffer = io.BytesIO()
    build_book(view, command=f"gkreport serve：{c.title}", previous=previous).save(buffer)
    return bytes_download(buffer.getvalue(), _name(c, "汇总", ".xlsx"), XLSX)


@router.get("/collections/{cid}/totals.xlsx")
def totals_download(request: Request, cid: int):
    c, rows, subs = _need_rows(request, cid)
    view = collect.submissions_view(c, [r.unit for r in rows], subs)
    target = service(request).store.scratch() / "totals.xlsx"
    write_totals(target, view)
    return download(target, _name(c, "合计", ".xlsx"))


@router.get("/collections/{cid}/submissions.zip")
def zip_download(request: Request, cid: int):
    c, rows, subs = _need_rows(request, cid)
    return bytes_download(service(request).zip_current([r.unit for r in rows], subs), _name(c, "报送文件", ".zip"),
                          "application/zip")


@router.get("/collections/{cid}/results.jsonl")
def jsonl_download(request: Request, cid: int):
    c, rows, subs = _need_rows(request, cid)
    return bytes_download(service(request).jsonl_current(subs).encode("utf-8"), _name(c, "校验结果", ".jsonl"),
                          "application/x-ndjson")


@router.get("/api/v1/docs", response_class=HTMLResponse)
def api_docs(request: Request):
    return page(request, "api_docs.html", spec=request.app.openapi())
