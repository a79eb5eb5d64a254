"""One router per feature, made fresh for each dispatcher; `get_routers` orders them
(fallback last)."""

from __future__ import annotations

from aiogram import Router

from bot.handlers import (
    admin,
    browse,
    common,
    deep_link,
    eligibility,
    errors,
    fallback,
    faq_admin,
    inline,
    my,
    privacy,
    search,
    settings,
    start,
    tickets,
    time_zone,
    work_chat,
)


def get_routers(coordinators_chat_id: int | None) -> list[Router]:
    staff_desk, staff_refusals = admin.get_routers()
    faq_desk, faq_refusals = faq_admin.get_routers()
    coordinators = (
        [] if coordinators_chat_id is None else [work_chat.get_router(coordinators_chat_id)]
    )
    return [
        # Staff first: an admin inside a wizard types free text that search would otherwise take.
        staff_desk,
        deep_link.get_router(),  # /start c<id> before the plain /start
        start.get_router(),
        inline.get_router(),  # messages sent via the bot itself are cards, never searches
        eligibility.get_router(),  # its /settings item before settings' own; before search
        settings.get_router(),
        browse.get_router(),
        common.get_router(),
        privacy.get_router(),
        *coordinators,  # only the coordinators' chat (COORDINATORS_CHAT_ID)
        faq_desk,
        time_zone.get_router(),  # before tickets and search: "Cancel" under the location button
        tickets.get_router(),  # before search: messages of an open question must not be searched
        search.get_router(),
        my.get_router(),
        # Refusals of staff commands and buttons: no student router takes those, so they wait
        # here rather than be checked first on every student update.
        staff_refusals,
        faq_refusals,
        fallback.get_router(),
        errors.get_router(),  # error events reach it wherever they were raised
    ]
