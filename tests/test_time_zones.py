"""Students abroad: a time zone of their own (from the short list or a shared location) and
their own quiet hours. Reminders, pushes and the dates a student reads follow them."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from aiogram.methods import SendMessage
from aiogram.types import ReplyKeyboardMarkup, ReplyKeyboardRemove
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.app import App
from bot.clock import FakeClock
from bot.db.calls import CallsRepo
from bot.db.outbox import OutboxRepo
from bot.db.users import UsersRepo
from bot.domain.profile import CallStatus
from bot.domain.reminders import (
    MIN_LEAD,
    REMINDER_DAY_CHOICES,
    SEND_HOUR_CHOICES,
    QuietHours,
    digest_moment,
    reminder_moments,
)
from bot.domain.zones import (
    QUIET_CHOICES,
    ZONE_CHOICES,
    listed_equivalent,
    nearest_zone,
    parse_coordinates,
    same_clock,
    zone_or_none,
)
from bot.fake_telegram import LocalTelegram, LocalUser
from bot.keyboards.applications import NotifyCb, SaveCb
from bot.keyboards.callbacks import CardCb, ZoneCb
from tests.conftest import NOW, TASHKENT, onboard
from tests.support.factories import add_call, clear_catalogue

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
SEOUL = ZoneInfo("Asia/Seoul")
DEADLINE = datetime(2027, 1, 2, 18, 0, tzinfo=TASHKENT)  # 14:00 in Berlin
MUNICH = (48.137, 11.575)
MANHATTAN = (40.758, -73.985)


def reminders_in(telegram: LocalTelegram, user: LocalUser) -> list[str]:
    return [m.text for m in telegram.transcript(user.id) if m.text.startswith("⏰")]


async def tick_at(app: App, clock: FakeClock, moment: datetime) -> None:
    clock.set(moment)
    await app.services.notifications.tick()


async def pick_zone(telegram: LocalTelegram, user: LocalUser, city: str) -> None:
    await telegram.send(user, "/settings")
    await telegram.press(user, "Time zone")
    await telegram.press(user, city)


async def saved_call(app: App, telegram: LocalTelegram, user: LocalUser) -> int:
    await clear_catalogue(app)
    call_id = await add_call(
        app, title="EPOS Master", deadline=DEADLINE, deadline_tz="Asia/Tashkent"
    )
    await telegram.press_data(user, SaveCb(call_id=call_id, on=True).pack())
    return call_id


# -- through the dispatcher ---------------------------------------------------------------
async def test_a_student_in_berlin_gets_reminders_at_ten_berlin_time_and_reads_berlin_times(
    app: App, telegram: LocalTelegram, student: LocalUser, clock: FakeClock
) -> None:
    await onboard(telegram, student)
    call_id = await saved_call(app, telegram, student)
    await pick_zone(telegram, student, "Berlin")

    screen = telegram.last_bot_text(student.id)
    assert "Time zone: Berlin · Paris — now 06:00, GMT+01:00" in screen  # 10:00 Tashkent
    chosen = [b.text for b in telegram.last_keyboard_message(student.id).buttons()]
    assert "✅ Berlin · Paris" in chosen

    # "30 days before" at 10:00 in Berlin, which is 14:00 in Tashkent — not 10:00 Tashkent.
    await tick_at(app, clock, datetime(2026, 12, 3, 10, 0, tzinfo=TASHKENT))
    assert reminders_in(telegram, student) == []
    await tick_at(app, clock, datetime(2026, 12, 3, 9, 59, tzinfo=BERLIN))
    assert reminders_in(telegram, student) == []
    await tick_at(app, clock, datetime(2026, 12, 3, 10, 0, tzinfo=BERLIN))
    [reminder] = reminders_in(telegram, student)
    assert "= January 2, 14:00 (Berlin time)" in reminder

    await telegram.press_data(student, CardCb(call_id=call_id, source="b", page=0).pack())
    assert "January 2, 2027, 18:00 (Tashkent time) = January 2, 14:00 (Berlin time)" in (
        telegram.last_bot_text(student.id)
    )
    await telegram.send(student, "/reminders")
    assert "Sent at 10:00 (Berlin time), never between 22:00 and 08:00." in (
        telegram.last_bot_text(student.id)
    )


async def test_moving_back_home_replans_the_pending_reminders_and_stores_no_zone(
    app: App, telegram: LocalTelegram, student: LocalUser
) -> None:
    await onboard(telegram, student)
    await saved_call(app, telegram, student)
    outbox = OutboxRepo(app.db)
    await pick_zone(telegram, student, "New York")
    pending = [p for p in await outbox.list(user_id=student.id) if p.state == "pending"]
    assert {p.due_at.astimezone(NEW_YORK).hour for p in pending} == {10}

    await telegram.press(student, "Tashkent")

    pending = [p for p in await outbox.list(user_id=student.id) if p.state == "pending"]
    assert {p.due_at.astimezone(TASHKENT).hour for p in pending} == {10}
    profile = await UsersRepo(app.db).get(student.id)
    assert profile is not None and profile.time_zone is None  # the bot's zone again


async def test_new_call_pushes_wait_for_the_end_of_the_students_own_quiet_hours(
    app: App, telegram: LocalTelegram, student: LocalUser, clock: FakeClock
) -> None:
    home = LocalUser(id=100002, first_name="Bobur", language_code="en")
    for user in (student, home):
        await onboard(telegram, user)
        await telegram.send(user, "/reminders")
        await telegram.press_data(user, NotifyCb(action="sub", value=1).pack())
    await pick_zone(telegram, student, "Berlin")
    await telegram.press(student, "00–09")
    assert "Quiet hours: 00:00–09:00." in telegram.last_bot_text(student.id)

    # Published at 09:00 in Tashkent: 05:00 in Berlin, inside the student's quiet hours.
    clock.set(datetime(2026, 11, 24, 9, 0, tzinfo=TASHKENT))
    draft = await add_call(
        app, title="Fresh ICT call", status=CallStatus.DRAFT, deadline=NOW + timedelta(days=60)
    )
    await CallsRepo(app.db).set_status(draft, CallStatus.PUBLISHED, clock.now())
    await app.services.notifications.notify_new_call(draft)
    await app.services.notifications.tick()

    def heard(user: LocalUser) -> bool:
        return any("Fresh ICT call" in m.text for m in telegram.transcript(user.id))

    assert heard(home) and not heard(student)
    await tick_at(app, clock, datetime(2026, 11, 24, 8, 59, tzinfo=BERLIN))
    assert not heard(student)
    await tick_at(app, clock, datetime(2026, 11, 24, 9, 0, tzinfo=BERLIN))
    assert heard(student)


async def test_a_shared_location_sets_the_nearest_zone_and_the_location_is_not_kept(
    app: App, telegram: LocalTelegram, student: LocalUser
) -> None:
    await onboard(telegram, student)
    await telegram.send(student, "/settings")
    await telegram.press(student, "Time zone")
    pressed = await telegram.press(student, "Find it from my location")
    [prompt] = [m for m in pressed if isinstance(m, SendMessage)]
    assert isinstance(prompt.reply_markup, ReplyKeyboardMarkup)
    assert prompt.reply_markup.keyboard[0][0].request_location

    sent = await telegram.send_location(student, *MUNICH)

    found = [m for m in sent if isinstance(m, SendMessage)]
    assert "✅ Time zone set: Berlin · Paris" in found[0].text
    assert isinstance(found[0].reply_markup, ReplyKeyboardRemove)  # the location button goes
    profile = await UsersRepo(app.db).get(student.id)
    assert profile is not None and profile.time_zone == "Europe/Berlin"
    row = await app.db.fetchone("SELECT * FROM users WHERE id = ?", (student.id,))
    assert not any(isinstance(v, float) and abs(v - MUNICH[0]) < 1 for v in tuple(row))

    await telegram.press(student, "Find it from my location")
    await telegram.send_location(student, *MANHATTAN)
    profile = await UsersRepo(app.db).get(student.id)
    assert profile is not None and profile.time_zone == "America/New_York"


async def test_cancel_under_the_location_button_keeps_the_zone_and_ends_the_wait(
    app: App, telegram: LocalTelegram, student: LocalUser
) -> None:
    await onboard(telegram, student)
    await pick_zone(telegram, student, "Seoul")
    await telegram.press(student, "Find it from my location")

    sent = await telegram.send(student, "✖️ Cancel")

    assert "No location shared" in sent[0].text
    assert isinstance(sent[0].reply_markup, ReplyKeyboardRemove)
    profile = await UsersRepo(app.db).get(student.id)
    assert profile is not None and profile.time_zone == "Asia/Seoul"
    await telegram.send(student, "Erasmus")  # no longer waiting: a word is a search again
    assert "Results for «Erasmus»" in telegram.last_bot_text(student.id) or "Nothing found" in (
        telegram.last_bot_text(student.id)
    )


async def test_after_leaving_for_the_menu_words_are_searched_and_the_left_buttons_still_work(
    app: App, telegram: LocalTelegram, student: LocalUser
) -> None:
    await onboard(telegram, student)
    await telegram.press_data(student, ZoneCb(action="menu").pack())
    await telegram.press(student, "Find it from my location")
    await telegram.send(student, "/my")  # went elsewhere; the location button stays on screen

    searched = await telegram.send(student, "Erasmus")
    assert not any("No location shared" in getattr(m, "text", "") for m in searched)
    assert "Results for «Erasmus»" in telegram.last_bot_text(student.id)

    sent = await telegram.send(student, "✖️ Cancel")  # the button left on screen
    assert "No location shared" in sent[0].text
    assert isinstance(sent[0].reply_markup, ReplyKeyboardRemove)

    await telegram.send_location(student, *MUNICH)  # or its other button, pressed later
    profile = await UsersRepo(app.db).get(student.id)
    assert profile is not None and profile.time_zone == "Europe/Berlin"


@pytest.mark.parametrize(
    "data", [ZoneCb(action="zone", value=99), ZoneCb(action="quiet", value=99), ZoneCb(action="x")]
)
async def test_a_forged_zone_button_expires_and_changes_nothing(
    app: App, telegram: LocalTelegram, student: LocalUser, data: ZoneCb
) -> None:
    await onboard(telegram, student)
    before = await UsersRepo(app.db).get(student.id)
    answers = await telegram.press_data(student, data.pack())
    assert any(getattr(m, "text", None) == "This button has expired." for m in answers)
    assert await UsersRepo(app.db).get(student.id) == before


@pytest.mark.parametrize(
    ("language", "fields", "heading", "city"),
    [
        ("English", ("ICT",), "Your time zone and quiet hours", "Berlin"),
        ("Русский", ("ИКТ",), "Ваш часовой пояс и тихие часы", "Берлин"),
        ("O‘zbekcha", ("AKT",), "Vaqt mintaqangiz va sokin soatlar", "Berlin"),
        ("Ўзбекча", ("АКТ",), "Вақт минтақангиз ва сокин соатлар", "Берлин"),
    ],
)
async def test_the_zone_screen_speaks_the_students_language(
    telegram: LocalTelegram, student: LocalUser, language, fields, heading, city
) -> None:
    level = {"English": "Master", "Русский": "Магистратура"}.get(language, "Magistratura")
    if language == "Ўзбекча":
        level = "Магистратура"
    await onboard(telegram, student, language=language, level=level, fields=fields)
    await telegram.press_data(student, ZoneCb(action="menu").pack())
    assert heading in telegram.last_bot_text(student.id)
    await telegram.press(student, city)
    assert f"✅ {city}" in [b.text for b in telegram.last_keyboard_message(student.id).buttons()][2]


# -- the rules ----------------------------------------------------------------------------
def test_a_weekly_digest_goes_on_the_students_own_monday_morning() -> None:
    week_begins = datetime(2026, 12, 7, 0, 5, tzinfo=TASHKENT)  # Monday, when the job runs
    quiet = QuietHours(22, 8)
    for zone in (TASHKENT, BERLIN, NEW_YORK, SEOUL):
        moment = digest_moment(week_begins, 10, quiet, zone, TASHKENT).astimezone(zone)
        assert (moment.date().isoformat(), moment.hour) == ("2026-12-07", 10), zone
    # Where Monday 10:00 came before Tashkent's week began, the digest goes at once.
    auckland = ZoneInfo("Pacific/Kiritimati")  # UTC+14
    moment = digest_moment(week_begins, 8, quiet, auckland, TASHKENT)
    assert moment == datetime(2026, 12, 7, 0, 0, tzinfo=TASHKENT)


def test_well_known_places_find_their_zone_on_the_short_list() -> None:
    places = {
        (41.311, 69.240): "Asia/Tashkent",
        MUNICH: "Europe/Berlin",  # nearest principal city is Vaduz: same clock as Berlin
        (47.498, 19.040): "Europe/Berlin",  # Budapest
        (54.687, 25.280): "Europe/Helsinki",  # Vilnius
        MANHATTAN: "America/New_York",
        (37.566, 126.978): "Asia/Seoul",
        (35.676, 139.650): "Asia/Seoul",  # Tokyo keeps Seoul's clock
        (55.756, 37.617): "Europe/Moscow",
        (-33.868, 151.209): "Australia/Sydney",  # not on the list: kept as it is
    }
    for (lat, lon), key in places.items():
        assert listed_equivalent(nearest_zone(lat, lon), 2026) == key, (lat, lon)


@settings(max_examples=200, deadline=None)
@given(st.floats(-90, 90), st.floats(-180, 180))
def test_any_location_telegram_can_send_gives_a_zone_this_machine_knows(
    latitude: float, longitude: float
) -> None:
    key = nearest_zone(latitude, longitude)
    zone = zone_or_none(key)
    assert zone is not None
    listed = listed_equivalent(key, 2026)
    assert same_clock(zone, ZoneInfo(listed), 2026)


def test_zone_tab_coordinates_are_read_in_both_precisions() -> None:
    assert parse_coordinates("+4120+06918") == pytest.approx((41 + 20 / 60, 69 + 18 / 60))
    lat, lon = parse_coordinates("-5410-03632")
    assert (lat, lon) == pytest.approx((-(54 + 10 / 60), -(36 + 32 / 60)))
    lat, lon = parse_coordinates("+404251-0740023")
    assert lat == pytest.approx(40 + 42 / 60 + 51 / 3600)
    assert lon == pytest.approx(-(74 + 0 / 60 + 23 / 3600))


def test_every_listed_zone_exists() -> None:
    assert all(zone_or_none(choice.key) for choice in ZONE_CHOICES)


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from([choice.key for choice in ZONE_CHOICES]),
    st.datetimes(min_value=datetime(2027, 1, 1), max_value=datetime(2028, 12, 31)),
    st.sets(st.sampled_from(REMINDER_DAY_CHOICES), min_size=1),
    st.sampled_from(SEND_HOUR_CHOICES),
    st.sampled_from(QUIET_CHOICES),
)
def test_reminders_in_any_listed_zone_fall_at_the_students_hour_outside_their_quiet_hours(
    key: str, naive_deadline: datetime, days: set[int], hour: int, quiet: QuietHours
) -> None:
    zone = ZoneInfo(key)
    deadline = naive_deadline.replace(tzinfo=zone)
    moments = reminder_moments(deadline, tuple(days), hour, quiet, zone)
    assert moments  # at least one reminder survives for any deadline
    for moment in moments.values():
        local = moment.astimezone(zone)
        assert not quiet.contains(local), (local, quiet)
        assert moment <= deadline - MIN_LEAD
        # At the student's hour, or at the end of their quiet hours when the hour is inside.
        assert local.hour in {hour, quiet.end} and local.minute == 0
