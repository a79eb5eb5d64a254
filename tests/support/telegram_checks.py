"""What Telegram would refuse in a Bot API call: over-long texts, captions, alerts and button
data, and HTML outside the subset Telegram parses (https://core.telegram.org/bots/api#html-style).

`bot_api_violations(method)` lists every problem of one recorded call; the fuzz tests assert
that the list is empty for everything the bot sends."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from aiogram.client.default import Default
from aiogram.methods import (
    AnswerCallbackQuery,
    CreateForumTopic,
    EditForumTopic,
    SetMyCommands,
    TelegramMethod,
)
from aiogram.types import InlineKeyboardMarkup

TEXT_LIMIT = 4096  # characters after entities parsing
CAPTION_LIMIT = 1024
ALERT_LIMIT = 200  # answerCallbackQuery text
CALLBACK_DATA_BYTES = 64
KEYBOARD_BUTTONS = 100  # Telegram refuses a larger inline keyboard (REPLY_MARKUP_TOO_LONG)
TOPIC_NAME_LIMIT = 128
COMMAND_DESCRIPTION_LIMIT = 256
COMMAND_NAME = re.compile(r"[a-z0-9_]{1,32}")

# Tags Telegram accepts, with the attributes each may carry; a value of None means any value.
ALLOWED_TAGS: dict[str, dict[str, re.Pattern[str] | None]] = {
    "b": {},
    "strong": {},
    "i": {},
    "em": {},
    "u": {},
    "ins": {},
    "s": {},
    "strike": {},
    "del": {},
    "tg-spoiler": {},
    "span": {"class": re.compile(r"tg-spoiler")},
    "a": {"href": None},
    "tg-emoji": {"emoji-id": re.compile(r"\d+")},
    "code": {"class": re.compile(r"language-[\w+#.-]+")},
    "pre": {},
    "blockquote": {"expandable": None},
}
REQUIRED_ATTRIBUTES = {"span": "class", "a": "href", "tg-emoji": "emoji-id"}
# Entities that may hold no other tag (Telegram: "pre and code can't contain other entities",
# with <pre><code class="language-…"> the one exception).
LEAF_TAGS = {"code", "pre"}

TAG = re.compile(
    r"<(?P<close>/)?(?P<name>[a-z][a-z-]*)"
    r"(?P<attrs>(?:\s+[a-z-]+(?:\s*=\s*(?:\"[^\"<>]*\"|'[^'<>]*'))?)*)\s*>"
)
ATTRIBUTE = re.compile(r"([a-z-]+)(?:\s*=\s*(?:\"([^\"]*)\"|'([^']*)'))?")
ENTITY = re.compile(r"&(?:lt|gt|amp|quot|#[0-9]{1,7}|#x[0-9a-fA-F]{1,6});")
NAMED = {"&lt;": "<", "&gt;": ">", "&amp;": "&", "&quot;": '"'}


class HtmlError(ValueError):
    pass


def _decode(entity: str) -> str:
    if entity in NAMED:
        return NAMED[entity]
    number = int(entity[3:-1], 16) if entity.startswith("&#x") else int(entity[2:-1])
    if not 0 < number <= 0x10FFFF:
        raise HtmlError(f"numeric entity out of range: {entity}")
    return chr(number)


def _open(stack: list[str], name: str, attrs: str, at: int) -> None:
    allowed = ALLOWED_TAGS.get(name)
    if allowed is None:
        raise HtmlError(f"tag <{name}> at {at} is not one Telegram parses")
    seen: dict[str, str] = {}
    for match in ATTRIBUTE.finditer(attrs):
        key, value = match.group(1), match.group(2) or match.group(3) or ""
        if key not in allowed:
            raise HtmlError(f"<{name}> at {at} cannot carry {key!r}")
        pattern = allowed[key]
        if pattern is not None and not pattern.fullmatch(value):
            raise HtmlError(f"<{name} {key}={value!r}> at {at}")
        seen[key] = value
    required = REQUIRED_ATTRIBUTES.get(name)
    if required and required not in seen:
        raise HtmlError(f"<{name}> at {at} without {required}")
    if stack and stack[-1] in LEAF_TAGS and not (stack[-1] == "pre" and name == "code"):
        raise HtmlError(f"<{name}> at {at} inside <{stack[-1]}>")
    if name == "code" and "class" in seen and (not stack or stack[-1] != "pre"):
        raise HtmlError(f"<code class> at {at} outside <pre>")
    if name in ("a", "blockquote") and name in stack:
        raise HtmlError(f"<{name}> at {at} nested in another <{name}>")
    stack.append(name)


def parse_telegram_html(text: str) -> str:
    """The text a reader sees, or HtmlError when Telegram would refuse or garble `text`.

    Stricter than Telegram on one point: a bare `>` or `&` (which Telegram shows as is) is an
    error too, because in our texts it can only mean user text that was not escaped."""
    stack: list[str] = []
    visible: list[str] = []
    index = 0
    while index < len(text):
        char = text[index]
        if char == "<":
            tag = TAG.match(text, index)
            if tag is None:
                raise HtmlError(f"bare '<' at {index}: {text[index : index + 20]!r}")
            name = tag.group("name")
            if tag.group("close"):
                if tag.group("attrs").strip():
                    raise HtmlError(f"closing </{name}> at {index} with attributes")
                if not stack or stack[-1] != name:
                    raise HtmlError(f"</{name}> at {index} closes {stack[-1:] or 'nothing'}")
                stack.pop()
            else:
                _open(stack, name, tag.group("attrs"), index)
            index = tag.end()
        elif char == "&":
            entity = ENTITY.match(text, index)
            if entity is None:
                raise HtmlError(f"bare '&' at {index}: {text[index : index + 12]!r}")
            visible.append(_decode(entity.group()))
            index = entity.end()
        elif char == ">":
            raise HtmlError(f"bare '>' at {index}: {text[max(0, index - 12) : index + 1]!r}")
        else:
            visible.append(char)
            index += 1
    if stack:
        raise HtmlError(f"unclosed tags: {stack}")
    return "".join(visible)


@dataclass(frozen=True)
class Violation:
    method: str
    problem: str

    def __str__(self) -> str:
        return f"{self.method}: {self.problem}"


def _parse_mode(method: TelegramMethod[Any], default_parse_mode: str | None) -> str | None:
    mode = getattr(method, "parse_mode", None)
    if isinstance(mode, Default):
        return default_parse_mode
    return mode


def _check_text(
    name: str,
    text: str,
    limit: int,
    mode: str | None,
    *,
    may_be_empty: bool,
) -> list[str]:
    problems: list[str] = []
    visible = text
    if mode is not None:
        if mode.upper() != "HTML":
            return [f"{name} in parse mode {mode!r}, which these checks do not know"]
        try:
            visible = parse_telegram_html(text)
        except HtmlError as error:
            return [f"{name} is not Telegram HTML ({error}): {text[:300]!r}"]
    if len(visible) > limit:
        problems.append(f"{name} has {len(visible)} characters, more than {limit}")
    if not may_be_empty and not visible.strip():
        problems.append(f"{name} is empty: {text!r}")
    return problems


def _check_markup(markup: Any) -> list[str]:
    if not isinstance(markup, InlineKeyboardMarkup):
        return []
    problems: list[str] = []
    count = sum(len(row) for row in markup.inline_keyboard)
    if count > KEYBOARD_BUTTONS:
        problems.append(f"a keyboard of {count} buttons, more than {KEYBOARD_BUTTONS}")
    for row in markup.inline_keyboard:
        for button in row:
            if not button.text.strip():
                problems.append(f"a button without a label ({button!r})")
            data = button.callback_data
            if data is not None and not 1 <= len(data.encode()) <= CALLBACK_DATA_BYTES:
                problems.append(
                    f"button {button.text!r}: callback_data {data!r} has"
                    f" {len(data.encode())} bytes (1–{CALLBACK_DATA_BYTES})"
                )
    return problems


def bot_api_violations(
    method: TelegramMethod[Any], default_parse_mode: str | None = "HTML"
) -> list[Violation]:
    """Everything in `method` that Telegram would refuse (or show garbled)."""
    api = method.__api_method__
    mode = _parse_mode(method, default_parse_mode)
    problems: list[str] = []
    if isinstance(method, AnswerCallbackQuery):
        if method.text is not None and len(method.text) > ALERT_LIMIT:
            problems.append(f"alert of {len(method.text)} characters, more than {ALERT_LIMIT}")
    elif isinstance(method, CreateForumTopic | EditForumTopic):
        name = method.name or ""
        if isinstance(method, CreateForumTopic) and not name.strip():
            problems.append("topic without a name")
        if len(name) > TOPIC_NAME_LIMIT:
            problems.append(f"topic name of {len(name)} characters, more than {TOPIC_NAME_LIMIT}")
    elif isinstance(method, SetMyCommands):
        for command in method.commands:
            if not COMMAND_NAME.fullmatch(command.command):
                problems.append(f"command name {command.command!r}")
            if not 1 <= len(command.description) <= COMMAND_DESCRIPTION_LIMIT:
                problems.append(f"command /{command.command} description length")
    else:
        text = getattr(method, "text", None)
        if text is not None and api in ("sendMessage", "editMessageText"):
            problems += _check_text("text", text, TEXT_LIMIT, mode, may_be_empty=False)
        caption = getattr(method, "caption", None)
        if caption is not None:
            problems += _check_text("caption", caption, CAPTION_LIMIT, mode, may_be_empty=True)
    problems += _check_markup(getattr(method, "reply_markup", None))
    return [Violation(api, problem) for problem in problems]
