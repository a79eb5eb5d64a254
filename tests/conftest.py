"""Fixtures: a real app (dispatcher, handlers, SQLite file, seed catalogue) over a local
stand-in for the Bot API, a fake clock, and users who type and press buttons."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.app import App, create_app
from bot.clock import FakeClock
from bot.config import Settings
from bot.fake_telegram import LocalSession, LocalTelegram, LocalUser

TASHKENT = ZoneInfo("Asia/Tashkent")
# The seed catalogue's deadlines are real dates; tests look at it from this moment.
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=TASHKENT)
ADMIN_ID = 900001


def make_settings(tmp_path: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "bot_token": None,
        "database_path": tmp_path / "imkon.sqlite3",
        "admin_ids": str(ADMIN_ID),
        "default_locale": "uz",
        "timezone": "Asia/Tashkent",
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[arg-type]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(NOW)


@pytest.fixture
def session() -> LocalSession:
    return LocalSession()


@pytest.fixture
async def app(settings: Settings, clock: FakeClock, session: LocalSession) -> AsyncIterator[App]:
    app = await create_app(settings, clock=clock, session=session)
    yield app
    await app.close()


@pytest.fixture
def telegram(app: App, session: LocalSession) -> LocalTelegram:
    return LocalTelegram(app.bot, app.dispatcher, session)


@pytest.fixture
def student() -> LocalUser:
    return LocalUser(id=100001, first_name="Aziza", username="aziza", language_code="uz")


@pytest.fixture
def admin() -> LocalUser:
    return LocalUser(id=ADMIN_ID, first_name="Dilnoza", username="io_admin", language_code="ru")


async def onboard(
    telegram: LocalTelegram,
    user: LocalUser,
    language: str = "English",
    level: str = "Master",
    fields: tuple[str, ...] = ("ICT",),
) -> None:
    """The 4-tap path: /start, language, level, field(s), Done."""
    await telegram.send(user, "/start")
    await telegram.press(user, language)
    await telegram.press(user, level)
    for field in fields:
        await telegram.press(user, field)
    await telegram.press(user, FIELDS_DONE[language])


FIELDS_DONE = {"English": "Done", "Русский": "Готово", "O‘zbekcha": "Tayyor", "Ўзбекча": "Тайёр"}
