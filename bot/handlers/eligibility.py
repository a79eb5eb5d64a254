"""The student's eligibility facts: asked one at a time, only those a card's conditions need
("Check my eligibility"), or any of them from /settings; every question can be skipped, and a
typed answer that cannot be read is asked again, keeping what was told before."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from aiogram import Bot, F, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import I18n

from bot.clock import Clock
from bot.config import Settings
from bot.db.applications import ApplicationsRepo
from bot.db.calls import CallsRepo
from bot.db.users import UsersRepo
from bot.domain.eligibility import (
    CEFR,
    NO_GERMAN,
    Condition,
    EnglishTest,
    FactError,
    missing_facts,
    parse_birth_year,
    parse_score,
    parse_work_years,
)
from bot.domain.profile import UserProfile
from bot.filters import NOT_A_COMMAND, PRIVATE, PRIVATE_PRESS, Magic
from bot.handlers.cards import show_card
from bot.handlers.states import FactsFlow
from bot.handlers.ui import alert, show
from bot.i18n import _
from bot.keyboards import eligibility as kb
from bot.keyboards.callbacks import EligCb, FactCb, SettingsCb
from bot.texts import eligibility as texts

KEY = "facts"  # FSM data: {"queue": [...], "call_id", "source", "page", "typing"}
SOURCES = {"m", "s", "my"}


async def check_eligibility(
    callback: CallbackQuery,
    callback_answer: CallbackAnswer,
    callback_data: EligCb,
    state: FSMContext,
    profile: UserProfile,
    calls: CallsRepo,
    clock: Clock,
) -> None:
    call = await calls.get(callback_data.call_id)
    if call is None or not call.is_open(clock.now()):
        alert(callback_answer, _("This call is closed or no longer available."))
        return
    queue = [c.value for c in missing_facts(call.requirements(), profile.facts)]
    if not queue:
        alert(callback_answer, _("You have told everything this call asks about."))
        return
    flow = {
        "queue": queue,
        "call_id": call.id,
        "source": callback_data.source if callback_data.source in SOURCES else None,
        "page": callback_data.page,
        "typing": None,
    }
    await state.set_state(FactsFlow.answering)
    await state.update_data({KEY: flow})
    await _ask(callback, flow)


async def show_facts(
    callback: CallbackQuery, state: FSMContext, profile: UserProfile, i18n: I18n
) -> None:
    await state.set_state(None)
    await show(callback, texts.facts_screen(profile.facts, i18n.current_locale), kb.facts_menu())


async def edit_fact(
    callback: CallbackQuery,
    callback_answer: CallbackAnswer,
    callback_data: FactCb,
    state: FSMContext,
) -> None:
    if callback_data.fact not in set(Condition):
        alert(callback_answer, _("This button has expired."))
        return
    flow = {"queue": [callback_data.fact], "call_id": None, "typing": None}
    await state.set_state(FactsFlow.answering)
    await state.update_data({KEY: flow})
    await _ask(callback, flow)


async def answer_button(
    callback: CallbackQuery,
    callback_answer: CallbackAnswer,
    callback_data: FactCb,
    state: FSMContext,
    profile: UserProfile,
    users: UsersRepo,
    bot: Bot,
    calls: CallsRepo,
    applications: ApplicationsRepo,
    clock: Clock,
    settings: Settings,
    i18n: I18n,
) -> None:
    flow = (await state.get_data()).get(KEY)
    if not flow or not flow["queue"] or flow["queue"][0] != callback_data.fact:
        alert(callback_answer, _("This button has expired."))
        return
    condition, value = Condition(callback_data.fact), callback_data.value
    if value != "skip":
        if condition is Condition.ENGLISH and value in set(EnglishTest):
            flow["typing"] = value  # the score comes next, typed
            await state.update_data({KEY: flow})
            await show(callback, texts.score_question(EnglishTest(value)), kb.question(condition))
            return
        if condition is Condition.GERMAN and (value in CEFR or value == NO_GERMAN):
            profile = await _tell(users, profile, german_level=value)
        elif condition is Condition.CITIZENSHIP and value in {"yes", "no"}:
            profile = await _tell(users, profile, uz_citizen=value == "yes")
        else:
            alert(callback_answer, _("This button has expired."))
            return
    await _next(callback, state, flow, profile, bot, calls, applications, clock, settings, i18n)


async def answer_text(
    message: Message,
    state: FSMContext,
    profile: UserProfile,
    users: UsersRepo,
    bot: Bot,
    calls: CallsRepo,
    applications: ApplicationsRepo,
    clock: Clock,
    settings: Settings,
    i18n: I18n,
) -> None:
    flow = (await state.get_data()).get(KEY)
    if not flow or not flow["queue"]:
        await state.set_state(None)
        return
    condition = Condition(flow["queue"][0])
    text = message.text or ""
    try:
        if condition is Condition.AGE:
            year = parse_birth_year(text, clock.now().astimezone(settings.tz).date())
            profile = await _tell(users, profile, birth_year=year)
        elif condition is Condition.WORK:
            profile = await _tell(users, profile, work_years=parse_work_years(text))
        elif condition is Condition.ENGLISH and flow.get("typing"):
            test = EnglishTest(flow["typing"])
            score = parse_score(text, test)
            profile = await _tell(users, profile, english_test=test, english_score=score)
        else:
            raise FactError("use_buttons")
    except FactError as error:
        again = (
            texts.score_question(EnglishTest(flow["typing"]))
            if condition is Condition.ENGLISH and flow.get("typing")
            else texts.question(condition)
        )
        await show(message, f"⚠️ {texts.fact_error(error.code)}\n\n{again}", kb.question(condition))
        return
    await _next(message, state, flow, profile, bot, calls, applications, clock, settings, i18n)


async def _tell(users: UsersRepo, profile: UserProfile, **told: Any) -> UserProfile:
    """Keep what the student just told alongside what they told before."""
    return await users.save_facts(profile.id, replace(profile.facts, **told))


async def _ask(event: Message | CallbackQuery, flow: dict[str, Any]) -> None:
    condition = Condition(flow["queue"][0])
    await show(event, texts.question(condition), kb.question(condition))


async def _next(
    event: Message | CallbackQuery,
    state: FSMContext,
    flow: dict[str, Any],
    profile: UserProfile,
    bot: Bot,
    calls: CallsRepo,
    applications: ApplicationsRepo,
    clock: Clock,
    settings: Settings,
    i18n: I18n,
) -> None:
    """On to the next question; after the last, back where the student came from."""
    flow["queue"] = flow["queue"][1:]
    flow["typing"] = None
    if flow["queue"]:
        await state.update_data({KEY: flow})
        await _ask(event, flow)
        return
    await state.update_data({KEY: None})
    await state.set_state(None)
    now = clock.now()
    call = None if flow["call_id"] is None else await calls.get(flow["call_id"])
    if call is None or not call.is_open(now):
        await show(event, texts.facts_screen(profile.facts, i18n.current_locale), kb.facts_menu())
        return
    await show_card(
        event,
        bot,
        call,
        profile,
        applications,
        settings,
        i18n.current_locale,
        now,
        flow.get("source"),
        flow.get("page", 0),
    )


def get_router() -> Router:
    router = Router(name="eligibility")
    router.callback_query.filter(PRIVATE_PRESS)
    router.message.filter(PRIVATE)
    router.callback_query.register(check_eligibility, EligCb.filter())
    router.callback_query.register(show_facts, SettingsCb.filter(F.item == "facts"))
    router.callback_query.register(edit_fact, FactCb.filter(F.value == "ask"))
    router.callback_query.register(answer_button, FactCb.filter())
    router.message.register(
        answer_text, StateFilter(FactsFlow.answering), Magic(F.text), NOT_A_COMMAND
    )
    return router
