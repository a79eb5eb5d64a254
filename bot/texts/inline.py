"""Texts of inline mode: a call as a result in the list Telegram shows under `@bot …`, and the
short card that is sent into the chat when someone picks it."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from bot.domain.calls import Call
from bot.i18n import _
from bot.texts.catalog import stated_deadline
from bot.texts.formatting import escape, shorten
from bot.texts.labels import funding_label
from bot.texts.programmes import programme_name

# Telegram documents no limit for these; a phone shows about two lines of each.
TITLE_WIDTH = 100
DESCRIPTION_WIDTH = 160
SUMMARY_WIDTH = 300


def result_title(call: Call, locale: str) -> str:
    return shorten(call.text(locale).title, TITLE_WIDTH)


def deadline_phrase(call: Call, locale: str, tz: ZoneInfo) -> str:
    if call.deadline_at is None:
        return _("no fixed date yet — see the official page")
    return stated_deadline(call, locale, tz)


def result_description(call: Call, locale: str, tz: ZoneInfo) -> str:
    """ "Erasmus+ · ⏳ 15 January 2027, 23:59 (Brussels time)": plain text, not HTML."""
    line = f"{programme_name(call.programme)} · ⏳ {deadline_phrase(call, locale, tz)}"
    return shorten(line, DESCRIPTION_WIDTH)


def shared_card(call: Call, locale: str, tz: ZoneInfo) -> str:
    """The message a picked result sends: title, programme, summary, deadline, official page."""
    text = call.text(locale)
    return "\n".join(
        [
            f"🎓 <b>{escape(shorten(text.title, TITLE_WIDTH))}</b>",
            f"{escape(programme_name(call.programme))} · {funding_label(call.funding)}",
            "",
            escape(shorten(text.summary, SUMMARY_WIDTH)),
            "",
            _("⏳ Deadline: %(deadline)s") % {"deadline": deadline_phrase(call, locale, tz)},
            f'🌐 <a href="{escape(call.official_url)}">{_("Official page")}</a>',
        ]
    )
