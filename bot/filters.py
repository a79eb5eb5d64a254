"""Server-side role checks. A staff router carries `HasRole(...)` as a router-level filter on
every event type, so a forged callback or a typed command from a student never reaches a
staff handler; the refusal is answered and logged by `refuse_staff_only`."""

from __future__ import annotations

import logging
from typing import Any

from aiogram import F, Router
from aiogram.filters import Filter
from aiogram.types import CallbackQuery, Message, TelegramObject, User
from aiogram.utils.magic_filter import MagicFilter

from bot.clock import Clock
from bot.db.roles import RolesRepo
from bot.domain.roles import Role
from bot.i18n import _

log = logging.getLogger(__name__)


class Magic(Filter):
    """An `F` expression checked on the event loop.

    aiogram runs a bare `F...` filter (a plain callable) through `asyncio.to_thread`: a trip
    to a worker thread per filter per update, which cost more than the handlers themselves
    (bench/throughput.py). Wrapped in this filter it is a function call. tests/test_routing.py
    fails on any filter or handler that would still leave the loop."""

    def __init__(self, magic: MagicFilter) -> None:
        self.magic = magic

    async def __call__(self, event: TelegramObject) -> Any:
        return self.magic.resolve(event)


PRIVATE = Magic(F.chat.type == "private")
# A button under a message of the private chat: the student's own screens. A press in a
# group (a stranger, a forged button) has no user row behind it and finds the fallback.
PRIVATE_PRESS = Magic(F.message.chat.type == "private")
NOT_A_COMMAND = Magic(~F.text.startswith("/"))


class HasRole(Filter):
    def __init__(self, role: Role) -> None:
        self.role = role

    async def __call__(
        self,
        event: TelegramObject,
        event_from_user: User | None = None,
        roles: RolesRepo | None = None,
    ) -> bool:
        if event_from_user is None or roles is None:
            return False
        return await roles.has(event_from_user.id, self.role)


def staff_router(name: str, role: Role) -> Router:
    """A router whose every message and callback handler requires `role`."""
    router = Router(name=name)
    router.message.filter(HasRole(role))
    router.callback_query.filter(HasRole(role))
    return router


async def refuse(
    event: Message | CallbackQuery, roles: RolesRepo, clock: Clock, action: Any
) -> None:
    """Answer a refused staff action plainly and record the attempt."""
    user = event.from_user
    if user is None:
        return
    log.warning("refused %s for user %s", action, user.id)
    await roles.record_denial(user.id, str(action), clock.now())
    text = _("Sorry, this is only for the international office staff.")
    if isinstance(event, CallbackQuery):
        await event.answer(text, show_alert=True)
    else:
        await event.answer(text)
