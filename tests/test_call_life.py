"""A call's life with the fake clock: dates shown as the organiser states them, the call closing
itself at its deadline (once, even when the job runs twice or the bot restarts), and a yearly
call leaving a draft of its next round for the admins."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from aiogram.methods import SendDocument
from icalendar import Calendar

from bot.app import App, create_app
from bot.clock import FakeClock
from bot.db.calls import CallsRepo
from bot.db.history import CallHistoryRepo
from bot.db.outbox import OutboxRepo
from bot.domain.calls import CallText
from bot.domain.catalog_rows import call_from_row
from bot.domain.profile import CallFilter, CallStatus, Level
from bot.fake_telegram import LocalSession, LocalTelegram, LocalUser
from bot.keyboards.admin import AdminCb
from bot.keyboards.applications import IcsCb, MuteCb, SaveCb
from bot.keyboards.callbacks import CardCb
from bot.services.catalog_files import TEMPLATE_ROW
from tests.admin_helpers import speaks_english
from tests.conftest import ADMIN_ID, NOW, TASHKENT, make_settings, onboard
from tests.support.factories import clear_catalogue, make_call

BRUSSELS = ZoneInfo("Europe/Brussels")
DEADLINE = datetime(2027, 1, 15, 23, 59, tzinfo=BRUSSELS)  # 16 January, 03:59 in Tashkent
TEXTS = {
    "en": CallText("Joint Master in Robotics", "Two years in three countries."),
    "ru": CallText("Совместная магистратура по робототехнике", "Два года в трёх странах."),
    "uz": CallText("Robototexnika bo‘yicha qo‘shma magistratura", "Uch davlatda ikki yil."),
    "uz_Cyrl": CallText("Робототехника бўйича қўшма магистратура", "Уч давлатда икки йил."),
}


async def publish(app: App, **extra) -> int:
    """A call published through the admin desk, as an admin would."""
    await clear_catalogue(app)
    extra.setdefault("deadline", DEADLINE)
    extra.setdefault("deadline_tz", "Europe/Brussels")
    call = make_call(programme="erasmus", texts=TEXTS, **extra)
    created = await app.services.desk.create(call, ADMIN_ID, app.clock.now())
    return created.id


async def save(telegram: LocalTelegram, user: LocalUser, call_id: int) -> None:
    await telegram.press_data(user, SaveCb(call_id=call_id, on=True).pack())


def notices_to(telegram: LocalTelegram, user: LocalUser) -> list[str]:
    return [m.text for m in telegram.transcript(user.id) if m.text.startswith("🔒")]


# -- dates as the organiser states them ---------------------------------------------------


async def test_list_and_card_show_the_organisers_date_and_tashkents_when_it_differs(
    app: App, telegram: LocalTelegram, student: LocalUser
) -> None:
    call_id = await publish(app)
    await onboard(telegram, student)  # onboarding ends on the matching calls
    listing = telegram.last_bot_text(student.id)
    assert "January 15, 2027, 23:59 (Brussels time) = January 16, 03:59 (Tashkent time)" in listing
    await telegram.press_data(student, CardCb(call_id=call_id, source="b", page=0).pack())
    card = telegram.last_bot_text(student.id)
    assert "Deadline: January 15, 2027, 23:59 (Brussels time) = January 16, 03:59" in card


async def test_typical_dates_say_usually_and_a_call_not_open_yet_says_when_it_opens(
    app: App, telegram: LocalTelegram, student: LocalUser
) -> None:
    await publish(
        app,
        opens_at=datetime(2027, 6, 25, tzinfo=TASHKENT),
        deadline=datetime(2027, 7, 25, 23, 59, tzinfo=TASHKENT),
        deadline_tz="Asia/Tashkent",
        dates_typical=True,
    )
    await onboard(telegram, student, language="Русский", level="Магистратура", fields=("ИКТ",))
    listing = telegram.last_bot_text(student.id)
    # The organiser is in Tashkent: one date, no "=" part.
    assert (
        "🟢 обычно открывается 25 июня · ⏳ обычно 25 июля 2027\u202fг., 23:59 (время: Ташкент)"
        in listing
    )
    assert "по Ташкенту" not in listing


async def test_the_calendar_file_of_a_typical_date_is_tentative_and_says_usually(
    app: App, telegram: LocalTelegram, student: LocalUser
) -> None:
    call_id = await publish(app, dates_typical=True)
    await onboard(telegram, student)
    await save(telegram, student, call_id)
    requests = await telegram.press_data(student, IcsCb(call_id=call_id).pack())
    [sent] = [r for r in requests if isinstance(r, SendDocument)]
    (event,) = Calendar.from_ical(sent.document.data).walk("VEVENT")
    assert str(event["STATUS"]) == "TENTATIVE"
    assert "usually January 15, 2027, 23:59 (Brussels time)" in str(event["DESCRIPTION"])


def test_an_import_row_with_a_deadline_needs_the_organisers_zone_and_is_read_in_it() -> None:
    programmes = {"erasmus": make_call(programme="erasmus").programme}
    row = {**TEMPLATE_ROW, "deadline_at": "2027-01-15 23:59", "deadline_tz": ""}
    call, errors = call_from_row(row, TASHKENT, programmes, date(2026, 11, 23))
    assert call is None and [e.code for e in errors] == ["zone_required"]

    rolling = {**TEMPLATE_ROW, "deadline_at": "", "opens_at": "", "deadline_tz": ""}
    assert call_from_row(rolling, TASHKENT, programmes, date(2026, 11, 23))[1] == []

    row["deadline_tz"] = "Europe/Brussels"
    call, errors = call_from_row(row, TASHKENT, programmes, date(2026, 11, 23))
    assert errors == [] and call is not None
    assert call.deadline_at == DEADLINE and call.yearly  # the template's call runs every year


# -- closing at the deadline --------------------------------------------------------------


async def test_at_its_deadline_a_yearly_call_closes_tells_each_saver_once_and_drafts_next_year(
    app: App, telegram: LocalTelegram, clock: FakeClock
) -> None:
    call_id = await publish(app, yearly=True)
    aziza = LocalUser(id=100001, first_name="Aziza", language_code="en")
    boris = LocalUser(id=100002, first_name="Boris", language_code="ru")
    await onboard(telegram, aziza)
    await onboard(telegram, boris, language="Русский", level="Магистратура", fields=("ИКТ",))
    await save(telegram, aziza, call_id)
    await save(telegram, boris, call_id)
    outbox = OutboxRepo(app.db)
    assert await outbox.pending_for(aziza.id, call_id, "reminder")

    # 16 January 09:00 in Tashkent: the deadline passed five hours ago (out of quiet hours).
    clock.set(datetime(2027, 1, 16, 9, 0, tzinfo=TASHKENT))
    expiry = app.services.expiry
    assert await expiry.close_expired_calls() == 1
    assert await expiry.close_expired_calls() == 0  # the job ran again: nothing left to do
    await app.services.notifications.tick()

    [english] = notices_to(telegram, aziza)
    [russian] = notices_to(telegram, boris)
    assert "Closed:" in english and "Joint Master in Robotics" in english
    assert "next round is expected around January 15, 2028" in english
    assert "Закрыт:" in russian and "робототехнике" in russian
    assert "15 января 2028\u202fг." in russian

    calls = CallsRepo(app.db)
    closed = await calls.get(call_id)
    assert closed is not None and closed.status == CallStatus.CLOSED
    assert await outbox.pending_for(aziza.id, call_id, "reminder") == []
    found = await calls.find(CallFilter(level=Level.MASTER, fields_mask=-1), clock.now())
    assert call_id not in [c.id for c in found.calls]
    assert (await calls.search("Robotics", clock.now())).total == 0
    [entry, *_] = await CallHistoryRepo(app.db).of_call(call_id)
    assert (entry.action, entry.author) == ("closed", "system")

    [draft] = await calls.next_round_drafts()
    assert draft.next_round_of == call_id and draft.status == CallStatus.DRAFT
    assert draft.deadline_at is not None
    assert draft.deadline_at.astimezone(BRUSSELS) == datetime(2028, 1, 15, 23, 59, tzinfo=BRUSSELS)
    assert draft.dates_typical and draft.yearly and draft.texts == closed.texts


async def test_a_restart_after_closing_sends_no_second_notice_and_no_second_draft(
    tmp_path: Path,
) -> None:
    settings = make_settings(tmp_path)
    clock = FakeClock(NOW)
    session = LocalSession()
    app = await create_app(settings, clock=clock, session=session)
    telegram = LocalTelegram(app.bot, app.dispatcher, session)
    student = LocalUser(id=100001, first_name="Aziza", language_code="en")
    try:
        call_id = await publish(app, yearly=True)
        await onboard(telegram, student)
        await save(telegram, student, call_id)
        clock.set(datetime(2027, 1, 16, 9, 0, tzinfo=TASHKENT))
        await app.services.expiry.close_expired_calls()
        await app.services.notifications.tick()
    finally:
        await app.close()
    restarted = await create_app(settings, clock=clock, session=session)
    try:
        await restarted.services.expiry.close_expired_calls()
        await restarted.services.notifications.tick()
        sent = await OutboxRepo(restarted.db).pending_for(student.id, call_id, "call_closed")
        assert sent == []
        assert len(notices_to(telegram, student)) == 1
        assert len(await CallsRepo(restarted.db).next_round_drafts()) == 1
    finally:
        await restarted.close()


async def test_a_call_closed_without_yearly_says_closed_and_drafts_nothing(
    app: App, telegram: LocalTelegram, student: LocalUser, clock: FakeClock
) -> None:
    call_id = await publish(app)
    await onboard(telegram, student)
    await save(telegram, student, call_id)
    clock.set(datetime(2027, 1, 16, 9, 0, tzinfo=TASHKENT))
    await app.services.expiry.close_expired_calls()
    await app.services.notifications.tick()
    [notice] = notices_to(telegram, student)
    assert "deadline has passed" in notice and "next round" not in notice
    assert await CallsRepo(app.db).next_round_drafts() == []


async def test_a_student_who_stopped_a_calls_reminders_gets_no_closing_notice_either(
    app: App, telegram: LocalTelegram, student: LocalUser, clock: FakeClock
) -> None:
    call_id = await publish(app, yearly=True)
    await onboard(telegram, student)
    await save(telegram, student, call_id)
    await telegram.press_data(student, MuteCb(call_id=call_id, on=True).pack())
    clock.set(datetime(2027, 1, 16, 9, 0, tzinfo=TASHKENT))
    await app.services.expiry.close_expired_calls()
    await app.services.notifications.tick()
    assert notices_to(telegram, student) == []


async def test_admins_see_the_next_round_draft_marked_in_their_drafts_list(
    app: App, telegram: LocalTelegram, admin: LocalUser, clock: FakeClock
) -> None:
    await publish(app, yearly=True)
    clock.set(datetime(2027, 1, 16, 9, 0, tzinfo=TASHKENT))
    await app.services.expiry.close_expired_calls()
    await speaks_english(app, admin)
    await telegram.send(admin, "/admin")
    await telegram.press_data(admin, AdminCb(action="drafts").pack())
    assert "next round of a yearly call" in telegram.last_bot_text(admin.id)
    labels = [b.text for b in telegram.last_keyboard_message(admin.id).buttons()]
    assert any(label.startswith("📝🔁") and "Robotics" in label for label in labels)
    await telegram.press(admin, next(label for label in labels if label.startswith("📝🔁")))
    screen = telegram.last_bot_text(admin.id)
    assert "Next round of #" in screen and "usually January 15, 2028" in screen
