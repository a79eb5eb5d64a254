"""Catalogue files: reading a CSV/XLSX upload into rows, checking it whole before anything is
written (the import plan), and writing the catalogue back in the same format (export).

The format (one row per call, columns in bot/domain/catalog_rows.py COLUMNS) is documented in
README.md; `template_csv()` is the file the bot sends on request.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from bot.db.calls import CallsRepo
from bot.domain.calls import Call
from bot.domain.catalog_rows import (
    COLUMNS,
    RowError,
    call_from_row,
    row_changes,
    row_from_call,
)

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_ROWS = 5000
XLSX_MAGIC = b"PK\x03\x04"


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


def read_table(filename: str, content: bytes) -> Table:
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
    for number, cells in grid[1:]:
        row = {
            name: (cells[i] if i < len(cells) else "")
            for i, name in enumerate(names)
            if name in COLUMNS
        }
        rows.append((number, row))
    return Table(rows, unknown)


def _canonical(name: str) -> str:
    for column in COLUMNS:
        if column.lower() == name:
            return column
    return name


def _csv_grid(content: bytes) -> list[tuple[int, list[str]]]:
    if b"\x00" in content[:4096]:
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
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception:
        raise FileProblem("not_table") from None
    try:
        sheet = book.worksheets[0]
        grid = []
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            grid.append((number, [_cell_text(v) for v in values]))
            if number > MAX_ROWS + 1:
                raise FileProblem("too_many_rows", limit=MAX_ROWS)
        return grid
    finally:
        book.close()


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
    """Read and check the whole file; nothing is written. Raises FileProblem."""
    table = read_table(filename, content)
    programmes = {p.code: p for p in await calls.programmes()}
    existing = {c.external_id: c for c in await calls.list_all() if c.external_id}
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
    out = io.StringIO(newline="")
    writer = csv.DictWriter(out, fieldnames=list(COLUMNS), lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    # The BOM lets Excel open the UTF-8 file with Cyrillic and o‘ intact; import ignores it.
    return out.getvalue().encode("utf-8-sig")


def write_xlsx(rows: list[dict[str, str]]) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "calls"
    sheet.append(list(COLUMNS))
    for row in rows:
        # Every cell as text, so dates and ids come back exactly as written.
        sheet.append([row.get(column, "") for column in COLUMNS])
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
