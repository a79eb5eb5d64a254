"""GET /healthz and GET /metrics as a monitor sees them, over HTTP on 127.0.0.1: the small
server polling mode starts with HTTP_PORT set (the webhook server serves the same routes)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path

import aiohttp
import pytest
from aiogram.methods import SendMessage
from prometheus_client.parser import text_string_to_metric_families

from bot.__main__ import main
from bot.app import App, create_app
from bot.clock import FakeClock
from bot.config import Settings
from bot.domain.pushes import NewPush
from bot.fake_telegram import LocalSession, LocalTelegram, LocalUser
from bot.fake_telegram.server import StandInBotAPI
from bot.runners.monitoring import listening_url, start_monitoring_server
from bot.runners.polling import sender_duties, serve_polling
from bot.services.scheduler import stop_scheduler
from tests.conftest import NOW, make_settings, onboard
from tests.test_delivery import make_users, note_composer

TOKEN = "123456:TEST"


@asynccontextmanager
async def monitoring(app: App) -> AsyncIterator[str]:
    runner = await start_monitoring_server(app, "127.0.0.1", 0)
    try:
        yield listening_url(runner)
    finally:
        await runner.cleanup()


async def get(base: str, path: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as http, http.get(f"{base}{path}") as response:
        return response.status, await response.text()


async def health(base: str) -> tuple[int, dict]:
    status, text = await get(base, "/healthz")
    return status, json.loads(text)


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


@pytest.fixture
async def running(app: App) -> AsyncIterator[App]:
    """The app with its scheduler running, as a runner has it (jobs far apart: the test
    decides when pushes go out)."""
    duties = sender_duties(app)
    await duties.start()
    for job in app.scheduler.get_jobs():
        job.pause()
    yield app
    await duties.stop(0)


async def test_healthy_bot_answers_200_with_its_checks(running: App) -> None:
    async with monitoring(running) as base:
        status, body = await health(base)
    assert status == 200
    assert body["status"] == "ok" and body["failed"] == []
    assert body["checks"]["database"]["ok"] and body["checks"]["scheduler"]["ok"]


async def test_a_due_push_waiting_past_the_limit_fails_health(
    running: App, clock: FakeClock
) -> None:
    await make_users(running, range(5001, 5002))
    await running.services.delivery.enqueue([NewPush(5001, "note", clock.now())])
    async with monitoring(running) as base:
        clock.advance(minutes=15)  # HEALTH_MAX_PUSH_DELAY_MINUTES: still within
        assert (await health(base))[0] == 200
        clock.advance(minutes=1)
        status, body = await health(base)
    assert status == 503
    assert body["failed"] == ["outbox"]
    assert body["checks"]["outbox"]["oldest_due_seconds"] == 16 * 60


async def test_a_push_due_later_or_to_a_blocked_user_does_not_fail_health(
    running: App, clock: FakeClock
) -> None:
    await make_users(running, range(5001, 5003))
    await running.repos.users.set_active(5002, False)
    await running.services.delivery.enqueue(
        [
            NewPush(5001, "note", clock.now() + timedelta(hours=2)),
            NewPush(5002, "note", clock.now()),
        ]
    )
    clock.advance(hours=1)
    async with monitoring(running) as base:
        assert (await health(base))[0] == 200


async def test_a_stopped_scheduler_fails_health(running: App) -> None:
    async with monitoring(running) as base:
        stop_scheduler(running.scheduler)
        status, body = await health(base)
    assert status == 503
    assert body["failed"] == ["scheduler"]


async def test_metrics_count_updates_by_type_and_deliveries_by_outcome(
    running: App,
    telegram: LocalTelegram,
    student: LocalUser,
    session: LocalSession,
    clock: FakeClock,
) -> None:
    await onboard(telegram, student)  # /start, then four button presses
    await telegram.send(student, "/menu")
    delivery = running.services.delivery
    delivery.register("note", note_composer)
    await make_users(running, range(5001, 5004))
    session.fail_next(LocalSession.blocked(), method=SendMessage, chat_id=5002)
    session.fail_next(LocalSession.retry_after(3), method=SendMessage, chat_id=5003)
    await delivery.enqueue([NewPush(u, "note", clock.now()) for u in (5001, 5002, 5003)])
    await delivery.run_due()

    async with monitoring(running) as base:
        status, text = await get(base, "/metrics")
    assert status == 200
    found = samples(text)
    assert found[("imkon_updates_total", (("type", "message"),))] == 2
    assert found[("imkon_updates_total", (("type", "callback_query"),))] == 4
    assert found[("imkon_update_handling_seconds_count", (("type", "callback_query"),))] == 4
    assert found[("imkon_delivery_sends_total", (("outcome", "sent"),))] == 2
    assert found[("imkon_delivery_sends_total", (("outcome", "forbidden"),))] == 1
    assert found[("imkon_delivery_sends_total", (("outcome", "rate_limited"),))] == 1
    assert found[("imkon_outbox_pushes", (("kind", "note"), ("state", "sent")))] == 2
    assert found[("imkon_outbox_pushes", (("kind", "note"), ("state", "failed")))] == 1
    assert found[("imkon_outbox_oldest_due_seconds", ())] == 0


async def test_an_update_whose_handling_raises_is_counted_as_an_error(
    running: App, telegram: LocalTelegram, student: LocalUser, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("database is locked")

    monkeypatch.setattr(running.repos.users, "touch", broken)
    await telegram.send(student, "/start")

    async with monitoring(running) as base:
        found = samples((await get(base, "/metrics"))[1])
    assert found[("imkon_update_errors_total", (("error", "RuntimeError"),))] == 1
    assert found[("imkon_updates_total", (("type", "message"),))] == 1


async def test_the_ticket_queue_age_is_the_oldest_unanswered_ticket(
    running: App, clock: FakeClock
) -> None:
    await running.repos.tickets.open_ticket(100001, None, None, "en", clock.now())
    clock.advance(minutes=90)
    async with monitoring(running) as base:
        found = samples((await get(base, "/metrics"))[1])
    assert found[("imkon_ticket_queue_oldest_seconds", ())] == 90 * 60


async def test_two_apps_in_one_process_keep_their_own_metrics(
    app: App, telegram: LocalTelegram, student: LocalUser, tmp_path: Path
) -> None:
    other = await create_app(make_settings(tmp_path / "other"), clock=FakeClock(NOW))
    try:
        await telegram.send(student, "/start")
        assert app.metrics.registry is not other.metrics.registry
        async with monitoring(other) as base:
            found = samples((await get(base, "/metrics"))[1])
        assert ("imkon_updates_total", (("type", "message"),)) not in found
    finally:
        await other.close()


async def test_polling_with_http_port_serves_healthz_and_removes_a_leftover_webhook(
    tmp_path: Path,
) -> None:
    async with StandInBotAPI(token=TOKEN) as api:
        settings = make_settings(tmp_path, bot_token=TOKEN, bot_api_url=api.url, http_port=0)
        app = await create_app(settings, clock=FakeClock(NOW))
        listening: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        task = asyncio.create_task(
            serve_polling(app, handle_signals=False, on_listening=listening.set_result)
        )
        try:
            done, _ = await asyncio.wait(
                {task, listening}, timeout=10, return_when=asyncio.FIRST_COMPLETED
            )
            if task in done:
                await task
            assert listening.done(), "no health server while polling with HTTP_PORT set"
            status, body = await health(listening.result())
            assert status == 200 and body["status"] == "ok"
        finally:
            await api.wait_for("getUpdates", timeout=10)
            await app.dispatcher.stop_polling()
            await asyncio.wait_for(task, 10)
        (deleted,) = api.calls("deleteWebhook")
        assert deleted.params.get("drop_pending_updates") in (None, False, "false", "False")


def test_webhook_url_without_a_secret_refuses_to_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)  # no .env here
    monkeypatch.setenv("BOT_TOKEN", TOKEN)
    monkeypatch.setenv("WEBHOOK_URL", "https://imkon.example/telegram/webhook")
    monkeypatch.delenv("WEBHOOK_SECRET", raising=False)

    assert main(["run"]) == 1
    error = capsys.readouterr().err
    assert "Cannot start" in error and "WEBHOOK_SECRET is required" in error


def test_a_webhook_secret_telegram_would_refuse_is_refused_here(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="WEBHOOK_SECRET must be"):
        make_settings(tmp_path, webhook_url="https://imkon.example/hook", webhook_secret="a b")
    settings: Settings = make_settings(
        tmp_path, webhook_url="https://imkon.example/hook", webhook_secret="ok_Secret-1"
    )
    assert settings.webhook_host == "127.0.0.1" and settings.webhook_port == 8080
