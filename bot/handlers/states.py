from aiogram.fsm.state import State, StatesGroup


class ProfileFlow(StatesGroup):
    """Choosing language, level and fields; data["mode"] is "onboarding" or "settings"."""

    language = State()
    level = State()
    fields = State()


class SearchFlow(StatesGroup):
    query = State()
