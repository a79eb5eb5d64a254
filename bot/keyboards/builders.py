"""Keyboards for the student flow."""

from __future__ import annotations

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.i18n import get_i18n

from bot.domain.calls import Call, Programme
from bot.domain.links import share_url
from bot.domain.pages import Page
from bot.domain.profile import (
    ALL_FIELDS_MASK,
    DEADLINE_WINDOWS,
    CallFilter,
    Field,
    Funding,
    Level,
)
from bot.i18n import LANGUAGE_NAMES, _
from bot.keyboards.applications import MY_SOURCE, CardState, NotifyCb, card_rows
from bot.keyboards.callbacks import (
    CardCb,
    EligCb,
    FacetCb,
    FacetMenuCb,
    FieldCb,
    FieldsDoneCb,
    LangCb,
    LevelCb,
    ListCb,
    MenuCb,
    RelaxCb,
    SettingsCb,
    ZoneCb,
)
from bot.keyboards.inline import InlineKeyboardBuilder
from bot.keyboards.memo import per_locale
from bot.keyboards.tickets import ask_button
from bot.texts.formatting import shorten
from bot.texts.labels import country_name, field_label, funding_label, level_label
from bot.texts.programmes import programme_name, programme_names

ANY = "-"
SHARE_TITLE_WIDTH = 100


@per_locale
def home_button() -> InlineKeyboardButton:
    return InlineKeyboardButton(text=_("🏠 Menu"), callback_data=MenuCb(action="home").pack())


@per_locale
def main_menu() -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    kb.button(text=_("🎯 Calls for me"), callback_data=MenuCb(action="matches"))
    kb.button(text=_("🔍 Search"), callback_data=MenuCb(action="search"))
    kb.button(text=_("📌 My applications"), callback_data=MenuCb(action="my"))
    kb.button(text=_("⚙️ Settings"), callback_data=MenuCb(action="settings"))
    kb.button(text=_("❓ Help"), callback_data=MenuCb(action="help"))
    kb.add(ask_button())
    kb.adjust(1, 1, 1, 2, 1)
    return kb.as_markup()


@per_locale
def back_to_menu() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[[home_button()]])


@per_locale
def languages(suggested: str) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    order = [suggested, *(code for code in LANGUAGE_NAMES if code != suggested)]
    for code in order:
        kb.button(text=LANGUAGE_NAMES[code], callback_data=LangCb(code=code))
    kb.adjust(1)
    return kb.as_markup()


@per_locale
def levels(current: Level | None) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    for level in Level:
        mark = "✅ " if level == current else ""
        kb.button(text=mark + level_label(level), callback_data=LevelCb(level=level))
    kb.adjust(2)
    return kb.as_markup()


@per_locale
def fields(mask: int) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    all_on = mask == ALL_FIELDS_MASK
    kb.button(
        text=("✅ " if all_on else "") + _("🌐 All fields"), callback_data=FieldCb(code="all")
    )
    for field in Field:
        mark = "✅ " if (mask & field.bit) and not all_on else ""
        kb.button(text=mark + field_label(field), callback_data=FieldCb(code=field.value))
    kb.button(text=_("Done ▶️"), callback_data=FieldsDoneCb())
    kb.adjust(1, 2, 2, 2, 2, 2, 2, 1)
    return kb.as_markup()


def results(page: Page, source: str, locale: str) -> InlineKeyboardMarkup:
    titles = tuple((call.id, call.text(locale).title) for call in page.calls)
    return _results(titles, page.page, page.page_size, page.pages, source)


@per_locale  # many students share a page of matches; the titles are part of the key
def _results(
    titles: tuple[tuple[int, str], ...], page: int, page_size: int, pages: int, source: str
) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    for offset, (call_id, title) in enumerate(titles):
        number = page * page_size + offset + 1
        kb.row(
            InlineKeyboardButton(
                text=f"{number}. {shorten(title, 48)}",
                callback_data=CardCb(call_id=call_id, source=source, page=page).pack(),
            )
        )
    nav: list[InlineKeyboardButton] = []
    if page > 0:
        nav.append(
            InlineKeyboardButton(
                text="◀️", callback_data=ListCb(source=source, page=page - 1).pack()
            )
        )
    if pages > 1:
        nav.append(
            InlineKeyboardButton(
                text=f"{page + 1}/{pages}", callback_data=ListCb(source=source, page=page).pack()
            )
        )
    if page + 1 < pages:
        nav.append(
            InlineKeyboardButton(
                text="▶️", callback_data=ListCb(source=source, page=page + 1).pack()
            )
        )
    if nav:
        kb.row(*nav)
    bottom = [home_button()]
    if source == "m":
        bottom.insert(
            0,
            InlineKeyboardButton(text=_("🎛 Refine"), callback_data=FacetMenuCb().pack()),
        )
    kb.row(*bottom)
    return kb.as_markup()


def relax_options(flt: CallFilter) -> InlineKeyboardMarkup:
    labels = {
        "programme": _("Any programme"),
        "funding": _("Any funding"),
        "country": _("Any country"),
        "window_days": _("Any deadline"),
        "eligible": _("Also calls I may not meet"),
        "fields": _("All fields"),
    }
    kb = InlineKeyboardBuilder()
    for facet in flt.relaxations():
        kb.button(text="↩️ " + labels[facet], callback_data=RelaxCb(facet=facet))
    kb.button(text=_("🎛 Refine"), callback_data=FacetMenuCb())
    kb.button(text=_("🏠 Menu"), callback_data=MenuCb(action="home"))
    kb.adjust(1)
    return kb.as_markup()


def facet_menu(flt: CallFilter, programmes: list[Programme], locale: str) -> InlineKeyboardMarkup:
    names = programme_names(programmes)
    anything = _("any")
    rows = [
        (_("Programme"), "programme", names.get(flt.programme or "", anything)),
        (_("Funding"), "funding", funding_label(flt.funding) if flt.funding else anything),
        (
            _("Host country"),
            "country",
            country_name(flt.country, locale) if flt.country else anything,
        ),
        (
            _("Deadline"),
            "window_days",
            _("within %(days)s days") % {"days": flt.window_days} if flt.window_days else anything,
        ),
        (_("Only calls I meet"), "eligible", _("yes") if flt.eligible else _("no")),
    ]
    kb = InlineKeyboardBuilder()
    for title, facet, value in rows:
        kb.button(text=f"{title}: {value}", callback_data=FacetMenuCb(facet=facet))
    kb.button(text=_("✅ Show results"), callback_data=ListCb(source="m", page=0))
    kb.adjust(1)
    return kb.as_markup()


def facet_choices(
    facet: str, programmes: list[Programme], countries: list[str], locale: str
) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    if facet == "eligible":
        kb.button(text=_("All calls"), callback_data=FacetCb(facet=facet, value=ANY))
        kb.button(text=_("Only calls I meet"), callback_data=FacetCb(facet=facet, value="1"))
    else:
        kb.button(text=_("Any"), callback_data=FacetCb(facet=facet, value=ANY))
    if facet == "programme":
        for programme in programmes:
            kb.button(
                text=programme_name(programme),
                callback_data=FacetCb(facet=facet, value=programme.code),
            )
    elif facet == "funding":
        for funding in Funding:
            kb.button(
                text=funding_label(funding), callback_data=FacetCb(facet=facet, value=funding)
            )
    elif facet == "country":
        for code in countries[:24]:
            kb.button(
                text=country_name(code, locale), callback_data=FacetCb(facet=facet, value=code)
            )
    elif facet == "window_days":
        for days in DEADLINE_WINDOWS:
            kb.button(
                text=_("within %(days)s days") % {"days": days},
                callback_data=FacetCb(facet=facet, value=str(days)),
            )
    kb.button(text=_("⬅️ Back"), callback_data=FacetMenuCb())
    kb.adjust(2)
    return kb.as_markup()


def card(
    call: Call,
    source: str | None,
    page: int,
    link: str,
    state: CardState | None = None,
    check_eligibility: bool = False,
) -> InlineKeyboardMarkup:
    """The call card's buttons (`link`: the call's deep link, which Share sends;
    `check_eligibility`: some of the call's conditions wait for the student's facts). Later
    features add their actions in `card_actions`."""
    kb = InlineKeyboardBuilder()
    kb.row(
        InlineKeyboardButton(text=_("🌐 Official page"), url=call.official_url),
        share_button(link, call.text(get_i18n().current_locale).title),
    )
    for row in card_actions(call, state or CardState()):
        kb.row(*row)
    if check_eligibility:
        kb.row(
            InlineKeyboardButton(
                text=_("🧾 Check my eligibility"),
                callback_data=EligCb(call_id=call.id, source=source or "", page=page).pack(),
            )
        )
    bottom = [home_button()]
    if source == MY_SOURCE:
        bottom.insert(
            0,
            InlineKeyboardButton(
                text=_("⬅️ My applications"), callback_data=MenuCb(action="my").pack()
            ),
        )
    elif source:
        bottom.insert(
            0,
            InlineKeyboardButton(
                text=_("⬅️ Back to list"), callback_data=ListCb(source=source, page=page).pack()
            ),
        )
    kb.row(*bottom)
    return kb.as_markup()


def share_button(link: str, title: str) -> InlineKeyboardButton:
    """Telegram's own share sheet with the call's deep link: it works whether or not inline
    mode is switched on, and whoever opens the link lands on the card (and is counted)."""
    return InlineKeyboardButton(
        text=_("📤 Share"), url=share_url(link, shorten(title, SHARE_TITLE_WIDTH))
    )


def open_in_bot(link: str) -> InlineKeyboardMarkup:
    """The one button under a call sent through inline mode."""
    return InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text=_("🎓 Open in the bot"), url=link)]]
    )


def card_actions(call: Call, state: CardState) -> list[list[InlineKeyboardButton]]:
    """Rows of actions on a call: save, reminders, checklist, calendar (`state`: the
    student's relation to the call), ask a coordinator."""
    return [*card_rows(call, state), [ask_button(call.id)]]


def settings_menu() -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    kb.button(text=_("🌐 Language"), callback_data=SettingsCb(item="language"))
    kb.button(text=_("🎓 Study level"), callback_data=SettingsCb(item="level"))
    kb.button(text=_("📚 Fields"), callback_data=SettingsCb(item="fields"))
    kb.button(text=_("🎛 Filters"), callback_data=SettingsCb(item="facets"))
    kb.button(text=_("🔔 Reminders"), callback_data=NotifyCb(action="menu"))
    kb.button(text=_("🧾 My facts"), callback_data=SettingsCb(item="facts"))
    kb.button(text=_("🌍 Time zone"), callback_data=ZoneCb(action="menu"))
    kb.button(text=_("🏠 Menu"), callback_data=MenuCb(action="home"))
    kb.adjust(2, 2, 2, 1, 1)
    return kb.as_markup()
