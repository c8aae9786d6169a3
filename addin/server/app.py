"""The ASGI application: settings in, FastAPI app out (database upgraded, store swept, checkers started)."""
from __future__ import annotations

import asyncio
import contextlib
import sys
from pathlib import Path

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.staticfiles import StaticFiles

from addin.server import api, db, security, web
from addin.server.checker import CheckerPool
from addin.server.retention import expire_anonymous_checks
from addin.server.services import Service
from addin.server.settings import Settings
from addin.server.store import FileStore, too_large_message

HERE = Path(__file__).resolve().parent


class UploadLimit:
    """Refuse a request body larger than the limit while it streams in (413), before it is stored anywhere."""

    def __init__(self, app, limit: int):
        self.app = app
        self.limit = limit

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        if declared and declared.isdigit() and int(declared) > self.limit + 64 * 1024:
            return await _too_large(scope, send, self.limit)
        seen = 0
        started = False

        async def limited_receive():
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit + 64 * 1024:   # the multipart framing around the file
                    raise _TooLarge
            return message

        async def tracking_send(message):
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except _TooLarge:
            if not started:
                await _too_large(scope, send, self.limit)


class _TooLarge(Exception):
    pass


async def _too_large(scope, send, limit: int):
    wants_json = scope["path"].startswith("/api/") or any(
        k == b"accept" and b"application/json" in v for k, v in scope.get("headers") or [])
    message = too_large_message(limit)
    response = (JSONResponse({"detail": message}, status_code=413) if wants_json
                else PlainTextResponse(message, status_code=413))
    await response({"type": "http", **scope}, _no_receive, send)


async def _no_receive():
    return {"type": "http.disconnect"}


def create_app(settings: Settings, *, announce=None):
    """The service for `settings`; `announce(lines)` receives the start-up lines (default: stderr)."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = db.make_engine(settings.database_url)
    Session = db.sessions(engine)
    with db.start_lock(engine):   # several instances may start at once on one database
        db.upgrade(engine)
        with Session() as s:
            secret = security.secret_key(s)
    store = FileStore(settings.data_dir)
    expired = expire_anonymous_checks(Session, store, settings.retention_days, settings.upload_grace)
    with Session() as s:
        referenced = set(s.scalars(db.select(db.Check.file_key)))
    swept = store.sweep(referenced, settings.orphan_grace)

    async def expire_periodically():
        while True:
            await asyncio.sleep(settings.retention_interval)
            try:
                await asyncio.to_thread(expire_anonymous_checks, Session, store, settings.retention_days,
                                        settings.upload_grace)
            except Exception as exc:  # a database hiccup must not stop the service; the next round retries
                _stderr([f"清理过期的校验记录时出错（稍后重试）：{exc.__class__.__name__}: {exc}"])

    @contextlib.asynccontextmanager
    async def lifespan(app):
        app.state.service.pool = CheckerPool(settings.checker_count, settings.check_timeout)
        with db.start_lock(engine), Session() as s:
            token = security.setup_link_token(s)
        lines = [f"gkreport 服务已启动：{settings.base_url or '/'}"]
        if swept:
            lines.append(f"已清理上次异常退出遗留的 {len(swept)} 个未登记文件。")
        if expired.checks:
            lines.append(f"已删除超过 {settings.retention_days:g} 天的匿名校验记录 {expired.checks} 条"
                         f"（文件 {len(expired.files)} 个）。")
        sweeper = (asyncio.get_running_loop().create_task(expire_periodically())
                   if settings.retention_days and settings.retention_days > 0 else None)
        if token:
            lines.append(f"首次启动：请在浏览器中打开以下一次性链接，创建收集单位的账户：{settings.base_url}/setup/{token}")
        (announce or _stderr)(lines)
        try:
            yield
        finally:
            if sweeper is not None:
                sweeper.cancel()
            app.state.service.pool.close()
            engine.dispose()

    app = FastAPI(title="gkreport 服务接口", version="1", lifespan=lifespan, docs_url=None, redoc_url=None,
                  openapi_url="/api/v1/openapi.json",
                  description="政府信息公开工作年度报告校验服务：校验文件、校验单元格数据、查询收集情况。")
    app.state.settings = settings
    app.state.engine = engine
    app.state.service = Service(Session, store, None, settings)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    app.include_router(api.router)
    app.include_router(web.router)
    web.install_errors(app)
    app.add_middleware(SessionMiddleware, secret_key=secret, session_cookie="gkreport_session",
                       max_age=8 * 3600, same_site="lax", https_only=settings.secure_cookies)
    if settings.cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=list(settings.cors_origins), allow_methods=["GET", "POST"],
                           allow_headers=["Content-Type"], allow_credentials=False)
    app.add_middleware(UploadLimit, limit=settings.max_upload)
    return app


def _stderr(lines) -> None:
    for line in lines:
        print(line, file=sys.stderr, flush=True)
