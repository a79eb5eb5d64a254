"""Catalogue files: reading a CSV/XLSX upload into rows, checking it whole before anything is
written (the import plan), and writing the catalogue back in the same format (export).

The format (one row per call, columns in bot/domain/catalog_rows.py COLUMNS) is documented in
docs/catalogue-files.md; `template_csv()` is the file the bot sends on request.
"""

from __future__ import annotations

import asyncio
import csv
import io
import re
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from bot.db.calls import CallsRepo
from bot.domain.calls import Call, Programme
from bot.domain.catalog_rows import (
    COLUMNS,
    RowError,
    call_from_row,
    looks_like_formula,
    quote_apostrophes,
    quote_formula,
    row_changes,
    row_from_call,
    unquote_formula,
)

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_ROWS = 5000
# Ten times the longest value a column takes (a 2,000-character summary): longer is no call.
MAX_CELL_CHARS = 20_000
# An XLSX is a zip of XML: 5 MB packed can be gigabytes unpacked. 5,000 rows with two full
# 2,000-character summaries each unpack to 28 MB (ratio 50); openpyxl writes 9 members.
MAX_UNPACKED_BYTES = 100 * 1024 * 1024
MAX_ZIP_MEMBERS = 200
MAX_COMPRESSION_RATIO = 200  # XML packs 5-50x; a bomb packs ~1000x
MAX_COLUMNS = 100  # columns read from a sheet; ours are 26
XLSX_MAGIC = b"PK\x03\x04"

# The csv module refuses a field over 128 KiB by stopping the whole file; let any cell that
# fits in the file through, so an over-long one is reported on its own row instead.
csv.field_size_limit(max(csv.field_size_limit(), MAX_FILE_BYTES))


class FileProblem(ValueError):
    """The file as a whole cannot be read; `code` is translated in bot/texts/admin.py."""

    def __init__(self, code: str, **params: object) -> None:
        super().__init__(code)
        self.code = code
        self.params = {k: str(v) for k, v in params.items()}


@dataclass(frozen=True, slots=True)
class Table:
    rows: list[tuple[int, dict[str, str]]]  # (spreadsheet row number, header = 1; row)
    unknown_columns: list[str]
    # Cells too long to be a value, by row number: the row is rejected with these errors.
    cell_errors: dict[int, list[RowError]] = field(default_factory=dict)


def read_table(filename: str, content: bytes) -> Table:
    """Blocking (an XLSX takes seconds): call it through `plan_import` or a worker thread."""
    if not content.strip():
        raise FileProblem("empty")
    if len(content) > MAX_FILE_BYTES:
        raise FileProblem("too_big", limit_mb=MAX_FILE_BYTES // (1024 * 1024))
    if content.startswith(XLSX_MAGIC) or filename.lower().endswith(".xlsx"):
        grid = _xlsx_grid(content)
    else:
        grid = _csv_grid(content)
    grid = [row for row in grid if any(cell.strip() for cell in row[1])]
    if not grid:
        raise FileProblem("empty")
    _, header = grid[0]
    names = [cell.strip().lower().removeprefix("\ufeff") for cell in header]
    # Text columns carry a locale suffix whose case matters (uz_Cyrl).
    names = [_canonical(name) for name in names]
    if "external_id" not in names:
        raise FileProblem("no_header", columns=", ".join(COLUMNS[:6]))
    missing = [
        c for c in ("programme", "levels", "fields", "funding", "official_url") if c not in names
    ]
    if missing:
        raise FileProblem("missing_columns", columns=", ".join(missing))
    if len(grid) - 1 > MAX_ROWS:
        raise FileProblem("too_many_rows", limit=MAX_ROWS)
    unknown = [n for n in names if n and n not in COLUMNS]
    rows = []
    cell_errors: dict[int, list[RowError]] = {}
    for number, cells in grid[1:]:
        row = {}
        for i, name in enumerate(names):
            if name not in COLUMNS:
                continue
            value = unquote_formula(cells[i]) if i < len(cells) else ""
            if len(value) > MAX_CELL_CHARS:
                limit = {"limit": str(MAX_CELL_CHARS)}
                cell_errors.setdefault(number, []).append(RowError(name, "too_long", limit))
                value = ""
            row[name] = value
        rows.append((number, row))
    return Table(rows, unknown, cell_errors)


def _canonical(name: str) -> str:
    for column in COLUMNS:
        if column.lower() == name:
            return column
    return name


def _csv_grid(content: bytes) -> list[tuple[int, list[str]]]:
    if b"\x00" in content:  # a binary file, or UTF-16 "Unicode text"
        raise FileProblem("not_table")
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise FileProblem("encoding") from None
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    if first_line.count(delimiter) == 0:
        raise FileProblem("not_table")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        return [(number, row) for number, row in enumerate(reader, start=1)]
    except csv.Error:
        raise FileProblem("not_table") from None


def _xlsx_grid(content: bytes) -> list[tuple[int, list[str]]]:
    from defusedxml import DefusedXmlException
    from openpyxl import load_workbook

    _check_archive(content)
    try:
        # openpyxl parses through defusedxml when it is installed (a dependency of ours):
        # entity declarations (billion laughs, external entities) raise instead of expanding.
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        try:
            sheet = book.worksheets[0]
            grid = []
            rows = sheet.iter_rows(max_row=MAX_ROWS + 2, max_col=MAX_COLUMNS, values_only=True)
            for number, values in enumerate(rows, start=1):
                if number > MAX_ROWS + 1:
                    raise FileProblem("too_many_rows", limit=MAX_ROWS)
                cells = [_ooxml_unescape(_cell_text(v)) for v in values]
                while cells and cells[-1] == "":
                    cells.pop()
                grid.append((number, cells))
            return grid
        finally:
            book.close()
    except FileProblem:
        raise
    except Exception as error:
        # openpyxl wraps what its parser raised in a ValueError of its own
        cause: BaseException | None = error
        while cause is not None and not isinstance(cause, DefusedXmlException):
            cause = cause.__cause__ or cause.__context__
        raise FileProblem("not_table" if cause is None else "unsafe_xml") from None


def _check_archive(content: bytes) -> None:
    """Refuse a zip bomb before anything unpacks it: the sizes the archive declares bound
    what zipfile will ever inflate (it stops at a member's declared size)."""
    problem = FileProblem("unpacks_too_big", limit_mb=MAX_UNPACKED_BYTES // (1024 * 1024))
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError):
        raise FileProblem("not_table") from None
    if len(members) > MAX_ZIP_MEMBERS:
        raise problem
    if sum(member.file_size for member in members) > MAX_UNPACKED_BYTES:
        raise problem
    for member in members:
        if member.file_size > MAX_COMPRESSION_RATIO * max(member.compress_size, 1024):
            raise problem


# OOXML writes characters XML cannot hold (CR, control characters) as _xHHHH_, and a literal
# "_x0041_" as "_x005F_x0041_"; Excel reads both back. openpyxl does neither, so we do.
_OOXML_ESCAPED = re.compile(r"_x([0-9A-Fa-f]{4})_")
_OOXML_NEEDS_ESCAPE = re.compile(r"_(?=x[0-9A-Fa-f]{4}_)|[\x00-\x08\x0b-\x1f\ufffe\uffff]")


def _ooxml_escape(text: str) -> str:
    return _OOXML_NEEDS_ESCAPE.sub(lambda m: f"_x{ord(m.group()):04X}_", text)


def _ooxml_unescape(text: str) -> str:
    if "_x" not in text:
        return text
    return _OOXML_ESCAPED.sub(_ooxml_char, text)


def _ooxml_char(match: re.Match[str]) -> str:
    code = int(match.group(1), 16)
    # NUL and lone surrogates are no text: keep the escape as it stands
    return match.group() if code == 0 or 0xD800 <= code <= 0xDFFF else chr(code)


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M" if value.second == 0 else "%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


# -- the plan ------------------------------------------------------------------------------


@dataclass
class ImportPlan:
    filename: str
    rows: list[dict[str, str]] = field(default_factory=list)  # valid rows, normalised
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[tuple[int, RowError]] = field(default_factory=list)
    warnings: list[tuple[int, RowError]] = field(default_factory=list)
    unknown_columns: list[str] = field(default_factory=list)

    @property
    def rejected(self) -> int:
        return len({line for line, _ in self.errors})

    @property
    def to_write(self) -> int:
        return self.created + self.updated


async def plan_import(
    filename: str, content: bytes, calls: CallsRepo, tz: ZoneInfo, now: datetime
) -> ImportPlan:
    """Read and check the whole file; nothing is written. Raises FileProblem.

    The file is parsed in a worker thread: a big XLSX takes seconds, and on the event loop
    those seconds would stall every user of the bot."""
    table = await asyncio.to_thread(read_table, filename, content)
    programmes = {p.code: p for p in await calls.programmes()}
    existing = {c.external_id: c for c in await calls.list_all() if c.external_id}
    return check_table(filename, table, programmes, existing, tz, now)


def check_table(
    filename: str,
    table: Table,
    programmes: dict[str, Programme],
    existing: dict[str, Call],
    tz: ZoneInfo,
    now: datetime,
) -> ImportPlan:
    today = now.astimezone(tz).date()
    plan = ImportPlan(filename, unknown_columns=table.unknown_columns)
    seen: dict[str, int] = {}
    for number, row in table.rows:
        call, errors = call_from_row(row, tz, programmes, today)
        external_id = (row.get("external_id") or "").strip()
        if external_id in seen:
            errors.append(RowError("external_id", "duplicate", {"line": str(seen[external_id])}))
            call = None
        elif external_id:
            seen[external_id] = number
        if number in table.cell_errors:
            errors[:0] = table.cell_errors[number]
            call = None
        if call is None:
            plan.errors.extend((number, error) for error in errors)
            continue
        normalised = row_from_call(call, tz)
        before = existing.get(call.external_id) if call.external_id else None
        if before is None:
            plan.created += 1
        elif row_changes(row_from_call(before, tz), normalised):
            plan.updated += 1
        else:
            plan.unchanged += 1
        if call.deadline_at is not None and call.deadline_at <= now:
            plan.warnings.append((number, RowError("deadline_at", "deadline_passed")))
        plan.rows.append(normalised)
    return plan


# -- export --------------------------------------------------------------------------------


def export_rows(calls: list[Call], tz: ZoneInfo) -> list[dict[str, str]]:
    return [row_from_call(call, tz) for call in calls]


def write_csv(rows: list[dict[str, str]]) -> bytes:
    """Formula-safe: see `quote_formula` for the rule `read_table` reverses."""
    out = io.StringIO(newline="")
    writer = csv.DictWriter(out, fieldnames=list(COLUMNS), lineterminator="\r\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({column: quote_formula(row.get(column, "")) for column in COLUMNS})
    # The BOM lets Excel open the UTF-8 file with Cyrillic and o‘ intact; import ignores it.
    return out.getvalue().encode("utf-8-sig")


def write_xlsx(rows: list[dict[str, str]]) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "calls"
    sheet.append(list(COLUMNS))
    for number, row in enumerate(rows, start=2):
        for index, column in enumerate(COLUMNS, start=1):
            text = row.get(column, "")
            if not text:
                continue
            cell = sheet.cell(row=number, column=index)
            # Every cell as text, never a formula (openpyxl makes "=…" one): dates and ids
            # come back exactly as written, and `=cmd|…` is shown, not run.
            cell.value = _ooxml_escape(quote_apostrophes(text))
            cell.data_type = "s"
            if looks_like_formula(text):
                cell.quotePrefix = True  # Excel keeps it text when the admin edits the cell
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def write_table(filename: str, rows: list[dict[str, str]]) -> bytes:
    return write_xlsx(rows) if filename.lower().endswith(".xlsx") else write_csv(rows)


TEMPLATE_ROW = {
    "external_id": "erasmus-mundus-2027-example",
    "status": "draft",
    "programme": "erasmus",
    "levels": "master",
    "fields": "all",
    "funding": "full",
    "countries": "DE FR IT",
    "language_requirement": "English B2 (IELTS 6.5)",
    "min_age": "",
    "max_age": "",
    "min_work_years": "",
    "min_ielts": "6.5",
    "min_toefl": "",
    "min_duolingo": "",
    "min_german": "",
    "uz_citizens_only": "no",
    "opens_at": "2026-10-01",
    "deadline_at": "2027-01-15 18:00",
    "deadline_tz": "Europe/Brussels",
    "dates_typical": "no",
    "yearly": "yes",
    "official_url": "https://www.eacea.ec.europa.eu/scholarships/erasmus-mundus-catalogue_en",
    "source_url": "",
    "verified_on": "2026-11-20",
    "title_uz": "Erasmus Mundus qo‘shma magistratura dasturlari",
    "summary_uz": "Ikki-uch davlatda o‘qish, to‘liq grant.",
    "title_uz_Cyrl": "Erasmus Mundus қўшма магистратура дастурлари",
    "summary_uz_Cyrl": "Икки-уч давлатда ўқиш, тўлиқ грант.",
    "title_ru": "Совместные магистерские программы Erasmus Mundus",
    "summary_ru": "Обучение в двух-трёх странах, полная стипендия.",
    "title_en": "Erasmus Mundus joint master's programmes",
    "summary_en": "Study in two or three countries with a full scholarship.",
}


def template_csv() -> bytes:
    return write_csv([TEMPLATE_ROW])
