"""Forged ids: a button or a command whose number no row could have (too big for SQLite,
negative, not ASCII digits) gets the same answer as any button that no longer exists."""

from __future__ import annotations

import importlib
import pkgutil
import typing

import pytest
from aiogram.filters.callback_data import CallbackData
from aiogram.methods import AnswerCallbackQuery
from hypothesis import given
from hypothesis import strategies as st

import bot.keyboards
from bot.db.roles import RolesRepo
from bot.domain.ids import MAX_ID, parse_id
from bot.domain.roles import Role
from bot.fake_telegram import LocalTelegram, LocalUser
from tests.admin_helpers import speaks_english
from tests.conftest import onboard

APOLOGY = "went wrong"
# 2**64 fits easily in Telegram's 64 bytes of callback data but not in SQLite's INTEGER.
OUT_OF_RANGE = ("99999999999999999999", str(2**63), "-1")

STUDENT_BUTTONS = {
    "list": ["list:m:{}"],
    "card": ["card:{}:m:0", "card:1:m:{}"],
    "elig": ["elig:{}:m:0", "elig:1:m:{}"],
    "save": ["save:{}:1:c"],
    "mute": ["mute:{}:1:c"],
    "chk": ["chk:{}"],
    "tick": ["tick:{}:cv"],
    "ics": ["ics:{}"],
    "ntf": ["ntf:day:{}"],
    "ask": ["ask:{}"],
    "tk": ["tk:up:{}", "tk:down:{}", "tk:reply:{}", "tk:close:{}", "tk:write:{}"],
    "forget": ["forget:yes:{}", "forget:no:{}"],
    "tz": ["tz:zone:{}", "tz:quiet:{}"],
}
ADMIN_BUTTONS = {
    "adm": ["adm:calls:{}"],
    "admc": ["admc:{}:view:", "admc:{}:publish:"],
    "adme": ["adme:{}:deadline_at"],
    "admi": ["admi:{}:apply"],
    "admr": ["admr:{}:member:", "admr:{}:grant:admin"],
    "admb": ["admb:pause::{}", "admb:refresh::{}"],
    "adma": ["adma:{}:open", "adma:{}:ok"],
}


def _cases(buttons: dict[str, list[str]]) -> list[str]:
    return [t.format(n) for templates in buttons.values() for t in templates for n in OUT_OF_RANGE]


def _int_prefixes() -> set[str]:
    """Every callback prefix in bot/keyboards with a number in it."""
    for module in pkgutil.iter_modules(bot.keyboards.__path__):
        importlib.import_module(f"bot.keyboards.{module.name}")
    found: set[str] = set()
    pending = list(CallbackData.__subclasses__())
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        hints = typing.get_type_hints(cls)  # Annotated[int, …] reads as int
        if any(hints[name] is int for name in cls.model_fields):
            found.add(cls.__prefix__)
    return found


def test_every_numbered_button_is_covered() -> None:
    assert _int_prefixes() == set(STUDENT_BUTTONS) | set(ADMIN_BUTTONS)


def _expired(requests: list) -> None:
    answers = [r for r in requests if isinstance(r, AnswerCallbackQuery)]
    assert answers and "expired" in (answers[0].text or ""), requests
    assert not any(APOLOGY in (getattr(r, "text", "") or "") for r in requests)


@pytest.mark.parametrize("data", _cases(STUDENT_BUTTONS))
async def test_student_button_with_an_impossible_id_has_expired(
    telegram: LocalTelegram, student: LocalUser, data: str
) -> None:
    await onboard(telegram, student)
    _expired(await telegram.press_data(student, data))


@pytest.mark.parametrize("data", _cases(ADMIN_BUTTONS))
async def test_admin_button_with_an_impossible_id_has_expired(
    app, telegram: LocalTelegram, admin: LocalUser, data: str
) -> None:
    await speaks_english(app, admin)
    _expired(await telegram.press_data(admin, data))


@pytest.mark.parametrize("typed", ["99999999999999999999", "¹²³", "-5"])
async def test_admin_typing_an_impossible_user_id_is_asked_again(
    app, telegram: LocalTelegram, admin: LocalUser, typed: str
) -> None:
    await speaks_english(app, admin)
    await telegram.send(admin, "/roles")
    await telegram.press(admin, "Add coordinator")
    sent = await telegram.send(admin, typed)
    assert not any(APOLOGY in (getattr(r, "text", "") or "") for r in sent)
    assert "Send the user id as digits" in telegram.last_bot_text(admin.id)
    await telegram.send(admin, str(student_id := 100001))  # the prompt is still there
    assert await RolesRepo(app.db).has(student_id, Role.COORDINATOR)


async def test_deleting_an_faq_entry_with_an_impossible_number_finds_none(
    app, telegram: LocalTelegram, admin: LocalUser
) -> None:
    await speaks_english(app, admin)
    await telegram.send(admin, "/faq add en daad Visa? | Apply at the embassy.")
    sent = await telegram.send(admin, "/faq delete 99999999999999999999")
    assert not any(APOLOGY in (getattr(r, "text", "") or "") for r in sent)
    assert "There is no FAQ entry 99999999999999999999" in telegram.last_bot_text(admin.id)


@given(st.one_of(st.text(), st.integers().map(str), st.integers().map(lambda n: f" {n} ")))
def test_a_parsed_id_is_what_was_typed_and_always_fits(text: str) -> None:
    parsed = parse_id(text)
    if parsed is not None:
        assert 0 < parsed <= MAX_ID
        assert str(parsed) == text.strip().lstrip("0")
    elif text.strip().isascii() and text.strip().isdigit():
        assert not 0 < int(text.strip()) <= MAX_ID


@pytest.mark.parametrize(
    "audience",
    [
        "field=99999999999999999999",
        "field=abc",
        "active=forever",
        "active=5",  # a number, but not one of the windows offered
        "level=doctor",
        "lang=xx",
        "prog=nasa",
        "all=1",
        "nobody=",
    ],
)
async def test_a_forged_broadcast_audience_has_expired_and_the_message_is_kept(
    app, telegram: LocalTelegram, admin: LocalUser, audience: str
) -> None:
    await speaks_english(app, admin)
    await telegram.send(admin, "/broadcast")
    await telegram.send(admin, "Deadline news")
    _expired(await telegram.press_data(admin, f"admb:pick:{audience}:"))
    # the message waits for a real audience
    await telegram.press(admin, "By language")
    await telegram.press(admin, "English")
    assert "Recipients:" in telegram.last_bot_text(admin.id)
