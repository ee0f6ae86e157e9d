"""Reading an office's 一机一档 spreadsheet (.xlsx or .csv) into rows keyed by camera field."""

import csv
import datetime as dt
import io
import posixpath
import re
import zipfile
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any, NamedTuple

from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format, is_timedelta_format
from openpyxl.utils.cell import column_index_from_string, coordinate_from_string, get_column_letter
from openpyxl.utils.datetime import MAC_EPOCH, WINDOWS_EPOCH, from_excel
from openpyxl.utils.escape import unescape

from assetsvc.registry.fields import field_for_header, header_text_key

PREFERRED_SHEET = "一机一档"
HEADER_SCAN_ROWS = 20
MIN_HEADER_MATCHES = 3
TOTAL_WORDS = ("合计", "总计", "小计", "total")
DEFAULT_MAX_BYTES = 50 * 1024 * 1024
DEFAULT_MAX_UNZIPPED = 200 * 1024 * 1024

# Text that Excel reads as a formula when it opens a CSV (formula injection): it starts with one
# of = + - @ tab CR, possibly behind apostrophes. The CSV export puts one more `'` in front.
FORMULA_START = re.compile(r"'*[=+\-@\t\r]")

# A row's cells that exist in the file, by 0-based column index. Sparse, never padded: one cell
# in column XFD is one entry, not a list of 16,384.
Cells = dict[int, Any]
# (row number as Excel shows it, the row's cells)
GridRow = tuple[int, Cells]


def _camera_key(header: Any) -> str | None:
    found = field_for_header(header)
    return found.key if found else None


@dataclass(frozen=True)
class Layout:
    """What a sheet's header row looks like: the field key each header names (None: a custom
    column), the key every header row must have, how many known headers make a header row, the
    sheet to prefer in a workbook, and what the error says when no header row is found.

    The camera sheet (一机一档) is CAMERA_LAYOUT; other imports (history) bring their own.
    """

    field_key: Callable[[Any], str | None]
    required: str
    min_matches: int
    preferred_sheet: str
    expected: str


CAMERA_LAYOUT = Layout(_camera_key, "gb_id", MIN_HEADER_MATCHES, PREFERRED_SHEET,
                       f"设备编码 and at least {MIN_HEADER_MATCHES} known column headers (设备名称, 行政区域, 经度 …)")


class SheetError(Exception):
    """The file cannot be read as a camera sheet; `message` says why, for the person uploading."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Column(NamedTuple):
    """A sheet column: its letter, its header text and the field it holds (None: custom field)."""

    letter: str
    header: str
    key: str | None


@dataclass(frozen=True, slots=True)
class SheetRow:
    """One data row: standard fields by key, custom columns by header text."""

    row: int
    raw: dict[str, Any]
    custom: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Sheet:
    """What was read: where the header was, the columns, the data rows and the rows passed over.

    `ignored` names each non-blank row passed over; blank rows are `blank` ranges (first, last),
    since one stray cell at row 1,048,576 puts a million blank rows in front of it.
    """

    sheet_name: str
    header_row: int
    columns: list[Column]
    rows: list[SheetRow]
    ignored: dict[int, str]
    blank: list[tuple[int, int]]


def ignored_rows(ignored: dict[int, str], blank: list[tuple[int, int]]) -> dict[str, str]:
    """Rows passed over in sheet order, by row number; a run of blank rows as one "first-last"."""
    entries = [(n, str(n), why) for n, why in ignored.items()]
    entries += [(a, str(a) if a == b else f"{a}-{b}", "blank") for a, b in blank]
    return {key: why for _, key, why in sorted(entries)}


def is_blank_cell(value: Any) -> bool:
    """True for a cell with nothing in it but whitespace."""
    return value is None or (isinstance(value, str) and not value.strip())


def unquote(value: Any) -> Any:
    """A CSV cell without the `'` the CSV export puts before formula-like text; other apostrophes
    stay. (An .xlsx needs no such rule: the export writes string cells, and Excel keeps a typed
    apostrophe as the cell's quote-prefix style, not in its value.)"""
    if isinstance(value, str) and value.startswith("'") and FORMULA_START.match(value, 1):
        return value[1:]
    return value


def _is_blank_row(cells: Cells) -> bool:
    return all(map(is_blank_cell, cells.values()))


def _header_columns(cells: Cells, layout: Layout) -> list[Column] | None:
    """The columns when this row is the header row, else None."""
    keys = {k for k in map(layout.field_key, cells.values()) if k is not None}
    if len(keys) < layout.min_matches or layout.required not in keys:
        return None
    columns: list[Column] = []
    seen: dict[str, str] = {}
    for index, cell in sorted(cells.items()):
        if is_blank_cell(cell):
            continue
        letter, header = get_column_letter(index + 1), str(cell).strip()
        found = layout.field_key(cell)
        identity = found or header_text_key(header)
        if identity in seen:
            raise SheetError(f"columns {seen[identity]} and {letter} both hold {header}; keep one of them")
        seen[identity] = letter
        columns.append(Column(letter, header, found))
    return columns


def _is_total(cells: Cells) -> bool:
    first = next((c for _, c in sorted(cells.items()) if not is_blank_cell(c)), None)
    return isinstance(first, str) and header_text_key(first).startswith(TOTAL_WORDS)


class _Blanks:
    """Blank rows as ranges (first, last): a run of blank rows costs one entry, however long."""

    def __init__(self) -> None:
        self.ranges: list[tuple[int, int]] = []

    def add(self, first: int, last: int) -> None:
        if first > last:
            return
        if self.ranges and self.ranges[-1][1] + 1 >= first:
            self.ranges[-1] = (self.ranges[-1][0], max(last, self.ranges[-1][1]))
        else:
            self.ranges.append((first, last))


def _find_header(rows: Iterator[GridRow], ignored: dict[int, str],
                 blanks: _Blanks, layout: Layout) -> tuple[int, list[Column]]:
    last = 0
    for number, cells in rows:
        if number > HEADER_SCAN_ROWS:
            break
        # Rows absent from the file are blank rows in Excel's eyes.
        blanks.add(last + 1, number - 1)
        last = number
        columns = _header_columns(cells, layout)
        if columns is not None:
            ignored[number] = "header"
            return number, columns
        if _is_blank_row(cells):
            blanks.add(number, number)
        else:
            ignored[number] = "above the header"
    raise SheetError(f"no header row in the first {HEADER_SCAN_ROWS} rows: expected {layout.expected}")


def _sheet_row(number: int, cells: Cells, columns: list[Column], slots: list[int]) -> SheetRow:
    raw: dict[str, Any] = {}
    custom: dict[str, Any] = {}
    for column, index in zip(columns, slots):
        value = cells.get(index)
        if value == "":
            value = None
        if column.key:
            raw[column.key] = value
        else:
            custom[column.header] = value
    return SheetRow(number, raw, custom)


PROGRESS_ROWS = 1000  # rows between two progress calls


def _collect(sheet_name: str, rows: Iterable[GridRow],
             on_rows: Callable[[int], None] | None = None, layout: Layout = CAMERA_LAYOUT) -> Sheet:
    """Header, data rows and ignored rows from a stream of numbered rows."""
    stream = iter(rows)
    ignored: dict[int, str] = {}
    blanks = _Blanks()
    header_row, columns = _find_header(stream, ignored, blanks, layout)
    slots = [column_index_from_string(c.letter) - 1 for c in columns]
    data: list[SheetRow] = []
    # Blank rows are reported only when data follows them: sheets often end in thousands of
    # formatted but empty rows.
    pending_from = header_row + 1
    for number, cells in stream:
        if _is_blank_row(cells):
            continue
        blanks.add(pending_from, number - 1)
        pending_from = number + 1
        if _is_total(cells):
            ignored[number] = "total row"
            # What follows a total row is notes and signatures (填表人, 审核人), not cameras.
            ignored.update((n, "below the total row") for n, c in stream if not _is_blank_row(c))
            break
        data.append(_sheet_row(number, cells, columns, slots))
        if on_rows is not None and len(data) % PROGRESS_ROWS == 0:
            on_rows(len(data))
    return Sheet(sheet_name, header_row, columns, data, ignored, blanks.ranges)


# First bytes of files that get renamed to .xlsx by mistake.
_NOT_XLSX = (
    (b"%PDF", "a PDF document"),
    (b"\xd0\xcf\x11\xe0",
     "an old .xls workbook or a password-protected one; save it as .xlsx without a password"),
)
_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_ROW, _CELL, _VALUE, _INLINE = f"{_MAIN}row", f"{_MAIN}c", f"{_MAIN}v", f"{_MAIN}is"
_TEXT, _RUN, _SHARED = f"{_MAIN}t", f"{_MAIN}r", f"{_MAIN}si"
_REL_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
_RELATION = "{http://schemas.openxmlformats.org/package/2006/relationships}Relationship"
_MERGE_REF = re.compile(rb'<(?:\w+:)?mergeCell\s+ref="([A-Z]{1,3}[0-9]+):([A-Z]{1,3}[0-9]+)"')
# A merge wider than this is formatting, not data; capping it keeps a row from being inflated
# to Excel's 16,384 columns.
_MAX_MERGE_COLUMNS = 512
_MAX_ROW = 1_048_576
# Built-in formats that Chinese-locale Excel shows as dates (yyyy"年"m"月"d"日" and kin);
# openpyxl's table lists only the locale-neutral ones.
_CN_DATE_FORMAT_IDS = frozenset({27, 28, 29, 30, 31, 36})


class _Merge(NamedTuple):
    min_col: int
    min_row: int
    max_col: int
    max_row: int


@dataclass(frozen=True, slots=True)
class _Book:
    """What the cell reader needs from the workbook's parts."""

    sheets: list[tuple[str, str, bool]]  # (sheet name, part path, visible) in workbook order
    shared_strings: list[str]
    date_styles: frozenset[str]  # cell style indexes, spelt as the s attribute spells them
    epoch: dt.datetime


_PROLOG_LIMIT = 64 * 1024
_ROOT_START = re.compile(rb"<[A-Za-z_]")


def _check_prolog(head: bytes, part: str) -> None:
    """Refuse a part with a DTD: Office XML never has one, and a DTD is how entity bombs
    (billion laughs) and external entities get in. Expat would stop a bomb only after it had
    already expanded tens of MB, so the DTD is refused before parsing starts."""
    root = _ROOT_START.search(head)
    prolog = head[: root.start()] if root else head
    if b"<!DOCTYPE" in prolog.upper() or b"<!ENTITY" in prolog.upper():
        raise SheetError(f"the workbook part {part} declares a DTD, which workbooks never do")
    if root is None and len(head) >= _PROLOG_LIMIT:
        raise SheetError(f"the workbook part {part} has no element in its first 64 KB")


def _xml_bytes(archive: zipfile.ZipFile, part: str) -> bytes:
    """A whole (small) XML part, checked for a DTD."""
    data = archive.read(part)
    _check_prolog(data[:_PROLOG_LIMIT], part)
    return data


class _Checked:
    """A part's stream whose first 64 KB were checked for a DTD before the parser sees them."""

    def __init__(self, source, part: str) -> None:
        self._source = source
        self._head = source.read(_PROLOG_LIMIT)
        _check_prolog(self._head, part)

    def read(self, size: int = -1) -> bytes:
        if self._head:
            head, self._head = self._head, b""
            return head
        return self._source.read(size)


def _open_zip(data: bytes, filename: str, max_unzipped: int) -> zipfile.ZipFile:
    for magic, what in _NOT_XLSX:
        if data.startswith(magic):
            raise SheetError(f"{filename} is not an .xlsx workbook: it is {what}")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        # Declared sizes bound the work: zipfile stops at the declared size and fails the CRC
        # of a member that inflates beyond it, so checking them refuses a zip bomb up front.
        unzipped = sum(member.file_size for member in archive.infolist())
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
        raise SheetError(f"{filename} is not an .xlsx workbook (not a readable zip archive)") from exc
    if unzipped > max_unzipped:
        raise SheetError(
            f"{filename} unpacks to {unzipped // 2**20} MB, over the {max_unzipped // 2**20} MB limit"
        )
    if "xl/workbook.xml" not in archive.namelist():
        raise SheetError(f"{filename} is a zip archive but not an Excel workbook (no xl/workbook.xml)")
    return archive


def _relations(archive: zipfile.ZipFile) -> dict[str, tuple[str, str]]:
    """The workbook's relations: id -> (type, part path)."""
    root = ET.fromstring(_xml_bytes(archive, "xl/_rels/workbook.xml.rels"))
    found = {}
    for rel in root.iter(_RELATION):
        target = rel.get("Target", "")
        path = target.lstrip("/") if target.startswith("/") else posixpath.normpath("xl/" + target)
        found[rel.get("Id", "")] = (rel.get("Type", "").rsplit("/", 1)[-1], path)
    return found


def _text_of(item: ET.Element) -> str:
    """A shared or inline string: its <t>, or its rich-text runs (phonetic hints left out)."""
    direct = item.find(_TEXT)
    if direct is not None:
        text = direct.text or ""
    else:
        text = "".join(run.findtext(_TEXT) or "" for run in item.iter(_RUN))
    # Excel writes control characters as _x000D_ and the like.
    return unescape(text) if "_x" in text else text


def _shared_strings(archive: zipfile.ZipFile, part: str | None) -> list[str]:
    strings: list[str] = []
    if part:
        with archive.open(part) as source:
            for _, element in ET.iterparse(_Checked(source, part)):
                if element.tag == _SHARED:
                    strings.append(_text_of(element))
                    element.clear()
    return strings


def _date_styles(archive: zipfile.ZipFile, part: str | None) -> frozenset[str]:
    if not part:
        return frozenset()
    root = ET.fromstring(_xml_bytes(archive, part))
    custom = {int(f.get("numFmtId", -1)): f.get("formatCode", "") for f in root.iter(f"{_MAIN}numFmt")}
    styles = root.find(f"{_MAIN}cellXfs")
    dates = set()
    for index, style in enumerate(styles if styles is not None else ()):
        format_id = int(style.get("numFmtId", 0))
        code = custom.get(format_id, BUILTIN_FORMATS.get(format_id, ""))
        if format_id in _CN_DATE_FORMAT_IDS or (is_date_format(code) and not is_timedelta_format(code)):
            dates.add(str(index))
    return frozenset(dates)


def _read_book(archive: zipfile.ZipFile) -> _Book:
    root = ET.fromstring(_xml_bytes(archive, "xl/workbook.xml"))
    relations = _relations(archive)
    parts = {kind: path for kind, path in relations.values()}
    sheets = [
        (sheet.get("name", ""), relations[rel][1], sheet.get("state", "visible") == "visible")
        for sheet in root.iter(f"{_MAIN}sheet")
        # Chart sheets and dialog sheets hold no cells.
        if relations.get(rel := sheet.get(_REL_ID, ""), ("",))[0] == "worksheet"
    ]
    properties = root.find(f"{_MAIN}workbookPr")
    mac = properties is not None and properties.get("date1904") in ("1", "true")
    return _Book(sheets, _shared_strings(archive, parts.get("sharedStrings")),
                 _date_styles(archive, parts.get("styles")), MAC_EPOCH if mac else WINDOWS_EPOCH)


def _merged_ranges(xml: bytes) -> list[_Merge]:
    """Merged ranges of a sheet. They follow the cell data in the XML, so a regex finds them first."""
    merges = []
    for first, last in _MERGE_REF.findall(xml) if b"mergeCell" in xml else ():
        low_col, low_row = coordinate_from_string(first.decode())
        high_col, high_row = coordinate_from_string(last.decode())
        min_col = column_index_from_string(low_col)
        max_col = min(column_index_from_string(high_col), min_col + _MAX_MERGE_COLUMNS)
        merges.append(_Merge(min_col, low_row, max_col, high_row))
    return merges


def _number_or_date(raw: str, date_style: bool, epoch: dt.datetime) -> Any:
    number = float(raw) if ("." in raw or "E" in raw or "e" in raw) else int(raw)
    if not date_style:
        return number
    try:
        return from_excel(number, epoch)
    except (OverflowError, ValueError):
        return number  # a serial beyond the calendar stays a number; the parser will say so


def _cell_value(cell: ET.Element, book: _Book) -> Any:
    kind = cell.get("t")
    if kind == "inlineStr":
        inline = cell.find(_INLINE)
        return _text_of(inline) if inline is not None else None
    raw = cell.findtext(_VALUE)
    if raw is None:
        return None
    if kind == "s":
        return book.shared_strings[int(raw)]
    if kind == "b":
        return raw == "1"
    if kind == "d":
        return dt.datetime.fromisoformat(raw)
    if kind in ("str", "e"):
        return raw  # a formula's text result, or an error such as #N/A
    return _number_or_date(raw, cell.get("s") in book.date_styles, book.epoch)


def _xlsx_rows(archive: zipfile.ZipFile, part: str, book: _Book) -> Iterator[GridRow]:
    column_of: dict[str, int] = {}  # "AB" -> 27, cached: every row repeats the same letters
    number = 0
    with archive.open(part) as source:
        for _, element in ET.iterparse(_Checked(source, part)):
            if element.tag != _ROW:
                continue
            number = int(element.get("r") or number + 1)
            if not 0 < number <= _MAX_ROW:
                raise SheetError(f"row number {number} is outside a worksheet")
            cells: Cells = {}
            index = -1
            for cell in element.iter(_CELL):
                ref = cell.get("r")
                letters = ref.rstrip("0123456789") if ref else None
                if letters and letters not in column_of:
                    column_of[letters] = column_index_from_string(letters) - 1
                # A cell without a reference follows the one before it.
                index = column_of[letters] if letters else index + 1
                cells[index] = _cell_value(cell, book)
            element.clear()
            yield number, cells


def _fill_merged(rows: Iterable[GridRow], merges: list[_Merge]) -> Iterator[GridRow]:
    """Give every cell of a merged range the value of its top-left cell, as the office reads it."""
    if not merges:
        yield from rows
        return
    starting: dict[int, list[_Merge]] = {}
    for merge in merges:
        starting.setdefault(merge.min_row, []).append(merge)
    active: list[tuple[_Merge, Any]] = []
    for number, cells in rows:
        active = [(m, v) for m, v in active if m.max_row >= number]
        for merge in starting.get(number, ()):
            active.append((merge, cells.get(merge.min_col - 1)))
        if active:
            cells = dict(cells)
            for merge, value in active:
                if value is None:
                    continue
                for index in range(merge.min_col - 1, merge.max_col):
                    if cells.get(index) is None:
                        cells[index] = value
        yield number, cells


def _pick_sheet(sheets: list[tuple[str, str, bool]], preferred: str) -> tuple[str, str]:
    """The sheet named as preferred (一机一档), else the first visible one (templates hide their pick lists)."""
    named = [s for s in sheets if s[0].strip() == preferred]
    visible = [s for s in sheets if s[2]]
    name, part, _ = (named or visible or sheets)[0]
    return name, part


def _read_xlsx(data: bytes, filename: str, max_unzipped: int, on_rows: Callable[[int], None] | None,
               layout: Layout) -> Sheet:
    """Stream the sheet XML with the standard library's expat-based parser.

    openpyxl's read-only mode took 20-27 s for 100,000 rows (measured) and hides merged
    ranges; this reader takes about a third of that. openpyxl still supplies the date-format
    and serial-date rules. Expat refuses entity-expansion bombs and ElementTree never fetches
    external entities.
    """
    archive = _open_zip(data, filename, max_unzipped)
    try:
        book = _read_book(archive)
        if not book.sheets:
            raise SheetError(f"{filename} has no worksheet")
        name, part = _pick_sheet(book.sheets, layout.preferred_sheet)
        merges = _merged_ranges(_xml_bytes(archive, part))
        return _collect(name, _fill_merged(_xlsx_rows(archive, part, book), merges), on_rows, layout)
    except SheetError:
        raise
    except Exception as exc:  # a damaged part fails in many ways: KeyError, ParseError, ValueError…
        raise SheetError(f"{filename} is a damaged .xlsx workbook ({type(exc).__name__})") from exc


_DELIMITERS = (",", ";", "\t")


def _utf8_lines(data: bytes) -> tuple[list[int], list[int]]:
    """Line numbers of the non-ASCII lines that are UTF-8 and of those that are not."""
    utf8, other = [], []
    for number, line in enumerate(data.split(b"\n"), start=1):
        if line.isascii():
            continue
        try:
            line.decode("utf-8")
        except UnicodeDecodeError:
            other.append(number)
        else:
            utf8.append(number)
    return utf8, other


def _show_rows(numbers: list[int], limit: int = 10) -> str:
    shown = ", ".join(map(str, numbers[:limit]))
    return shown + (f" and {len(numbers) - limit} more" if len(numbers) > limit else "")


def _decode(data: bytes, filename: str) -> str:
    """CSV text: UTF-16 when it has that BOM (Excel's 'Unicode text'), UTF-8, else GB18030.

    A file whose rows were pasted together from a UTF-8 and a GBK file decodes as GB18030
    without an error, the UTF-8 rows turned into mojibake; such a file is refused, naming its
    rows of each encoding (rows counted as lines, which they are unless a cell holds a line break).
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        encodings: tuple[str, ...] = ("utf-16",)
    else:
        # Chinese Excel saves CSV in the system code page (GBK, which GB18030 contains).
        encodings = ("utf-8-sig", "gb18030")
    for encoding in encodings:
        if encoding == "gb18030":
            utf8, other = _utf8_lines(data)
            if utf8 and other:
                raise SheetError(
                    f"{filename} mixes two text encodings: rows {_show_rows(utf8)} are UTF-8, rows "
                    f"{_show_rows(other)} are not (GBK/GB18030); save the whole file in one encoding")
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if "\x00" not in text:
            return text
    raise SheetError(f"{filename} is not a text CSV file (neither UTF-8 nor GB18030)")


def _header_score(lines: list[str], delimiter: str, layout: Layout) -> int:
    best = 0
    for cells in csv.reader(lines, delimiter=delimiter):
        best = max(best, len({k for k in map(layout.field_key, cells) if k is not None}))
    return best


def _csv_rows(text: str, delimiter: str) -> Iterator[GridRow]:
    # Excel shows one CSV record per row, so the record count is the row number.
    for number, cells in enumerate(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), start=1):
        yield number, {index: unquote(cell) for index, cell in enumerate(cells) if cell != ""}


def _read_csv(data: bytes, filename: str, on_rows: Callable[[int], None] | None, layout: Layout) -> Sheet:
    text = _decode(data, filename)
    head = text.splitlines()[:HEADER_SCAN_ROWS]
    try:
        delimiter = max(_DELIMITERS, key=lambda d: _header_score(head, d, layout))
        return _collect(PurePath(filename).stem, _csv_rows(text, delimiter), on_rows, layout)
    except csv.Error as exc:
        raise SheetError(f"{filename} is a damaged CSV file ({exc})") from exc


def read_sheet(data: bytes, filename: str, *, max_bytes: int = DEFAULT_MAX_BYTES,
               max_unzipped: int = DEFAULT_MAX_UNZIPPED,
               on_rows: Callable[[int], None] | None = None, layout: Layout = CAMERA_LAYOUT) -> Sheet:
    """Read the sheet of an .xlsx or .csv upload (by default the camera sheet); any unreadable
    file is a SheetError.

    `on_rows(n)` hears every PROGRESS_ROWS data rows read; `layout` says what its header holds.
    """
    name = PurePath(filename).name or "the file"
    if not data:
        raise SheetError(f"{name} is empty")
    if len(data) > max_bytes:
        raise SheetError(f"{name} is {len(data) / 2**20:.1f} MB, over the {max_bytes / 2**20:g} MB limit")
    suffix = PurePath(filename).suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return _read_xlsx(data, name, max_unzipped, on_rows, layout)
    if suffix == ".csv":
        return _read_csv(data, name, on_rows, layout)
    if suffix in (".xls", ".et", ".wps"):
        raise SheetError(f"{name} is an old or WPS-format workbook; save it as .xlsx")
    raise SheetError(f"{name}: only .xlsx and .csv files can be imported")
