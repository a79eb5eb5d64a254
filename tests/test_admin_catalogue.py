"""Stories of the admin desk's catalogue: the new-call wizard, preview, publish, edit,
close/reopen and the history of every change."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from aiogram.methods import AnswerCallbackQuery

from bot.domain.calls import Call
from bot.domain.catalog_rows import call_from_row
from bot.domain.profile import CallStatus
from bot.keyboards.admin import AdmCallCb, WizCb
from bot.services.catalog_files import TEMPLATE_ROW
from tests.admin_helpers import speaks_english
from tests.conftest import ADMIN_ID, TASHKENT, onboard


class Recorder:
    def __init__(self) -> None:
        self.published: list[Call] = []
        self.changed: list[tuple[Call, Call]] = []

    async def on_published(self, call: Call) -> None:
        self.published.append(call)

    async def on_changed(self, before: Call, after: Call) -> None:
        self.changed.append((before, after))


def hook(app) -> Recorder:
    recorder = Recorder()
    desk = app.services.desk
    desk.on_call_published = recorder.on_published
    desk.on_call_changed = recorder.on_changed
    return recorder


BRUSSELS = ZoneInfo("Europe/Brussels")


async def published_call(app, **row) -> Call:
    calls = app.repos.calls
    programmes = {p.code: p for p in await calls.programmes()}
    values = {**TEMPLATE_ROW, "status": "published", "deadline_at": "2027-03-01 18:00", **row}
    call, errors = call_from_row(values, TASHKENT, programmes, date(2026, 11, 23))
    assert not errors, errors
    return await app.services.desk.create(call, ADMIN_ID, app.clock.now())


async def test_admin_builds_a_call_step_by_step_fixing_every_mistake_then_publishes(
    app, telegram, admin, student
):
    recorder = hook(app)
    await speaks_english(app, admin)
    await telegram.send(admin, "/admin")
    await telegram.press(admin, "New call")
    assert "step 1 of" in telegram.last_bot_text(admin.id)
    await telegram.press(admin, "Erasmus+")
    await telegram.press(admin, "Done")  # no level chosen yet
    await telegram.press(admin, "Master")
    await telegram.press(admin, "Done")
    await telegram.press(admin, "ICT")
    await telegram.press(admin, "Done")
    await telegram.press(admin, "Full scholarship")
    await telegram.send(admin, "DE XX")
    assert "Unknown country code «XX»" in telegram.last_bot_text(admin.id)
    await telegram.send(admin, "de fr")
    await telegram.press(admin, "Skip")  # language requirement
    await telegram.send(admin, "40-18")
    assert "minimum age is greater" in telegram.last_bot_text(admin.id)
    await telegram.send(admin, "18-35")
    await telegram.press(admin, "Skip")  # work experience
    await telegram.send(admin, "IELTS 6.3")
    assert "is not a possible IELTS score" in telegram.last_bot_text(admin.id)
    await telegram.send(admin, "IELTS 6,5, TOEFL 80")
    await telegram.send(admin, "B3")
    assert "is not a language level" in telegram.last_bot_text(admin.id)
    await telegram.send(admin, "b1")
    await telegram.send(admin, "yes")  # citizens of Uzbekistan only
    await telegram.send(admin, "2027-03-01")  # opens
    await telegram.send(admin, "15.02.2027")
    assert "is not a date" in telegram.last_bot_text(admin.id)
    await telegram.send(admin, "2026-11-01")
    assert "already in the past" in telegram.last_bot_text(admin.id)
    await telegram.send(admin, "2027-02-15")
    assert "opening date must be before the deadline" in telegram.last_bot_text(admin.id)
    await telegram.send(admin, "2027-03-15 18:00")
    await telegram.send(admin, "http://example.org/call")
    assert "must start with https://" in telegram.last_bot_text(admin.id)
    await telegram.send(admin, "https://example.org/call")
    await telegram.press(admin, "Same as the official page")
    await telegram.press(admin, "Skip this language")  # uz
    await telegram.press(admin, "Skip this language")  # uz_Cyrl
    await telegram.send(admin, "Магистратура <Erasmus> в Европе")  # ru title
    await telegram.send(admin, "Полная стипендия.")
    await telegram.send(admin, "Erasmus master in Europe")  # en title
    await telegram.send(admin, "Full scholarship & travel.")
    screen = telegram.last_bot_text(admin.id)
    assert "Draft #" in screen and "No text in: UZ, ЎЗ" in screen
    assert "Erasmus master in Europe" in screen and "Full scholarship &amp; travel." in screen

    calls = app.repos.calls
    draft = max(await calls.list_all(), key=lambda c: c.id)
    assert draft.status == CallStatus.DRAFT
    assert draft.countries == ("DE", "FR") and (draft.min_age, draft.max_age) == (18, 35)
    assert (draft.min_ielts, draft.min_toefl, draft.min_duolingo) == (6.5, 80, None)
    assert draft.min_german == "B1" and draft.uz_citizens_only
    # Typed as the organiser states it: Erasmus+ dates are Brussels time unless told otherwise.
    assert draft.deadline_tz == "Europe/Brussels"
    assert draft.deadline_at.astimezone(BRUSSELS).strftime("%Y-%m-%d %H:%M") == "2027-03-15 18:00"
    assert draft.source_url == draft.official_url == "https://example.org/call"
    assert draft.texts["ru"].title == "Магистратура <Erasmus> в Европе"

    await telegram.press(admin, "👁 RU")
    assert "Магистратура &lt;Erasmus&gt; в Европе" in telegram.last_bot_text(admin.id)
    # students do not see drafts
    await onboard(telegram, student)
    await telegram.send(student, "Europe")
    assert "Erasmus master in Europe" not in telegram.last_bot_text(student.id)

    await telegram.press(admin, "Publish")
    assert "has no text in UZ, ЎЗ" in telegram.last_bot_text(admin.id)
    assert (await calls.get(draft.id)).status == CallStatus.DRAFT
    assert recorder.published == []
    await telegram.press(admin, "fill in from EN")
    assert "Published" in telegram.last_bot_text(admin.id)
    published = await calls.get(draft.id)
    assert published.status == CallStatus.PUBLISHED
    assert published.texts["uz"] == published.texts["en"]
    assert [c.id for c in recorder.published] == [draft.id]

    await telegram.send(student, "Europe")
    assert "Erasmus master in Europe" in telegram.last_bot_text(student.id)

    await telegram.press(admin, "History", message_id=None)
    history = telegram.last_bot_text(admin.id)
    assert "published" in history and "created" in history and "Dilnoza" in history
    assert "draft → published" in history


async def test_cancel_leaves_the_wizard_and_saves_nothing(app, telegram, admin):
    await speaks_english(app, admin)
    calls = app.repos.calls
    before = await calls.count()
    await telegram.send(admin, "/admin")
    await telegram.press(admin, "New call")
    await telegram.press(admin, "DAAD")
    await telegram.send(admin, "/cancel")
    assert "Cancelled. Nothing was saved." in telegram.last_bot_text(admin.id)
    # free text after leaving is a search again, not a wizard answer
    await telegram.send(admin, "Germany")
    assert "step" not in telegram.last_bot_text(admin.id)
    assert await calls.count() == before


async def test_an_old_wizard_button_cannot_answer_a_later_step(app, telegram, admin):
    await speaks_english(app, admin)
    await telegram.send(admin, "/admin")
    await telegram.press(admin, "New call")
    await telegram.press(admin, "DAAD")  # now at the levels step
    sent = await telegram.press_data(admin, WizCb(step="programme", value="erasmus").pack())
    answer = [m for m in sent if isinstance(m, AnswerCallbackQuery)][-1]
    assert "expired" in answer.text


async def test_editing_a_deadline_is_recorded_and_lets_reminders_move(app, telegram, admin):
    recorder = hook(app)
    call = await published_call(app)
    await speaks_english(app, admin)
    await telegram.press_data(admin, AdmCallCb(call_id=call.id, action="edit").pack())
    await telegram.press(admin, "Deadline")
    assert "Now: " in telegram.last_bot_text(admin.id)
    await telegram.send(admin, "2020-01-01")
    assert "already in the past" in telegram.last_bot_text(admin.id)
    await telegram.send(admin, "2027-04-01")
    assert "Saved" in telegram.last_bot_text(admin.id)
    calls = app.repos.calls
    edited = await calls.get(call.id)
    assert edited.deadline_at.astimezone(BRUSSELS).strftime("%Y-%m-%d %H:%M") == "2027-04-01 23:59"
    assert edited.status == CallStatus.PUBLISHED
    [(before, after)] = recorder.changed
    assert before.deadline_at != after.deadline_at and after.id == call.id
    await telegram.press(admin, "History")
    assert "2027-03-01 18:00 → 2027-04-01 23:59" in telegram.last_bot_text(admin.id)


async def test_editing_english_scores_shows_them_and_saves_the_new_ones(app, telegram, admin):
    call = await published_call(app, min_ielts="6.5")
    await speaks_english(app, admin)
    await telegram.press_data(admin, AdmCallCb(call_id=call.id, action="edit").pack())
    await telegram.press(admin, "English scores")
    assert "Now: <code>IELTS 6.5</code>" in telegram.last_bot_text(admin.id)
    await telegram.send(admin, "Duolingo 115, IELTS 7")
    assert "Saved" in telegram.last_bot_text(admin.id)
    edited = await app.repos.calls.get(call.id)
    assert (edited.min_ielts, edited.min_toefl, edited.min_duolingo) == (7.0, None, 115)


async def test_editing_a_translation_asks_title_then_summary(app, telegram, admin):
    call = await published_call(app)
    await speaks_english(app, admin)
    await telegram.press_data(admin, AdmCallCb(call_id=call.id, action="edit").pack())
    await telegram.press(admin, "Text RU")
    await telegram.send(admin, "Новое название")
    await telegram.send(admin, "Новое описание")
    edited = await app.repos.calls.get(call.id)
    assert edited.texts["ru"].title == "Новое название"
    assert edited.texts["en"] == call.texts["en"]


async def test_closing_hides_a_call_from_students_and_reopening_brings_it_back(
    app, telegram, admin, student
):
    recorder = hook(app)
    call = await published_call(app, title_en="Unique Zanzibar grant")
    await onboard(telegram, student)
    await speaks_english(app, admin)
    await telegram.press_data(admin, AdmCallCb(call_id=call.id, action="view").pack())
    await telegram.press(admin, "Close")
    assert "Closed" in telegram.last_bot_text(admin.id)
    await telegram.send(student, "Zanzibar")
    assert "Unique Zanzibar grant" not in telegram.last_bot_text(student.id)
    await telegram.press(admin, "Reopen")
    await telegram.send(student, "Zanzibar")
    assert "Unique Zanzibar grant" in telegram.last_bot_text(student.id)
    # created as published: one new-call push; closing and reopening are changes, not news
    assert [c.id for c in recorder.published] == [call.id]
    assert [c.status for _, c in recorder.changed] == [CallStatus.CLOSED, CallStatus.PUBLISHED]
    rows = await app.db.fetchall(
        "SELECT action, actor_id FROM call_history WHERE call_id = ? ORDER BY id", (call.id,)
    )
    assert [(r["action"], r["actor_id"]) for r in rows] == [
        ("created", ADMIN_ID),
        ("closed", ADMIN_ID),
        ("reopened", ADMIN_ID),
    ]


async def test_a_call_whose_deadline_passed_cannot_be_reopened(app, telegram, admin, clock):
    call = await published_call(app)
    desk = app.services.desk
    await desk.set_status(call, CallStatus.CLOSED, ADMIN_ID, clock.now())
    clock.set(call.deadline_at)
    await speaks_english(app, admin)
    sent = await telegram.press_data(admin, AdmCallCb(call_id=call.id, action="reopen").pack())
    answer = [m for m in sent if isinstance(m, AnswerCallbackQuery)][-1]
    assert "deadline has passed" in answer.text
    assert (await app.repos.calls.get(call.id)).status == CallStatus.CLOSED


async def test_drafts_list_shows_only_drafts(app, telegram, admin):
    await published_call(app, external_id="pub-1", title_en="Published one")
    calls = app.repos.calls
    draft = await published_call(app, external_id="draft-1", title_en="Draft one", status="draft")
    await speaks_english(app, admin)
    await telegram.send(admin, "/admin")
    await telegram.press(admin, "Drafts")
    labels = [b.text for b in telegram.last_keyboard_message(admin.id).buttons()]
    assert any(f"#{draft.id} Draft one" in label for label in labels)
    assert not any("Published one" in label for label in labels)
    assert (await calls.get(draft.id)).status == CallStatus.DRAFT


async def test_a_wizard_left_halfway_continues_after_a_restart(app, admin, clock, session):
    from bot.app import create_app
    from bot.fake_telegram import LocalTelegram

    telegram = LocalTelegram(app.bot, app.dispatcher, session)
    await speaks_english(app, admin)
    await telegram.send(admin, "/admin")
    await telegram.press(admin, "New call")
    await telegram.press(admin, "Fulbright")
    await app.close()  # the bot restarts here

    again = await create_app(app.settings, clock=clock, session=session)
    try:
        telegram = LocalTelegram(again.bot, again.dispatcher, session)
        await telegram.press(admin, "Master")
        await telegram.press(admin, "Done")
        assert "step 3 of" in telegram.last_bot_text(admin.id)
    finally:
        await again.close()


async def test_publishing_queues_new_call_pushes_and_closing_cancels_reminders(
    app, telegram, admin, student
):
    await onboard(telegram, student)  # Master's, ICT
    await app.db.execute(
        "INSERT INTO notify_prefs (user_id, reminder_days, send_hour, subscribed)"
        " VALUES (?, '7,1', 9, 1)",
        (student.id,),
    )
    draft = await published_call(app, external_id="push-1", status="draft")
    await speaks_english(app, admin)
    await telegram.press_data(admin, AdmCallCb(call_id=draft.id, action="publish").pack())
    pushes = await app.db.fetchall(
        "SELECT user_id, kind, state FROM outbox WHERE call_id = ?", (draft.id,)
    )
    assert [(p["user_id"], p["kind"], p["state"]) for p in pushes] == [
        (student.id, "new_call", "pending")
    ]
    await telegram.press(admin, "Close")
    states = await app.db.fetchall("SELECT state FROM outbox WHERE call_id = ?", (draft.id,))
    assert [s["state"] for s in states] == ["cancelled"]
