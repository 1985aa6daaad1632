"""A small, fast XLSX writer for large text tables (inline strings, frozen header, filters, widths).

XlsxWriter spends ~11 µs per cell; the whole crosswalk workbook (~270,000 cells) took 3 s of
CPU and up to 6 s on a busy machine, over the 5 s the planners' export must stay under.
This writer emits the same SpreadsheetML parts XlsxWriter does for these features (inline
strings as in its constant-memory mode) in ~1 µs per cell. Anything beyond text, numbers,
booleans, four cell styles, column widths, frozen rows, an autofilter and merged cells is
out of scope: use XlsxWriter for that.
"""

from __future__ import annotations

import math
import re
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from io import BytesIO
from xml.sax.saxutils import escape

# Cell styles (index into cellXfs of STYLES_XML).
STYLE_IDS = {None: 0, "header": 1, "text": 2, "wrap": 3}
_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
_SHEET_NAME_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


@dataclass
class Sheet:
    """One worksheet: rows of values (str, int, float, bool or None) and how to show them.

    ``column_styles`` apply to every cell of a column (None, "text" = the '@' number
    format, "wrap"); ``cell_styles`` ({(row, col): style}, 0-based) override them;
    ``header_rows`` rows at the top are styled "header" and frozen; ``autofilter`` puts
    filter buttons on the last header row over all columns.
    """

    name: str
    rows: Iterable[Sequence[object]]
    widths: Sequence[float] = ()
    column_styles: Sequence[str | None] = ()
    cell_styles: dict[tuple[int, int], str] = field(default_factory=dict)
    header_rows: int = 1
    autofilter: bool = True
    merges: Sequence[str] = ()


def column_letter(index: int) -> str:
    """0 → "A", 25 → "Z", 26 → "AA"."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def write_xlsx(sheets: Sequence[Sheet]) -> bytes:
    """The workbook as bytes. Raises ``ValueError`` for a sheet name Excel would refuse."""
    names = [sheet.name for sheet in sheets]
    for name in names:
        if not name or len(name) > 31 or _SHEET_NAME_FORBIDDEN.search(name) or name.startswith("'"):
            raise ValueError(f"invalid sheet name {name!r}: 1–31 characters, none of []:*?/\\")
    if len({name.lower() for name in names}) != len(names):
        raise ValueError(f"duplicate sheet names in {names}")
    buffer = BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
        archive.writestr("[Content_Types].xml", _content_types(len(sheets)))
        archive.writestr("_rels/.rels", _ROOT_RELS)
        archive.writestr("xl/_rels/workbook.xml.rels", _workbook_rels(len(sheets)))
        archive.writestr("xl/styles.xml", STYLES_XML)
        filters = []
        for number, sheet in enumerate(sheets, start=1):
            xml, filter_ref = _sheet_xml(sheet, selected=number == 1)
            archive.writestr(f"xl/worksheets/sheet{number}.xml", xml)
            if filter_ref:
                filters.append((number - 1, sheet.name, filter_ref))
        archive.writestr("xl/workbook.xml", _workbook(names, filters))
    return buffer.getvalue()


def _text(value: str) -> str:
    value = escape(_INVALID_XML.sub("", value))
    if value[:1].isspace() or value[-1:].isspace():
        return f'<is><t xml:space="preserve">{value}</t></is>'
    return f"<is><t>{value}</t></is>"


def _cell(ref: str, value: object, style: int) -> str:
    """One <c> element; "" for an empty value (empty cells are not written)."""
    s = f' s="{style}"' if style else ""
    if isinstance(value, str):
        return f'<c r="{ref}"{s} t="inlineStr">{_text(value)}</c>' if value else ""
    if value is None:
        return ""
    if isinstance(value, bool):
        return f'<c r="{ref}"{s} t="b"><v>{int(value)}</v></c>'
    try:
        number = float(value)  # numpy numbers included
    except (TypeError, ValueError):
        return f'<c r="{ref}"{s} t="inlineStr">{_text(str(value))}</c>'
    if math.isnan(number) or math.isinf(number):
        return ""
    return f'<c r="{ref}"{s}><v>{repr(number) if not number.is_integer() else int(number)}</v></c>'


def _sheet_xml(sheet: Sheet, *, selected: bool) -> tuple[bytes, str]:
    column_ids = [STYLE_IDS[style] for style in sheet.column_styles]
    header_id = STYLE_IDS["header"]
    cell_ids = {key: STYLE_IDS[style] for key, style in sheet.cell_styles.items()}
    parts: list[str] = []
    width = 0
    row_count = 0
    texts: dict[str, str] = {}  # escaped <is> element per distinct string: most values repeat
    for r, values in enumerate(sheet.rows):
        row_count = r + 1
        width = max(width, len(values))
        number = str(r + 1)
        cells = []
        for c, value in enumerate(values):
            if r < sheet.header_rows:
                style = header_id
            elif c < len(column_ids):
                style = column_ids[c]
            else:
                style = 0
            if cell_ids:
                style = cell_ids.get((r, c), style)
            ref = (_LETTERS[c] if c < len(_LETTERS) else column_letter(c)) + number
            if isinstance(value, str):
                if value:
                    text = texts.get(value)
                    if text is None:
                        text = texts[value] = _text(value)
                    cells.append(f'<c r="{ref}" s="{style}" t="inlineStr">{text}</c>' if style
                                 else f'<c r="{ref}" t="inlineStr">{text}</c>')
            elif value is not None:
                cell = _cell(ref, value, style)
                if cell:
                    cells.append(cell)
        parts.append(f'<row r="{number}">{"".join(cells)}</row>')
    last = f"{column_letter(max(width, 1) - 1)}{max(row_count, 1)}"
    head = [f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="{_MAIN}" xmlns:r="{_REL}">',
            f'<dimension ref="A1:{last}"/>', "<sheetViews>"]
    tab = ' tabSelected="1"' if selected else ""
    if sheet.header_rows:
        top = f"A{sheet.header_rows + 1}"
        head.append(f'<sheetView{tab} workbookViewId="0"><pane ySplit="{sheet.header_rows}" topLeftCell="{top}" '
                    f'activePane="bottomLeft" state="frozen"/><selection pane="bottomLeft" activeCell="{top}" '
                    f'sqref="{top}"/></sheetView>')
    else:
        head.append(f'<sheetView{tab} workbookViewId="0"/>')
    head.append('</sheetViews><sheetFormatPr defaultRowHeight="15"/>')
    columns = [f'<col min="{i + 1}" max="{i + 1}" width="{w:.2f}"'
               f'{f" style={chr(34)}{column_ids[i]}{chr(34)}" if i < len(column_ids) and column_ids[i] else ""}'
               f' customWidth="1"/>' for i, w in enumerate(sheet.widths)]
    if columns:
        head.append(f"<cols>{''.join(columns)}</cols>")
    tail = ["</sheetData>"]
    filter_ref = ""
    if sheet.autofilter and sheet.header_rows and width:
        filter_ref = f"A{sheet.header_rows}:{column_letter(width - 1)}{max(row_count, sheet.header_rows + 1)}"
        tail.append(f'<autoFilter ref="{filter_ref}"/>')
    if sheet.merges:
        tail.append(f'<mergeCells count="{len(sheet.merges)}">'
                    + "".join(f'<mergeCell ref="{ref}"/>' for ref in sheet.merges) + "</mergeCells>")
    tail.append('<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/></worksheet>')
    return ("".join(head) + "<sheetData>" + "".join(parts) + "".join(tail)).encode("utf-8"), filter_ref


_LETTERS = [column_letter(i) for i in range(702)]


def _absolute(ref: str) -> str:
    return "$" + re.sub(r"([A-Z]+)(\d+)", r"\1$\2", ref).replace(":", ":$")


def _workbook(names: list[str], filters: list[tuple[int, str, str]]) -> str:
    sheets = "".join(f'<sheet name="{escape(name, {chr(34): "&quot;"})}" sheetId="{i + 1}" r:id="rId{i + 1}"/>'
                     for i, name in enumerate(names))
    defined = "".join(
        f'<definedName name="_xlnm._FilterDatabase" localSheetId="{index}" hidden="1">'
        f"{escape(chr(39) + name.replace(chr(39), chr(39) * 2) + chr(39))}!{_absolute(ref)}</definedName>"
        for index, name, ref in filters)
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<workbook xmlns="{_MAIN}" xmlns:r="{_REL}">'
            f'<bookViews><workbookView/></bookViews><sheets>{sheets}</sheets>'
            + (f"<definedNames>{defined}</definedNames>" if defined else "") + "</workbook>")


def _content_types(count: int) -> str:
    overrides = "".join(
        f'<Override PartName="/xl/worksheets/sheet{i}.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        for i in range(1, count + 1))
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/styles.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
            f"{overrides}</Types>")


def _workbook_rels(count: int) -> str:
    sheets = "".join(f'<Relationship Id="rId{i}" Type="{_REL}/worksheet" Target="worksheets/sheet{i}.xml"/>'
                     for i in range(1, count + 1))
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="{_PKG}">{sheets}'
            f'<Relationship Id="rId{count + 1}" Type="{_REL}/styles" Target="styles.xml"/></Relationships>')


_ROOT_RELS = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="{_PKG}">'
              f'<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>')

STYLES_XML = (
    f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<styleSheet xmlns="{_MAIN}">'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>'
    '<fills count="3"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill>'
    '<fill><patternFill patternType="solid"><fgColor rgb="FFDDEBF7"/><bgColor indexed="64"/></patternFill></fill>'
    '</fills>'
    '<borders count="2"><border><left/><right/><top/><bottom/><diagonal/></border>'
    '<border><left style="thin"><color auto="1"/></left><right style="thin"><color auto="1"/></right>'
    '<top style="thin"><color auto="1"/></top><bottom style="thin"><color auto="1"/></bottom><diagonal/></border>'
    '</borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="4"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="2" borderId="1" xfId="0" applyFont="1" applyFill="1" applyBorder="1"/>'
    '<xf numFmtId="49" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0" applyAlignment="1">'
    '<alignment vertical="top" wrapText="1"/></xf></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    '<dxfs count="0"/><tableStyles count="0" defaultTableStyle="TableStyleMedium9" defaultPivotStyle="PivotStyleLight16"/>'
    "</styleSheet>"
)
