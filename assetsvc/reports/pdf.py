"""The report as PDF for signing and archiving: a title page with the districts' online rates as bars
(drawn here, no chart service), then every table of the report, in an offline CJK font.

fpdf2 embeds a subset of a TrueType or OpenType (CFF) font, .ttc collections included; the font
comes from a Debian package (fonts-wqy-zenhei or fonts-noto-cjk), never from the network. Cells
are the same flat tables as XLSX and CSV (tables_out.py); rates are printed as percentages with
two decimals, the rest as in the JSON.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fpdf import FPDF

from assetsvc.errors import Conflict
from assetsvc.reports.tables_out import PERCENT, Table

# The first of these that exists is used (fonts-wqy-zenhei, then fonts-noto-cjk).
FONT_PATHS = (Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"),
              Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"))
ROW_MM = 5.0
# fpdf2 quirk (2.8.3, fpdf/output.py): a CFF-based OpenType font such as Noto CJK is embedded with a
# TrueType font descriptor, so poppler warns "Mismatch between font type and embedded font file";
# the text still renders and extracts. fonts-wqy-zenhei (TrueType outlines) has no such mismatch.


def font_path() -> Path:
    found = next((p for p in FONT_PATHS if p.exists()), None)
    if found is None:
        raise Conflict("no CJK font for the PDF on this server: install the Debian package fonts-wqy-zenhei "
                       f"(or fonts-noto-cjk); looked for {', '.join(str(p) for p in FONT_PATHS)}")
    return found


def cell_text(value: Any, kind: str) -> str:
    if value is None:
        return ""
    if kind == PERCENT and isinstance(value, (int, float)) and not isinstance(value, bool):
        return f"{value * 100:.2f}%"
    return str(value)


def _fit(pdf: FPDF, text: str, width: float) -> str:
    """Cut text to the cell width (the XLSX and CSV carry it whole)."""
    if pdf.get_string_width(text) <= width - 1:
        return text
    while text and pdf.get_string_width(text + "…") > width - 1:
        text = text[:-1]
    return text + "…"


def _bars(pdf: FPDF, rows: list[dict[str, Any]]) -> None:
    """Online rate (time-weighted) of each district as a horizontal bar, 0-100 %."""
    districts = [r for r in rows if r["kind"] == "district"]
    pdf.set_font("cjk", size=11)
    pdf.cell(text="各区县在线率（时间加权）", new_x="LMARGIN", new_y="NEXT")
    left, width = pdf.l_margin + 60, 150.0
    for row in districts:
        y = pdf.get_y() + 1
        pdf.set_font("cjk", size=9)
        pdf.set_xy(pdf.l_margin, y)
        pdf.cell(58, ROW_MM, _fit(pdf, row["name"], 58))
        rate = row["online_rate"] if isinstance(row["online_rate"], (int, float)) else 0.0
        pdf.set_fill_color(70, 130, 180)
        pdf.rect(left, y + 0.5, width * max(0.0, min(1.0, rate)), ROW_MM - 1, style="F")
        pdf.set_xy(left + width + 2, y)
        pdf.cell(30, ROW_MM, cell_text(row["online_rate"], PERCENT) or "n/a")
        pdf.set_y(y + ROW_MM)


def _table(pdf: FPDF, title: str, table: Table) -> None:
    pdf.add_page()
    pdf.set_font("cjk", size=12)
    pdf.cell(text=title, new_x="LMARGIN", new_y="NEXT")
    width = (pdf.w - pdf.l_margin - pdf.r_margin) / max(1, len(table.columns))
    size = 7 if len(table.columns) > 10 else 8

    def header() -> None:
        pdf.set_font("cjk", size=size)
        pdf.set_fill_color(230, 230, 230)
        for column in table.columns:
            pdf.cell(width, ROW_MM, _fit(pdf, column.header, width), border=1, fill=True)
        pdf.ln(ROW_MM)

    header()
    for row in table.rows:
        if pdf.get_y() + ROW_MM > pdf.h - pdf.b_margin:
            pdf.add_page()
            header()
        for column, value in zip(table.columns, row):
            pdf.cell(width, ROW_MM, _fit(pdf, cell_text(value, column.kind), width), border=1)
        pdf.ln(ROW_MM)


def to_pdf(record: dict[str, Any], content: dict[str, Any], tables: list[Table]) -> bytes:
    pdf = FPDF(orientation="L", unit="mm", format="A4")
    pdf.set_auto_page_break(False)
    pdf.add_font("cjk", fname=str(font_path()))
    pdf.set_title(f"{record['month']} 视频监控月报")
    pdf.add_page()
    pdf.set_font("cjk", size=18)
    state = "已审核" if record["status"] == "approved" else f"{record['status']}，未审核"
    pdf.cell(text=f"{record['month']} 视频监控月报 第{record['version']}版（{state}）", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("cjk", size=9)
    pdf.cell(text=f"SHA-256 {record['content_hash']}", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    if "uptime" in content:
        _bars(pdf, content["uptime"]["rows"])
    for table in tables:
        _table(pdf, f"{record['month']} · {table.title}", table)
    return bytes(pdf.output())
