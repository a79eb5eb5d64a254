"""Every filter and handler runs on the event loop.

aiogram sends a plain callable (a bare `F...` expression, a sync function) to a worker thread
on every update it is checked for; wrapped in `bot.filters.Magic` or written `async`, it
stays a function call. One such filter on a router every student message crosses cost more
than the handler behind it.
"""

from __future__ import annotations

from aiogram import F, Router

from bot.app import App
from bot.fake_telegram import LocalChat, LocalTelegram, LocalUser


def _off_loop(app: App) -> list[str]:
    found = []
    for router in app.dispatcher.chain_tail:
        for name, observer in router.observers.items():
            checks = [("router filter", f) for f in observer._handler.filters or []]
            for handler in observer.handlers:
                if not handler.awaitable:
                    found.append(f"{router.name}.{name}: handler {handler.callback!r}")
                checks += [(handler.callback.__name__, f) for f in handler.filters or []]
            for where, check in checks:
                if not check.awaitable:
                    found.append(f"{router.name}.{name} {where}: {check.callback!r}")
    return found


def test_no_filter_or_handler_leaves_the_event_loop(app: App) -> None:
    assert _off_loop(app) == []


def test_the_guard_catches_a_bare_magic_filter(app: App) -> None:
    stray = Router(name="stray")
    stray.message.filter(F.chat.type == "private")
    app.dispatcher.include_router(stray)
    assert _off_loop(app) == [
        f"stray.message router filter: {stray.message._handler.filters[0].callback!r}"
    ]


async def test_wrapped_filters_still_decide(telegram: LocalTelegram) -> None:
    """`Magic` keeps F's meaning: /help in a private chat is answered, in a group it is not."""
    student = LocalUser(id=5150)
    await telegram.send(student, "/help")
    assert telegram.last_bot_text(student.id)
    group = LocalChat(id=-100777, type="supergroup")
    sent = await telegram.send(student, "/help", chat=group)
    assert sent == []
