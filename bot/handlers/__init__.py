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
    staff_desk, staff_refusals = build_admin_routers()
    routers = [
        # Staff first: an admin inside a wizard types free text that search would otherwise take.
        staff_desk,
        start.router,
        settings.router,
        browse.router,
        common.router,
        work_chat.router,  # only the coordinators' chat (COORDINATORS_CHAT_ID)
        faq_admin.router,
        tickets.router,  # before search: messages of an open question must not be searched
        search.router,
        my.router,
        # Refusals of staff commands and buttons: no student router takes those, so they wait
        # here rather than be checked first on every student update.
        staff_refusals,
        faq_admin.refusals,
        fallback.router,
        errors.router,  # error events reach it wherever they were raised
    ]
    for router in routers:
        router._parent_router = None
    return routers
