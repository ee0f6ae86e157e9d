"""Hand-made XLSX workbooks for hostile-sheet tests and benches: exactly the rows and cells given."""

from __future__ import annotations

import io
import zipfile

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def inline(ref: str, text: str) -> str:
    """One inline-string cell at `ref` (A1 notation)."""
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


def header_row(headers: list[str]) -> str:
    """Row 1 holding the headers from column A on (up to Z)."""
    return '<row r="1">' + "".join(inline(f"{chr(65 + i)}1", h) for i, h in enumerate(headers)) + "</row>"


def xfd_rows(rows: int) -> str:
    """`rows` rows from row 2, each one cell in the sheet's last column (XFD)."""
    return "".join(f'<row r="{n}"><c r="XFD{n}"><v>1</v></c></row>' for n in range(2, rows + 2))


def workbook(rows_xml: str) -> bytes:
    """A minimal workbook whose one worksheet (一机一档) holds the given <row> elements."""
    parts = {
        "[Content_Types].xml": '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>',
        "xl/workbook.xml": f'<workbook xmlns="{MAIN}" xmlns:r="{REL}"><sheets>'
                           '<sheet name="一机一档" sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels":
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{REL}/worksheet" Target="worksheets/sheet1.xml"/></Relationships>',
        "xl/worksheets/sheet1.xml": f'<worksheet xmlns="{MAIN}"><sheetData>{rows_xml}</sheetData></worksheet>',
    }
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in parts.items():
            archive.writestr(name, text)
    return out.getvalue()
