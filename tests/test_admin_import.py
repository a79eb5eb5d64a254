"""Stories of bulk import and export: whole-file checks with a report in the admin's language,
nothing written before the confirm, all rows in one transaction, and a faithful round trip."""

from __future__ import annotations

import asyncio
import csv
import io
import random
import threading
import zipfile
from datetime import date

import openpyxl
import pytest
from aiogram.methods import AnswerCallbackQuery, SendDocument
from openpyxl import load_workbook

from bot.app import create_app
from bot.db.calls import CallsRepo
from bot.domain.catalog_rows import COLUMNS, call_from_row
from bot.fake_telegram import LocalSession, LocalTelegram
from bot.services import catalog_files
from bot.services.catalog_files import (
    MAX_CELL_CHARS,
    MAX_FILE_BYTES,
    MAX_UNPACKED_BYTES,
    MAX_ZIP_MEMBERS,
    TEMPLATE_ROW,
    XLSX_MAGIC,
    read_table,
    write_xlsx,
)
from tests.admin_helpers import speaks_english
from tests.conftest import ADMIN_ID, TASHKENT, make_settings, onboard


def csv_bytes(rows: list[dict[str, str]], delimiter: str = ",", bom: bool = False) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.DictWriter(out, fieldnames=list(COLUMNS), delimiter=delimiter)
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode("utf-8-sig" if bom else "utf-8")


def row(**values: str) -> dict[str, str]:
    return {**TEMPLATE_ROW, "status": "published", **values}


GOOD_AND_BAD = [
    row(external_id="imp-good-1", title_en="Imported grant one"),  # file row 2
    row(external_id="imp-bad-date", deadline_at="31.01.2027"),  # 3
    row(external_id="imp-good-2", title_en="Imported grant two", programme="DAAD"),  # 4
    row(external_id="imp-bad-many", official_url="http://x.org", levels="wizard", fields="99"),  # 5
    row(external_id="imp-good-1", title_en="Duplicate id"),  # 6
]


async def last_document(telegram: LocalTelegram, chat_id: int):
    docs = [m for m in telegram.transcript(chat_id) if m.kind == "document" and m.from_bot]
    return docs[-1]


async def test_import_reports_every_bad_row_and_writes_nothing_before_confirm(
    app, telegram, admin, student
):
    calls = app.repos.calls
    before = await calls.count()
    await speaks_english(app, admin)
    await telegram.send_document(admin, "calls.csv", csv_bytes(GOOD_AND_BAD, ";", bom=True))
    report = telegram.last_bot_text(admin.id)
    assert "New calls: 2" in report and "Rejected rows: 3" in report
    assert "Row 3, <code>deadline_at</code>: «31.01.2027» is not a date" in report
    assert "Row 5, <code>official_url</code>: The link must start with https://" in report
    assert "Row 5, <code>levels</code>: Unknown level «wizard»" in report
    assert "Row 5, <code>fields</code>: Unknown field «99»" in report
    assert (
        "Row 6, <code>external_id</code>: The same external_id is already used in row 2" in report
    )
    assert await calls.count() == before

    _, button = telegram.find_button(admin.id, "Write 2 calls")
    await telegram.press(admin, "Write 2 calls")
    assert "2 new, 0 updated" in telegram.last_bot_text(admin.id)
    assert await calls.count() == before + 2
    daad = await calls.get_by_external_id("imp-good-2")
    assert daad.programme.code == "daad" and daad.texts["en"].title == "Imported grant two"
    history = await app.db.fetchall("SELECT action, actor_id FROM call_history")
    assert [(h["action"], h["actor_id"]) for h in history] == [("imported", ADMIN_ID)] * 2

    # a second press of the same button does not import twice
    sent = await telegram.press_data(admin, button.callback_data)
    answer = [m for m in sent if isinstance(m, AnswerCallbackQuery)][-1]
    assert "already written" in answer.text
    assert await calls.count() == before + 2

    await onboard(telegram, student)
    await telegram.send(student, "Imported grant")
    assert "Imported grant one" in telegram.last_bot_text(student.id)


async def test_the_report_speaks_the_admins_language(app, telegram, admin):
    await speaks_english(app, admin, "ru")
    await telegram.send_document(admin, "calls.csv", csv_bytes(GOOD_AND_BAD))
    report = telegram.last_bot_text(admin.id)
    assert "Строка 3" in report and "не дата" in report


async def test_a_failure_while_writing_leaves_the_catalogue_untouched(
    app, telegram, admin, monkeypatch
):
    calls = app.repos.calls
    before = await calls.count()
    await speaks_english(app, admin)
    await telegram.send_document(admin, "calls.csv", csv_bytes(GOOD_AND_BAD))
    original = CallsRepo.save
    saved = []

    async def failing_save(self, call, now):
        saved.append(call.external_id)
        if len(saved) == 2:
            raise RuntimeError("disk full")
        return await original(self, call, now)

    monkeypatch.setattr(CallsRepo, "save", failing_save)
    await telegram.press(admin, "Write 2 calls")
    assert "nothing was written" in telegram.last_bot_text(admin.id)
    assert saved == ["imp-good-1", "imp-good-2"]
    monkeypatch.setattr(CallsRepo, "save", original)
    assert await calls.count() == before
    assert await calls.get_by_external_id("imp-good-1") is None
    assert await app.db.fetchval("SELECT count(*) FROM call_history") == 0
    # the import is still pending: once the problem is gone it can be written
    await telegram.press(admin, "Write 2 calls")
    assert await calls.count() == before + 2


async def test_cancelling_an_import_writes_nothing(app, telegram, admin):
    calls = app.repos.calls
    before = await calls.count()
    await speaks_english(app, admin)
    await telegram.send_document(admin, "calls.csv", csv_bytes(GOOD_AND_BAD))
    await telegram.press(admin, "Cancel")
    assert "Import cancelled" in telegram.last_bot_text(admin.id)
    assert await calls.count() == before


@pytest.mark.parametrize(
    ("filename", "content", "reason"),
    [
        ("empty.csv", b"", "The file is empty"),
        ("blank.csv", b"\n\n  \n", "The file is empty"),
        ("photo.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00", "cannot read this file as a table"),
        ("broken.xlsx", b"PK\x03\x04 not really a workbook", "cannot read this file as a table"),
        ("notes.csv", b"just some notes without columns", "cannot read this file as a table"),
        ("cp1251.csv", "external_id;title_ru\nx;Привет".encode("cp1251"), "not in UTF-8"),
        ("other.csv", b"name,email\nA,a@b.c\n", "first row must name the columns"),
        ("partial.csv", b"external_id,programme\nx,daad\n", "Required columns are missing"),
        ("huge.csv", b"x" * (MAX_FILE_BYTES + 1), "too big"),
    ],
)
async def test_malformed_files_get_a_clear_message(app, telegram, admin, filename, content, reason):
    calls = app.repos.calls
    before = await calls.count()
    await speaks_english(app, admin)
    await telegram.send_document(admin, filename, content)
    text = telegram.last_bot_text(admin.id)
    assert reason in text
    assert await calls.count() == before


async def test_an_unchanged_file_updates_nothing_and_a_changed_title_updates_by_external_id(
    app, telegram, admin
):
    await speaks_english(app, admin)
    await telegram.send(admin, "/admin")
    await telegram.press(admin, "Export")
    exported = (await last_document(telegram, admin.id)).file_content
    total = len(read_table("x.csv", exported).rows)
    await telegram.send_document(admin, "same.csv", exported)
    report = telegram.last_bot_text(admin.id)
    assert f"Unchanged: {total}" in report and "There is nothing to write" in report

    table = read_table("x.csv", exported)
    rows = [r for _, r in table.rows]
    rows[0]["title_en"] = "A corrected English title"
    await telegram.send_document(admin, "fixed.csv", csv_bytes(rows))
    assert "Updated (by external_id): 1" in telegram.last_bot_text(admin.id)
    await telegram.press(admin, "Write 1 call")
    calls = app.repos.calls
    updated = await calls.get_by_external_id(rows[0]["external_id"])
    assert updated.texts["en"].title == "A corrected English title"
    changes = await app.db.fetchval(
        "SELECT changes FROM call_history WHERE call_id = ?", (updated.id,)
    )
    assert "A corrected English title" in changes and "status" not in changes


async def test_the_template_sent_on_request_imports_cleanly(app, telegram, admin):
    await speaks_english(app, admin)
    await telegram.send(admin, "/admin")
    await telegram.press(admin, "Import")
    await telegram.press(admin, "Template")
    template = (await last_document(telegram, admin.id)).file_content
    await telegram.send_document(admin, "template.csv", template)
    report = telegram.last_bot_text(admin.id)
    assert "New calls: 1" in report and "Rejected rows: 0" in report


FORMULA_TITLE = "=cmd|' /C calc'!A0"
FORMULA_START = tuple("=+-@\t\r")


async def varied_catalogue(app) -> None:
    """Calls that exercise every column: rolling, closed, draft with one language, seconds."""
    calls = app.repos.calls
    desk = app.services.desk
    programmes = {p.code: p for p in await calls.programmes()}
    extra = [
        row(
            external_id="rt-rolling",
            deadline_at="",
            opens_at="",
            countries="",
            min_age="18",
            max_age="",
            min_work_years="2",
            dates_typical="yes",
            language_requirement="",
            summary_ru='Строка с "кавычками"; точкой с запятой,\nи переводом строки.',
        ),
        row(
            external_id="rt-closed",
            status="closed",
            deadline_at="2027-05-01 12:30:15",
            deadline_tz="Europe/Berlin",
            fields="05 06",
            levels="doctoral postdoc",
        ),
        row(
            external_id="rt-formulas",
            title_en=FORMULA_TITLE,
            summary_en="+998 71 200 00 00 answers questions; -5% fee; @eyuf_uz on Telegram.",
            title_ru="-50% за обучение",
            summary_ru='@everyone: =HYPERLINK("https://evil.example")',
            title_uz="'=already quoted",
            summary_uz="=1+2",
            language_requirement="=IELTS 6.5",
        ),
        {
            **{c: "" for c in COLUMNS},
            "external_id": "rt-draft",
            "status": "draft",
            "programme": "eyuf",
            "levels": "bachelor",
            "fields": "all",
            "funding": "tuition",
            "official_url": "https://eyuf.uz/x",
            "verified_on": "2026-01-02",
            "title_uz_Cyrl": "Фақат кирилл",
            "summary_uz_Cyrl": "Тавсиф.",
        },
    ]
    for values in extra:
        call, errors = call_from_row(values, TASHKENT, programmes, date(2026, 11, 23))
        assert not errors, errors
        await desk.create(call, ADMIN_ID, app.clock.now())


def catalogue_rows(exported: bytes) -> list[dict[str, str]]:
    return sorted(
        (r for _, r in read_table("x.csv", exported).rows), key=lambda r: r["external_id"]
    )


@pytest.mark.parametrize("kind", ["CSV", "XLSX"])
async def test_export_then_import_into_another_database_gives_the_same_catalogue(
    app, telegram, admin, tmp_path, clock, kind
):
    await varied_catalogue(app)
    await speaks_english(app, admin)
    await telegram.send(admin, "/admin")
    await telegram.press(admin, "Import")
    sent = await telegram.press(admin, f"Export {kind}")
    assert any(isinstance(m, SendDocument) for m in sent)
    document = await last_document(telegram, admin.id)
    assert document.filename.endswith(kind.lower())
    exported = document.file_content

    other_session = LocalSession()
    other = await create_app(make_settings(tmp_path / "other"), clock=clock, session=other_session)
    try:
        other_telegram = LocalTelegram(other.bot, other.dispatcher, other_session)
        await speaks_english(other, admin)
        await other_telegram.send_document(admin, document.filename, exported)
        await other_telegram.press(admin, "Write")
        await other_telegram.send(admin, "/admin")
        await other_telegram.press(admin, "Import")
        await other_telegram.press(admin, f"Export {kind}")
        again = (await last_document(other_telegram, admin.id)).file_content
        assert catalogue_rows(again) == catalogue_rows(exported)
        assert len(catalogue_rows(exported)) == await app.repos.calls.count()
    finally:
        await other.close()


async def test_command_line_export_and_import_round_trip(app, tmp_path, monkeypatch, capsys):
    from bot.__main__ import main

    await varied_catalogue(app)
    monkeypatch.setenv("DATABASE_PATH", str(app.settings.database_path))
    monkeypatch.setenv("ADMIN_IDS", str(ADMIN_ID))
    first = tmp_path / "catalogue.xlsx"
    await _in_thread(main, ["export", str(first)])
    monkeypatch.setenv("DATABASE_PATH", str(tmp_path / "fresh.sqlite3"))
    assert await _in_thread(main, ["import", str(first), "--yes"]) == 0
    second = tmp_path / "again.csv"
    await _in_thread(main, ["export", str(second)])
    assert catalogue_rows(second.read_bytes()) == catalogue_rows(first.read_bytes())
    bad = tmp_path / "bad.csv"
    bad.write_bytes(csv_bytes(GOOD_AND_BAD))
    assert await _in_thread(main, ["import", str(bad), "--yes"]) == 1
    out = capsys.readouterr().out
    assert "Row 3, deadline_at: «31.01.2027» is not a date" in out
    assert "written: 2 new" in out


async def _in_thread(function, *args):
    import asyncio

    return await asyncio.to_thread(function, *args)


async def test_imported_calls_are_announced_once_written(app, telegram, admin):
    from tests.test_admin_catalogue import hook

    recorder = hook(app)
    await speaks_english(app, admin)
    await telegram.send_document(admin, "calls.csv", csv_bytes(GOOD_AND_BAD))
    assert recorder.published == []  # checked, not written: nobody hears about it yet
    await telegram.press(admin, "Write 2 calls")
    assert sorted(c.external_id for c in recorder.published) == ["imp-good-1", "imp-good-2"]
    rows = [row(external_id="imp-good-1", title_en="Imported grant one", deadline_at="2027-06-01")]
    await telegram.send_document(admin, "moved.csv", csv_bytes(rows))
    await telegram.press(admin, "Write 1 call")
    [(before, after)] = recorder.changed
    assert before.deadline_at != after.deadline_at and after.external_id == "imp-good-1"


@pytest.mark.parametrize("kind", ["CSV", "XLSX"])
async def test_exports_show_formula_looking_text_and_never_run_it(app, telegram, admin, kind):
    await varied_catalogue(app)
    await speaks_english(app, admin)
    await telegram.send(admin, "/admin")
    await telegram.press(admin, "Import")
    await telegram.press(admin, f"Export {kind}")
    document = await last_document(telegram, admin.id)
    exported = document.file_content
    if kind == "CSV":
        cells = [
            cell for line in csv.reader(io.StringIO(exported.decode("utf-8-sig"))) for cell in line
        ]
        assert "'" + FORMULA_TITLE in cells
        assert [cell for cell in cells if cell.startswith(FORMULA_START)] == []
    else:
        with zipfile.ZipFile(io.BytesIO(exported)) as archive:
            sheet = archive.read("xl/worksheets/sheet1.xml").decode()
        assert "<f>" not in sheet and "<f " not in sheet
        book = load_workbook(io.BytesIO(exported))  # formulas kept, as Excel would see them
        values = [cell for line in book.active.iter_rows() for cell in line if cell.value]
        assert [c.coordinate for c in values if c.data_type == "f"] == []
        shown = {c.value: c.quotePrefix for c in values}
        assert shown[FORMULA_TITLE] is True and shown["-50% за обучение"] is True

    # and what the admin exported comes back exactly: nothing rejected, nothing changed
    await telegram.send_document(admin, document.filename, exported)
    report = telegram.last_bot_text(admin.id)
    total = await app.repos.calls.count()
    assert "Rejected rows: 0" in report and f"Unchanged: {total}" in report
    call = await app.repos.calls.get_by_external_id("rt-formulas")
    assert call.texts["en"].title == FORMULA_TITLE
    assert call.texts["uz"].title == "'=already quoted"


async def test_an_apostrophe_before_a_formula_sign_is_how_a_file_says_text(app, telegram, admin):
    await speaks_english(app, admin)
    rows = [row(external_id="imp-quoted", title_en="'=SUM(A1:A3)", summary_en="''+998 71")]
    await telegram.send_document(admin, "calls.csv", csv_bytes(rows))
    await telegram.press(admin, "Write 1 call")
    call = await app.repos.calls.get_by_external_id("imp-quoted")
    assert call.texts["en"].title == "=SUM(A1:A3)"
    assert call.texts["en"].summary == "'+998 71"


# -- hostile files: built here, each refused with a clear message and nothing written --------


def workbook_with(rows: list[dict[str, str]], members: dict[str, bytes]) -> bytes:
    """A real export whose zip members are replaced or added."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(write_xlsx(rows))) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        replaced = members
        for item in source.infolist():
            if item.filename not in replaced:
                target.writestr(item, source.read(item))
        for name, content in replaced.items():
            target.writestr(name, content)
    return out.getvalue()


SHEET = "xl/worksheets/sheet1.xml"
SHEET_HEAD = (
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
)
LAUGHS = "".join(
    f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' if i else '<!ENTITY lol0 "lol">' for i in range(10)
)
BILLION_LAUGHS = (
    f'<?xml version="1.0"?><!DOCTYPE worksheet [{LAUGHS}]>{SHEET_HEAD}'
    '<row r="1"><c r="A1" t="inlineStr"><is><t>&lol9;</t></is></c></row></sheetData></worksheet>'
).encode()
EXTERNAL_ENTITY = (
    '<?xml version="1.0"?><!DOCTYPE worksheet [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    f'{SHEET_HEAD}<row r="1"><c r="A1" t="inlineStr"><is><t>&xxe;</t></is></c></row>'
    "</sheetData></worksheet>"
).encode()


def zip_bomb() -> bytes:
    """Under 1 MB packed; its sheet unpacks past the limit (whitespace XML allows anywhere)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(write_xlsx([row()]))) as source:
        sheet = source.read("xl/worksheets/sheet1.xml")
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
            for item in source.infolist():
                if item.filename != "xl/worksheets/sheet1.xml":
                    target.writestr(item, source.read(item))
            head, tail = sheet.split(b"<sheetData>", 1)
            with target.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as member:
                member.write(head)
                padding = b" " * (1024 * 1024)
                for _ in range(MAX_UNPACKED_BYTES // len(padding) + 1):
                    member.write(padding)
                member.write(b"<sheetData>" + tail)
    return out.getvalue()


def tight_member() -> bytes:
    """Under the size limit, but packed a thousand to one: nothing a spreadsheet does."""
    return workbook_with([row()], {"xl/media/fill.bin": b"\0" * (8 * 1024 * 1024)})


def many_members() -> bytes:
    members = {f"xl/media/m{i}.bin": b"x" for i in range(MAX_ZIP_MEMBERS + 1)}
    return workbook_with([row()], members)


NOT_OPENED = "so I do not open it"


@pytest.mark.parametrize(
    ("filename", "build", "reason"),
    [
        ("bomb.xlsx", zip_bomb, f"unpacks to more than {MAX_UNPACKED_BYTES // 2**20} MB"),
        ("tight.xlsx", tight_member, NOT_OPENED),
        ("many.xlsx", many_members, NOT_OPENED),
        (
            "laughs.xlsx",
            lambda: workbook_with([row()], {SHEET: BILLION_LAUGHS}),
            "declares XML entities",
        ),
        (
            "xxe.xlsx",
            lambda: workbook_with([row()], {SHEET: EXTERNAL_ENTITY}),
            "declares XML entities",
        ),
        (
            "xxe-book.xlsx",
            lambda: workbook_with([row()], {"xl/workbook.xml": EXTERNAL_ENTITY}),
            "declares XML entities",
        ),
        (
            "noise.xlsx",
            lambda: random.Random(7).randbytes(50_000),
            "cannot read this file as a table",
        ),
        (
            "zip-noise.xlsx",
            lambda: XLSX_MAGIC + random.Random(8).randbytes(50_000),
            "cannot read this file as a table",
        ),
        ("nul.csv", lambda: csv_bytes([row()] * 200) + b"\0\0", "cannot read this file as a table"),
        (
            "latin1.csv",
            lambda: csv_bytes([row()]) + "Café".encode("latin-1"),
            "not in UTF-8",
        ),
    ],
)
async def test_hostile_files_are_refused_with_a_clear_message(
    app, telegram, admin, filename, build, reason
):
    assert openpyxl.DEFUSEDXML  # openpyxl found defusedxml: entity declarations raise
    content = build()
    assert len(content) < MAX_FILE_BYTES
    calls = app.repos.calls
    before = await calls.count()
    await speaks_english(app, admin)
    await telegram.send_document(admin, filename, content)
    assert f"Cannot import {filename}: " in telegram.last_bot_text(admin.id)
    assert reason in telegram.last_bot_text(admin.id)
    assert await calls.count() == before


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
async def test_a_huge_cell_rejects_its_row_and_the_rest_still_imports(app, telegram, admin, kind):
    rows = [
        row(external_id="imp-huge", summary_en="Ab" * MAX_CELL_CHARS),
        row(external_id="imp-fine", title_en="A fine grant"),
    ]
    content = csv_bytes(rows) if kind == "csv" else write_xlsx(rows)
    await speaks_english(app, admin)
    await telegram.send_document(admin, f"calls.{kind}", content)
    report = telegram.last_bot_text(admin.id)
    assert (
        f"Row 2, <code>summary_en</code>: Too long: at most {MAX_CELL_CHARS} characters" in report
    )
    assert "New calls: 1" in report and "Rejected rows: 1" in report
    await telegram.press(admin, "Write 1 call")
    assert await app.repos.calls.get_by_external_id("imp-fine") is not None


async def test_another_user_is_answered_while_an_import_is_parsed(
    app, telegram, admin, student, monkeypatch
):
    """The parse runs in a worker thread: held there, the bot still answers /start."""
    parsing, release = threading.Event(), threading.Event()
    real_read_table = catalog_files.read_table

    def held_read_table(filename: str, content: bytes):
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            pass  # a worker thread: no event loop here
        else:
            raise AssertionError("the file is parsed on the event loop")
        parsing.set()
        assert release.wait(timeout=30), "the test never let the parse finish"
        return real_read_table(filename, content)

    monkeypatch.setattr(catalog_files, "read_table", held_read_table)
    await speaks_english(app, admin)
    upload = asyncio.create_task(
        telegram.send_document(admin, "calls.csv", csv_bytes(GOOD_AND_BAD))
    )
    try:
        assert await asyncio.to_thread(parsing.wait, 30)
        await telegram.send(student, "/start")
        assert telegram.last_bot_text(student.id)  # answered while the parse is held
        assert not upload.done()
    finally:
        release.set()
    await upload
    assert "New calls: 2" in telegram.last_bot_text(admin.id)


def test_the_command_line_import_parses_off_the_event_loop(tmp_path, monkeypatch, capsys):
    from bot.__main__ import main

    threads = []
    real_read_table = catalog_files.read_table

    def recording_read_table(filename: str, content: bytes):
        threads.append(threading.current_thread())
        return real_read_table(filename, content)

    monkeypatch.setattr(catalog_files, "read_table", recording_read_table)
    monkeypatch.setenv("DATABASE_PATH", str(tmp_path / "cli.sqlite3"))
    monkeypatch.setenv("ADMIN_IDS", str(ADMIN_ID))
    file = tmp_path / "calls.csv"
    file.write_bytes(csv_bytes(GOOD_AND_BAD))
    assert main(["import", str(file), "--yes"]) == 1
    assert "written: 2 new" in capsys.readouterr().out
    assert threads and threads[0] is not threading.main_thread()
