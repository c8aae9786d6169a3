"""JSON API under /api/v1/ (OpenAPI at /api/v1/openapi.json): check a file, check a cell grid, statuses, submit."""
from __future__ import annotations

from typing import Any

from fastapi import APIRouter, File, HTTPException, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from addin import jsonio
from addin.pipeline import Options
from addin.reading.model import SheetData, WorkbookData
from addin.reporters.content import SEVERITY_FILL, marks_for
from addin.server.services import Refused, local
from addin.server.store import TooLarge, too_large_message

router = APIRouter(prefix="/api/v1", tags=["gkreport"])
MAX_GRID_CELLS = 2_000_000


class GridRequest(BaseModel):
    """A workbook as a spreadsheet add-in reads it: each sheet's used range as rows of values."""

    sheets: dict[str, list[list[Any]]] = Field(..., description="工作表名 -> 二维数组（从 A1 开始的行），值为文本、数字或 null")
    lenient: bool = Field(False, description="宽松模式：空白或占位符按 0 处理，只给出警告")


def _json(result) -> dict:
    return jsonio.loads(jsonio.dumps(result))


async def _upload(request: Request, file: UploadFile, unit_id: int | None):
    svc = request.app.state.service
    try:
        return await run_in_threadpool(svc.check_upload, file.file, file.filename, unit_id)
    except TooLarge:
        raise HTTPException(413, too_large_message(svc.settings.max_upload))


def _result(check) -> dict:
    item = jsonio.loads(check.result_json)
    item.pop("origins", None)
    item.pop("document", None)
    return {"id": check.id, "result": item}


@router.post("/check", summary="校验一个文件", description="上传报告文件（multipart 字段 file），返回与 `gkreport check --json` 相同的结果对象。")
async def check_file(request: Request, file: UploadFile = File(...)):
    return _result(await _upload(request, file, None))


@router.post("/check-grid", summary="校验单元格数据",
             description="WPS JS 加载项、Office.js 加载项或 xlwings Lite 把各工作表的值作为二维数组发来；"
                         "返回问题清单和应做的标注（单元格、填充颜色、批注）。")
async def check_grid(request: Request, body: GridRequest):
    if sum(len(r) for rows in body.sheets.values() for r in rows) > MAX_GRID_CELLS:
        raise HTTPException(413, "单元格太多：一次最多校验 2,000,000 个单元格。")
    workbook = WorkbookData([SheetData(name, [list(r) for r in rows]) for name, rows in body.sheets.items()])
    pool = request.app.state.service.pool
    result = await run_in_threadpool(pool.check, workbook, None, Options(lenient=body.lenient))
    marks = [{"sheet": sheet, "cell": cell, "severity": m.severity, "colour": "#" + m.fill, "note": m.note,
              "codes": list(m.codes)} for (sheet, cell), m in marks_for(result).items()]
    return {"result": _json(result.as_dict()), "marks": marks, "colours": {k: "#" + v for k, v in SEVERITY_FILL.items()}}


@router.get("/collections/{cid}/statuses", summary="收集情况",
            description="需要收集单位登录（会话 Cookie）。每个单位的状态、时间、版本数、联系人和错误数。")
def statuses(request: Request, cid: int):
    if not request.session.get("uid"):
        raise HTTPException(401, "请先登录。")
    got = request.app.state.service.rows(cid)
    if got is None:
        raise HTTPException(404, "没有这个收集。")
    c, rows, _subs = got
    return {"collection": {"id": c.id, "year": c.year, "title": c.title},
            "units": [{"name": r.unit.name, "parent": r.unit.parent, "category": r.unit.category,
                       "contact": r.unit.contact, "status": r.status, "at": local(r.at) or None,
                       "versions": r.versions, "errors": r.errors, "warnings": r.warnings} for r in rows]}


@router.post("/units/{token}/submissions", summary="报送（校验并提交）",
             description="以单位的报送链接令牌上传报告：先校验；没有错误时保存为新的版本并返回回执，有错误时不保存（状态 422）。")
async def submit(request: Request, token: str, file: UploadFile = File(...)):
    svc = request.app.state.service
    unit = svc.unit_by_token(token)
    if unit is None:
        raise HTTPException(404, "报送链接无效。")
    check = await _upload(request, file, unit.id)
    out = _result(check)
    if check.status != "passed":
        raise HTTPException(422, {"message": "校验未通过，未保存。请改正错误后重新报送。", **out})
    try:
        sub = await run_in_threadpool(svc.submit, unit, check.id)
    except Refused as exc:
        raise HTTPException(422, {"message": str(exc), **out})

    out["receipt"] = {"unit": unit.name, "version": sub.version, "submitted_at": local(sub.submitted_at),
                      "digest": sub.digest, "file_sha256": sub.file_key[:64]}
    return out
