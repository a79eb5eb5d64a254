"""The local console chat: the real dispatcher, handlers and database, driven from a terminal.

Bot messages are printed with their buttons numbered; type a number to press one, or any
text to send it. Lines starting with ':' drive the console itself (see CONSOLE_HELP).
"""

from __future__ import annotations

import asyncio
import html
import math
import re
import sys
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TextIO

from aiogram.methods import CreateForumTopic, TelegramMethod
from aiogram.types import InlineQueryResultArticle

from bot.app import App
from bot.clock import Clock
from bot.fake_telegram import LocalChat, LocalSession, LocalTelegram, LocalUser

CONSOLE_HELP = """\
Console commands:
  <number>              press button <number> of the latest keyboard
  <any text>            send it as a message (commands like /start too)
  :as ID [NAME]         type as another Telegram user id (e.g. an admin id)
  :chat private         write in your private chat with the bot
  :chat ID [forum]      write in a group chat ID (negative id), optionally a forum
  :topic N              write inside forum topic N of the current group (:topic - to leave)
  :reply N              your next message replies to message N of the current chat
  :lang CODE            your Telegram app language (uz, ru, en…)
  :inline [TEXT]        inline mode: what `@bot TEXT` lists in any chat (:inline more: next page)
  :pick N               send inline result N into the current chat
  :start PAYLOAD        open a deep link, e.g. :start c12 (same as typing /start c12)
  :file PATH [caption]  send a file from disk as a document
  :photo [caption]      send a (fake) photo with a caption
  :location LAT LON     share a location (e.g. :location 48.14 11.58 for Munich)
  :time +3d | +5h       move the bot's clock forward (scheduled pushes run on the next tick)
  :show                 print the current chat again
  :help                 this help
  :quit                 leave (Ctrl-D works too)"""

_TAGS = re.compile(r"<[^>]+>")
_LINK = re.compile(r'<a href="([^"]+)">([^<]*)</a>')


def plain(text: str) -> str:
    """Telegram HTML to terminal text: links keep their address, other tags go."""
    text = _LINK.sub(lambda m: f"{m.group(2)} <{html.unescape(m.group(1))}>", text)
    return html.unescape(_TAGS.sub("", text))


class OffsetClock:
    """System time plus an offset the console user can move forward."""

    def __init__(self, base: Clock) -> None:
        self.base = base
        self.offset = timedelta()

    def now(self) -> datetime:
        return self.base.now() + self.offset


class Console:
    def __init__(
        self,
        app: App,
        session: LocalSession,
        clock: OffsetClock,
        out: TextIO = sys.stdout,
        on_tick: Callable[[], Awaitable[Any]] | None = None,
    ) -> None:
        self.app = app
        self.session = session
        self.clock = clock
        self.out = out
        self.on_tick = on_tick
        self.telegram = LocalTelegram(app.bot, app.dispatcher, session)
        self.user = LocalUser(id=100001, first_name="Aziza", username="aziza", language_code="uz")
        self.chat: LocalChat | None = None
        self.thread_id: int | None = None
        self.reply_to: int | None = None
        self.inline_results: list[InlineQueryResultArticle] = []
        self.inline_next: tuple[str, str] | None = None  # (query, offset) of the next page
        session.listeners.append(self._print_bot_action)

    @property
    def chat_id(self) -> int:
        return self.chat.id if self.chat else self.user.id

    def _print(self, text: str = "") -> None:
        print(text, file=self.out, flush=True)

    def _print_bot_action(self, method: TelegramMethod[Any], result: Any) -> None:
        api = method.__api_method__
        chat_id = getattr(method, "chat_id", None)
        where = "" if chat_id in (None, self.chat_id) else f" [to chat {chat_id}]"
        if api == "answerCallbackQuery":
            popup = getattr(method, "text", None)
            if popup:
                self._print(f"  (popup) {popup}")
            return
        message = None
        if chat_id is not None:
            message_id = getattr(result, "message_id", None) or getattr(method, "message_id", None)
            if message_id is not None:
                message = self.session.log(int(chat_id)).messages.get(message_id)
        if api in {
            "sendMessage",
            "editMessageText",
            "editMessageReplyMarkup",
            "editMessageCaption",
        }:
            label = "bot (edited)" if api.startswith("edit") else "bot"
            self._print(f"\n── {label}{where} " + "─" * 30)
            if message is not None:
                self._print(plain(message.text))
                self._print_buttons(message)
        elif api.startswith("send") or api in {"copyMessage", "forwardMessage"}:
            extra = f" {message.filename}" if message and message.filename else ""
            caption = plain(message.text) if message and message.text else ""
            self._print(f"\n── bot sent a {api.removeprefix('send').lower()}{extra}{where}")
            if caption:
                self._print(caption)
            if message is not None:
                self._print_buttons(message)
        elif isinstance(method, CreateForumTopic):
            self._print(
                f"  (new topic «{method.name}» #{getattr(result, 'message_thread_id', '?')})"
            )

    def _print_buttons(self, message: Any) -> None:
        for number, button in enumerate(message.buttons(), start=1):
            target = f" → {button.url}" if button.url else ""
            self._print(f"  [{number}] {button.text}{target}")

    async def handle_line(self, line: str) -> bool:
        """Act on one input line; False when the user wants to leave."""
        line = line.strip()
        if not line:
            return True
        if line.startswith(":"):
            return await self._meta(line)
        if line.isdecimal() and self.telegram.last_keyboard_message(self.chat_id) is not None:
            try:
                await self.telegram.press(self.user, int(line), self.chat)
            except LookupError as error:
                self._print(f"  ! {error}")
        else:
            await self.telegram.send(self.user, line, self.chat, **self._message_context())
        return True

    def _message_context(self) -> dict[str, Any]:
        """Topic and reply target for the next message the console user sends."""
        extra: dict[str, Any] = {}
        if self.thread_id is not None:
            extra["message_thread_id"] = self.thread_id
        if self.reply_to is not None:
            original = self.session.log(self.chat_id).messages.get(self.reply_to)
            if original is not None:
                extra["reply_to_message"] = self.session.as_message(original)
            self.reply_to = None
        return extra

    async def _meta(self, line: str) -> bool:
        command, _, rest = line[1:].partition(" ")
        rest = rest.strip()
        if command in {"quit", "q", "exit"}:
            return False
        if command == "help":
            self._print(CONSOLE_HELP)
        elif command == "as" and rest:
            uid, _, name = rest.partition(" ")
            self.user = LocalUser(
                id=int(uid),
                first_name=name or f"User{uid}",
                username=None,
                language_code=self.user.language_code,
            )
            self._print(f"  now typing as user {self.user.id} ({self.user.first_name})")
        elif command == "chat":
            parts = rest.split()
            if not parts or parts[0] == "private":
                self.chat, self.thread_id = None, None
                self._print("  now in your private chat with the bot")
            else:
                forum = len(parts) > 1 and parts[1] == "forum"
                self.chat = LocalChat(
                    id=int(parts[0]), type="supergroup", title="Work chat", is_forum=forum
                )
                self.thread_id = None
                self._print(f"  now in group {self.chat.id}{' (forum)' if forum else ''}")
        elif command == "topic":
            self.thread_id = None if rest in {"", "-"} else int(rest)
            self._print(f"  topic: {self.thread_id or 'general'}")
        elif command == "reply" and rest.isdecimal():
            self.reply_to = int(rest)
            self._print(f"  your next message replies to message {self.reply_to}")
        elif command == "lang" and rest:
            self.user.language_code = rest
            self._print(f"  Telegram language: {rest}")
        elif command == "file" and rest:
            path, _, caption = rest.partition(" ")
            content = await asyncio.to_thread(Path(path).read_bytes)
            await self.telegram.send_document(
                self.user,
                path.rsplit("/", 1)[-1],
                content,
                caption,
                self.chat,
                **self._message_context(),
            )
        elif command == "inline":
            await self._inline(rest)
        elif command == "pick" and rest.isdecimal():
            number = int(rest)
            if 1 <= number <= len(self.inline_results):
                await self.telegram.send_inline_result(
                    self.user, self.inline_results[number - 1], self.chat
                )
                self._print(f"  you sent result {number} via the bot")
            else:
                self._print("  no such result; :inline TEXT lists them")
        elif command == "start" and rest:
            await self.telegram.send(self.user, f"/start {rest}", self.chat)
        elif command == "location" and len(rest.split()) == 2:
            try:
                latitude, longitude = (float(part) for part in rest.split())
            except ValueError:
                latitude = longitude = math.nan
            if -90 <= latitude <= 90 and -180 <= longitude <= 180:
                await self.telegram.send_location(self.user, latitude, longitude)
            else:
                self._print("  ! a location is LAT LON in degrees: -90..90 and -180..180")
        elif command == "photo":
            await self.telegram.send_photo(self.user, rest, self.chat, **self._message_context())
        elif command == "time" and rest:
            self.clock.offset += _parse_offset(rest)
            self._print(f"  clock is now {self.clock.now():%Y-%m-%d %H:%M} UTC")
            if self.on_tick is not None:
                await self.on_tick()
        elif command == "show":
            for message in self.telegram.transcript(self.chat_id):
                who = "bot" if message.from_bot else "you"
                self._print(f"#{message.message_id} {who}: {plain(message.text)}")
        else:
            self._print("  unknown console command; :help lists them")
        return True

    async def _inline(self, text: str) -> None:
        if text == "more" and self.inline_next is not None:
            query, offset = self.inline_next
        else:
            query, offset = text, ""
        answer = await self.telegram.inline_query(self.user, query, offset)
        articles = [r for r in answer.results if isinstance(r, InlineQueryResultArticle)]
        self.inline_results = articles
        self.inline_next = (query, answer.next_offset) if answer.next_offset else None
        self._print(f"\n── inline results for «{query}» " + "─" * 20)
        if not articles:
            self._print("  (nothing found)")
        for number, article in enumerate(articles, start=1):
            self._print(f"  [{number}] {article.title}")
            if article.description:
                self._print(f"      {article.description}")
        more = "; :inline more for the next page" if self.inline_next else ""
        self._print(f"  :pick N sends one into this chat{more}")

    async def run(self, lines: Any = None) -> None:
        self._print("Imkon console. Type /start to begin, :help for console commands.")
        while True:
            if lines is None:
                self._print_prompt()
                line = await asyncio.to_thread(sys.stdin.readline)
                if not line:
                    break
            else:
                try:
                    line = next(lines)
                except StopIteration:
                    break
            if not await self.handle_line(line):
                break

    def _print_prompt(self) -> None:
        where = f"chat {self.chat.id}" if self.chat else "private"
        print(
            f"\n[{self.user.first_name} #{self.user.id} · {where}] > ",
            end="",
            file=self.out,
            flush=True,
        )


def _parse_offset(text: str) -> timedelta:
    match = re.fullmatch(r"\+?(\d+)([dhm])", text)
    if not match:
        raise ValueError("use +Nd, +Nh or +Nm")
    amount, unit = int(match.group(1)), match.group(2)
    return timedelta(**{{"d": "days", "h": "hours", "m": "minutes"}[unit]: amount})
