"""Run the real spreadsheet application (LibreOffice, headless) on test files."""
from __future__ import annotations

import re
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
needs_office = pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed")


def convert(source: Path, fmt: str, outdir: Path, infilter: str | None = None, timeout: int = 180) -> Path:
    """`soffice --headless --convert-to FMT`; a private profile per call avoids lock conflicts between runs."""
    outdir.mkdir(parents=True, exist_ok=True)
    profile = Path("/tmp") / f"lo-profile-{uuid.uuid4().hex}"
    args = [SOFFICE or "soffice", f"-env:UserInstallation=file://{profile}", "--headless", "--norestore"]
    if infilter:
        args.append(f"--infilter={infilter}")
    try:
        proc = subprocess.run(args + ["--convert-to", fmt, "--outdir", str(outdir), str(source)],
                              capture_output=True, text=True, timeout=timeout)
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    assert proc.returncode == 0, proc.stderr
    ext = fmt.split(":")[0]
    out = outdir / f"{source.stem}.{ext}"
    if not out.is_file():
        # a csv export of one sheet of several is named after the sheet as well
        found = sorted(outdir.glob(f"{source.stem}*.{ext}"))
        assert found, f"LibreOffice wrote no {out.name}"
        out = found[0]
    return out


def pdf_pages(pdf: Path) -> int:
    if shutil.which("pdfinfo"):
        info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
        return int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))
    return len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", pdf.read_bytes()))
