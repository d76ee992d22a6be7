"""A first web page: the zone summary, and the same as JSON under /api/v1."""

from __future__ import annotations

import html
from typing import Any

from fastapi import FastAPI
from fastapi.responses import HTMLResponse

from zonebrain import __version__
from zonebrain.core.money import display_fen
from zonebrain.portrait import zone_summary
from zonebrain.storage import open_warehouse


def create_app(warehouse_url: str) -> FastAPI:
    app = FastAPI(
        title="ZoneBrain 产业大脑",
        version=__version__,
        docs_url="/api/docs",
        openapi_url="/api/v1/openapi.json",
    )

    def summary() -> dict[str, Any]:
        with open_warehouse(warehouse_url, read_only=True) as wh:
            s = zone_summary(wh)
            return {
                "year": s.year,
                "enterprises": s.enterprises,
                "by_park": s.by_park.to_pylist(),
                "by_section": s.by_section.to_pylist(),
                "top_classes": s.top_classes.to_pylist(),
            }

    @app.get("/api/v1/summary")
    def api_summary() -> dict[str, Any]:
        """园区概况 / zone summary (money in fen)."""
        return summary()

    @app.get("/healthz")
    def health() -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    @app.get("/", response_class=HTMLResponse)
    def index() -> str:
        s = summary()

        def rows(items: list[dict[str, Any]], keys: list[str]) -> str:
            out = []
            for item in items:
                cells = []
                for k in keys:
                    v = item[k]
                    text = display_fen(int(v), "万元") if k == "revenue_fen" and v is not None else str(v)
                    cells.append(f"<td>{html.escape(text)}</td>")
                out.append("<tr>" + "".join(cells) + "</tr>")
            return "\n".join(out)

        return f"""<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<title>产业大脑 ZoneBrain</title>
<style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse;margin:1em 0}}
td,th{{border:1px solid #ccc;padding:4px 8px}}</style></head><body>
<h1>产业大脑 · 园区概况 <small>ZoneBrain zone summary</small></h1>
<p>在营企业 {s["enterprises"]} 家; 营收年度 {s["year"]} (金额单位: 万元)</p>
<h2>各园区 By park</h2><table><tr><th>园区</th><th>企业数</th><th>营收(万元)</th></tr>
{rows(s["by_park"], ["park", "enterprises", "revenue_fen"])}</table>
<h2>按门类营收 By section</h2><table><tr><th>门类</th><th>名称</th><th>企业数</th><th>营收(万元)</th></tr>
{rows(s["by_section"], ["section", "section_name", "enterprises", "revenue_fen"])}</table>
<h2>企业数前十小类 Top 10 classes</h2><table><tr><th>代码</th><th>名称</th><th>企业数</th><th>营收(万元)</th></tr>
{rows(s["top_classes"], ["industry_code", "class_name", "enterprises", "revenue_fen"])}</table>
<p>API: <a href="/api/v1/summary">/api/v1/summary</a> · <a href="/api/docs">OpenAPI</a></p>
</body></html>"""

    return app
