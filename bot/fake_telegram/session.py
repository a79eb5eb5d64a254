"""The fake Telegram in-process: `LocalSession` and the `LocalTelegram` user driver.

`LocalSession` replaces aiogram's HTTP session: every Bot API call is recorded, answered by
the shared `FakeTelegram` model, written out as the JSON Telegram would send and read back
through aiogram's own `check_response`, so a forced 429 raises a real `TelegramRetryAfter`
exactly as it would over HTTP. `LocalTelegram` builds the updates a user would cause — typed
text, a pressed button, a sent file — and feeds them to the real dispatcher.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import AsyncGenerator, Callable
from datetime import UTC, datetime
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.client.session.base import BaseSession
from aiogram.methods import AnswerInlineQuery, Response, TelegramMethod
from aiogram.types import (
    CallbackQuery,
    Document,
    InlineKeyboardButton,
    InlineQuery,
    InlineQueryResultArticle,
    InputTextMessageContent,
    Location,
    Message,
    PhotoSize,
    Update,
    User,
)

from bot.fake_telegram.state import (
    ApiError,
    ChatLog,
    FakeTelegram,
    LocalChat,
    LocalMessage,
    LocalUser,
)

ErrorFactory = Callable[[TelegramMethod[Any]], Exception]


class LocalSession(BaseSession):
    def __init__(self, telegram: FakeTelegram | None = None) -> None:
        super().__init__()
        self.telegram = telegram or FakeTelegram()
        self.requests: list[TelegramMethod[Any]] = []
        self.listeners: list[Callable[[TelegramMethod[Any], Any], None]] = []
        self._response_types: dict[Any, type[Response[Any]]] = {}

    def _response_type(self, method: TelegramMethod[Any]) -> type[Response[Any]]:
        returning = method.__returning__
        known = self._response_types.get(returning)
        if known is None:  # pydantic builds Response[X] anew on every subscription
            known = self._response_types[returning] = Response[returning]  # type: ignore[valid-type]
        return known

    @property
    def chats(self) -> dict[int, ChatLog]:
        return self.telegram.chats

    @property
    def chat_types(self) -> dict[int, LocalChat]:
        return self.telegram.chat_types

    @property
    def files(self) -> dict[str, bytes]:
        return self.telegram.files

    # -- failures -------------------------------------------------------------------------
    def fail_next(
        self,
        error: ErrorFactory,
        *,
        method: type[TelegramMethod[Any]] | None = None,
        chat_id: int | None = None,
        times: int = 1,
    ) -> None:
        """Answer the next `times` matching calls with `error(method)`: an `ApiError` (as the
        factories below make) becomes Telegram's error answer; any other exception (a network
        error) is raised as the transport would raise it."""
        name = None if method is None else method.__api_method__
        self.telegram.fail(error, method=name, chat_id=chat_id, times=times)

    @staticmethod
    def retry_after(seconds: int) -> ErrorFactory:
        return lambda m: ApiError(
            429, f"Too Many Requests: retry after {seconds}", retry_after=seconds
        )

    @staticmethod
    def blocked() -> ErrorFactory:
        return lambda m: ApiError(403, "Forbidden: bot was blocked by the user")

    @staticmethod
    def bad_request(text: str) -> ErrorFactory:
        return lambda m: ApiError(400, f"Bad Request: {text}")

    # -- BaseSession ----------------------------------------------------------------------
    async def make_request(
        self, bot: Bot, method: TelegramMethod[Any], timeout: int | None = None
    ) -> Any:
        self.requests.append(method)
        try:
            answer = {"ok": True, "result": self.telegram.answer(method)}
        except ApiError as refusal:
            # Telegram's error answer, read by aiogram exactly as over HTTP.
            self.check_response(bot, method, refusal.status, json.dumps(refusal.body()))
            raise AssertionError("check_response accepted an error answer") from refusal
        # What check_response does with a 200, minus decoding text: the answer is parsed into
        # the method's result type with the bot in context (the keyboard and sender inside are
        # aiogram objects already, so they are not parsed again).
        result = self._response_type(method).model_validate(answer, context={"bot": bot}).result
        for listener in self.listeners:
            listener(method, result)
        return result

    async def stream_content(
        self,
        url: str,
        headers: dict[str, Any] | None = None,
        timeout: int = 30,
        chunk_size: int = 65536,
        raise_for_status: bool = True,
    ) -> AsyncGenerator[bytes, None]:
        path = url.rsplit("/", 1)[-1]
        yield self.files[path]

    async def close(self) -> None:
        return None

    # -- the model, for tests and the console ---------------------------------------------
    def log(self, chat_id: int) -> ChatLog:
        return self.telegram.log(chat_id)

    def new_message_id(self) -> int:
        return self.telegram.new_message_id()

    def as_message(self, local: LocalMessage, from_user: User | None = None) -> Message:
        return self.telegram.as_message(local, from_user)


class LocalTelegram:
    """Plays users and chats against a dispatcher, as Telegram would deliver their actions."""

    def __init__(
        self, bot: Bot, dispatcher: Dispatcher, session: LocalSession, **data: Any
    ) -> None:
        self.bot = bot
        self.dp = dispatcher
        self.session = session
        self.data = data
        self._update_ids = itertools.count(1)

    async def deliver(self, **content: Any) -> list[TelegramMethod[Any]]:
        """Any update Telegram can send — `edited_message=`, `channel_post=`, a callback on an
        inaccessible message… — built by the caller; the Bot API calls it caused."""
        return await self._deliver(**content)

    async def _deliver(self, **content: Any) -> list[TelegramMethod[Any]]:
        """An update as the polling loop hands it over: Telegram's JSON parsed once, with the
        bot in context (aiogram's `feed_update` otherwise re-parses the whole update to mount
        the bot, which polling never needs)."""
        update = Update(update_id=next(self._update_ids), **content)
        mounted = Update.model_validate(update.model_dump(), context={"bot": self.bot})
        return await self._feed(mounted)

    async def _feed(self, update: Update) -> list[TelegramMethod[Any]]:
        start = len(self.session.requests)
        await self.dp.feed_update(self.bot, update, **self.data)
        return self.session.requests[start:]

    def _register(self, chat: LocalChat | None, user: LocalUser) -> LocalChat:
        chat = chat or LocalChat(id=user.id)
        self.session.chat_types[chat.id] = chat
        return chat

    def _user_message(
        self, user: LocalUser, chat: LocalChat, text: str, kind: str = "text", **extra: Any
    ) -> Message:
        local = self.session.telegram.keep(
            LocalMessage(
                message_id=self.session.new_message_id(),
                chat_id=chat.id,
                text=text,
                from_bot=False,
                kind=kind,
                thread_id=extra.get("message_thread_id"),
                sender=user.as_user(),
            )
        )
        return Message(
            message_id=local.message_id,
            date=datetime.fromtimestamp(local.date, UTC),
            chat=chat.as_chat(),
            from_user=local.sender,
            text=text if kind == "text" else None,
            caption=text if kind != "text" and text else None,
            **extra,
        )

    async def send(
        self, user: LocalUser, text: str, chat: LocalChat | None = None, **extra: Any
    ) -> list[TelegramMethod[Any]]:
        """The user types `text` (a command too) in `chat` (their private chat by default)."""
        chat = self._register(chat, user)
        message = self._user_message(user, chat, text, **extra)
        return await self._deliver(message=message)

    async def send_photo(
        self, user: LocalUser, caption: str = "", chat: LocalChat | None = None, **extra: Any
    ) -> list[TelegramMethod[Any]]:
        chat = self._register(chat, user)
        photo = [PhotoSize(file_id="photo-1", file_unique_id="p1", width=640, height=480)]
        message = self._user_message(user, chat, caption, kind="photo", photo=photo, **extra)
        return await self._deliver(message=message)

    async def send_document(
        self,
        user: LocalUser,
        filename: str,
        content: bytes,
        caption: str = "",
        chat: LocalChat | None = None,
        mime_type: str | None = None,
        **extra: Any,
    ) -> list[TelegramMethod[Any]]:
        chat = self._register(chat, user)
        file_id = f"file-{self.session.new_message_id()}"
        self.session.files[file_id] = content
        document = Document(
            file_id=file_id,
            file_unique_id=file_id,
            file_name=filename,
            mime_type=mime_type,
            file_size=len(content),
        )
        message = self._user_message(
            user, chat, caption, kind="document", document=document, **extra
        )
        return await self._deliver(message=message)

    async def send_location(
        self, user: LocalUser, latitude: float, longitude: float
    ) -> list[TelegramMethod[Any]]:
        """The user shares a location (the paperclip, or a request_location button)."""
        chat = self._register(None, user)
        point = Location(latitude=latitude, longitude=longitude)
        message = self._user_message(user, chat, "", kind="location", location=point)
        return await self._deliver(message=message)

    async def send_sticker_like(self, user: LocalUser) -> list[TelegramMethod[Any]]:
        """A message with no text (a sticker, a location…): only the date and the sender."""
        chat = self._register(None, user)
        message = self._user_message(user, chat, "", kind="other")
        return await self._deliver(message=message)

    def last_keyboard_message(self, chat_id: int) -> LocalMessage | None:
        for message in reversed(self.session.log(chat_id).visible()):
            if message.from_bot and message.markup is not None:
                return message
        return None

    def find_button(
        self, chat_id: int, label: str | int, message_id: int | None = None
    ) -> tuple[LocalMessage, InlineKeyboardButton]:
        """A button by its number (1-based) or by a piece of its text, newest keyboard first."""
        candidates = (
            [self.session.log(chat_id).messages[message_id]]
            if message_id is not None
            else [
                m for m in reversed(self.session.log(chat_id).visible()) if m.from_bot and m.markup
            ]
        )
        for message in candidates:
            buttons = message.buttons()
            if isinstance(label, int):
                if 1 <= label <= len(buttons):
                    return message, buttons[label - 1]
                break
            for button in buttons:
                if label in button.text:
                    return message, button
        raise LookupError(f"no button {label!r} in chat {chat_id}")

    async def press(
        self,
        user: LocalUser,
        label: str | int,
        chat: LocalChat | None = None,
        message_id: int | None = None,
    ) -> list[TelegramMethod[Any]]:
        chat = self._register(chat, user)
        message, button = self.find_button(chat.id, label, message_id)
        if button.callback_data is None:
            raise LookupError(
                f"button {button.text!r} opens {button.url or 'nothing'}, not a callback"
            )
        return await self.press_data(user, button.callback_data, chat, message)

    async def press_data(
        self,
        user: LocalUser,
        data: str,
        chat: LocalChat | None = None,
        message: LocalMessage | None = None,
    ) -> list[TelegramMethod[Any]]:
        """Press a button with arbitrary callback data (old, forged or malformed)."""
        chat = self._register(chat, user)
        if message is None:
            message = self.last_keyboard_message(chat.id) or LocalMessage(
                message_id=self.session.new_message_id(), chat_id=chat.id, text="…"
            )
            self.session.log(chat.id).messages.setdefault(message.message_id, message)
        query = CallbackQuery(
            id=str(next(self._update_ids)),
            from_user=user.as_user(),
            chat_instance=str(chat.id),
            message=self.session.as_message(message),
            data=data,
        )
        return await self._deliver(callback_query=query)

    async def inline_query(
        self, user: LocalUser, query: str, offset: str = "", chat_type: str = "sender"
    ) -> AnswerInlineQuery:
        """The user types `@bot query` in some chat; the bot's answer (one answerInlineQuery)."""
        inline = InlineQuery(
            id=str(next(self._update_ids)),
            from_user=user.as_user(),
            query=query,
            offset=offset,
            chat_type=chat_type,
        )
        answers = [
            m for m in await self._deliver(inline_query=inline) if isinstance(m, AnswerInlineQuery)
        ]
        if len(answers) != 1:
            raise LookupError(f"expected one answerInlineQuery, got {len(answers)}")
        return answers[0]

    async def send_inline_result(
        self, user: LocalUser, result: InlineQueryResultArticle, chat: LocalChat | None = None
    ) -> list[TelegramMethod[Any]]:
        """The user picks `result`: Telegram posts it in `chat` as their message "via" the
        bot; the bot sees it only when that chat is one it is in (its private chat, a group)."""
        chat = self._register(chat, user)
        content = result.input_message_content
        assert isinstance(content, InputTextMessageContent)
        local = LocalMessage(
            message_id=self.session.new_message_id(),
            chat_id=chat.id,
            text=content.message_text,
            markup=result.reply_markup,
            from_bot=False,
            sender=user.as_user(),
        )
        self.session.log(chat.id).messages[local.message_id] = local
        message = Message(
            message_id=local.message_id,
            date=datetime.now(UTC),
            chat=chat.as_chat(),
            from_user=user.as_user(),
            via_bot=self.session.telegram.bot_user,
            text=content.message_text,
            reply_markup=result.reply_markup,
        )
        return await self._deliver(message=message)

    def transcript(self, chat_id: int) -> list[LocalMessage]:
        return self.session.log(chat_id).visible()

    def last_bot_text(self, chat_id: int) -> str:
        for message in reversed(self.session.log(chat_id).visible()):
            if message.from_bot:
                return message.text
        return ""
