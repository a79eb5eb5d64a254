"""A local stand-in for the Bot API, used by the console mode and the tests.

`LocalSession` answers Bot API calls in-process the way Telegram would (new message ids,
edited texts, topics…), records every call, keeps a transcript per chat, and can be told to
fail the next matching call (429, 403, …). `LocalTelegram` builds the updates a user would
cause — typed text, a pressed button, a sent file — and feeds them to the real dispatcher.
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncGenerator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.client.session.base import BaseSession
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramRetryAfter,
)
from aiogram.methods import (
    AnswerCallbackQuery,
    AnswerInlineQuery,
    CopyMessage,
    CreateForumTopic,
    DeleteMessage,
    EditMessageCaption,
    EditMessageReplyMarkup,
    EditMessageText,
    GetFile,
    GetMe,
    TelegramMethod,
)
from aiogram.types import (
    CallbackQuery,
    Chat,
    Document,
    File,
    ForumTopic,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQuery,
    InlineQueryResultArticle,
    InputTextMessageContent,
    Message,
    MessageId,
    PhotoSize,
    Update,
    User,
)

BOT_USER = User(id=1000000001, is_bot=True, first_name="Imkon", username="imkon_local_bot")


@dataclass
class LocalMessage:
    """A message as it now stands in a chat (edits applied)."""

    message_id: int
    chat_id: int
    text: str
    markup: InlineKeyboardMarkup | None = None
    from_bot: bool = True
    thread_id: int | None = None
    kind: str = "text"  # text | photo | document | copy | …
    filename: str | None = None
    file_content: bytes | None = None
    deleted: bool = False

    def buttons(self) -> list[InlineKeyboardButton]:
        if self.markup is None:
            return []
        return [button for row in self.markup.inline_keyboard for button in row]


@dataclass
class LocalUser:
    id: int
    first_name: str = "Student"
    username: str | None = None
    language_code: str | None = "en"

    def as_user(self) -> User:
        return User(
            id=self.id,
            is_bot=False,
            first_name=self.first_name,
            username=self.username,
            language_code=self.language_code,
        )


@dataclass
class LocalChat:
    id: int
    type: str = "private"  # private | group | supergroup
    title: str | None = None
    is_forum: bool = False

    def as_chat(self) -> Chat:
        return Chat(id=self.id, type=self.type, title=self.title, is_forum=self.is_forum or None)


@dataclass
class _Failure:
    matches: Callable[[TelegramMethod[Any]], bool]
    error: Callable[[TelegramMethod[Any]], Exception]


@dataclass
class ChatLog:
    messages: dict[int, LocalMessage] = field(default_factory=dict)

    def visible(self) -> list[LocalMessage]:
        return [m for m in self.messages.values() if not m.deleted]


class LocalSession(BaseSession):
    def __init__(self) -> None:
        super().__init__()
        self.requests: list[TelegramMethod[Any]] = []
        self.chats: dict[int, ChatLog] = {}
        self.chat_types: dict[int, LocalChat] = {}
        self.files: dict[str, bytes] = {}
        self.listeners: list[Callable[[TelegramMethod[Any], Any], None]] = []
        self._failures: list[_Failure] = []
        self._ids = itertools.count(100)
        self._topics = itertools.count(500)

    # -- failures -------------------------------------------------------------------------
    def fail_next(
        self,
        error: Callable[[TelegramMethod[Any]], Exception],
        *,
        method: type[TelegramMethod[Any]] | None = None,
        chat_id: int | None = None,
        times: int = 1,
    ) -> None:
        def matches(m: TelegramMethod[Any]) -> bool:
            return (method is None or isinstance(m, method)) and (
                chat_id is None or getattr(m, "chat_id", None) == chat_id
            )

        for _ in range(times):
            self._failures.append(_Failure(matches, error))

    @staticmethod
    def retry_after(seconds: int) -> Callable[[TelegramMethod[Any]], Exception]:
        return lambda m: TelegramRetryAfter(
            method=m, message=f"Too Many Requests: retry after {seconds}", retry_after=seconds
        )

    @staticmethod
    def blocked() -> Callable[[TelegramMethod[Any]], Exception]:
        return lambda m: TelegramForbiddenError(
            method=m, message="Forbidden: bot was blocked by the user"
        )

    @staticmethod
    def bad_request(text: str) -> Callable[[TelegramMethod[Any]], Exception]:
        return lambda m: TelegramBadRequest(method=m, message=f"Bad Request: {text}")

    # -- BaseSession ----------------------------------------------------------------------
    async def make_request(
        self, bot: Bot, method: TelegramMethod[Any], timeout: int | None = None
    ) -> Any:
        self.requests.append(method)
        for index, failure in enumerate(self._failures):
            if failure.matches(method):
                del self._failures[index]
                raise failure.error(method)
        result = self._respond(method)
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

    # -- emulation ------------------------------------------------------------------------
    def log(self, chat_id: int) -> ChatLog:
        return self.chats.setdefault(chat_id, ChatLog())

    def new_message_id(self) -> int:
        return next(self._ids)

    def _chat(self, chat_id: int | str) -> Chat:
        chat_id = int(chat_id)
        known = self.chat_types.get(chat_id)
        if known is not None:
            return known.as_chat()
        return Chat(id=chat_id, type="private" if chat_id > 0 else "supergroup")

    def _store(self, method: TelegramMethod[Any], kind: str, text: str) -> Message:
        chat_id = int(method.chat_id)  # type: ignore[attr-defined]  # only send*/copy methods, which all have chat_id, are stored
        markup = getattr(method, "reply_markup", None)
        markup = markup if isinstance(markup, InlineKeyboardMarkup) else None
        local = LocalMessage(
            message_id=self.new_message_id(),
            chat_id=chat_id,
            text=text,
            markup=markup,
            thread_id=getattr(method, "message_thread_id", None),
            kind=kind,
        )
        document = getattr(method, "document", None)
        if document is not None and hasattr(document, "filename"):
            local.filename = document.filename
            local.file_content = getattr(document, "data", None)
        self.log(chat_id).messages[local.message_id] = local
        return self.as_message(local)

    def as_message(self, local: LocalMessage, from_user: User | None = None) -> Message:
        return Message(
            message_id=local.message_id,
            date=datetime.now(UTC),
            chat=self._chat(local.chat_id),
            from_user=from_user or BOT_USER,
            text=local.text if local.kind == "text" else None,
            caption=local.text if local.kind != "text" and local.text else None,
            reply_markup=local.markup,
            message_thread_id=local.thread_id,
        )

    def _respond(self, method: TelegramMethod[Any]) -> Any:
        api = method.__api_method__
        if isinstance(method, GetMe):
            return BOT_USER
        if isinstance(method, EditMessageText | EditMessageCaption | EditMessageReplyMarkup):
            if method.inline_message_id is not None:
                return True
            local = self.log(int(method.chat_id)).messages.get(method.message_id)  # type: ignore[arg-type]  # no inline_message_id, so message_id is set
            if local is None or local.deleted:
                raise TelegramBadRequest(
                    method=method, message="Bad Request: message to edit not found"
                )
            new_text = getattr(method, "text", None) or getattr(method, "caption", None)
            new_markup = (
                method.reply_markup
                if isinstance(method.reply_markup, InlineKeyboardMarkup)
                else None
            )
            if (new_text is None or new_text == local.text) and new_markup == local.markup:
                raise TelegramBadRequest(
                    method=method,
                    message="Bad Request: message is not modified: specified new message content"
                    " and reply markup are exactly the same",
                )
            if new_text is not None:
                local.text = new_text
            local.markup = new_markup
            return self.as_message(local)
        if isinstance(method, DeleteMessage):
            local = self.log(int(method.chat_id)).messages.get(method.message_id)
            if local is not None:
                local.deleted = True
            return True
        if isinstance(method, CopyMessage):
            copied = self.log(int(method.from_chat_id)).messages.get(method.message_id)
            text = method.caption if method.caption is not None else None
            copy = self._store(
                method,
                copied.kind if copied else "copy",
                text if text is not None else (copied.text if copied else ""),
            )
            return MessageId(message_id=copy.message_id)
        if isinstance(method, CreateForumTopic):
            return ForumTopic(
                message_thread_id=next(self._topics), name=method.name, icon_color=7322096
            )
        if isinstance(method, GetFile):
            return File(
                file_id=method.file_id,
                file_unique_id=method.file_id,
                file_path=method.file_id,
                file_size=len(self.files.get(method.file_id, b"")),
            )
        if isinstance(method, AnswerCallbackQuery):
            return True
        if api.startswith("send"):
            kind = api.removeprefix("send").lower()
            text = getattr(method, "text", None) or getattr(method, "caption", None) or ""
            return self._store(method, "text" if kind == "message" else kind, text)
        if method.__returning__ is bool:
            return True
        raise NotImplementedError(f"LocalSession does not emulate {api}")


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
        local = LocalMessage(
            message_id=self.session.new_message_id(),
            chat_id=chat.id,
            text=text,
            from_bot=False,
            kind=kind,
            thread_id=extra.get("message_thread_id"),
        )
        self.session.log(chat.id).messages[local.message_id] = local
        return Message(
            message_id=local.message_id,
            date=datetime.now(UTC),
            chat=chat.as_chat(),
            from_user=user.as_user(),
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
        )
        self.session.log(chat.id).messages[local.message_id] = local
        message = Message(
            message_id=local.message_id,
            date=datetime.now(UTC),
            chat=chat.as_chat(),
            from_user=user.as_user(),
            via_bot=BOT_USER,
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
