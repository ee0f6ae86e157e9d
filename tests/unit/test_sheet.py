"""Reading office spreadsheets: header search, aliases, merged cells, CSV encodings, bad files."""

import datetime as dt
import io
import zipfile

import openpyxl
import pytest

from assetsvc.registry.sheet import SheetError, ignored_rows, read_sheet

HEADERS = ["设备编码", "设备名称", "行政区域", "所属派出所", "经度", "纬度"]
ROW_A = ["45020400041326001213", "柳南一号半球", "450204", "南站派出所", 109.388946, 24.293187]
ROW_B = ["45020400041326001214", "柳南二号半球", "450204", "南站派出所", 109.388947, 24.293188]


def xlsx(rows, *, title="一机一档", merges=(), extra_sheets=()):
    """An .xlsx workbook as bytes, written with openpyxl the way a test can spell it."""
    wb = openpyxl.Workbook()
    wb.active.title = extra_sheets[0] if extra_sheets else title
    for name in extra_sheets[1:]:
        wb.create_sheet(name)
    ws = wb.create_sheet(title) if extra_sheets else wb.active
    for row in rows:
        ws.append(row)
    for ref in merges:
        ws.merge_cells(ref)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def test_the_header_is_found_below_a_merged_title_and_a_blank_row():
    data = xlsx([["柳州市柳南区视频监控点位一机一档"], [], HEADERS, ROW_A], merges=["A1:F1"])
    sheet = read_sheet(data, "sample.xlsx")
    assert (sheet.sheet_name, sheet.header_row) == ("一机一档", 3)
    assert ignored_rows(sheet.ignored, sheet.blank) == {"1": "above the header", "2": "blank", "3": "header"}
    assert [r.row for r in sheet.rows] == [4]


def test_columns_carry_letter_header_and_field_key():
    sheet = read_sheet(xlsx([HEADERS + ["备注"], ROW_A]), "a.xlsx")
    assert sheet.columns[0] == ("A", "设备编码", "gb_id")
    assert sheet.columns[-1] == ("G", "备注", None)


def test_a_row_holds_fields_by_key():
    row = read_sheet(xlsx([HEADERS, ROW_A]), "a.xlsx").rows[0]
    assert row.raw == dict(zip(["gb_id", "name", "region_code", "station", "longitude", "latitude"], ROW_A))


def test_pinyin_initial_headers_are_recognised():
    headers = ["SBBM", "SBMC", "XZQY", "SSPCS", "JD", "WD"]
    row = read_sheet(xlsx([headers, ROW_A]), "a.xlsx").rows[0]
    assert row.raw["gb_id"] == ROW_A[0] and row.raw["latitude"] == ROW_A[5]


@pytest.mark.parametrize(
    "header",
    ["经度（WGS-84）", "经度(°)", " 经度 ", "经\u3000度", "*经度", "jd"],
    ids=["fullwidth-unit-note", "unit-note", "spaces", "u3000-inside", "asterisk", "lower-pinyin"],
)
def test_header_spellings_are_tolerated(header):
    headers = ["设备编码", "设备名称", "行政区域", header]
    sheet = read_sheet(xlsx([headers, ROW_A[:3] + [109.1]]), "a.xlsx")
    assert sheet.rows[0].raw["longitude"] == 109.1


def test_columns_may_come_in_any_order():
    order = [5, 2, 0, 4, 1, 3]
    sheet = read_sheet(xlsx([[HEADERS[i] for i in order], [ROW_A[i] for i in order]]), "a.xlsx")
    assert sheet.rows[0].raw["gb_id"] == ROW_A[0] and sheet.rows[0].raw["name"] == ROW_A[1]


def test_custom_columns_are_kept_by_their_header():
    sheet = read_sheet(xlsx([HEADERS + ["杆号", "备注"], ROW_A + ["G-17", "新建"]]), "a.xlsx")
    assert sheet.rows[0].custom == {"杆号": "G-17", "备注": "新建"}


def test_the_sheet_named_yiji_yidang_is_preferred():
    data = xlsx([HEADERS, ROW_A], extra_sheets=["说明", "统计"])
    assert read_sheet(data, "a.xlsx").sheet_name == "一机一档"


def test_without_a_yiji_yidang_sheet_the_first_is_read():
    assert read_sheet(xlsx([HEADERS, ROW_A], title="Sheet1"), "a.xlsx").sheet_name == "Sheet1"


def test_a_hidden_first_sheet_is_passed_over():
    wb = openpyxl.Workbook()
    wb.active.title = "字典"
    wb.active.sheet_state = "hidden"
    ws = wb.create_sheet("点位表")
    ws.append(HEADERS)
    ws.append(ROW_A)
    out = io.BytesIO()
    wb.save(out)
    assert read_sheet(out.getvalue(), "a.xlsx").sheet_name == "点位表"


def test_a_vertically_merged_cell_gives_every_row_its_value():
    data = xlsx([HEADERS, ROW_A, ROW_B[:3] + [None] + ROW_B[4:]], merges=["D2:D3"])
    assert [r.raw["station"] for r in read_sheet(data, "a.xlsx").rows] == ["南站派出所", "南站派出所"]


def test_blank_rows_between_data_are_skipped_and_reported():
    sheet = read_sheet(xlsx([HEADERS, ROW_A, [], [None, "  "], ROW_B]), "a.xlsx")
    assert [r.row for r in sheet.rows] == [2, 5]
    assert sheet.blank == [(3, 4)]


@pytest.mark.parametrize("word", ["合计", "总计", "小计", "Total", "合计："])
def test_a_total_row_and_the_notes_below_it_are_not_data(word):
    sheet = read_sheet(xlsx([HEADERS, ROW_A, [word, "共1路"], [], ["填表人：张三"]]), "a.xlsx")
    assert [r.row for r in sheet.rows] == [2]
    assert sheet.ignored[3] == "total row" and sheet.ignored[5] == "below the total row"


def test_an_excel_date_cell_arrives_as_a_datetime():
    sheet = read_sheet(xlsx([HEADERS + ["安装时间"], ROW_A + [dt.datetime(2024, 5, 7)]]), "a.xlsx")
    assert sheet.rows[0].raw["install_date"] == dt.datetime(2024, 5, 7)


def test_a_header_below_row_20_is_not_found():
    with pytest.raises(SheetError, match="no header row"):
        read_sheet(xlsx([[f"说明{i}"] for i in range(20)] + [HEADERS, ROW_A]), "a.xlsx")


def test_a_header_without_the_id_column_is_not_a_header():
    with pytest.raises(SheetError, match="no header row"):
        read_sheet(xlsx([HEADERS[1:], ROW_A[1:]]), "a.xlsx")


def csv_text(*rows, delimiter=","):
    return "\r\n".join(delimiter.join(str(c) for c in row) for row in rows) + "\r\n"


@pytest.mark.parametrize(
    "encoding", ["utf-8", "utf-8-sig", "gb18030", "gbk", "utf-16"],
)
def test_csv_is_read_in_the_encodings_offices_save(encoding):
    data = csv_text(HEADERS, ROW_A).encode(encoding)
    row = read_sheet(data, "a.csv").rows[0]
    assert row.raw["name"] == "柳南一号半球" and row.raw["longitude"] == "109.388946"


@pytest.mark.parametrize("delimiter", [",", ";", "\t"], ids=["comma", "semicolon", "tab"])
def test_csv_delimiter_is_sniffed(delimiter):
    row = read_sheet(csv_text(HEADERS, ROW_A, delimiter=delimiter).encode(), "a.csv").rows[0]
    assert row.raw["station"] == "南站派出所"


def test_csv_rows_keep_their_line_numbers_and_empty_cells_are_none():
    data = csv_text(["导入模板"], HEADERS, ["45020400041326001213", "", "450204", "", "", ""]).encode()
    sheet = read_sheet(data, "a.csv")
    assert sheet.header_row == 2 and sheet.rows[0].row == 3 and sheet.rows[0].raw["name"] is None


def zip_bytes(members):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, content in members.items():
            zf.writestr(name, content)
    return out.getvalue()


def damaged_sheet_xml():
    good = xlsx([HEADERS, ROW_A])
    src = zipfile.ZipFile(io.BytesIO(good))
    members = {n: src.read(n) for n in src.namelist()}
    members["xl/worksheets/sheet1.xml"] = members["xl/worksheets/sheet1.xml"][:300]
    return zip_bytes(members)


def duplicated_column():
    return xlsx([HEADERS + ["SBMC"], ROW_A + ["x"]])


BAD_FILES = [
    ("empty", lambda: b"", "a.xlsx", {}, "is empty"),
    ("zip-garbage", lambda: b"PK\x03\x04" + bytes(range(256)) * 4, "a.xlsx", {}, "not a readable zip"),
    ("random-bytes", lambda: bytes(range(256)) * 8, "a.xlsx", {}, "not a readable zip"),
    ("pdf-renamed", lambda: b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n", "a.xlsx", {}, "PDF"),
    ("legacy-xls-content", lambda: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(500), "a.xlsx", {}, ".xls"),
    ("zip-not-workbook", lambda: zip_bytes({"readme.txt": "hello"}), "a.xlsx", {}, "not an Excel workbook"),
    ("truncated-xlsx", lambda: xlsx([HEADERS, ROW_A])[:2000], "a.xlsx", {}, "not a readable zip"),
    ("damaged-sheet-xml", damaged_sheet_xml, "a.xlsx", {}, "damaged"),
    ("no-header", lambda: xlsx([["a", "b"], [1, 2]]), "a.xlsx", {}, "no header row"),
    ("duplicated-column", duplicated_column, "a.xlsx", {}, "columns B and G both hold"),
    ("unsupported-extension", lambda: b"hello", "a.txt", {}, "only .xlsx and .csv"),
    ("legacy-xls-extension", lambda: b"hello", "a.xls", {}, "save it as .xlsx"),
    ("over-size-limit", lambda: xlsx([HEADERS, ROW_A]), "a.xlsx", {"max_bytes": 1000}, "over the"),
    ("unzips-over-limit", lambda: xlsx([HEADERS, ROW_A]), "a.xlsx", {"max_unzipped": 2000}, "unpacks to"),
    ("csv-binary", lambda: b"\x00\x01\x02\xff\xfe\x00" * 50, "a.csv", {}, "not a text CSV"),
    ("csv-without-header", lambda: "a,b,c\r\n1,2,3\r\n".encode(), "a.csv", {}, "no header row"),
]


@pytest.mark.parametrize("make, filename, limits, message", [b[1:] for b in BAD_FILES],
                         ids=[b[0] for b in BAD_FILES])
def test_a_bad_file_is_one_clear_sheet_error(make, filename, limits, message):
    with pytest.raises(SheetError) as caught:
        read_sheet(make(), filename, **limits)
    assert message in caught.value.message


def test_a_zip_bomb_is_refused_by_the_default_limit_before_parsing():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("xl/workbook.xml", "<workbook/>")
        with zf.open("xl/worksheets/sheet1.xml", "w") as member:
            chunk = b"\0" * 2**20
            for _ in range(210):
                member.write(chunk)
    with pytest.raises(SheetError, match="over the 200 MB limit"):
        read_sheet(out.getvalue(), "bomb.xlsx")


MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"


def excel_style_xlsx(sheet_data, shared, *, date1904=False):
    """A workbook as Excel writes one: shared strings, styles with date formats, sparse rows."""
    rels = "".join(
        f'<Relationship Id="rId{i}" Type="{REL_NS}/{kind}" Target="{target}"/>'
        for i, (kind, target) in enumerate(
            [("worksheet", "worksheets/sheet1.xml"), ("styles", "styles.xml"),
             ("sharedStrings", "sharedStrings.xml")], start=1))
    styles = (f'<styleSheet xmlns="{MAIN_NS}"><numFmts count="1">'
              '<numFmt numFmtId="176" formatCode="yyyy&quot;年&quot;m&quot;月&quot;d&quot;日&quot;"/>'
              '</numFmts><cellXfs count="4"><xf numFmtId="0"/><xf numFmtId="14"/><xf numFmtId="31"/>'
              '<xf numFmtId="176"/></cellXfs></styleSheet>')
    book = (f'<workbook xmlns="{MAIN_NS}" xmlns:r="{REL_NS}"><workbookPr date1904="{int(date1904)}"/>'
            '<sheets><sheet name="一机一档" sheetId="1" r:id="rId1"/></sheets></workbook>')
    return zip_bytes({
        "xl/workbook.xml": book,
        "xl/_rels/workbook.xml.rels": f'<Relationships xmlns="{PKG_REL}">{rels}</Relationships>',
        "xl/styles.xml": styles,
        "xl/sharedStrings.xml": f'<sst xmlns="{MAIN_NS}">{"".join(shared)}</sst>',
        "xl/worksheets/sheet1.xml": f'<worksheet xmlns="{MAIN_NS}"><sheetData>{sheet_data}</sheetData></worksheet>',
    })


EXCEL_SHARED = [
    "<si><t>设备编码</t></si>", "<si><t>设备名称</t></si>", "<si><t>行政区域</t></si>",
    "<si><t>安装时间</t></si>", "<si><t>备注</t></si>",
    "<si><r><t>柳南</t></r><r><t>一号半球</t></r><rPh><t>liunan</t></rPh></si>",
    "<si><t>第一行_x000D_第二行</t></si>",
]
EXCEL_ROWS = (
    '<row r="2"><c r="A2" t="s"><v>0</v></c><c r="B2" t="s"><v>1</v></c><c r="C2" t="s"><v>2</v></c>'
    '<c r="D2" t="s"><v>3</v></c><c r="E2" t="s"><v>4</v></c></row>'
    '<row r="4"><c r="A4" t="str"><v>45020400041326001213</v></c><c r="B4" t="s"><v>5</v></c>'
    '<c r="C4"><v>450204</v></c><c r="D4" s="{style}"><v>45419</v></c><c r="E4" t="s"><v>6</v></c></row>'
)


@pytest.mark.parametrize("style", [1, 2, 3], ids=["builtin-14", "chinese-builtin-31", "custom-yyyy年m月d日"])
def test_excel_date_styles_give_datetimes(style):
    sheet = read_sheet(excel_style_xlsx(EXCEL_ROWS.format(style=style), EXCEL_SHARED), "a.xlsx")
    assert sheet.rows[0].raw["install_date"] == dt.datetime(2024, 5, 7)


def test_a_1904_workbook_counts_dates_from_1904():
    data = excel_style_xlsx(EXCEL_ROWS.format(style=1), EXCEL_SHARED, date1904=True)
    assert read_sheet(data, "a.xlsx").rows[0].raw["install_date"] == dt.datetime(2028, 5, 8)


def test_shared_strings_join_rich_text_runs_without_phonetic_hints():
    sheet = read_sheet(excel_style_xlsx(EXCEL_ROWS.format(style=1), EXCEL_SHARED), "a.xlsx")
    assert sheet.rows[0].raw["name"] == "柳南一号半球"


def test_excel_escaped_control_characters_are_restored():
    sheet = read_sheet(excel_style_xlsx(EXCEL_ROWS.format(style=1), EXCEL_SHARED), "a.xlsx")
    assert sheet.rows[0].custom == {"备注": "第一行\r第二行"}


def test_rows_missing_from_the_file_count_as_blank_rows():
    sheet = read_sheet(excel_style_xlsx(EXCEL_ROWS.format(style=1), EXCEL_SHARED), "a.xlsx")
    assert sheet.header_row == 2 and sheet.rows[0].row == 4
    assert ignored_rows(sheet.ignored, sheet.blank) == {"1": "blank", "2": "header", "3": "blank"}


def _with_sheet_xml(sheet_xml: bytes) -> bytes:
    """A real workbook whose worksheet part is replaced by the given XML."""
    book = openpyxl.Workbook()
    book.active.title = "一机一档"
    book.active.append(["设备编码", "设备名称", "行政区域"])
    out = io.BytesIO()
    book.save(out)
    source = zipfile.ZipFile(io.BytesIO(out.getvalue()))
    result = io.BytesIO()
    with zipfile.ZipFile(result, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = sheet_xml
            target.writestr(item, data)
    return result.getvalue()


BILLION_LAUGHS = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
                  + b"".join(f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10 if i > 1 else "&lol;" * 10}">'.encode()
                             for i in range(1, 10))
                  + b']><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                  + b'<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&lol9;</t></is></c></row>'
                  + b"</sheetData></worksheet>")
EXTERNAL_ENTITY = (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
                   b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                   b'<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&xxe;</t></is></c></row>'
                   b"</sheetData></worksheet>")


@pytest.mark.parametrize("payload", [BILLION_LAUGHS, EXTERNAL_ENTITY], ids=["billion-laughs", "xxe"])
def test_hostile_xml_inside_a_workbook_is_refused_without_expanding_it(payload):
    import tracemalloc

    tracemalloc.start()
    try:
        with pytest.raises(SheetError):
            read_sheet(_with_sheet_xml(payload), "hostile.xlsx")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 50 * 2**20


def _sheet_with_rows(rows_xml: str) -> bytes:
    return _with_sheet_xml(
        b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
        + rows_xml.encode() + b"</sheetData></worksheet>")


_HEADER_XML = ('<row r="1">' + "".join(
    f'<c r="{col}1" t="inlineStr"><is><t>{text}</t></is></c>'
    for col, text in zip("ABCDE", ["设备编码", "设备名称", "行政区域", "经度", "纬度"])) + "</row>")


def test_a_row_with_one_cell_in_column_xfd_costs_one_cell_not_16384(monkeypatch):
    from assetsvc.registry import sheet as module

    looked_at = []
    real = module.is_blank_cell
    monkeypatch.setattr(module, "is_blank_cell", lambda v: looked_at.append(v) or real(v))
    rows = "".join(f'<row r="{n}"><c r="XFD{n}"><v>1</v></c></row>' for n in range(2, 2002))
    sheet = read_sheet(_sheet_with_rows(_HEADER_XML + rows), "a.xlsx")
    assert len(sheet.rows) == 2000
    # Read as lists padded to column XFD, every row had 16,384 cells to look at.
    assert len(looked_at) < 2000 * 10
    assert {len(r.raw) + len(r.custom) for r in sheet.rows} == {5}


def test_blank_rows_before_a_row_at_the_bottom_of_the_sheet_are_one_range():
    rows = ('<row r="2"><c r="A2" t="inlineStr"><is><t>45020400041326001213</t></is></c></row>'
            '<row r="1048576"><c r="A1048576" t="inlineStr"><is><t>45020400041326001214</t></is></c></row>')
    sheet = read_sheet(_sheet_with_rows(_HEADER_XML + rows), "a.xlsx")
    assert [r.row for r in sheet.rows] == [2, 1048576]
    assert ignored_rows(sheet.ignored, sheet.blank) == {"1": "header", "3-1048575": "blank"}


def test_a_csv_mixing_utf8_and_gbk_rows_is_refused_naming_the_rows():
    lines = [",".join(HEADERS), ",".join(map(str, ROW_A)), ",".join(map(str, ROW_B))]
    data = (lines[0].encode("utf-8") + b"\n" + lines[1].encode("utf-8") + b"\n"
            + lines[2].encode("gbk") + b"\n")
    with pytest.raises(SheetError, match=r"rows 1, 2 are UTF-8, rows 3 are not"):
        read_sheet(data, "mixed.csv")


@pytest.mark.parametrize("cell,value", [
    ("'=1+1", "=1+1"), ("'+86 771", "+86 771"), ("'-5", "-5"), ("'@x", "@x"), ("''=x", "'=x"),
    ("'abc", "'abc"), ("'", "'"), ("it's", "it's"),
])
def test_the_import_removes_one_apostrophe_only_before_formula_like_text(cell, value):
    data = csv_text(HEADERS + ["备注"], ROW_A + [cell]).encode()
    assert read_sheet(data, "a.csv").rows[0].custom == {"备注": value}
