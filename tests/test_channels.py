"""Stories of the channels (CHANNEL_IDS): a published call is posted to each language's
channel as its short card with a "Save and get reminders" button; edits, closing and
reopening follow it there; an admin may keep a call out; a refusing channel is reported."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from aiogram.methods import EditMessageText, SendMessage
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from bot.app import App, create_app
from bot.domain.calls import Call
from bot.domain.catalog_rows import call_from_row
from bot.domain.channels import (
    CHANNEL_LOCALES,
    ChannelIdsError,
    format_channel_ids,
    parse_channel_ids,
)
from bot.fake_telegram import LocalTelegram
from bot.fake_telegram.state import ApiError
from bot.keyboards.admin import AdmCallCb
from bot.services.catalog_files import TEMPLATE_ROW
from tests.admin_helpers import speaks_english
from tests.conftest import ADMIN_ID, TASHKENT, make_settings

UZ_CHANNEL = -1001111111111
RU_CHANNEL = -1002222222222
BOT_LINK = "https://t.me/imkon_local_bot?start=c"
UZ_SAVE = "⭐ Saqlash va eslatmalar olish"
RU_SAVE = "⭐ Сохранить и получать напоминания"


@pytest.fixture
def settings(tmp_path):
    return make_settings(tmp_path, channel_ids=f"uz:{UZ_CHANNEL}, ru:{RU_CHANNEL}")


async def new_call(app: App, **row: str) -> Call:
    """A call created through the admin desk (a draft unless status says otherwise)."""
    calls = app.repos.calls
    programmes = {p.code: p for p in await calls.programmes()}
    values = {**TEMPLATE_ROW, "deadline_at": "2027-03-01 18:00", **row}
    call, errors = call_from_row(values, TASHKENT, programmes, date(2026, 11, 23))
    assert not errors, errors
    return await app.services.desk.create(call, ADMIN_ID, app.clock.now())


async def deliver(app: App) -> None:
    await app.services.delivery.run_due()


def posts(telegram: LocalTelegram, channel: int):
    return telegram.transcript(channel)


async def test_publishing_posts_the_call_to_each_channel_in_its_language_with_a_save_button(
    app, telegram, admin
):
    draft = await new_call(app, title_ru="R&D <гранты>")
    await speaks_english(app, admin)
    await telegram.press_data(admin, AdmCallCb(call_id=draft.id, action="publish").pack())
    await deliver(app)

    [uz] = posts(telegram, UZ_CHANNEL)
    [ru] = posts(telegram, RU_CHANNEL)
    assert TEMPLATE_ROW["title_uz"] in uz.text and "R&D" not in uz.text
    assert "R&amp;D &lt;гранты&gt;" in ru.text  # the admin's text, escaped
    assert "Срок подачи" in ru.text and "18:00" in ru.text  # the organiser's (Brussels) time
    assert [(b.text, b.url) for b in uz.buttons()] == [(UZ_SAVE, f"{BOT_LINK}{draft.id}")]
    assert [(b.text, b.url) for b in ru.buttons()] == [(RU_SAVE, f"{BOT_LINK}{draft.id}")]

    await telegram.press_data(admin, AdmCallCb(call_id=draft.id, action="view").pack())
    await deliver(app)  # nothing new: each channel has its post once
    assert len(posts(telegram, UZ_CHANNEL)) == len(posts(telegram, RU_CHANNEL)) == 1


async def test_a_call_created_as_published_is_posted_too(app, telegram):
    call = await new_call(app, status="published")
    await deliver(app)
    assert [len(posts(telegram, c)) for c in (UZ_CHANNEL, RU_CHANNEL)] == [1, 1]
    assert f"{BOT_LINK}{call.id}" == posts(telegram, UZ_CHANNEL)[0].buttons()[0].url


async def test_editing_a_published_call_edits_its_posts(app, telegram, admin, session):
    call = await new_call(app, status="published")
    await deliver(app)
    await speaks_english(app, admin)
    await telegram.press_data(admin, AdmCallCb(call_id=call.id, action="edit").pack())
    await telegram.press(admin, "Text RU")
    await telegram.send(admin, "Новое название")
    await telegram.send(admin, "Новое описание")
    await deliver(app)

    [ru] = posts(telegram, RU_CHANNEL)
    assert "Новое название" in ru.text and "Новое описание" in ru.text
    assert [b.text for b in ru.buttons()] == [RU_SAVE]
    edited = {r.chat_id for r in session.requests if isinstance(r, EditMessageText)}
    assert {UZ_CHANNEL, RU_CHANNEL} <= edited
    # The uz post reads the same ("message is not modified"): no admin is bothered.
    assert "refused" not in telegram.last_bot_text(admin.id)


async def test_closing_marks_the_posts_closed_and_reopening_restores_them(app, telegram, admin):
    call = await new_call(app, status="published")
    await deliver(app)
    await speaks_english(app, admin)
    await telegram.press_data(admin, AdmCallCb(call_id=call.id, action="view").pack())
    await telegram.press(admin, "Close")
    await deliver(app)
    [uz] = posts(telegram, UZ_CHANNEL)
    [ru] = posts(telegram, RU_CHANNEL)
    assert uz.text.startswith("🔒 <b>Yopildi</b>") and uz.buttons() == []
    assert ru.text.startswith("🔒 <b>Закрыт</b>") and ru.buttons() == []

    await telegram.press(admin, "Reopen")
    await deliver(app)
    [uz] = posts(telegram, UZ_CHANNEL)
    assert "Yopildi" not in uz.text and [b.text for b in uz.buttons()] == [UZ_SAVE]


async def test_an_admin_keeps_a_call_out_of_the_channels_and_lets_it_in_again(app, telegram, admin):
    draft = await new_call(app)
    await speaks_english(app, admin)
    await telegram.press_data(admin, AdmCallCb(call_id=draft.id, action="view").pack())
    await telegram.press(admin, "📣 In the channels: yes")
    assert "kept out of the channels" in telegram.last_bot_text(admin.id)
    await telegram.press(admin, "Publish")
    await deliver(app)
    assert posts(telegram, UZ_CHANNEL) == posts(telegram, RU_CHANNEL) == []

    await telegram.press_data(admin, AdmCallCb(call_id=draft.id, action="view").pack())
    await telegram.press(admin, "📣 In the channels: no")
    await deliver(app)  # published and let in: posted now
    assert [len(posts(telegram, c)) for c in (UZ_CHANNEL, RU_CHANNEL)] == [1, 1]


@pytest.mark.parametrize(
    "refusal",
    [
        ApiError(400, "Bad Request: need administrator rights in the channel chat"),
        ApiError(403, "Forbidden: bot is not a member of the channel chat"),
    ],
)
async def test_a_refusing_channel_is_reported_to_the_admins_once_and_the_others_are_posted(
    app, telegram, admin, session, clock, refusal
):
    await speaks_english(app, admin)
    session.fail_next(lambda m: refusal, method=SendMessage, chat_id=UZ_CHANNEL)
    call = await new_call(app, status="published")
    await deliver(app)

    assert posts(telegram, UZ_CHANNEL) == []
    assert len(posts(telegram, RU_CHANNEL)) == 1
    told = telegram.last_bot_text(admin.id)
    assert f"refused call #{call.id}" in told and "admin of the channel" in told

    await telegram.press_data(admin, AdmCallCb(call_id=call.id, action="edit").pack())
    await telegram.press(admin, "Text RU")
    await telegram.send(admin, "Новое название")
    await telegram.send(admin, "Новое описание")
    clock.advance(hours=1)
    await deliver(app)
    to_uz = [r for r in session.requests if getattr(r, "chat_id", None) == UZ_CHANNEL]
    assert len(to_uz) == 1  # not retried, and its edit is not tried either
    notices = [m for m in telegram.transcript(admin.id) if "refused call" in m.text]
    assert len(notices) == 1
    assert "Новое название" in posts(telegram, RU_CHANNEL)[0].text


async def test_a_post_left_sending_by_a_crash_goes_out_once_after_the_restart(app, clock, session):
    call = await new_call(app, status="published")
    outbox = app.repos.outbox
    pushes = await outbox.due(clock.now())
    [uz_push] = [p for p in pushes if p.user_id == UZ_CHANNEL]
    assert await outbox.claim(uz_push.id, clock.now())  # then the process died
    await app.close()

    again = await create_app(app.settings, clock=clock, session=session)
    try:
        await again.services.delivery.run_due()
        telegram = LocalTelegram(again.bot, again.dispatcher, session)
        assert [len(posts(telegram, c)) for c in (UZ_CHANNEL, RU_CHANNEL)] == [1, 1]
        post = await again.repos.channel_posts.get(call.id, UZ_CHANNEL)
        assert post is not None and post.message_id == posts(telegram, UZ_CHANNEL)[0].message_id
    finally:
        await again.close()


async def test_a_post_whose_sent_mark_failed_is_not_posted_twice(app, telegram, clock, monkeypatch):
    outbox = app.repos.outbox
    real_mark_sent = outbox.mark_sent
    broken = {"left": 1}

    async def mark_sent_once_broken(push_id, now):
        if broken["left"]:
            broken["left"] -= 1
            raise OSError("disk I/O error")
        await real_mark_sent(push_id, now)

    monkeypatch.setattr(outbox, "mark_sent", mark_sent_once_broken)
    await new_call(app, status="published")
    await deliver(app)
    clock.advance(minutes=10)
    await deliver(app)
    assert [len(posts(telegram, c)) for c in (UZ_CHANNEL, RU_CHANNEL)] == [1, 1]


# -- CHANNEL_IDS ------------------------------------------------------------------------------

channel_maps = st.dictionaries(
    st.sampled_from(CHANNEL_LOCALES),
    st.integers(min_value=-(10**13), max_value=-1),
).filter(lambda m: len(set(m.values())) == len(m))


@given(channel_maps, st.sampled_from([",", ";", " , ", ",\n"]))
def test_channel_ids_read_back_what_was_written(channels, separator):
    text = separator.join(f" {loc} : {chat} " for loc, chat in channels.items())
    assert parse_channel_ids(text) == channels
    assert parse_channel_ids(format_channel_ids(channels)) == channels


@given(st.text(alphabet=st.sampled_from("uzrCylen_:-,; 0123456789x٣"), max_size=40))
def test_channel_ids_are_read_or_refused_with_a_reason(text):
    try:
        channels = parse_channel_ids(text)
    except ChannelIdsError as error:
        assert "CHANNEL_IDS" in str(error)
    else:
        assert set(channels) <= set(CHANNEL_LOCALES)
        assert all(chat < 0 for chat in channels.values())
        assert len(set(channels.values())) == len(channels)


@pytest.mark.parametrize(
    ("value", "complaint"),
    [
        ("de:-1001", "must be one of uz, uz_Cyrl, ru, en"),
        ("uz:1001", "must be a negative number"),
        ("uz:@imkon", "must be a negative number"),
        ("uz -1001", "must look like <language>:<channel id>"),
        ("uz:-1001,uz:-1002", "the language uz twice"),
        ("uz:-1001,ru:-1001", "for two languages"),
    ],
)
def test_a_wrong_channel_ids_setting_stops_the_start_with_a_clear_error(tmp_path, value, complaint):
    with pytest.raises(ValidationError, match=complaint):
        make_settings(tmp_path, channel_ids=value)


def test_no_channel_ids_means_no_channels(tmp_path):
    assert make_settings(tmp_path).channel_ids == {}
    assert make_settings(tmp_path, channel_ids="  ").channel_ids == {}


async def test_a_channel_post_waiting_too_long_shows_in_the_health_check(app, clock):
    call = await new_call(app, status="published")
    clock.advance(minutes=20)  # the delivery loop never ran
    oldest = await app.repos.monitoring.oldest_due_push(clock.now())
    assert oldest is not None and oldest <= clock.now() - timedelta(minutes=20)
    assert call.id  # the post is the only push due


async def test_a_student_cannot_keep_a_call_out_of_the_channels(app, telegram, student):
    call = await new_call(app, status="published")
    await telegram.press_data(student, AdmCallCb(call_id=call.id, action="channels").pack())
    assert not await app.services.channels.kept_off(call.id)


async def test_without_channel_ids_the_admin_view_has_no_channel_button(
    tmp_path, clock, session, admin
):
    plain = await create_app(make_settings(tmp_path), clock=clock, session=session)
    try:
        telegram = LocalTelegram(plain.bot, plain.dispatcher, session)
        call = await new_call(plain, status="published")
        await speaks_english(plain, admin)
        await telegram.press_data(admin, AdmCallCb(call_id=call.id, action="view").pack())
        labels = [b.text for b in telegram.last_keyboard_message(admin.id).buttons()]
        assert "✏️ Edit" in labels and not any("channels" in label for label in labels)
        await plain.services.delivery.run_due()
        assert not any(chat < 0 for chat in session.chats)
    finally:
        await plain.close()


async def test_after_fixing_the_rights_an_admin_posts_a_refused_call_by_turning_it_off_and_on(
    app, telegram, admin, session
):
    await speaks_english(app, admin)
    refusal = ApiError(400, "Bad Request: need administrator rights in the channel chat")
    session.fail_next(lambda m: refusal, method=SendMessage, chat_id=UZ_CHANNEL)
    call = await new_call(app, status="published")
    await deliver(app)
    assert posts(telegram, UZ_CHANNEL) == []
    assert "In the channels» off and on" in telegram.last_bot_text(admin.id)

    await telegram.press_data(admin, AdmCallCb(call_id=call.id, action="view").pack())
    await telegram.press(admin, "📣 In the channels: yes")
    await telegram.press(admin, "📣 In the channels: no")
    await deliver(app)
    assert [len(posts(telegram, c)) for c in (UZ_CHANNEL, RU_CHANNEL)] == [1, 1]
