"""Documents a call asks for, and what a student has ticked off."""

from __future__ import annotations

from dataclasses import dataclass

# What each programme usually asks for, when a call does not list its own documents.
PROGRAMME_DEFAULTS: dict[str, tuple[str, ...]] = {
    "erasmus": (
        "cv",
        "diploma",
        "transcript",
        "language_certificate",
        "motivation_letter",
        "reference_letters",
        "passport",
    ),
    "fulbright": (
        "application_form",
        "cv",
        "diploma",
        "transcript",
        "reference_letters",
        "passport",
    ),
    "daad": (
        "application_form",
        "cv",
        "diploma",
        "transcript",
        "language_certificate",
        "motivation_letter",
        "reference_letters",
    ),
    "eyuf": ("application_form", "passport", "diploma", "transcript", "cv"),
}
GENERIC_DEFAULTS = ("cv", "transcript", "language_certificate", "motivation_letter", "passport")


def documents_for(programme_code: str, listed: tuple[str, ...]) -> tuple[str, ...]:
    return listed or PROGRAMME_DEFAULTS.get(programme_code, GENERIC_DEFAULTS)


@dataclass(frozen=True, slots=True)
class Checklist:
    documents: tuple[str, ...]
    ticked: frozenset[str]

    @property
    def done(self) -> int:
        return sum(1 for key in self.documents if key in self.ticked)

    @property
    def total(self) -> int:
        return len(self.documents)

    @property
    def missing(self) -> tuple[str, ...]:
        return tuple(key for key in self.documents if key not in self.ticked)
