"""Texts of /privacy, /forget and /export_me. The list of what is stored follows the schema
(`migrations/*.sql`, registered in `bot/db/privacy.py`): nothing here may claim more or less."""

from __future__ import annotations

from bot.i18n import _


def privacy_text() -> str:
    return "\n".join(
        [
            _("<b>Your data in Imkon</b>"),
            "",
            _("<b>What the bot stores, and why</b>"),
            _(
                "• Your profile: Telegram first name, @username and app language; the language, "
                "study level, fields and filters you chose — to show calls that fit you."
            ),
            _(
                "• When you started and when you last wrote to the bot — for activity counts, "
                "and whether the bot can still write to you."
            ),
            _(
                "• Saved calls, the ticks of your document checklists and your reminder "
                "settings (days, hour, new-call alerts, weekly digest) — to remind you before "
                "deadlines."
            ),
            _(
                "• Your time zone and quiet hours, if you chose them — to remind you at your "
                "own local hours. A location you share is used once to find the zone and is "
                "not kept."
            ),
            _(
                "• Reminders, digests and announcements waiting to be sent, and a record of the "
                "ones sent — so that none is sent twice."
            ),
            _(
                "• Your questions to coordinators (tickets): your messages and files, their "
                "answers, your rating, and whether coordinators may see your @username."
            ),
            _(
                "• Where you are in a conversation with the bot (for example a search you "
                "started), and any attempt to use a staff command."
            ),
            "",
            _("<b>Who sees it</b>"),
            _(
                "• Admins see only counts in /stats (students by language, level and field), "
                "never your name or your questions."
            ),
            _(
                "• Coordinators see your tickets: your first name, your language, your messages, "
                "and your @username only if you agreed."
            ),
            "",
            _("<b>How long it is kept</b>"),
            _(
                "• Records of sent reminders: about 400 days. Everything else: until you delete "
                "it with /forget. If you block the bot, you are only marked inactive."
            ),
            "",
            _("<b>Your choices</b>"),
            _("• /export_me — get a file (JSON) with everything the bot stores about you."),
            _(
                "• /forget — delete it all. Your questions stay with the coordinators without "
                "your name, id or @username; messages already posted in their Telegram chat stay "
                "there."
            ),
        ]
    )


def forget_confirmation() -> str:
    return "\n".join(
        [
            _("<b>Delete everything the bot stores about you?</b>"),
            _(
                "Your profile, saved calls, checklist ticks, reminder settings, pending "
                "reminders and conversation state will be deleted. Your questions stay with the "
                "coordinators without your name; open ones are closed."
            ),
            _("This cannot be undone. Want a copy first? Send /export_me."),
        ]
    )


def forgotten() -> str:
    return _(
        "🗑 Done: everything the bot stored about you is deleted. If you write again, the bot "
        "will treat you as new — /start sets up a profile."
    )


def forget_cancelled() -> str:
    return _("Nothing was deleted.")


def forget_expired() -> str:
    return _("This confirmation has expired. Send /forget again if you still want it.")


def staff_cannot_forget() -> str:
    return _(
        "You have a staff role (admin or coordinator), so your data is not deleted. Ask "
        "another admin to remove your role with /roles first (an admin listed in ADMIN_IDS is "
        "removed by the bot's operator), then send /forget again."
    )


def export_caption() -> str:
    return _(
        "Everything the bot stores about you, as stored (times with their time zone). "
        "/forget deletes it."
    )


def student_left_work_chat(ticket_id: int) -> str:
    return _(
        "🚪 The student of ticket #%(id)s deleted their data with /forget. The ticket is "
        "closed; answers can no longer reach them."
    ) % {"id": ticket_id}


def answer_to_forgotten_student(ticket_id: int) -> str:
    return _(
        "The student of ticket #%(id)s deleted their data with /forget: the bot no longer "
        "knows them, so this answer was not sent. The question stays here for reference."
    ) % {"id": ticket_id}
