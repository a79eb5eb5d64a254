"""Texts of channel posts (a published call in a language's channel) and of the admins'
notice when a channel refuses one."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from bot.domain.calls import Call
from bot.i18n import _
from bot.texts.formatting import escape, shorten
from bot.texts.inline import TITLE_WIDTH, shared_card


def channel_post_text(call: Call, locale: str, tz: ZoneInfo, closed: bool) -> str:
    """The call's short card (as shared through inline mode); a closed call says so first."""
    card = shared_card(call, locale, tz)
    if closed:
        return _("🔒 <b>Closed</b>: this call no longer takes applications.") + "\n\n" + card
    return card


def channel_refused_text(call_id: int, title: str, channel: str, chat_id: int, reason: str) -> str:
    """To the admins: a channel would not take a post (or its edit), and what to do."""
    return _(
        "⚠️ The %(language)s channel (<code>%(chat)s</code>) refused call #%(id)s"
        " «%(title)s»: %(reason)s\n\nMake the bot an admin of the channel, allowed to post"
        " and edit messages. To post this call then, turn «📣 In the channels» off and"
        " on again in its admin view."
    ) % {
        "language": escape(channel),
        "chat": chat_id,
        "id": call_id,
        "title": escape(shorten(title, TITLE_WIDTH)),
        "reason": escape(shorten(reason, 200)),
    }
