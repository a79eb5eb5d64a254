from aiogram.fsm.state import State, StatesGroup


class CallWizard(StatesGroup):
    """New call or edit of one field; data: mode (new|edit), call_id, row, step."""

    active = State()


class RolesFlow(StatesGroup):
    """Waiting for the user id (or a forwarded message) to grant data["role"] to."""

    user = State()


class BroadcastFlow(StatesGroup):
    """data: from_chat, message_id (the admin's message), then segment, value."""

    message = State()
    segment = State()
