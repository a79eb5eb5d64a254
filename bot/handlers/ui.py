"""Showing a screen: edit the message a button belongs to, or send a new one."""

from __future__ import annotations

import logging

from aiogram.exceptions import TelegramBadRequest
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.callback_answer import CallbackAnswer

from bot.texts.formatting import TELEGRAM_TEXT_LIMIT, split_message

log = logging.getLogger(__name__)

# What a screen answers: a typed message (a new message) or a button press (its message edited).
Event = Message | CallbackQuery


async def show(event: Event, text: str, markup: InlineKeyboardMarkup | None = None) -> None:
    """A button press replaces its own message; a typed message gets a new answer.

    Texts over Telegram's limit are split; the keyboard goes with the last part.
    """
    parts = split_message(text)
    if isinstance(event, CallbackQuery):
        message = event.message
        if isinstance(message, Message) and len(parts) == 1 and len(text) <= TELEGRAM_TEXT_LIMIT:
            try:
                await message.edit_text(text, reply_markup=markup, disable_web_page_preview=True)
                return
            except TelegramBadRequest as error:
                if "not modified" in error.message:
                    return
                log.info("cannot edit message, sending a new one: %s", error.message)
        chat_id = event.from_user.id if message is None else message.chat.id
        assert event.bot is not None  # aiogram mounts the bot on every update it feeds
        for index, part in enumerate(parts):
            last = index == len(parts) - 1
            await event.bot.send_message(
                chat_id, part, reply_markup=markup if last else None, disable_web_page_preview=True
            )
        return
    for index, part in enumerate(parts):
        last = index == len(parts) - 1
        await event.answer(
            part, reply_markup=markup if last else None, disable_web_page_preview=True
        )


def alert(answer: CallbackAnswer, text: str) -> None:
    """The press is answered with an alert the user closes (sent when the handler returns,
    by the AnswerEveryPress middleware)."""
    answer.text = text
    answer.show_alert = True
