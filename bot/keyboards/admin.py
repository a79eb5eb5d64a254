"""Callback data and keyboards of the admin desk. Every prefix starts with "adm", so the refusal
router can answer a student who forges one (the role is checked by the router, not here)."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.domain.calls import Call, Programme
from bot.domain.catalog_rows import LANGS
from bot.domain.profile import CallStatus, Field, Funding, Level
from bot.i18n import _, _n
from bot.keyboards.callbacks import Number
from bot.keyboards.inline import InlineKeyboardBuilder
from bot.texts.formatting import shorten
from bot.texts.labels import field_label, funding_label, level_label
from bot.texts.programmes import programme_name

ADMIN_PREFIXES = ("adm", "admc", "adme", "admw", "admi", "admr", "admb", "adma")
LANG_SHORT = {"uz": "UZ", "uz_Cyrl": "ЎЗ", "ru": "RU", "en": "EN"}
STATUS_MARK = {CallStatus.DRAFT: "📝", CallStatus.PUBLISHED: "🟢", CallStatus.CLOSED: "🔒"}
NEXT_ROUND_MARK = "🔁"  # a draft generated from a yearly call: its dates are typical
LIST_PAGE = 8


class AdminCb(CallbackData, prefix="adm"):
    action: str  # menu | new | drafts | calls | import | export_csv | export_xlsx | template | stats | stats_csv | roles | attention
    page: Number = 0


class AdmCallCb(CallbackData, prefix="admc"):
    call_id: Number
    action: str  # view | edit | publish | fallback | close | reopen | history | channels
    arg: str = ""  # a language for view and fallback


class AdmEditCb(CallbackData, prefix="adme"):
    call_id: Number
    step: str  # a wizard step (see bot/handlers/admin/call_forms.py EDITABLE_STEPS)


class WizCb(CallbackData, prefix="admw"):
    step: str  # the step the button belongs to: an old keyboard cannot answer a new step
    value: str


class ImportCb(CallbackData, prefix="admi"):
    import_id: Number
    action: str  # apply | drop


class RoleCb(CallbackData, prefix="admr"):
    user_id: Number
    action: str  # list | member | add | grant | revoke | programme
    arg: str = ""


def admin_menu() -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    kb.button(text=_("➕ New call"), callback_data=AdminCb(action="new"))
    kb.button(text=_("📝 Drafts"), callback_data=AdminCb(action="drafts"))
    kb.button(text=_("📋 All calls"), callback_data=AdminCb(action="calls"))
    kb.button(text=_("📥 Import"), callback_data=AdminCb(action="import"))
    kb.button(text=_("📤 Export"), callback_data=AdminCb(action="export_csv"))
    kb.button(text=_("📊 Statistics"), callback_data=AdminCb(action="stats"))
    kb.button(text=_("👥 Roles"), callback_data=AdminCb(action="roles"))
    kb.button(text=_("📣 Broadcast"), callback_data=AdminCb(action="broadcast"))
    kb.button(text=_("⚠️ Attention"), callback_data=AdminCb(action="attention"))
    kb.adjust(1, 2, 2, 2, 2)
    return kb.as_markup()


def back_to_admin() -> InlineKeyboardButton:
    return InlineKeyboardButton(text=_("⬅️ Admin menu"), callback_data=AdminCb(action="menu").pack())


def call_list(calls: list[Call], action: str, page: int, locale: str) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    pages = max(1, -(-len(calls) // LIST_PAGE))
    page = max(0, min(page, pages - 1))
    for call in calls[page * LIST_PAGE : (page + 1) * LIST_PAGE]:
        mark = STATUS_MARK[call.status]
        if call.next_round_of is not None and call.status == CallStatus.DRAFT:
            mark += NEXT_ROUND_MARK
        label = f"{mark} #{call.id} {shorten(call.text(locale).title, 44)}"
        kb.row(
            InlineKeyboardButton(
                text=label, callback_data=AdmCallCb(call_id=call.id, action="view").pack()
            )
        )
    if nav := page_buttons(action, page, pages):
        kb.row(*nav)
    kb.row(back_to_admin())
    return kb.as_markup()


def page_buttons(action: str, page: int, pages: int) -> list[InlineKeyboardButton]:
    """◀️ / ▶️ between the pages of an admin list (none on a single page)."""
    nav = []
    if page > 0:
        nav.append(
            InlineKeyboardButton(
                text="◀️", callback_data=AdminCb(action=action, page=page - 1).pack()
            )
        )
    if page + 1 < pages:
        nav.append(
            InlineKeyboardButton(
                text="▶️", callback_data=AdminCb(action=action, page=page + 1).pack()
            )
        )
    return nav


def call_actions(call: Call, in_channels: bool | None = None) -> InlineKeyboardMarkup:
    """`in_channels`: whether the call goes to the channels (None: no channels set up)."""
    kb = InlineKeyboardBuilder()
    kb.row(
        *(
            InlineKeyboardButton(
                text=f"👁 {LANG_SHORT[lang]}",
                callback_data=AdmCallCb(call_id=call.id, action="view", arg=lang).pack(),
            )
            for lang in LANGS
        )
    )
    status_button = {
        CallStatus.DRAFT: (_("🚀 Publish"), "publish"),
        CallStatus.PUBLISHED: (_("🔒 Close"), "close"),
        CallStatus.CLOSED: (_("🔓 Reopen"), "reopen"),
    }[call.status]
    kb.row(
        InlineKeyboardButton(
            text=_("✏️ Edit"), callback_data=AdmCallCb(call_id=call.id, action="edit").pack()
        ),
        InlineKeyboardButton(
            text=status_button[0],
            callback_data=AdmCallCb(call_id=call.id, action=status_button[1]).pack(),
        ),
    )
    kb.row(
        InlineKeyboardButton(
            text=_("📜 History"), callback_data=AdmCallCb(call_id=call.id, action="history").pack()
        ),
        InlineKeyboardButton(text=_("🌐 Official page"), url=call.official_url),
    )
    if in_channels is not None:
        kb.row(
            InlineKeyboardButton(
                text=_("📣 In the channels: yes") if in_channels else _("📣 In the channels: no"),
                callback_data=AdmCallCb(call_id=call.id, action="channels").pack(),
            )
        )
    kb.row(
        InlineKeyboardButton(text=_("⬅️ All calls"), callback_data=AdminCb(action="calls").pack()),
        back_to_admin(),
    )
    return kb.as_markup()


def back_to_call(call_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(
                    text=_("⬅️ Back to the call"),
                    callback_data=AdmCallCb(call_id=call_id, action="view").pack(),
                )
            ]
        ]
    )


def fallback_choice(call: Call, available: list[str]) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    for lang in available:
        kb.button(
            text=_("Publish, fill in from %(lang)s") % {"lang": LANG_SHORT[lang]},
            callback_data=AdmCallCb(call_id=call.id, action="fallback", arg=lang),
        )
    kb.button(
        text=_("✏️ Add the translations"), callback_data=AdmCallCb(call_id=call.id, action="edit")
    )
    kb.button(text=_("⬅️ Back to the call"), callback_data=AdmCallCb(call_id=call.id, action="view"))
    kb.adjust(1)
    return kb.as_markup()


def edit_fields(call: Call, labels: dict[str, str]) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    for step, label in labels.items():
        kb.button(text=label, callback_data=AdmEditCb(call_id=call.id, step=step))
    kb.button(text=_("⬅️ Back to the call"), callback_data=AdmCallCb(call_id=call.id, action="view"))
    kb.adjust(2)
    return kb.as_markup()


# -- wizard steps ---------------------------------------------------------------------------


def _cancel_row() -> list[InlineKeyboardButton]:
    return [
        InlineKeyboardButton(
            text=_("✖️ Cancel"), callback_data=WizCb(step="*", value="cancel").pack()
        )
    ]


def wizard_programmes(programmes: list[Programme]) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    for programme in programmes:
        kb.button(
            text=programme_name(programme),
            callback_data=WizCb(step="programme", value=programme.code),
        )
    kb.adjust(2)
    kb.row(*_cancel_row())
    return kb.as_markup()


def wizard_levels(chosen: set[str]) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    for level in Level:
        mark = "✅ " if level.value in chosen else ""
        kb.button(
            text=mark + level_label(level), callback_data=WizCb(step="levels", value=level.value)
        )
    kb.adjust(2)
    kb.row(
        InlineKeyboardButton(
            text=_("Done ▶️"), callback_data=WizCb(step="levels", value="done").pack()
        )
    )
    kb.row(*_cancel_row())
    return kb.as_markup()


def wizard_fields(chosen: set[str]) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    all_on = chosen == {f.value for f in Field}
    kb.button(
        text=("✅ " if all_on else "") + _("🌐 All fields"),
        callback_data=WizCb(step="fields", value="all"),
    )
    for field in Field:
        mark = "✅ " if field.value in chosen and not all_on else ""
        kb.button(
            text=mark + field_label(field), callback_data=WizCb(step="fields", value=field.value)
        )
    kb.adjust(1, 2, 2, 2, 2, 2, 2)
    kb.row(
        InlineKeyboardButton(
            text=_("Done ▶️"), callback_data=WizCb(step="fields", value="done").pack()
        )
    )
    kb.row(*_cancel_row())
    return kb.as_markup()


def wizard_funding() -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    for funding in Funding:
        kb.button(
            text=funding_label(funding), callback_data=WizCb(step="funding", value=funding.value)
        )
    kb.adjust(2)
    kb.row(*_cancel_row())
    return kb.as_markup()


def wizard_text_step(step: str, extra: list[tuple[str, str]]) -> InlineKeyboardMarkup:
    """A step answered by typing; `extra` are (label, value) shortcuts like Skip."""
    kb = InlineKeyboardBuilder()
    for label, value in extra:
        kb.button(text=label, callback_data=WizCb(step=step, value=value))
    kb.adjust(1)
    kb.row(*_cancel_row())
    return kb.as_markup()


# -- import ---------------------------------------------------------------------------------


def import_intro() -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    kb.button(text=_("📄 Template") + " (CSV)", callback_data=AdminCb(action="template"))
    kb.button(text=_("📤 Export") + " CSV", callback_data=AdminCb(action="export_csv"))
    kb.button(text=_("📤 Export") + " XLSX", callback_data=AdminCb(action="export_xlsx"))
    kb.adjust(1, 2)
    kb.row(back_to_admin())
    return kb.as_markup()


def import_confirm(import_id: int, count: int) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    if count:
        kb.button(
            text=_n("✅ Write %(count)s call", "✅ Write %(count)s calls", count)
            % {"count": count},
            callback_data=ImportCb(import_id=import_id, action="apply"),
        )
    kb.button(text=_("✖️ Cancel"), callback_data=ImportCb(import_id=import_id, action="drop"))
    kb.adjust(1)
    return kb.as_markup()


def stats_actions() -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    kb.button(text="📄 CSV", callback_data=AdminCb(action="stats_csv"))
    kb.row(back_to_admin())
    return kb.as_markup()


# -- roles ----------------------------------------------------------------------------------


def roles_overview(members: list[tuple[int, str]], page: int = 0) -> InlineKeyboardMarkup:
    """A button per member, LIST_PAGE at a time: Telegram refuses a keyboard of over 100."""
    kb = InlineKeyboardBuilder()
    pages = max(1, -(-len(members) // LIST_PAGE))
    page = max(0, min(page, pages - 1))
    for user_id, label in members[page * LIST_PAGE : (page + 1) * LIST_PAGE]:
        kb.button(text=label, callback_data=RoleCb(user_id=user_id, action="member"))
    kb.button(text=_("➕ Add admin"), callback_data=RoleCb(user_id=0, action="add", arg="admin"))
    kb.button(
        text=_("➕ Add coordinator"),
        callback_data=RoleCb(user_id=0, action="add", arg="coordinator"),
    )
    kb.adjust(1)
    if nav := page_buttons("roles", page, pages):
        kb.row(*nav)
    kb.row(back_to_admin())
    return kb.as_markup()


def member_actions(
    user_id: int, roles: set[str], programmes: list[Programme], assigned: set[str]
) -> InlineKeyboardMarkup:
    kb = InlineKeyboardBuilder()
    for role, grant_label, revoke_label in (
        ("admin", _("➕ Make admin"), _("➖ Remove admin")),
        ("coordinator", _("➕ Make coordinator"), _("➖ Remove coordinator")),
    ):
        if role in roles:
            kb.button(
                text=revoke_label, callback_data=RoleCb(user_id=user_id, action="revoke", arg=role)
            )
        else:
            kb.button(
                text=grant_label, callback_data=RoleCb(user_id=user_id, action="grant", arg=role)
            )
    if "coordinator" in roles:
        for programme in programmes:
            mark = "✅ " if programme.code in assigned else "▫️ "
            kb.button(
                text=mark + programme_name(programme),
                callback_data=RoleCb(user_id=user_id, action="programme", arg=programme.code),
            )
    kb.button(text=_("⬅️ Roles"), callback_data=RoleCb(user_id=0, action="list"))
    kb.adjust(2)
    return kb.as_markup()


def cancel_only() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[_cancel_row()])
