"""GET /healthz and GET /metrics over aiohttp: on the webhook's server in webhook mode, on a
small server of their own in polling mode when HTTP_PORT is set."""

from __future__ import annotations

import logging
from datetime import timedelta

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST

from bot.app import App
from bot.services.health import check_health

log = logging.getLogger(__name__)

APP_KEY = web.AppKey("imkon_app", App)


async def healthz(request: web.Request) -> web.Response:
    app = request.app[APP_KEY]
    report = await check_health(
        app.repos.monitoring,
        app.scheduler,
        app.clock,
        timedelta(minutes=app.settings.health_max_push_delay_minutes),
    )
    if not report.ok:
        log.warning("health: failing %s", report.as_json()["failed"])
    return web.json_response(report.as_json(), status=200 if report.ok else 503)


async def metrics(request: web.Request) -> web.Response:
    app = request.app[APP_KEY]
    now = app.clock.now()
    body = app.metrics.render(await app.repos.monitoring.snapshot(now), now)
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})


def add_monitoring_routes(web_app: web.Application, app: App) -> None:
    web_app[APP_KEY] = app
    web_app.router.add_get("/healthz", healthz)
    web_app.router.add_get("/metrics", metrics)


def listening_url(runner: web.AppRunner) -> str:
    """http://host:port of the first address `runner` listens on (the port chosen when 0)."""
    host, port = runner.addresses[0][:2]
    return f"http://{host}:{port}"


async def start_monitoring_server(app: App, host: str, port: int) -> web.AppRunner:
    web_app = web.Application()
    add_monitoring_routes(web_app, app)
    runner = web.AppRunner(web_app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    log.info("health and metrics at %s/healthz and /metrics", listening_url(runner))
    return runner
