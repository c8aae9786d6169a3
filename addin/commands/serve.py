"""`gkreport serve`: run the web service (校验 page, unit links, collection desk, JSON API)."""
from __future__ import annotations

import argparse
import math
import os
import sys
from pathlib import Path

from addin.server.settings import RETENTION_DAYS, RETENTION_ENV, Settings


def _days(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"应为不小于 0 的天数（0 表示一直保留），收到的是“{text}”")
    return value


def add_parser(sub) -> None:
    p = sub.add_parser("serve", help="启动网页服务（校验页面、报送链接、报告收集、接口）",
                       description="启动网页服务：填报单位在浏览器中校验报告、通过报送链接提交；收集单位登录后查看收集情况、"
                       "下载汇总。需要安装可选依赖：pip install \"gkreport[server]\"。")
    p.add_argument("--host", default="127.0.0.1", help="监听地址（默认 127.0.0.1，只允许本机访问；内网服务器用 0.0.0.0）")
    p.add_argument("--port", type=int, default=8000, help="端口（默认 8000）")
    p.add_argument("--data", default="gkreport-data", metavar="DIR", help="数据目录：数据库与上传的文件（默认 ./gkreport-data/）")
    p.add_argument("--db", metavar="URL", help="数据库地址，默认使用数据目录中的 SQLite；如 postgresql+psycopg://用户:密码@主机/库名")
    p.add_argument("--max-upload-mb", type=int, default=64, metavar="MB", help="上传文件大小上限（默认 64 MB）")
    p.add_argument("--checkers", type=int, default=0, metavar="N", help="同时校验的进程数（默认等于 CPU 核心数）")
    p.add_argument("--timeout", type=float, default=60.0, metavar="秒", help="单个文件的校验时限（默认 60 秒）")
    p.add_argument("--cors-origin", action="append", default=[], metavar="ORIGIN",
                   help="允许跨域调用接口的来源（如 WPS 加载项所在的 https://addin.example.gov.cn），可重复")
    p.add_argument("--public-url", metavar="URL", help="对外访问地址（用于打印的链接，默认 http://主机:端口）")
    p.add_argument("--secure-cookies", action="store_true", help="只通过 HTTPS 发送登录 Cookie（在 HTTPS 反向代理之后使用）")
    p.add_argument("--keep-checks-days", type=_days, default=os.environ.get(RETENTION_ENV, RETENTION_DAYS),
                   metavar="天",
                   help=f"校验页面和接口上匿名校验的记录及文件保留的天数，过期自动删除（默认 {RETENTION_DAYS:g} 天，"
                        f"或环境变量 {RETENTION_ENV}；0 表示一直保留）。各单位通过报送链接的校验和报送记录不受影响")
    p.set_defaults(run=run)


def run(args) -> int:
    try:
        import uvicorn

        from addin.server.app import create_app
    except ImportError as exc:
        print(f"缺少网页服务所需的依赖（{exc.name}）。请先安装：pip install \"gkreport[server]\"", file=sys.stderr)
        return 2
    host_for_links = "127.0.0.1" if args.host in ("0.0.0.0", "::") else args.host
    settings = Settings(data_dir=Path(args.data), db_url=args.db, max_upload=args.max_upload_mb * 1024 * 1024,
                        checkers=args.checkers, check_timeout=args.timeout, cors_origins=tuple(args.cors_origin),
                        base_url=(args.public_url or f"http://{host_for_links}:{args.port}").rstrip("/"),
                        secure_cookies=args.secure_cookies, retention_days=args.keep_checks_days)
    try:
        app = create_app(settings)
    except Exception as exc:  # a database that cannot be reached or upgraded: say so, no traceback
        print(f"无法启动服务：{exc.__class__.__name__}: {exc}", file=sys.stderr)
        return 1
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning", proxy_headers=False)
    return 0
