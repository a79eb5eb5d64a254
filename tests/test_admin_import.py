"""Stories of bulk import and export: whole-file checks with a report in the admin's language,
nothing written before the confirm, all rows in one transaction, and a faithful round trip."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from aiogram.methods import AnswerCallbackQuery, SendDocument

from bot.app import create_app
from bot.db.calls import CallsRepo
from bot.domain.catalog_rows import COLUMNS, call_from_row
from bot.local_api import LocalSession, LocalTelegram
from bot.services.catalog_files import MAX_FILE_BYTES, TEMPLATE_ROW, read_table
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
    calls = app.dispatcher["calls"]
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
    calls = app.dispatcher["calls"]
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
    calls = app.dispatcher["calls"]
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
    calls = app.dispatcher["calls"]
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
    calls = app.dispatcher["calls"]
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


async def varied_catalogue(app) -> None:
    """Calls that exercise every column: rolling, closed, draft with one language, seconds."""
    calls = app.dispatcher["calls"]
    desk = app.dispatcher["desk"]
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
        assert len(catalogue_rows(exported)) == await app.dispatcher["calls"].count()
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
