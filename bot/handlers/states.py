from aiogram.fsm.state import State, StatesGroup


class ProfileFlow(StatesGroup):
    """Choosing language, level and fields; data["mode"] is "onboarding" or "settings"."""

    language = State()
    level = State()
    fields = State()


class SearchFlow(StatesGroup):
    query = State()


class FactsFlow(StatesGroup):
    """Answering eligibility questions, from a card's "Check my eligibility" or /settings;
    data["facts"] holds the queue, the call to return to and the fact being typed."""

    answering = State()


class ZoneFlow(StatesGroup):
    """Waiting for the location a student offered to share to find their time zone."""

    locating = State()
