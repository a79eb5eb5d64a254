"""Inline mode: `@<bot> text` in any chat lists published, open calls matching the text (the
same search as in the bot); an empty query lists the nearest deadlines. Each result sends a
short card with an "Open in the bot" button (the call's deep link).

An inline query comes from no chat, so it creates no user (see `UserProfileMiddleware`); its
language is the stored one, else Telegram's (as onboarding suggests it), else the default.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from aiogram import Bot, Router
from aiogram.types import InlineQuery, InlineQueryResultArticle, InputTextMessageContent, Message
from aiogram.utils.i18n import I18n

from bot.clock import Clock
from bot.config import SUPPORTED_LOCALES, Settings
from bot.db.calls import CallsRepo
from bot.domain.calls import Call
from bot.domain.links import INLINE_PAGE_SIZE, next_inline_offset, parse_inline_offset
from bot.domain.pages import Page
from bot.domain.profile import CallFilter, UserProfile
from bot.handlers.cards import call_link
from bot.handlers.search import MAX_QUERY_LENGTH
from bot.i18n import suggest_locale
from bot.keyboards import builders
from bot.texts.inline import result_description, result_title, shared_card

# Short: the catalogue changes when an admin publishes or closes a call.
CACHE_SECONDS = 30


async def answer_inline(
    inline_query: InlineQuery,
    bot: Bot,
    profile: UserProfile,
    calls: CallsRepo,
    clock: Clock,
    settings: Settings,
    i18n: I18n,
) -> None:
    locale = i18n.current_locale
    now = clock.now()
    query = " ".join(inline_query.query.split())[:MAX_QUERY_LENGTH]
    shown = parse_inline_offset(inline_query.offset)
    page_number = shown // INLINE_PAGE_SIZE
    page: Page
    if query:
        page = await calls.search(query, now, page=page_number, page_size=INLINE_PAGE_SIZE)
    else:  # the nearest deadlines
        page = await calls.find(CallFilter(), now, page=page_number, page_size=INLINE_PAGE_SIZE)
    # Past the end the repository repeats its last page; inline mode wants nothing more.
    found = page.calls if page.page == page_number else []
    zone = profile.zone(settings.tz)
    results = [await _article(bot, call, locale, zone) for call in found]
    await inline_query.answer(
        results,  # type: ignore[arg-type]  # a list of one result type is a list of results
        cache_time=CACHE_SECONDS,
        is_personal=_language_from_user(profile, inline_query.from_user.language_code),
        next_offset=next_inline_offset(shown, len(found), page.total),
    )


async def _article(bot: Bot, call: Call, locale: str, zone: ZoneInfo) -> InlineQueryResultArticle:
    link = await call_link(bot, call.id)
    return InlineQueryResultArticle(
        id=str(call.id),
        title=result_title(call, locale),
        description=result_description(call, locale, zone),
        input_message_content=InputTextMessageContent(
            message_text=shared_card(call, locale, zone),
            parse_mode="HTML",
        ),
        reply_markup=builders.open_in_bot(link),
    )


def _language_from_user(profile: UserProfile, language_code: str | None) -> bool:
    """The answer speaks the user's own language (stored or their Telegram app's), so
    Telegram must not hand it to someone else asking the same text."""
    return profile.language in SUPPORTED_LOCALES or suggest_locale(language_code, "") != ""


async def ignore_own_results(message: Message) -> None:
    """A result picked inside the bot's own chat comes back as a message sent via the bot:
    it is a card, not a search."""


async def _via_this_bot(message: Message, bot: Bot) -> bool:  # async: filters stay on the loop
    return message.via_bot is not None and message.via_bot.id == bot.id


def get_router() -> Router:
    router = Router(name="inline")
    router.inline_query.register(answer_inline)
    router.message.register(ignore_own_results, _via_this_bot)
    return router
