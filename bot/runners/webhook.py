"""Webhook mode: Telegram POSTs each update to WEBHOOK_URL; a TLS reverse proxy (nginx,
Caddy) passes it to this aiohttp server on WEBHOOK_HOST:WEBHOOK_PORT at WEBHOOK_PATH, which
also serves /healthz and /metrics.

aiogram's `SimpleRequestHandler` checks the secret token and feeds the dispatcher; ours also
logs a refused request (never its body) and answers 400 to a body that is not an Update,
where aiogram's would answer 500 (bad JSON) or accept it and fail in a background task.
"""

from __future__ import annotations

import asyncio
import json
import logging
import signal
from collections.abc import Callable
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.methods import TelegramMethod
from aiogram.types import Update
from aiogram.webhook.aiohttp_server import SimpleRequestHandler, setup_application
from aiohttp import web

from bot.app import App
from bot.runners.monitoring import add_monitoring_routes, listening_url
from bot.runners.polling import register_menus, sender_duties

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
# Updates being handled when a stop comes get this long to finish.
DRAIN_SECONDS = 10.0


class CheckedRequestHandler(SimpleRequestHandler):
    def __init__(self, dispatcher: Dispatcher, bot: Bot, secret_token: str, **data: Any) -> None:
        super().__init__(
            dispatcher, bot, handle_in_background=True, secret_token=secret_token, **data
        )

    async def handle(self, request: web.Request) -> web.Response:
        if not self.verify_secret(request.headers.get(SECRET_HEADER, ""), self.bot):
            log.warning(
                "webhook: refused a request from %s without the right secret token",
                request.remote,
            )
            return web.Response(status=401, text="Unauthorized")
        body = await request.read()
        try:
            update = Update.model_validate(json.loads(body), context={"bot": self.bot})
        except ValueError as error:  # bad JSON, bad UTF-8, or JSON that is not an Update
            log.warning(
                "webhook: refused a malformed update (%d bytes): %s",
                len(body),
                type(error).__name__,
            )
            return web.Response(status=400, text="Bad Request")
        # Answered at once: Telegram waits for nothing, and a slow handler holds up no one.
        task = asyncio.create_task(self._feed(update))
        self._background_feed_update_tasks.add(task)
        task.add_done_callback(self._background_feed_update_tasks.discard)
        return web.json_response({})

    async def _feed(self, update: Update) -> None:
        try:
            result = await self.dispatcher.feed_update(self.bot, update, **self.data)
            if isinstance(result, TelegramMethod):
                await self.dispatcher.silent_call_request(bot=self.bot, result=result)
        except Exception:  # the error router answers handler errors; this is anything else
            log.exception("webhook: update %s could not be handled", update.update_id)

    async def close(self) -> None:
        """At shutdown: let the updates being handled finish (the app closes the session)."""
        tasks = set(self._background_feed_update_tasks)
        if tasks:
            _, late = await asyncio.wait(tasks, timeout=DRAIN_SECONDS)
            for task in late:
                task.cancel()


def build_webhook_app(app: App) -> web.Application:
    settings = app.settings
    assert settings.webhook_secret is not None  # settings refuse a webhook without one
    web_app = web.Application()
    CheckedRequestHandler(
        app.dispatcher, app.bot, secret_token=settings.webhook_secret.get_secret_value()
    ).register(web_app, path=settings.webhook_path)
    setup_application(web_app, app.dispatcher, bot=app.bot)
    add_monitoring_routes(web_app, app)
    return web_app


async def serve_webhook(
    app: App,
    *,
    stop: asyncio.Event | None = None,
    on_listening: Callable[[str], None] | None = None,
) -> None:
    """Listen, point Telegram's webhook here, serve until SIGINT/SIGTERM (or until `stop`
    is set: how tests stop it), and close the app. The webhook stays set at the stop, so
    Telegram keeps the updates of a restart and delivers them when we are back."""
    settings = app.settings
    assert settings.webhook_url is not None
    assert settings.webhook_secret is not None
    if stop is None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
    runner = web.AppRunner(build_webhook_app(app), access_log=None)
    duties = sender_duties(app)  # scheduler and delivery, while this process holds the lease
    try:
        await register_menus(app)
        await duties.start()
        await runner.setup()
        await web.TCPSite(runner, settings.webhook_host, settings.webhook_port).start()
        url = listening_url(runner)
        log.info("webhook: listening at %s%s", url, settings.webhook_path)
        await app.bot.set_webhook(
            settings.webhook_url,
            secret_token=settings.webhook_secret.get_secret_value(),
            allowed_updates=app.dispatcher.resolve_used_update_types(),
            drop_pending_updates=False,
        )
        log.info("webhook: Telegram sends updates to %s", settings.webhook_url)
        if on_listening is not None:
            on_listening(url)
        await stop.wait()
    finally:
        await runner.cleanup()  # the updates being handled finish first
        await duties.stop(settings.shutdown_grace_seconds)
        await app.close()
