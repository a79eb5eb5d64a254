"""SIGTERM to a real `python -m bot` in the middle of a broadcast: it stops taking updates,
lets the sends in flight finish, releases the sender lease and exits 0; after a restart
every student has the broadcast exactly once.

The restart runs in this process (create_app puts back what a stop left in flight, then the
delivery sends the rest): the same code as a second `python -m bot`, without paying its
start-up again (importing aiogram alone takes seconds)."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import sys
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from bot.app import create_app
from bot.config import Settings
from bot.domain.pushes import NewPush
from bot.fake_telegram.server import StandInBotAPI
from bot.runners.polling import serve_polling
from tests.conftest import ADMIN_ID, make_settings
from tests.test_delivery import make_users

TOKEN = "123456:TEST"
STUDENTS = range(7100, 7140)
RATE = 10  # messages a second: the broadcast takes about 4 s


def copies(api: StandInBotAPI) -> list[int]:
    return [int(r.params["chat_id"]) for r in api.calls("copyMessage") if r.ok]


async def queue_broadcast(database: Path, api: StandInBotAPI) -> None:
    app = await create_app(settings_for(database, api))  # the system clock, as the bot's
    try:
        await make_users(app, STUDENTS)
        delivery = app.services.delivery
        # The admin's message, as Telegram keeps it (a broadcast copies it to every student).
        message = api.message_update(ADMIN_ID, "Deadline news")["message"]
        job = await delivery.create_job(
            "broadcast", {"from_chat": ADMIN_ID, "message_id": message["message_id"]}
        )
        now = app.clock.now()
        await delivery.enqueue([NewPush(u, "broadcast", now, slot=job) for u in STUDENTS], job)
    finally:
        await app.close()


def settings_for(database: Path, api: StandInBotAPI) -> Settings:
    return make_settings(database.parent, bot_token=TOKEN, bot_api_url=api.url)


@asynccontextmanager
async def bot_process(
    database: Path, api: StandInBotAPI
) -> AsyncIterator[asyncio.subprocess.Process]:
    env = {
        **os.environ,
        "BOT_TOKEN": TOKEN,
        "BOT_API_URL": api.url,
        "DATABASE_PATH": str(database),
        "ADMIN_IDS": str(ADMIN_ID),
        "DELIVERY_RATE": str(RATE),
        "DISPATCH_INTERVAL_SECONDS": "1",
        "SOURCE_WATCH_ENABLED": "false",
        "LOG_LEVEL": "INFO",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        env=env,
        cwd=database.parent,  # no .env there
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        yield process
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def stop(process: asyncio.subprocess.Process) -> tuple[int, str]:
    process.send_signal(signal.SIGTERM)
    assert process.stderr is not None
    log = await asyncio.wait_for(process.stderr.read(), 60)
    return await asyncio.wait_for(process.wait(), 60), log.decode()


def outbox_states(database: Path) -> Counter[str]:
    conn = sqlite3.connect(database)
    try:
        return Counter(state for (state,) in conn.execute("SELECT state FROM outbox"))
    finally:
        conn.close()


async def test_sigterm_mid_broadcast_exits_0_and_after_a_restart_each_push_went_once(
    tmp_path: Path,
) -> None:
    database = tmp_path / "imkon.sqlite3"
    async with StandInBotAPI(token=TOKEN, latency=0.2) as api:
        await queue_broadcast(database, api)

        async with bot_process(database, api) as first:
            await api.wait_for("copyMessage", predicate=lambda _: len(copies(api)) >= 8, timeout=60)
            code, log = await stop(first)
        assert code == 0, log
        assert "sender lease released" in log
        sent_before_restart = copies(api)
        assert len(sent_before_restart) < len(STUDENTS)  # it was stopped mid-run
        states = outbox_states(database)
        assert states["sending"] == 0  # the sends in flight finished and were recorded
        assert states["sent"] == len(sent_before_restart)

        restarted = await create_app(settings_for(database, api))
        try:
            assert await restarted.services.lease.refresh()  # released: no wait for expiry
            await restarted.services.delivery.run_due()
        finally:
            await restarted.close()

    received = Counter(copies(api))
    assert sorted(received) == list(STUDENTS)
    assert set(received.values()) == {1}  # nothing lost, nothing twice
    assert outbox_states(database) == {"sent": len(STUDENTS)}


async def test_a_stop_lets_the_update_being_handled_answer_before_the_session_closes(
    tmp_path: Path,
) -> None:
    async with StandInBotAPI(token=TOKEN, latency=0.3) as api:
        app = await create_app(settings_for(tmp_path / "imkon.sqlite3", api))
        serving = asyncio.create_task(serve_polling(app, handle_signals=False))
        await api.wait_for("getUpdates", timeout=60)
        api.push_update(api.message_update(7200, "/start", first_name="Aziza"))
        # The next poll confirms the update: its handler is running now.
        await api.wait_for("getUpdates", predicate=lambda r: r.params.get("offset") == "2")
        await app.dispatcher.stop_polling()
        await asyncio.wait_for(serving, 30)

    (greeting,) = api.calls("sendMessage", chat_id=7200)
    assert greeting.ok and "Imkon" in greeting.params["text"]
