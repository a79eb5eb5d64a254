"""A call's card, wherever it is opened from (a list, My applications, a deep link), and the
call's deep link `https://t.me/<bot>?start=c<id>`."""

from __future__ import annotations

from datetime import datetime

from aiogram import Bot
from aiogram.types import CallbackQuery, Message
from aiogram.utils.deep_linking import create_start_link

from bot.config import Settings
from bot.db.applications import ApplicationsRepo
from bot.domain.calls import Call
from bot.domain.eligibility import missing_facts
from bot.domain.links import call_payload
from bot.domain.profile import UserProfile
from bot.handlers.my import card_state
from bot.handlers.ui import show
from bot.keyboards import builders
from bot.texts.catalog import card_text


async def call_link(bot: Bot, call_id: int) -> str:
    """The call's deep link; the bot's username comes from getMe, which aiogram caches."""
    return await create_start_link(bot, call_payload(call_id))


async def show_card(
    event: Message | CallbackQuery,
    bot: Bot,
    call: Call,
    profile: UserProfile,
    applications: ApplicationsRepo,
    settings: Settings,
    locale: str,
    now: datetime,
    source: str | None = None,
    page: int = 0,
) -> None:
    """The card in the student's time zone; the facts they told turn its conditions into
    verdicts, and a "Check my eligibility" button asks the facts it still needs."""
    facts = profile.facts
    text = card_text(call, locale, now, profile.zone(settings.tz), facts)
    state = await card_state(applications, profile.id, call)
    link = await call_link(bot, call.id)
    missing = bool(missing_facts(call.requirements(), facts))
    await show(event, text, builders.card(call, source, page, link, state, missing))
