"""Convert a .docx to PDF with LibreOffice (headless): proof that a report is a valid document."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from zonebrain.core.errors import ConfigError


def office_binary() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def docx_to_pdf(path: Path | str, outdir: Path | str, timeout: float = 180) -> Path:
    """Return the PDF LibreOffice made of *path* in *outdir*; ConfigError when it is missing or fails."""
    exe = office_binary()
    if exe is None:
        raise ConfigError(
            "未安装 LibreOffice (LibreOffice not found); apt-get install libreoffice-writer-nogui"
        )
    path, outdir = Path(path), Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as profile:
        cmd = [
            exe,
            f"-env:UserInstallation=file://{profile}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(outdir),
            str(path),
        ]
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
    pdf = outdir / (path.stem + ".pdf")
    if done.returncode != 0 or not pdf.exists():
        raise ConfigError(
            f"LibreOffice 转换失败 (conversion failed): {done.stderr.strip() or done.stdout.strip()}"
        )
    return pdf
