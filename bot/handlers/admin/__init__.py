"""The admin desk: one staff router (the role is checked once, at its door, for every message
and callback) holding the feature routers, and a refusal router right after it."""

from __future__ import annotations

from aiogram import Router

from bot.domain.roles import Role
from bot.filters import PRIVATE, staff_router


def build_admin_routers() -> list[Router]:
    from bot.handlers.admin import broadcast, catalogue, imports, refusal, roles, stats, wizard

    desk = staff_router("admin_desk", Role.ADMIN)
    desk.message.filter(PRIVATE)
    children = [
        wizard.router,
        roles.router,
        catalogue.router,
        imports.router,
        stats.router,
        broadcast.router,
    ]
    for router in (*children, refusal.router):
        router._parent_router = None  # module singletons: a fresh dispatcher re-attaches them
    desk.include_routers(*children)
    return [desk, refusal.router]
