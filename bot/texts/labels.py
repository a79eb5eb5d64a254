"""Translated names of levels, fields, funding kinds, countries and documents."""

from __future__ import annotations

from bot.domain.profile import Field, Funding, Level
from bot.i18n import __, babel_locale

LEVEL_LABELS = {
    Level.BACHELOR: __("Bachelor's"),
    Level.MASTER: __("Master's"),
    Level.DOCTORAL: __("Doctoral (PhD)"),
    Level.POSTDOC: __("Postdoc"),
    Level.STAFF: __("Teachers and researchers"),
    Level.PROFESSIONAL: __("Professionals and interns"),
}

FIELD_LABELS = {
    Field.GENERIC: __("Generic programmes"),
    Field.EDUCATION: __("Education"),
    Field.ARTS_HUMANITIES: __("Arts and humanities"),
    Field.SOCIAL_SCIENCES: __("Social sciences, journalism"),
    Field.BUSINESS_LAW: __("Business, administration, law"),
    Field.NATURAL_SCIENCES: __("Natural sciences, mathematics"),
    Field.ICT: __("ICT"),
    Field.ENGINEERING: __("Engineering, construction"),
    Field.AGRICULTURE: __("Agriculture, veterinary"),
    Field.HEALTH: __("Health and welfare"),
    Field.SERVICES: __("Services"),
}

FUNDING_LABELS = {
    Funding.FULL: __("Full scholarship"),
    Funding.PARTIAL: __("Partial funding"),
    Funding.TUITION: __("Tuition only"),
    Funding.STIPEND: __("Stipend only"),
}


def country_name(code: str, locale: str) -> str:
    return babel_locale(locale).territories.get(code, code)


def level_label(level: Level) -> str:
    return str(LEVEL_LABELS[level])


def field_label(field: Field) -> str:
    return str(FIELD_LABELS[field])


def funding_label(funding: Funding) -> str:
    return str(FUNDING_LABELS[funding])
