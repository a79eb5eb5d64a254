"""The channels calls are posted to: CHANNEL_IDS, one channel per language.

    CHANNEL_IDS=uz:-1001234567890,ru:-1009876543210

Each entry is `<language>:<chat id>`; a channel's id is negative (Telegram shows it as
-100…). Entries are separated by commas (or semicolons); spaces around them are ignored.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

CHANNEL_LOCALES = ("uz", "uz_Cyrl", "ru", "en")


class ChannelIdsError(ValueError):
    """CHANNEL_IDS cannot be read; the message says which entry and why."""


def parse_channel_ids(text: str, locales: Iterable[str] = CHANNEL_LOCALES) -> dict[str, int]:
    """`uz:-1001,ru:-1002` → {"uz": -1001, "ru": -1002}; an empty text → {}.

    Raises ChannelIdsError for an unknown language, an id that is not a negative whole
    number, a language given twice or one channel given for two languages."""
    known = tuple(locales)
    channels: dict[str, int] = {}
    for entry in text.replace(";", ",").split(","):
        entry = entry.strip()
        if not entry:
            continue
        locale, colon, raw_id = entry.partition(":")
        locale, raw_id = locale.strip(), raw_id.strip()
        if not colon:
            raise ChannelIdsError(
                f"CHANNEL_IDS entry {entry!r} must look like <language>:<channel id>,"
                " e.g. uz:-1001234567890"
            )
        if locale not in known:
            raise ChannelIdsError(
                f"CHANNEL_IDS entry {entry!r}: the language must be one of {', '.join(known)}"
            )
        if locale in channels:
            raise ChannelIdsError(f"CHANNEL_IDS gives the language {locale} twice")
        chat_id = _chat_id(raw_id)
        if chat_id is None:
            raise ChannelIdsError(
                f"CHANNEL_IDS entry {entry!r}: the channel id must be a negative number"
                " such as -1001234567890 (forward a channel post to @getidsbot to see it)"
            )
        if chat_id in channels.values():
            raise ChannelIdsError(f"CHANNEL_IDS gives the channel {chat_id} for two languages")
        channels[locale] = chat_id
    return channels


def format_channel_ids(channels: Mapping[str, int]) -> str:
    return ",".join(f"{locale}:{chat_id}" for locale, chat_id in channels.items())


def _chat_id(raw: str) -> int | None:
    digits = raw.removeprefix("-")
    if not raw.startswith("-") or not digits.isascii() or not digits.isdigit():
        return None
    value = int(raw)
    return value if value < 0 else None
