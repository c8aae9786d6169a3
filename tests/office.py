"""Run the real spreadsheet application (LibreOffice, headless) on test files."""
from __future__ import annotations

import shutil
import subprocess
import uuid
from pathlib import Path

import pytest

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
needs_office = pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed")


def convert(source: Path, fmt: str, outdir: Path, timeout: int = 180) -> Path:
    """`soffice --headless --convert-to FMT`; a private profile per call avoids lock conflicts."""
    outdir.mkdir(parents=True, exist_ok=True)
    profile = Path("/tmp") / f"lo-profile-{uuid.uuid4().hex}"
    try:
        subprocess.run([SOFFICE, f"-env:UserInstallation=file://{profile}", "--headless", "--norestore",
                        "--convert-to", fmt, "--outdir", str(outdir), str(source)],
                       check=True, capture_output=True, timeout=timeout)
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    out = outdir / f"{source.stem}.{fmt.split(':')[0]}"
    assert out.is_file(), f"LibreOffice wrote no {out.name}"
    return out
