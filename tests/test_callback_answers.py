"""Every button press stops its spinner exactly once (Telegram shows a spinner until the press is
answered, and refuses a second answer), and the alerts of today still reach the user."""

from __future__ import annotations

from aiogram.methods import AnswerCallbackQuery, EditMessageText

from bot.app import App
from bot.domain.profile import CallStatus
from bot.fake_telegram import LocalSession, LocalTelegram, LocalUser
from bot.keyboards.admin import AdminCb, WizCb
from tests.admin_helpers import speaks_english
from tests.conftest import NOW, onboard
from tests.support.factories import add_call, clear_catalogue, days


def the_answer(requests: list, what: str) -> AnswerCallbackQuery:
    answers = [r for r in requests if isinstance(r, AnswerCallbackQuery)]
    assert len(answers) == 1, f"{what}: {len(answers)} answers to one press"
    return answers[0]


async def press(telegram: LocalTelegram, user: LocalUser, label: str) -> AnswerCallbackQuery:
    return the_answer(await telegram.press(user, label), label)


async def test_a_students_presses_are_each_answered_once(
    app: App, telegram: LocalTelegram, student: LocalUser
) -> None:
    await clear_catalogue(app)
    await add_call(app, title="Open call", deadline=NOW + days(30))
    closing = await add_call(app, title="Closing call", deadline=NOW + days(20))
    await telegram.send(student, "/start")
    for label in ("English", "Master", "ICT"):
        assert (await press(telegram, student, label)).text is None  # a plain acknowledgement
    assert not (await press(telegram, student, "Done")).show_alert
    await press(telegram, student, "Open call")
    saved = await press(telegram, student, "Save")
    assert saved.text and not saved.show_alert  # a short notice, as before
    await telegram.send(student, "/menu")
    await press(telegram, student, "My applications")
    await telegram.send(student, "/settings")
    await press(telegram, student, "Language")
    await press(telegram, student, "English")

    await telegram.send(student, "/calls")
    await app.repos.calls.set_status(closing, CallStatus.CLOSED, NOW)
    gone = await press(telegram, student, "Closing call")
    assert gone.show_alert and "no longer available" in (gone.text or "")

    stale = the_answer(await telegram.press_data(student, "????"), "a stale button")
    assert stale.show_alert and "expired" in (stale.text or "")
    # An admin's button in a student's hands: refused with an alert, by the refusal router.
    refused = the_answer(
        await telegram.press_data(student, AdminCb(action="menu").pack()), "an admin button"
    )
    assert refused.show_alert and "only for the international office staff" in (refused.text or "")


async def test_an_admins_presses_are_each_answered_once(
    app: App, telegram: LocalTelegram, admin: LocalUser
) -> None:
    await speaks_english(app, admin)
    await telegram.send(admin, "/admin")
    await press(telegram, admin, "New call")
    await press(telegram, admin, "Erasmus+")
    empty = await press(telegram, admin, "Done")
    assert empty.show_alert and "Choose at least one" in (empty.text or "")
    await press(telegram, admin, "Master")
    await press(telegram, admin, "Done")
    expired = the_answer(
        await telegram.press_data(admin, WizCb(step="levels", value="done").pack()),
        "a button of an earlier step",
    )
    assert expired.show_alert and "expired" in (expired.text or "")
    await press(telegram, admin, "Cancel")
    await press(telegram, admin, "All calls")
    await press(telegram, admin, "Admin menu")
    await press(telegram, admin, "Statistics")
    await press(telegram, admin, "Admin menu")
    await press(telegram, admin, "Roles")


async def test_a_press_whose_handler_fails_is_answered_once_with_the_errors_alert(
    telegram: LocalTelegram, student: LocalUser, session: LocalSession
) -> None:
    await onboard(telegram, student)
    await telegram.send(student, "/settings")
    session.fail_next(LocalSession.retry_after(600), method=EditMessageText)
    answer = the_answer(await telegram.press(student, "Language"), "a press Telegram delayed")
    assert answer.show_alert and "try again in 10 minutes" in (answer.text or "")
