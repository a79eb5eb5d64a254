"""The admin desk: one staff router (the role is checked once, at its door, for every message
and callback) holding the feature routers, and its refusal router (placed after the student
routers by bot/handlers/__init__.py)."""

from __future__ import annotations

from aiogram import Router

from bot.domain.roles import Role
from bot.filters import PRIVATE, staff_router
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


def get_routers() -> tuple[Router, Router]:
    """(the desk, its refusals): fresh routers for one dispatcher."""
    desk = staff_router("admin_desk", Role.ADMIN)
    desk.message.filter(PRIVATE)
    desk.include_routers(
        wizard.get_router(),
        roles.get_router(),
        catalogue.get_router(),
        imports.get_router(),
        stats.get_router(),
        broadcast.get_router(),
        attention.get_router(),
    )
    return desk, refusal.get_router()
