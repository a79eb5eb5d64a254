"""Hypothesis strategies for whatever Telegram can deliver to the bot — typed, forwarded,
edited, posted in groups and channels, or a button press with forged data — and the settings
profiles of the fuzz run.

Profiles: `fuzz-ci` (the default, bounded for `make test`) and `fuzz-long` (10,000 examples a
test), chosen by the environment variable HYPOTHESIS_PROFILE (`make fuzz` sets fuzz-long);
FUZZ_MAX_EXAMPLES sets another count for every property."""

from __future__ import annotations

import ast
import enum
import importlib
import os
import pkgutil
import re
import types
import typing
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

from aiogram.filters.callback_data import CallbackData
from aiogram.types import (
    Animation,
    Contact,
    Dice,
    Document,
    ForumTopicCreated,
    Location,
    MessageEntity,
    MessageOriginChannel,
    MessageOriginHiddenUser,
    MessageOriginUser,
    PhotoSize,
    Sticker,
    User,
    Venue,
    Video,
    Voice,
)
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

import bot.keyboards
from bot.commands import ADMIN_COMMANDS, COMMANDS, WORK_CHAT_COMMANDS
from bot.fake_telegram import BOT_USER

# -- profiles ------------------------------------------------------------------------------
_COMMON: dict[str, Any] = {
    "deadline": None,  # a dispatcher round trip on a loaded machine varies a lot
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large],
    "print_blob": True,
}
settings.register_profile("fuzz-ci", max_examples=150, **_COMMON)
settings.register_profile("fuzz-long", max_examples=10_000, **_COMMON)
FUZZ_PROFILES = ("fuzz-ci", "fuzz-long")


def fuzz_settings(share: float = 1.0) -> settings:
    """The profile named by HYPOTHESIS_PROFILE (fuzz-ci otherwise), with `share` of its
    examples: tests whose examples cost several updates take fewer in CI."""
    name = os.environ.get("HYPOTHESIS_PROFILE", "fuzz-ci")
    profile = settings.get_profile(name if name in FUZZ_PROFILES else "fuzz-ci")
    examples = profile.max_examples if name == "fuzz-long" else int(profile.max_examples * share)
    examples = int(os.environ.get("FUZZ_MAX_EXAMPLES", examples))  # an explicit count wins
    return settings(profile, max_examples=max(1, examples))


# -- text ------------------------------------------------------------------------------------
# No lone surrogates (Telegram's JSON cannot carry them) and no NUL.
CHARACTERS = st.characters(exclude_categories=("Cs",), exclude_characters="\x00")
TRICKY = [
    "<b>",
    "</b>",
    "<a href='x'>",
    "<script>",
    "&",
    "&amp;",
    "&#0;",
    "<",
    ">",
    '"',
    "'",
    ":",
    "::",
    "\n",
    "\u200b",
    "\u202e",
    "🇺🇿",
    "👨‍👩‍👧",
    "Ўзбекча",
    "O‘zbekcha",
    "%s",
    "%(days)s",
    "{0}",
    "\\",
    "' OR 1=1 --",
    "#1",
    "0",
    "-1",
    "9223372036854775808",
]


def _repeat_to(piece: str, size: int) -> str:
    return (piece * (size // max(1, len(piece)) + 1))[:size]


# Half the characters are ones HTML, callback data or SQL give a meaning to.
SPECIAL = st.sampled_from("<>&\"':;%_\\/\n ")
short_text = st.text(SPECIAL | CHARACTERS, max_size=60)
tricky_text = st.lists(st.sampled_from(TRICKY) | short_text, min_size=1, max_size=6).map("".join)
# Long texts around Telegram's 4096 limit, cheap to generate: a short piece repeated.
long_text = st.builds(
    _repeat_to,
    st.text(CHARACTERS, min_size=1, max_size=12) | st.sampled_from(TRICKY),
    st.integers(3_900, 4_300),
)

KNOWN_COMMANDS = sorted(
    {name for name, _ in (*COMMANDS, *ADMIN_COMMANDS, *WORK_CHAT_COMMANDS)} | {"cancel"}
)


@st.composite
def commands(draw: st.DrawFn) -> str:
    name = draw(
        st.sampled_from(KNOWN_COMMANDS) | st.from_regex(r"[a-zA-Z0-9_]{1,40}", fullmatch=True)
    )
    mention = draw(st.sampled_from(["", f"@{BOT_USER.username}", "@other_bot", "@"]))
    args = draw(st.none() | short_text | tricky_text)
    return f"/{name}{mention}" + ("" if args is None else f" {args}")


texts = st.one_of(short_text, tricky_text, commands(), long_text)


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


ENTITY_TYPES = [
    "mention",
    "hashtag",
    "cashtag",
    "bot_command",
    "url",
    "email",
    "phone_number",
    "bold",
    "italic",
    "underline",
    "strikethrough",
    "spoiler",
    "blockquote",
    "expandable_blockquote",
    "code",
    "pre",
    "text_link",
    "text_mention",
    "custom_emoji",
]


@st.composite
def entities_for(draw: st.DrawFn, text: str) -> list[MessageEntity] | None:
    """Up to four entities inside `text` (offsets in UTF-16 units, as Telegram counts), not
    overlapping one another — the shapes Telegram sends."""
    size = utf16_len(text)
    if size == 0 or not draw(st.booleans()):
        return None
    spans = draw(
        st.lists(st.tuples(st.integers(0, size - 1), st.integers(1, size)), min_size=1, max_size=4)
    )
    result: list[MessageEntity] = []
    end_of_last = 0
    for offset, length in sorted(spans):
        if offset < end_of_last:
            continue
        length = min(length, size - offset)
        kind = draw(st.sampled_from(ENTITY_TYPES))
        extra: dict[str, Any] = {}
        if kind == "text_link":
            extra["url"] = draw(
                st.sampled_from(["https://example.org/?a=1&b=<2>", "tg://user?id=1"])
            )
        elif kind == "text_mention":
            extra["user"] = User(id=draw(st.integers(1, 2**52)), is_bot=False, first_name="<Eve>")
        elif kind == "pre":
            extra["language"] = draw(st.none() | st.sampled_from(["python", "<x>", ""]))
        elif kind == "custom_emoji":
            extra["custom_emoji_id"] = str(draw(st.integers(1, 2**63 - 1)))
        result.append(MessageEntity(type=kind, offset=offset, length=length, **extra))
        end_of_last = offset + length
    return result


# -- message content ---------------------------------------------------------------------------
@dataclass
class Content:
    """What a message carries besides its ids, chat and sender: Message fields, plus the bytes
    of any file it attaches (served by the stand-in API when the bot downloads it)."""

    fields: dict[str, Any]
    files: dict[str, bytes] = field(default_factory=dict)

    def describe(self) -> str:
        return ", ".join(sorted(self.fields))


@st.composite
def text_content(draw: st.DrawFn) -> Content:
    text = draw(texts)
    if not text:
        text = "."
    fields: dict[str, Any] = {"text": text}
    entities = draw(entities_for(text))
    if text.startswith("/") and draw(st.booleans()):
        command = text.split(" ", 1)[0]
        entities = [MessageEntity(type="bot_command", offset=0, length=utf16_len(command))]
    if entities:
        fields["entities"] = entities
    return Content(fields)


FILE_NAMES = st.one_of(
    st.sampled_from(["calls.csv", "calls.xlsx"]),
    st.sampled_from(
        ["catalogue.json", "a.txt", "noextension", "x.CSV", "../../etc/passwd", "😀.xlsx"]
    ),
    st.text(CHARACTERS, min_size=1, max_size=30),
)

FILE_BYTES = st.one_of(
    st.binary(max_size=2_000),
    st.sampled_from(
        [
            b"",
            b"\xef\xbb\xbf",
            b"PK\x03\x04",  # the start of an XLSX (a zip) and nothing more
            b"external_id,programme,status\n",
            b"external_id,programme,status\nx,daad,published\n",
            "external_id;programme\n\u00e9;daad\n".encode("cp1251", "replace"),
            b"=cmd|' /C calc'!A0\n",
        ]
    ),
)


@st.composite
def document_content(draw: st.DrawFn) -> Content:
    data = draw(FILE_BYTES)
    file_id = f"fuzz-file-{draw(st.integers(0, 2**32))}"
    document = Document(
        file_id=file_id,
        file_unique_id=file_id,
        file_name=draw(st.none() | FILE_NAMES),
        mime_type=draw(
            st.none()
            | st.sampled_from(
                [
                    "text/csv",
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    "application/octet-stream",
                    "image/png",
                ]
            )
        ),
        file_size=draw(st.sampled_from([len(data), len(data), len(data), 0, 20 * 2**20, 2**31])),
    )
    fields: dict[str, Any] = {"document": document}
    caption = draw(st.none() | texts)
    if caption:
        fields["caption"] = caption
    return Content(fields, {file_id: data})


@st.composite
def media_content(draw: st.DrawFn) -> Content:
    """Photos, stickers, places, contacts, voices, videos… with or without a caption."""
    kind = draw(
        st.sampled_from(
            [
                "photo",
                "sticker",
                "location",
                "contact",
                "voice",
                "video",
                "animation",
                "dice",
                "venue",
            ]
        )
    )
    file = {"file_id": "media-1", "file_unique_id": "m1"}
    value: Any
    if kind == "photo":
        value = [PhotoSize(**file, width=640, height=480)]
    elif kind == "sticker":
        value = Sticker(
            **file,
            type="regular",
            width=512,
            height=512,
            is_animated=False,
            is_video=False,
            emoji=draw(st.none() | st.just("😀")),
        )
    elif kind == "location":
        value = Location(latitude=draw(st.floats(-90, 90)), longitude=draw(st.floats(-180, 180)))
    elif kind == "contact":
        value = Contact(
            phone_number=draw(st.sampled_from(["+998901234567", "", "<b>"])),
            first_name=draw(st.text(SPECIAL | CHARACTERS, min_size=1, max_size=30)),
            user_id=draw(st.none() | st.integers(1, 2**52)),
        )
    elif kind == "voice":
        value = Voice(**file, duration=draw(st.integers(0, 10**6)))
    elif kind == "video":
        value = Video(**file, width=1, height=1, duration=1)
    elif kind == "animation":
        value = Animation(**file, width=1, height=1, duration=1)
    elif kind == "dice":
        value = Dice(emoji="🎲", value=draw(st.integers(1, 6)))
    else:
        value = Venue(
            location=Location(latitude=41.3, longitude=69.2),
            title=draw(st.text(SPECIAL | CHARACTERS, min_size=1, max_size=30)),
            address="<addr>",
        )
    fields: dict[str, Any] = {kind: value}
    if kind in ("photo", "voice", "video", "animation"):
        caption = draw(st.none() | texts)
        if caption:
            fields["caption"] = caption
            caption_entities = draw(entities_for(caption))
            if caption_entities:
                fields["caption_entities"] = caption_entities
    return Content(fields)


@st.composite
def service_content(draw: st.DrawFn) -> Content:
    """Service messages a group produces: members joining or leaving, a topic created."""
    kind = draw(st.sampled_from(["new_chat_members", "left_chat_member", "forum_topic_created"]))
    someone = User(id=draw(st.integers(1, 2**52)), is_bot=draw(st.booleans()), first_name="Guest")
    if kind == "new_chat_members":
        return Content({kind: [someone]})
    if kind == "left_chat_member":
        return Content({kind: someone})
    return Content({kind: ForumTopicCreated(name="topic", icon_color=7322096)})


message_content = st.one_of(
    text_content(), text_content(), document_content(), media_content(), service_content()
)


@st.composite
def forward_origin(draw: st.DrawFn) -> Any:
    date = datetime(2026, 1, 1, tzinfo=UTC)
    kind = draw(st.sampled_from(["user", "hidden_user", "channel"]))
    if kind == "user":
        return MessageOriginUser(
            type="user",
            date=date,
            sender_user=User(
                id=draw(st.integers(1, 2**52)), is_bot=draw(st.booleans()), first_name="Fwd"
            ),
        )
    if kind == "hidden_user":
        return MessageOriginHiddenUser(
            type="hidden_user", date=date, sender_user_name=draw(short_text)
        )
    from aiogram.types import Chat

    return MessageOriginChannel(
        type="channel",
        date=date,
        chat=Chat(id=-1001234567890, type="channel", title="News"),
        message_id=draw(st.integers(1, 2**31)),
    )


# -- callback data -----------------------------------------------------------------------------
@cache
def callback_data_classes() -> tuple[type[CallbackData], ...]:
    """Every CallbackData factory defined under bot/keyboards, found by introspection so that
    a new one is fuzzed without touching the tests."""
    for module in pkgutil.iter_modules(bot.keyboards.__path__):
        importlib.import_module(f"{bot.keyboards.__name__}.{module.name}")
    found: list[type[CallbackData]] = []
    pending = list(CallbackData.__subclasses__())
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        if cls.__module__.startswith(f"{bot.keyboards.__name__}."):
            found.append(cls)
    return tuple(sorted(found, key=lambda cls: cls.__prefix__))


WORD = re.compile(r"[a-z][a-z0-9_=-]{0,19}|[A-Z]{2}|-")


@cache
def vocabulary() -> tuple[str, ...]:
    """Short identifier-like literals of the handlers and keyboards (actions, steps, facets,
    codes): random strings seldom hit a branch, these do."""
    words: set[str] = set()
    root = Path(bot.keyboards.__file__).resolve().parent.parent
    for folder in ("handlers", "keyboards", "domain"):
        for path in (root / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Constant) and isinstance(node.value, str):
                    if WORD.fullmatch(node.value):
                        words.add(node.value)
    return tuple(sorted(words))


SQLITE_MAX = 2**63 - 1
EXTREME_INTS = [0, -1, 1, 2, 7, 2**31 - 1, 2**31, 2**53 + 1, SQLITE_MAX, -SQLITE_MAX - 1]
BEYOND_SQLITE_INTS = [SQLITE_MAX + 1, 10**20, -(10**20)]
NOT_INTS = ["", "x", "1.5", "1e3", " 7", "+7", "0x10", "1_000", "٣", "७", "-", "--1", "NaN"]
BOOLS = ["0", "1", "true", "false", "True", "yes", "no", "on", "2", "", "x"]


def _strings(annotation: Any) -> st.SearchStrategy[str]:
    choices: list[str] = []
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        choices = [str(member.value) for member in annotation]
    words = st.sampled_from(vocabulary())
    odd = st.text(CHARACTERS, max_size=12) | st.sampled_from(["a:b", ":", "", "∞", "ё", "🇺🇿"])
    known = st.sampled_from(choices) if choices else words
    return st.one_of(known, words, odd)


def _value_for(annotation: Any, *, beyond_sqlite: bool) -> st.SearchStrategy[str]:
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        annotation = next(arg for arg in typing.get_args(annotation) if arg is not type(None))
    if annotation is bool:
        return st.sampled_from(BOOLS)
    if annotation is int:
        extremes = EXTREME_INTS + (BEYOND_SQLITE_INTS if beyond_sqlite else [])
        bound = None if beyond_sqlite else SQLITE_MAX
        ints = st.one_of(
            st.integers(0, 60),  # the seeded catalogue's ids, pages, steps
            st.sampled_from(extremes),
            st.integers(-bound if bound else None, bound),
        )
        return ints.map(str) | st.sampled_from(NOT_INTS)
    return _strings(annotation)


@st.composite
def forged_callback_data(
    draw: st.DrawFn,
    # Integers beyond SQLite's signed 64 bits (2**63, 10**20) once raised OverflowError in
    # the handlers that look the id up: they are drawn like any other value.
    beyond_sqlite_ints: bool = True,
    classes: Sequence[type[CallbackData]] | None = None,
) -> str:
    """Data of a button that may never have existed: any prefix, any field values (ints at
    their extremes, strings with ':' and unicode), parts missing or extra."""
    cls = draw(st.sampled_from(classes or callback_data_classes()))
    separator = cls.__separator__
    parts = [cls.__prefix__]
    for info in cls.model_fields.values():
        parts.append(draw(_value_for(info.annotation, beyond_sqlite=beyond_sqlite_ints)))
    shape = draw(st.sampled_from(["whole", "whole", "whole", "missing", "extra"]))
    if shape == "missing":
        parts = parts[: draw(st.integers(1, max(1, len(parts) - 1)))]
    elif shape == "extra":
        parts.append(draw(st.sampled_from(["", "x", "0", "::"])))
    return separator.join(parts)


callback_data = st.one_of(
    forged_callback_data(),
    forged_callback_data(),
    forged_callback_data(),
    st.text(CHARACTERS, max_size=64),  # no known prefix at all
)
