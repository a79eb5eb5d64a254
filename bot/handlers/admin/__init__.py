"""The admin desk: one staff router (the role is checked once, at its door, for every message
and callback) holding the feature routers, and its refusal router (placed after the student
routers by bot/handlers/__init__.py)."""

from __future__ import annotations

from aiogram import Router

from bot.domain.roles import Role
from bot.filters import PRIVATE, staff_router


def build_admin_routers() -> tuple[Router, Router]:
    from bot.handlers.admin import (
        attention,
        broadcast,
        catalogue,
        imports,
        refusal,
        roles,
        stats,
        wizard,
    )

    desk = staff_router("admin_desk", Role.ADMIN)
    desk.message.filter(PRIVATE)
    children = [
        wizard.router,
        roles.router,
        catalogue.router,
        imports.router,
        stats.router,
        broadcast.router,
        attention.router,
    ]
    for router in (*children, refusal.router):
        router._parent_router = None  # module singletons: a fresh dispatcher re-attaches them
    desk.include_routers(*children)
    return desk, refusal.router
