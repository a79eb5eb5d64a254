"""One router per feature; `build_routers` orders them (fallback last)."""

from __future__ import annotations

from aiogram import Router


def build_routers() -> list[Router]:
    from bot.handlers import (
        browse,
        common,
        errors,
        fallback,
        faq_admin,
        my,
        search,
        settings,
        start,
        tickets,
        work_chat,
    )
    from bot.handlers.admin import build_admin_routers

    # Handler routers are module singletons; a fresh dispatcher per process (or test)
    # needs them detached from a previous one.
    routers = [
        errors.router,
        # Staff first: an admin inside a wizard types free text that search would otherwise take.
        *build_admin_routers(),
        start.router,
        settings.router,
        browse.router,
        common.router,
        work_chat.router,  # only the coordinators' chat (COORDINATORS_CHAT_ID)
        faq_admin.router,
        faq_admin.refusals,
        tickets.router,  # before search: messages of an open question must not be searched
        search.router,
        my.router,
        fallback.router,
    ]
    for router in routers:
        router._parent_router = None
    return routers
