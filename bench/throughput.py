"""Updates handled per second: the full bot versus a bare aiogram echo bot, same run.

Both dispatchers get their updates through `LocalTelegram` over a `LocalSession` (no
network), one after another; only the time spent inside `Dispatcher.feed_update` is counted,
so building the test updates costs neither side anything.

The full bot gets realistic journeys across many users and all four languages: /start,
language, level, two fields, Done (matching calls), open a card, back to the list, a search
in Latin or Cyrillic, /menu, and a returning /start. The echo bot answers the same number of
text messages with their text.

A third dispatcher shows the floor of the goal: a bot that does only what most of the
journey's updates must (a button press answered with an edit and `answerCallbackQuery`, and
the choice written to SQLite through the same `Database`), with no routing, reading or
rendering at all.
"""

from __future__ import annotations

import itertools
import logging
import random
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from aiogram import Bot, Dispatcher, Router
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update

from bot.app import build_bot, create_app
from bot.clock import FakeClock
from bot.config import Settings
from bot.db.connection import Database
from bot.db.users import UsersRepo
from bot.fake_telegram import LocalSession, LocalTelegram, LocalUser
from bot.keyboards.callbacks import FieldCb, FieldsDoneCb, LangCb, LevelCb

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=ZoneInfo("Asia/Tashkent"))
LOCALES = ("uz", "uz_Cyrl", "ru", "en")
SEARCHES = ("erasmus", "магистратура", "stipendiya", "Германия", "o‘qish", "fulbright", "DAAD")
LEVELS = ("bachelor", "master", "doctoral")
FIELDS = ("01", "02", "03", "04", "05", "06", "07", "09")


class TimedTelegram(LocalTelegram):
    """LocalTelegram that adds up the time the dispatcher spends on each update."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.busy = 0.0
        self.cpu = 0.0
        self.updates = 0

    def mark(self) -> tuple[int, float, int, float]:
        """Where the counters stand: updates, busy seconds, Bot API calls, CPU seconds."""
        return self.updates, self.busy, len(self.session.requests), self.cpu

    def rate_since(self, mark: tuple[int, float, int, float]) -> Rate:
        updates, busy, calls, cpu = mark
        return Rate(
            self.updates - updates,
            self.busy - busy,
            len(self.session.requests) - calls,
            self.cpu - cpu,
        )

    async def _feed(self, update: Update) -> list[Any]:
        start = len(self.session.requests)
        began, cpu = time.perf_counter(), time.process_time()
        await self.dp.feed_update(self.bot, update, **self.data)
        self.busy += time.perf_counter() - began
        self.cpu += time.process_time() - cpu
        self.updates += 1
        return self.session.requests[start:]


@dataclass
class Rate:
    updates: int
    seconds: float
    api_calls: int
    # This process's CPU time (all its threads, aiosqlite's included): unlike `seconds`, it
    # hardly grows when other jobs share the machine, so it tells the cost of an update.
    cpu_seconds: float = 0.0

    @property
    def per_second(self) -> float:
        return self.updates / self.seconds if self.seconds else 0.0

    @property
    def cpu_ms(self) -> float:
        """CPU milliseconds per update."""
        return self.cpu_seconds / self.updates * 1000 if self.updates else 0.0


def _button_data(telegram: LocalTelegram, chat_id: int, prefix: str) -> str | None:
    message = telegram.last_keyboard_message(chat_id)
    if message is None:
        return None
    for button in message.buttons():
        if button.callback_data and button.callback_data.startswith(prefix):
            return button.callback_data
    return None


async def _journey(telegram: TimedTelegram, user: LocalUser, rng: random.Random) -> None:
    locale = LOCALES[user.id % len(LOCALES)]
    await telegram.send(user, "/start")
    await telegram.press_data(user, LangCb(code=locale).pack())
    await telegram.press_data(user, LevelCb(level=rng.choice(LEVELS)).pack())
    for field in rng.sample(FIELDS, 2):
        await telegram.press_data(user, FieldCb(code=field).pack())
    await telegram.press_data(user, FieldsDoneCb().pack())
    card = _button_data(telegram, user.id, "card:")
    if card is not None:
        await telegram.press_data(user, card)
        back = _button_data(telegram, user.id, "list:")
        if back is not None:
            await telegram.press_data(user, back)
    await telegram.send(user, rng.choice(SEARCHES))
    await telegram.send(user, "/menu")
    await telegram.send(user, "/start")  # a returning student


def echo_dispatcher() -> Dispatcher:
    router = Router(name="echo")

    @router.message()
    async def echo(message: Message) -> None:
        await message.answer(message.text or "")

    dp = Dispatcher()
    dp.include_router(router)
    return dp


def floor_dispatcher(db: Database) -> Dispatcher:
    """Press a button: the choice is written, the message edited, the press answered."""
    router = Router(name="floor")
    keyboard = InlineKeyboardMarkup(
        inline_keyboard=[
            [InlineKeyboardButton(text=f"{n}", callback_data=f"f:{n}")] for n in range(8)
        ]
    )
    presses = itertools.count()

    @router.callback_query()
    async def pressed(callback: CallbackQuery) -> None:
        await db.execute("UPDATE users SET fields_mask = ? WHERE id = ?", (next(presses) % 2048, 1))
        assert isinstance(callback.message, Message)
        await callback.message.edit_text(f"{callback.data} {next(presses)}", reply_markup=keyboard)
        await callback.answer()

    dp = Dispatcher()
    dp.include_router(router)
    return dp


@dataclass
class Result:
    full: Rate  # median round of the full bot
    echo: Rate  # median round of the echo bot
    floor: Rate  # median round of the press-and-write bot
    rounds: int

    @property
    def ratio(self) -> float:
        return self.full.per_second / self.echo.per_second

    @property
    def floor_ratio(self) -> float:
        return self.floor.per_second / self.echo.per_second

    @property
    def full_to_floor(self) -> float:
        """The goal's measure: the full bot against one that only writes, edits and answers."""
        return self.full.per_second / self.floor.per_second


def _median(rates: list[Rate]) -> Rate:
    return sorted(rates, key=lambda r: r.per_second)[len(rates) // 2]


async def run(users: int = 400, rounds: int = 5, seed: int = 7) -> Result:
    """`users` journeys in all, split into `rounds`; after each round of the full bot the
    echo bot handles as many updates. Rounds alternate so that a busy machine slows both."""
    logging.getLogger("aiogram").setLevel(logging.WARNING)
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory(prefix="imkon-bench-") as tmp:
        settings = Settings(
            _env_file=None,  # type: ignore[call-arg]
            bot_token=None,
            database_path=Path(tmp) / "throughput.sqlite3",
            admin_ids="900001",
        )
        session = LocalSession()
        app = await create_app(settings, clock=FakeClock(NOW), session=session)
        echo_session = LocalSession()
        echo_bot: Bot = build_bot(settings, echo_session)
        floor_session = LocalSession()
        floor_bot: Bot = build_bot(settings, floor_session)
        await UsersRepo(app.db).touch(1, "Floor", None, "en", NOW)
        floor_user = LocalUser(id=1)
        try:
            full = TimedTelegram(app.bot, app.dispatcher, session)
            echo = TimedTelegram(echo_bot, echo_dispatcher(), echo_session)
            floor = TimedTelegram(floor_bot, floor_dispatcher(app.db), floor_session)
            next_user = iter(range(200000, 300000))
            for _ in range(5):  # warm-up: imports, catalogues, first queries
                await _journey(full, LocalUser(id=next(next_user)), rng)
            for n in range(50):
                await echo.send(LocalUser(id=100 + n % 10), rng.choice(SEARCHES))
                await floor.press_data(floor_user, "f:1")
            full_rounds: list[Rate] = []
            echo_rounds: list[Rate] = []
            floor_rounds: list[Rate] = []
            per_round = max(1, users // rounds)
            for _ in range(rounds):
                before = full.mark()
                for _ in range(per_round):
                    user_id = next(next_user)
                    await _journey(full, LocalUser(id=user_id, first_name=f"S{user_id}"), rng)
                full_rounds.append(full.rate_since(before))
                before = echo.mark()
                for n in range(full_rounds[-1].updates):
                    user = LocalUser(id=200000 + n % 500, first_name="Student")
                    await echo.send(user, rng.choice(SEARCHES))
                echo_rounds.append(echo.rate_since(before))
                before = floor.mark()
                for n in range(full_rounds[-1].updates):
                    await floor.press_data(floor_user, f"f:{n % 8}")
                floor_rounds.append(floor.rate_since(before))
        finally:
            await echo_bot.session.close()
            await floor_bot.session.close()
            await app.close()
    return Result(_median(full_rounds), _median(echo_rounds), _median(floor_rounds), rounds)
