"""The one fake Telegram: chats, messages and what each Bot API method answers.

Both transports answer from a `FakeTelegram`: `LocalSession` (session.py) in-process for the
console and most tests, `StandInBotAPI` (server.py) over HTTP for the polling tests and the
benches. A method comes in as aiogram's own method object and leaves as the JSON-ready
`result` Telegram would send (see `message_json`), or as an `ApiError` carrying Telegram's error answer, so the
two transports cannot disagree about a message id, an edit or a refusal.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiogram.methods import (
    AnswerCallbackQuery,
    CopyMessage,
    CreateForumTopic,
    DeleteMessage,
    EditMessageCaption,
    EditMessageReplyMarkup,
    EditMessageText,
    ForwardMessage,
    GetFile,
    GetMe,
    SendDocument,
    SendMessage,
    SendPhoto,
    TelegramMethod,
)
from aiogram.types import Chat, InlineKeyboardButton, InlineKeyboardMarkup, Message, User

BOT_USER = User(id=1000000001, is_bot=True, first_name="Imkon", username="imkon_local_bot")

NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup"
    " are exactly the same as a current content and reply markup of the message"
)
MAX_TEXT = 4096


class ApiError(Exception):
    """Telegram's refusal: the HTTP status and the `{"ok": false, ...}` body it comes with."""

    def __init__(self, status: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.retry_after = retry_after

    def body(self) -> dict[str, Any]:
        answer: dict[str, Any] = {
            "ok": False,
            "error_code": self.status,
            "description": self.description,
        }
        if self.retry_after is not None:
            answer["parameters"] = {"retry_after": self.retry_after}
        return answer


ErrorFactory = Callable[[Any], Exception]


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
    file_id: str | None = None
    sender: User | None = None
    date: int = field(default_factory=lambda: int(time.time()))
    edit_date: int | None = None

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

    def as_json(self) -> dict[str, Any]:
        chat: dict[str, Any] = {"id": self.id, "type": self.type}
        if self.title is not None:
            chat["title"] = self.title
        if self.is_forum:
            chat["is_forum"] = True
        return chat


@dataclass
class ChatLog:
    messages: dict[int, LocalMessage] = field(default_factory=dict)

    def visible(self) -> list[LocalMessage]:
        return [m for m in self.messages.values() if not m.deleted]


@dataclass
class Failure:
    """A forced answer for matching calls, `times` times (None: until cleared)."""

    method: str | None  # the Bot API name, e.g. "sendMessage"; None: any
    chat_id: int | None
    error: ErrorFactory  # gets the aiogram method (None when it could not be read)
    times: int | None = 1

    def matches(self, method: str, chat_id: int | None) -> bool:
        return (self.method is None or self.method == method) and (
            self.chat_id is None or self.chat_id == chat_id
        )


def chat_id_of(value: Any) -> int | None:
    """A numeric chat id as sent (an int, or digits in a form field); None for @usernames."""
    if isinstance(value, int):
        return value
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class FakeTelegram:
    """Telegram as one bot sees it. `keep_messages=False` (long benches) stores no messages,
    so a copy, edit or delete of an earlier message is taken on trust instead of refused."""

    def __init__(self, *, bot_user: User = BOT_USER, keep_messages: bool = True) -> None:
        self.keep_messages = keep_messages
        self.chats: dict[int, ChatLog] = {}
        self.chat_types: dict[int, LocalChat] = {}
        self.files: dict[str, bytes] = {}
        self.failures: list[Failure] = []
        self._ids = itertools.count(100)
        self._topics = itertools.count(500)
        self.bot_user = bot_user
        self._answers: dict[type[TelegramMethod[Any]], Callable[[Any], Any]] = {
            GetMe: lambda _: self._bot_user,
            SendMessage: self._send_message,
            SendDocument: self._send_document,
            SendPhoto: self._send_photo,
            CopyMessage: self._copy_message,
            ForwardMessage: self._forward_message,
            EditMessageText: self._edit,
            EditMessageCaption: self._edit,
            EditMessageReplyMarkup: self._edit,
            DeleteMessage: self._delete_message,
            CreateForumTopic: self._create_forum_topic,
            GetFile: self._get_file,
            AnswerCallbackQuery: lambda _: True,
        }

    @property
    def bot_user(self) -> User:
        return self._bot_user

    @bot_user.setter
    def bot_user(self, user: User) -> None:
        self._bot_user = user

    # -- chats and messages ---------------------------------------------------------------
    def log(self, chat_id: int) -> ChatLog:
        return self.chats.setdefault(chat_id, ChatLog())

    def new_message_id(self) -> int:
        return next(self._ids)

    def chat(self, chat_id: int) -> LocalChat:
        """A chat as registered, else by its id's sign: users are private, groups negative."""
        known = self.chat_types.get(chat_id)
        if known is not None:
            return known
        return LocalChat(id=chat_id, type="private" if chat_id > 0 else "supergroup")

    def keep(self, message: LocalMessage) -> LocalMessage:
        if self.keep_messages:
            self.log(message.chat_id).messages[message.message_id] = message
        return message

    def find(self, chat_id: int | None, message_id: int | None) -> LocalMessage | None:
        if chat_id is None or message_id is None:
            return None
        log = self.chats.get(chat_id)
        found = log.messages.get(message_id) if log is not None else None
        return None if found is None or found.deleted else found

    def message_json(self, local: LocalMessage, from_user: User | None = None) -> dict[str, Any]:
        """The message as Telegram's JSON, except that the sender and the keyboard stay
        aiogram objects: the in-process session validates this dict without revalidating
        them (a keyboard is most of a message's parsing cost), the server dumps them."""
        message: dict[str, Any] = {
            "message_id": local.message_id,
            "date": local.date,
            "chat": self.chat(local.chat_id).as_json(),
            "from": from_user or local.sender or self._bot_user,
        }
        if local.kind == "text":
            message["text"] = local.text
        elif local.text:
            message["caption"] = local.text
        if local.kind == "document" and local.file_id is not None:
            document: dict[str, Any] = {"file_id": local.file_id, "file_unique_id": local.file_id}
            if local.filename is not None:
                document["file_name"] = local.filename
            if local.file_content is not None:
                document["file_size"] = len(local.file_content)
            message["document"] = document
        elif local.kind == "photo" and local.file_id is not None:
            size = len(local.file_content or b"")
            message["photo"] = [
                {
                    "file_id": local.file_id,
                    "file_unique_id": local.file_id,
                    "width": 640,
                    "height": 480,
                    "file_size": size,
                }
            ]
        if local.markup is not None:
            message["reply_markup"] = local.markup
        if local.thread_id is not None:
            message["message_thread_id"] = local.thread_id
        if local.edit_date is not None:
            message["edit_date"] = local.edit_date
        return message

    def as_message(self, local: LocalMessage, from_user: User | None = None) -> Message:
        return Message.model_validate(self.message_json(local, from_user))

    # -- forced failures ------------------------------------------------------------------
    def fail(
        self,
        error: ErrorFactory,
        *,
        method: str | None = None,
        chat_id: int | None = None,
        times: int | None = 1,
    ) -> None:
        self.failures.append(Failure(method, chat_id, error, times))

    def take_failure(self, method: str, chat_id: int | None) -> Failure | None:
        for failure in self.failures:
            if failure.matches(method, chat_id):
                if failure.times is not None:
                    failure.times -= 1
                    if failure.times <= 0:
                        self.failures.remove(failure)
                return failure
        return None

    # -- the Bot API ----------------------------------------------------------------------
    def answer(self, method: TelegramMethod[Any]) -> Any:
        """A forced failure for this call if one matches, else Telegram's answer."""
        if self.failures:
            failure = self.take_failure(
                method.__api_method__, chat_id_of(getattr(method, "chat_id", None))
            )
            if failure is not None:
                raise failure.error(method)
        return self.respond(method)

    def respond(self, method: TelegramMethod[Any]) -> Any:
        """The `result` Telegram answers (JSON, but for the aiogram objects `message_json`
        keeps), or `ApiError` as it refuses."""
        answer = self._answers.get(type(method))
        if answer is not None:
            return answer(method)
        api = method.__api_method__
        if api.startswith("send") and hasattr(method, "chat_id"):
            kind = api.removeprefix("send").lower()
            text = getattr(method, "text", None) or getattr(method, "caption", None) or ""
            return self.message_json(self._store(method, kind, text))
        if method.__returning__ is bool:
            return True
        raise NotImplementedError(f"the fake Telegram does not emulate {api}")

    def _store(self, method: Any, kind: str, text: str) -> LocalMessage:
        chat_id = chat_id_of(method.chat_id)
        if chat_id is None:
            raise ApiError(400, "Bad Request: chat not found")
        markup = getattr(method, "reply_markup", None)
        return self.keep(
            LocalMessage(
                message_id=self.new_message_id(),
                chat_id=chat_id,
                text=text,
                markup=markup if isinstance(markup, InlineKeyboardMarkup) else None,
                thread_id=getattr(method, "message_thread_id", None),
                kind=kind,
            )
        )

    def _send_message(self, method: SendMessage) -> dict[str, Any]:
        if not method.text.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        if len(method.text) > MAX_TEXT:
            raise ApiError(400, "Bad Request: message is too long")
        return self.message_json(self._store(method, "text", method.text))

    def _send_file(self, method: Any, kind: str, upload: Any) -> dict[str, Any]:
        local = self._store(method, kind, method.caption or "")
        local.file_id = f"{kind}-{self.new_message_id()}"
        if isinstance(upload, str):  # a file_id already on "Telegram"
            local.file_content = self.files.get(upload)
        else:
            local.filename = getattr(upload, "filename", None)
            local.file_content = getattr(upload, "data", None)
        if local.file_content is not None and self.keep_messages:
            self.files[local.file_id] = local.file_content
        return self.message_json(local)

    def _send_document(self, method: SendDocument) -> dict[str, Any]:
        return self._send_file(method, "document", method.document)

    def _send_photo(self, method: SendPhoto) -> dict[str, Any]:
        return self._send_file(method, "photo", method.photo)

    def _source(self, method: CopyMessage | ForwardMessage, verb: str) -> LocalMessage | None:
        source = self.find(chat_id_of(method.from_chat_id), method.message_id)
        if source is None and self.keep_messages:
            raise ApiError(400, f"Bad Request: message to {verb} not found")
        return source

    def _copy_message(self, method: CopyMessage) -> dict[str, Any]:
        source = self._source(method, "copy")
        text = method.caption if method.caption is not None else (source.text if source else "")
        copy = self._store(method, source.kind if source else "copy", text)
        if source is not None:
            copy.file_id, copy.filename = source.file_id, source.filename
            copy.file_content = source.file_content
        return {"message_id": copy.message_id}

    def _forward_message(self, method: ForwardMessage) -> dict[str, Any]:
        source = self._source(method, "forward")
        forward = self._store(
            method, source.kind if source else "copy", source.text if source else ""
        )
        return self.message_json(forward)

    def _edit(
        self, method: EditMessageText | EditMessageCaption | EditMessageReplyMarkup
    ) -> dict[str, Any] | bool:
        if method.inline_message_id is not None:
            return True
        chat_id = chat_id_of(method.chat_id)
        local = self.find(chat_id, method.message_id)
        if local is None:
            if self.keep_messages or chat_id is None or method.message_id is None:
                raise ApiError(400, "Bad Request: message to edit not found")
            local = LocalMessage(message_id=method.message_id, chat_id=chat_id, text="")
        new_text = getattr(method, "text", None) or getattr(method, "caption", None)
        new_markup = (
            method.reply_markup if isinstance(method.reply_markup, InlineKeyboardMarkup) else None
        )
        if (new_text is None or new_text == local.text) and new_markup == local.markup:
            raise ApiError(400, NOT_MODIFIED)
        if new_text is not None:
            local.text = new_text
        local.markup = new_markup
        local.edit_date = int(time.time())
        return self.message_json(local)

    def _delete_message(self, method: DeleteMessage) -> bool:
        local = self.find(chat_id_of(method.chat_id), method.message_id)
        if local is not None:
            local.deleted = True
        elif self.keep_messages:
            raise ApiError(400, "Bad Request: message to delete not found")
        return True

    def _create_forum_topic(self, method: CreateForumTopic) -> dict[str, Any]:
        return {"message_thread_id": next(self._topics), "name": method.name, "icon_color": 7322096}

    def _get_file(self, method: GetFile) -> dict[str, Any]:
        return {
            "file_id": method.file_id,
            "file_unique_id": method.file_id,
            "file_path": method.file_id,
            "file_size": len(self.files.get(method.file_id, b"")),
        }
