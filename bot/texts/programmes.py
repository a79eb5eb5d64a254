"""Programme names as students read them: Cyrillic in uz_Cyrl, as the catalogue's titles
spell them; the stored name is the fallback for a programme added later."""

from __future__ import annotations

from bot.domain.calls import Programme
from bot.i18n import __

NAMES = {
    "erasmus": __("Erasmus+"),
    "fulbright": __("Fulbright"),
    "daad": __("DAAD"),
    "eyuf": __("El-Yurt Umidi"),
}


def programme_name(programme: Programme) -> str:
    name = NAMES.get(programme.code)
    return programme.name if name is None else str(name)


def programme_names(programmes: list[Programme]) -> dict[str, str]:
    return {p.code: programme_name(p) for p in programmes}
