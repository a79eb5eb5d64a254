"""/faq for admins: add, list and delete the FAQ entries students see before a ticket opens.

    /faq                                  list every entry
    /faq list LANG                        list one language's entries
    /faq add LANG PROGRAMME QUESTION | ANSWER
    /faq delete ID

PROGRAMME is a programme code (erasmus, fulbright, daad, eyuf) or `all` for a general entry.
"""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.types import Message

from bot.clock import Clock
from bot.config import SUPPORTED_LOCALES
from bot.db.calls import CallsRepo
from bot.db.faq import FaqRepo
from bot.db.roles import RolesRepo
from bot.domain.ids import parse_id
from bot.domain.roles import Role
from bot.filters import PRIVATE, refuse, staff_router
from bot.i18n import _
from bot.texts.formatting import escape, shorten, split_message

QUESTION_LIMIT = 300
ANSWER_LIMIT = 3000
GENERAL = {"all", "general", "-"}


def usage(codes: list[str]) -> str:
    return "\n".join(
        [
            _("<b>FAQ</b> — answers offered before a question reaches the coordinators."),
            _("%(command)s [LANG] — the entries") % {"command": "/faq list"},
            _("%(command)s LANG PROGRAMME QUESTION | ANSWER — a new entry")
            % {"command": "/faq add"},
            _("%(command)s ID — remove an entry") % {"command": "/faq delete"},
            _("LANG: %(langs)s. PROGRAMME: %(codes)s, or %(general)s for a general entry.")
            % {"langs": ", ".join(SUPPORTED_LOCALES), "codes": ", ".join(codes), "general": "all"},
        ]
    )


async def faq_command(
    message: Message, command: CommandObject, faq: FaqRepo, calls: CallsRepo, clock: Clock
) -> None:
    codes = [p.code for p in await calls.programmes()]
    help_text = usage(codes)
    action, _sep, rest = (command.args or "list").strip().partition(" ")
    action = action.lower()
    if action == "list":
        lang = rest.strip() or None
        if lang is not None and lang not in SUPPORTED_LOCALES:
            await message.answer(help_text)
            return
        entries = await faq.list(lang)
        if not entries:
            await message.answer(_("No FAQ entries yet.") + "\n\n" + help_text)
            return
        lines = [
            f"<b>{e.id}</b> · {e.lang} · {escape(e.programme_code or 'all')} · "
            f"{escape(shorten(e.question, 80))}"
            for e in entries
        ]
        for part in split_message("\n".join(lines)):
            await message.answer(part)
        return
    if action == "add":
        head, sep, answer = rest.partition("|")
        parts = head.split(maxsplit=2)
        answer = answer.strip()
        if not sep or len(parts) < 3 or not answer:
            await message.answer(_("Could not read the entry.") + "\n\n" + help_text)
            return
        lang, programme, question = parts[0], parts[1].lower(), " ".join(parts[2].split())
        if lang not in SUPPORTED_LOCALES:
            await message.answer(_("Unknown language %(lang)s.") % {"lang": escape(lang)})
            return
        if programme not in GENERAL and programme not in codes:
            await message.answer(
                _("Unknown programme %(code)s.") % {"code": escape(programme)} + "\n\n" + help_text
            )
            return
        if len(question) > QUESTION_LIMIT or len(answer) > ANSWER_LIMIT:
            await message.answer(
                _("Too long: a question up to %(q)s characters, an answer up to %(a)s.")
                % {"q": QUESTION_LIMIT, "a": ANSWER_LIMIT}
            )
            return
        entry_id = await faq.add(
            lang,
            None if programme in GENERAL else programme,
            question,
            answer,
            message.from_user.id,  # type: ignore[union-attr]  # an admin's message always has a sender
            clock.now(),
        )
        await message.answer(_("✅ FAQ entry %(id)s added.") % {"id": entry_id})
        return
    if action in {"delete", "del", "rm"}:
        typed = rest.strip()
        if not (typed.isascii() and typed.isdigit()):
            await message.answer(help_text)
            return
        doomed = parse_id(typed)  # None: more digits than any entry could have
        if doomed is not None and await faq.delete(doomed):
            await message.answer(_("🗑 FAQ entry %(id)s deleted.") % {"id": doomed})
        else:
            await message.answer(_("There is no FAQ entry %(id)s.") % {"id": escape(typed)})
        return
    await message.answer(help_text)


async def faq_refused(message: Message, roles: RolesRepo, clock: Clock) -> None:
    await refuse(message, roles, clock, "/faq")


def get_routers() -> tuple[Router, Router]:
    router = staff_router("faq_admin", Role.ADMIN)
    router.message.filter(PRIVATE)
    refusals = Router(name="faq_refusals")
    refusals.message.filter(PRIVATE)
    router.message.register(faq_command, Command("faq"))
    refusals.message.register(faq_refused, Command("faq"))
    return router, refusals
