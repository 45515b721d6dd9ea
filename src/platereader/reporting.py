"""An HTML page of evaluation misses with thumbnails, to look at what the reader gets wrong."""

from __future__ import annotations

import html
import shutil
from pathlib import Path

from platereader.evaluation import Report


def write_miss_report(folder: Path, report: Report, limit: int = 300) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "thumbs").mkdir(exist_ok=True)
    rows = []
    for i, (image, truth, read) in enumerate(report.misses[:limit]):
        src = Path(image)
        thumb = f"thumbs/{i:04d}{src.suffix.lower() or '.png'}"
        if src.is_file():
            shutil.copyfile(src, folder / thumb)
        rows.append(
            f"<tr><td><img src='{thumb}' height='48'></td><td>{html.escape(truth)}</td>"
            f"<td>{html.escape(read) or '<i>none</i>'}</td><td>{html.escape(image)}</td></tr>"
        )
    summary = html.escape(report.table()).replace("\n", "<br>")
    page = folder / "index.html"
    page.write_text(
        f"<html><head><meta charset='utf-8'><title>platereader misses</title></head><body>"
        f"<p>{summary}</p><table border='1' cellpadding='4'><tr><th>crop</th><th>truth</th><th>read</th><th>file</th></tr>"
        + "".join(rows)
        + "</table></body></html>",
        encoding="utf-8",
    )
    return page
