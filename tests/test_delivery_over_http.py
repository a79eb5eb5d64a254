"""The delivery service over real HTTP against the Bot API stand-in: Telegram's own 429
and 403 answers travel through aiogram's session and error mapping."""

from __future__ import annotations

from pathlib import Path

from bot.app import create_app
from bot.clock import FakeClock
from bot.db.users import UsersRepo
from bot.domain.pushes import NewPush, PushState
from bot.fake_telegram.server import StandInBotAPI
from tests.conftest import NOW, make_settings
from tests.test_delivery import make_users, note_composer


async def test_over_http_a_429_delays_a_push_and_a_403_deactivates_its_student(
    tmp_path: Path,
) -> None:
    async with StandInBotAPI(forbidden_chats={7002}) as api:
        api.fail(
            "sendMessage",
            status=429,
            description="Too Many Requests: retry after 3",
            chat_id=7001,
            times=1,
            retry_after=3,
        )
        clock = FakeClock(NOW)
        settings = make_settings(tmp_path, bot_api_url=api.url, bot_token="123456:TEST")
        app = await create_app(settings, clock=clock)
        try:
            delivery = app.services.delivery
            delivery.register("note", note_composer)
            await make_users(app, range(7000, 7003))
            await delivery.enqueue([NewPush(u, "note", clock.now()) for u in range(7000, 7003)])

            stats = await delivery.run_due()

            assert (stats.sent, stats.rate_limited, stats.deactivated) == (2, 1, 1)
            assert (clock.now() - NOW).total_seconds() >= 3  # waited retry_after, on the fake clock
            delivered = {int(r.params["chat_id"]) for r in api.calls("sendMessage") if r.ok}
            assert delivered == {7000, 7001}
            assert not (await UsersRepo(app.db).get(7002)).is_active
            states = {p.user_id: p.state for p in await delivery.outbox.list(kind="note")}
            assert states == {7000: PushState.SENT, 7001: PushState.SENT, 7002: PushState.FAILED}
        finally:
            await app.close()
