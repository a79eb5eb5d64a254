"""gettext catalogues (locales/<lang>/LC_MESSAGES/messages.po), the locale of each update,
and babel locales for formatting."""

from __future__ import annotations

import logging
from functools import cache
from pathlib import Path
from typing import Any

from aiogram.types import TelegramObject, User
from aiogram.utils.i18n import I18n, I18nMiddleware, get_i18n
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import lazy_gettext as __
from babel import Locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from bot.config import SUPPORTED_LOCALES

__all__ = [
    "LANGUAGE_NAMES",
    "ProfileI18nMiddleware",
    "_",
    "__",
    "_n",
    "babel_locale",
    "build_i18n",
    "compile_catalogues",
    "suggest_locale",
]

log = logging.getLogger(__name__)

# Each language named in itself, so a student recognises theirs whatever the current locale.
LANGUAGE_NAMES = {
    "uz": "🇺🇿 O‘zbekcha",
    "uz_Cyrl": "🇺🇿 Ўзбекча",
    "ru": "🇷🇺 Русский",
    "en": "🇬🇧 English",
}


def _n(singular: str, plural: str, n: int) -> str:
    """Plural-aware gettext for the current locale (extracted with keyword _n:1,2)."""
    return get_i18n().gettext(singular, plural, n)


def compile_catalogues(path: Path) -> None:
    """Compile each .po to .mo when the .mo is missing or older (the build normally does it)."""
    for po_path in path.glob("*/LC_MESSAGES/messages.po"):
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        with po_path.open("rb") as po_file:
            catalog = read_po(po_file, locale=po_path.parent.parent.name)
        with mo_path.open("wb") as mo_file:
            write_mo(mo_file, catalog)
        log.info("compiled %s", mo_path)


def build_i18n(path: Path, default_locale: str) -> I18n:
    compile_catalogues(path)
    return I18n(path=path, default_locale=default_locale, domain="messages")


def suggest_locale(language_code: str | None, default: str) -> str:
    """Telegram's language_code cannot tell Uzbek Latin from Cyrillic: `uz` means Latin."""
    if not language_code:
        return default
    base = language_code.replace("-", "_").split("_")[0].lower()
    return base if base in SUPPORTED_LOCALES else default


@cache
def babel_locale(locale: str) -> Locale:
    return Locale.parse(locale)


class ProfileI18nMiddleware(I18nMiddleware):
    """The user's stored choice wins; before they choose, their Telegram language."""

    async def get_locale(self, event: TelegramObject, data: dict[str, Any]) -> str:
        profile = data.get("profile")
        if profile is not None and profile.language in SUPPORTED_LOCALES:
            return profile.language
        user: User | None = data.get("event_from_user")
        return suggest_locale(user.language_code if user else None, self.i18n.default_locale)
