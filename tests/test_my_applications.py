"""My applications, as a student uses it: save a call, tick its documents, get its .ics,
choose reminders and subscribe to new calls."""

from __future__ import annotations

from datetime import datetime

from aiogram.methods import SendDocument, SendMessage
from icalendar import Calendar

from bot.app import App
from bot.db.applications import ApplicationsRepo
from bot.db.calls import CallsRepo
from bot.db.outbox import OutboxRepo
from bot.domain.profile import CallStatus, Field, Level
from bot.domain.pushes import PushState
from bot.fake_telegram import LocalSession, LocalTelegram, LocalUser
from bot.keyboards.applications import NotifyCb
from bot.keyboards.callbacks import CardCb
from tests.conftest import TASHKENT, onboard
from tests.support.factories import add_call, clear_catalogue, days

SUBSCRIBE = NotifyCb(action="sub", value=1).pack()
DEADLINE = datetime(2027, 1, 2, 18, 0, tzinfo=TASHKENT)


async def _a_call(app: App, **kwargs) -> int:
    await clear_catalogue(app)
    kwargs.setdefault("deadline", DEADLINE)
    call_id = await add_call(app, title="DAAD EPOS Master", **kwargs)
    await ApplicationsRepo(app.db).set_documents(call_id, ["cv", "transcript", "passport"])
    return call_id


async def _open_card(telegram: LocalTelegram, user: LocalUser, call_id: int) -> None:
    await telegram.press_data(user, CardCb(call_id=call_id, source="m", page=0).pack())


async def test_a_student_saves_a_call_and_finds_it_in_my_applications_with_days_left(
    app: App, telegram: LocalTelegram, student: LocalUser
) -> None:
    call_id = await _a_call(app)
    await onboard(telegram, student)
    await _open_card(telegram, student, call_id)

    requests = await telegram.press(student, "Save")

    popup = [r for r in requests if r.__api_method__ == "answerCallbackQuery"][-1]
    assert "Saved to My applications" in popup.text
    card = telegram.last_keyboard_message(student.id)
    labels = [b.text for b in card.buttons()]
    assert any("Checklist 0/3" in label for label in labels)
    assert any("Add to calendar" in label for label in labels)
    assert any("Back" in label or "Menu" in label for label in labels)  # navigation kept
    assert any("Ask a coordinator" in label for label in labels)  # other features' rows kept

    await telegram.send(student, "/my")
    text = telegram.last_bot_text(student.id)
    assert "My applications" in text
    assert "DAAD EPOS Master" in text
    assert "40 days left" in text
    assert "0/3" in text


async def test_my_applications_lists_the_nearest_deadline_first(
    app: App, telegram: LocalTelegram, student: LocalUser, clock
) -> None:
    await clear_catalogue(app)
    later = await add_call(app, title="Later call", deadline=clock.now() + days(90))
    sooner = await add_call(app, title="Sooner call", deadline=clock.now() + days(10))
    await onboard(telegram, student)
    for call_id in (later, sooner):
        await _open_card(telegram, student, call_id)
        await telegram.press(student, "Save")

    await telegram.press(student, "Menu")
    await telegram.press(student, "My applications")

    text = telegram.last_bot_text(student.id)
    assert text.index("Sooner call") < text.index("Later call")


async def test_ticking_documents_shows_progress_on_the_list_and_the_card(
    app: App, telegram: LocalTelegram, student: LocalUser
) -> None:
    call_id = await _a_call(app)
    await onboard(telegram, student)
    await _open_card(telegram, student, call_id)
    await telegram.press(student, "Save")
    await telegram.press(student, "Checklist")
    assert "Ready: 0/3" in telegram.last_bot_text(student.id)

    await telegram.press(student, "CV")
    await telegram.press(student, "Passport")

    assert "Ready: 2/3" in telegram.last_bot_text(student.id)
    labels = [b.text for b in telegram.last_keyboard_message(student.id).buttons()]
    assert "✅ CV" in labels and "⬜ Transcript of records" in labels
    await telegram.press(student, "Back to the call")
    labels = [b.text for b in telegram.last_keyboard_message(student.id).buttons()]
    assert any("Checklist 2/3" in label for label in labels)
    await telegram.send(student, "/my")
    assert "2/3" in telegram.last_bot_text(student.id)


async def test_seeded_calls_carry_their_own_documents_and_others_get_programme_defaults(
    app: App,
) -> None:
    repo = ApplicationsRepo(app.db)
    seeded = await CallsRepo(app.db).get_by_external_id("erasmus-mundus-mir-2027")
    assert await repo.documents(seeded.id, "erasmus") == (
        "cv",
        "diploma",
        "transcript",
        "language_certificate",
        "motivation_letter",
        "reference_letters",
        "passport",
    )
    bare = await add_call(app, programme="fulbright")
    assert "reference_letters" in await repo.documents(bare, "fulbright")


async def test_a_forged_tick_for_an_unsaved_call_is_refused_and_changes_nothing(
    app: App, telegram: LocalTelegram, student: LocalUser
) -> None:
    call_id = await _a_call(app)
    await onboard(telegram, student)

    requests = await telegram.press_data(student, f"tick:{call_id}:cv")

    popup = [r for r in requests if r.__api_method__ == "answerCallbackQuery"][-1]
    assert "Save the call first" in popup.text
    checklist = await ApplicationsRepo(app.db).checklist(student.id, call_id, "daad")
    assert checklist.done == 0


async def test_unsaving_cancels_the_calls_pending_reminders(
    app: App, telegram: LocalTelegram, student: LocalUser
) -> None:
    call_id = await _a_call(app)
    await onboard(telegram, student)
    await _open_card(telegram, student, call_id)
    await telegram.press(student, "Save")
    outbox = OutboxRepo(app.db)
    assert len([p for p in await outbox.list(user_id=student.id) if p.state == "pending"]) == 4

    await telegram.press(student, "remove")

    states = {p.state for p in await outbox.list(user_id=student.id)}
    assert states == {PushState.CANCELLED}
    labels = [b.text for b in telegram.last_keyboard_message(student.id).buttons()]
    assert any("Save" in label for label in labels)


async def test_the_card_sends_an_ics_with_the_deadline_an_alarm_and_the_official_url(
    app: App, telegram: LocalTelegram, student: LocalUser, session: LocalSession
) -> None:
    call_id = await _a_call(app)
    await onboard(telegram, student)
    await _open_card(telegram, student, call_id)

    requests = await telegram.press(student, "Add to calendar")

    sent = [r for r in requests if isinstance(r, SendDocument)]
    assert len(sent) == 1
    assert sent[0].document.filename.endswith(".ics")
    calendar = Calendar.from_ical(sent[0].document.data)
    assert calendar["VERSION"] == "2.0" and calendar["PRODID"]
    (event,) = calendar.walk("VEVENT")
    assert event.decoded("DTEND") == DEADLINE
    assert str(event["URL"]) == "https://example.org/official"
    assert "https://example.org/official" in str(event["DESCRIPTION"])
    assert "DAAD EPOS Master" in str(event["SUMMARY"])
    alarms = event.walk("VALARM")
    assert {str(a["ACTION"]) for a in alarms} == {"DISPLAY"}
    assert sorted(a.decoded("TRIGGER") for a in alarms) == [-days(7), -days(1)]


async def test_reminder_days_and_hour_are_the_students_to_change_and_all_off_is_allowed(
    app: App, telegram: LocalTelegram, student: LocalUser
) -> None:
    call_id = await _a_call(app)
    await onboard(telegram, student)
    await _open_card(telegram, student, call_id)
    await telegram.press(student, "Save")

    await telegram.send(student, "/settings")
    await telegram.press(student, "Reminders")
    assert "30 days before, 7 days before, 1 day before, on the day" in telegram.last_bot_text(
        student.id
    )
    await telegram.press(student, "12:00")
    outbox = OutboxRepo(app.db)
    pending = [p for p in await outbox.list(user_id=student.id) if p.state == "pending"]
    assert {p.due_at.astimezone(TASHKENT).hour for p in pending} == {12}

    for label in ("30 days before", "7 days before", "1 day before", "on the day"):
        await telegram.press(student, label)

    assert "Deadline reminders for saved calls: off" in telegram.last_bot_text(student.id)
    assert not [p for p in await outbox.list(user_id=student.id) if p.state == "pending"]


async def test_a_subscriber_hears_of_a_matching_call_the_moment_it_is_published(
    app: App, telegram: LocalTelegram, student: LocalUser, session: LocalSession
) -> None:
    other = LocalUser(id=100002, first_name="Bobur", language_code="ru")
    await onboard(telegram, student)  # Master, ICT
    await onboard(telegram, other, language="Русский", level="Бакалавриат", fields=("Образование",))
    for user in (student, other):
        await telegram.send(user, "/reminders")
        await telegram.press_data(user, SUBSCRIBE)
    prefs = await ApplicationsRepo(app.db).prefs(other.id)
    assert prefs.subscribed

    draft = await add_call(
        app, title="Fresh ICT call", status=CallStatus.DRAFT, deadline=app.clock.now() + days(60)
    )
    await CallsRepo(app.db).set_status(draft, CallStatus.PUBLISHED, app.clock.now())
    result = await app.services.notifications.notify_new_call(draft)
    await app.services.notifications.tick()

    assert result.instant == 1
    push = telegram.last_keyboard_message(student.id)
    assert "A new call matches your filter" in push.text and "Fresh ICT call" in push.text
    labels = [b.text for b in push.buttons()]
    assert {"📄 Open card", "🌐 Official page", "⭐ Save", "🔕 Unsubscribe"} <= set(labels)
    assert not any("Fresh ICT call" in m.text for m in telegram.transcript(other.id))

    await telegram.press(student, "Unsubscribe")
    assert not (await ApplicationsRepo(app.db).prefs(student.id)).subscribed


async def test_a_seeded_call_published_by_an_admin_reaches_a_matching_subscriber_in_russian(
    app: App, telegram: LocalTelegram
) -> None:
    calls = CallsRepo(app.db)
    seeded = await calls.get_by_external_id("erasmus-mundus-mir-2027")
    await calls.set_status(seeded.id, CallStatus.DRAFT, app.clock.now())
    student = LocalUser(id=100003, first_name="Olga", language_code="ru")
    await onboard(telegram, student, language="Русский", level="Магистратура", fields=("ИКТ",))
    await telegram.send(student, "/reminders")
    await telegram.press_data(student, SUBSCRIBE)

    await calls.set_status(seeded.id, CallStatus.PUBLISHED, app.clock.now())
    await app.services.notifications.notify_new_call(seeded.id)
    await app.services.notifications.notify_new_call(seeded.id)  # a second publish: no repeat
    await app.services.notifications.tick()

    pushes = [
        m for m in telegram.transcript(student.id) if "Новый конкурс по вашему фильтру" in m.text
    ]
    assert len(pushes) == 1
    assert "Erasmus Mundus MIR" in pushes[0].text


async def test_a_weekly_subscriber_gets_one_digest_on_monday_morning(
    app: App, telegram: LocalTelegram, student: LocalUser, clock, session: LocalSession
) -> None:
    await onboard(telegram, student)
    await telegram.send(student, "/reminders")
    await telegram.press_data(student, SUBSCRIBE)
    await telegram.press(student, "Weekly digest")
    notifications = app.services.notifications
    first = await add_call(app, title="ICT call one", deadline=clock.now() + days(60))
    second = await add_call(app, title="ICT call two", deadline=clock.now() + days(70))
    clock.advance(days(2))  # Wednesday
    for call_id in (first, second):
        result = await notifications.notify_new_call(call_id)
        assert result.digest == 1
    await notifications.plan_digests()
    await notifications.tick()
    assert not any("this week" in m.text for m in telegram.transcript(student.id))

    clock.set(datetime(2026, 11, 30, 9, 59, tzinfo=TASHKENT))  # next Monday
    await notifications.plan_digests()
    await notifications.tick()
    assert not any("this week" in m.text for m in telegram.transcript(student.id))
    clock.set(datetime(2026, 11, 30, 10, 0, tzinfo=TASHKENT))
    await notifications.tick()
    await notifications.plan_digests()
    await notifications.tick()

    digests = [m for m in telegram.transcript(student.id) if "this week" in m.text]
    assert len(digests) == 1
    assert "ICT call one" in digests[0].text and "ICT call two" in digests[0].text
    sends = [r for r in session.requests if isinstance(r, SendMessage) and "this week" in r.text]
    assert len(sends) == 1


async def test_the_main_menu_offers_my_applications(
    app: App, telegram: LocalTelegram, student: LocalUser
) -> None:
    await onboard(telegram, student)
    await telegram.send(student, "/menu")
    await telegram.press(student, "My applications")
    assert "You have not saved any calls yet" in telegram.last_bot_text(student.id)


async def test_levels_and_fields_of_a_subscriber_decide_who_is_pushed(app: App) -> None:
    from bot.domain.profile import CallFilter
    from bot.domain.subscriptions import call_matches
    from tests.support.factories import make_call

    now = app.clock.now()
    call = make_call(deadline=now + days(20), levels={Level.MASTER}, fields={Field.ICT})
    assert call_matches(call, CallFilter(level=Level.MASTER, fields_mask=Field.ICT.bit), now)
    assert not call_matches(call, CallFilter(level=Level.BACHELOR), now)
    assert not call_matches(call, CallFilter(fields_mask=Field.HEALTH.bit), now)
    assert not call_matches(call, CallFilter(window_days=10), now)


async def test_a_call_published_at_night_reaches_an_instant_subscriber_at_eight(
    app: App, telegram: LocalTelegram, student: LocalUser, clock
) -> None:
    await onboard(telegram, student)
    await telegram.press_data(student, SUBSCRIBE)
    clock.set(datetime(2026, 11, 23, 23, 15, tzinfo=TASHKENT))
    call_id = await add_call(app, title="Night ICT call", deadline=clock.now() + days(60))
    notifications = app.services.notifications

    await notifications.notify_new_call(call_id)
    await notifications.tick()
    assert not any("Night ICT call" in m.text for m in telegram.transcript(student.id))

    clock.set(datetime(2026, 11, 24, 8, 0, tzinfo=TASHKENT))
    await notifications.tick()
    assert sum("Night ICT call" in m.text for m in telegram.transcript(student.id)) == 1


async def test_saving_again_after_unsaving_brings_the_reminders_back(
    app: App, telegram: LocalTelegram, student: LocalUser
) -> None:
    call_id = await _a_call(app)
    await onboard(telegram, student)
    await _open_card(telegram, student, call_id)
    await telegram.press(student, "Save")
    await telegram.press(student, "remove")
    await telegram.press(student, "Save")

    pending = await OutboxRepo(app.db).pending_for(student.id, call_id, "reminder")
    assert len(pending) == 4
