"""Stories of /stats: who uses the bot, by language, level and field; what it sent."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from bot.db.users import UsersRepo
from bot.domain.profile import Field, Level
from tests.admin_helpers import speaks_english
from tests.conftest import ADMIN_ID


async def population(app) -> None:
    users = UsersRepo(app.db)
    now = app.clock.now()
    people = [
        # id, language, level, fields, blocked, days since last seen
        (1, "uz", Level.MASTER, Field.ICT.bit, False, 1),
        (2, "uz", Level.MASTER, Field.ICT.bit | Field.HEALTH.bit, False, 40),
        (3, "ru", Level.BACHELOR, Field.HEALTH.bit, True, 2),
        (4, "uz_Cyrl", Level.DOCTORAL, Field.ENGINEERING.bit, False, 0),
        (5, None, None, 0, False, 0),
    ]
    for uid, language, level, fields, blocked, days in people:
        await users.touch(uid, f"U{uid}", None, "uz", now - timedelta(days=days))
        await users.update(uid, language=language, level=level, fields_mask=fields)
        if blocked:
            await users.set_active(uid, False)


async def test_admin_sees_users_by_language_level_and_field_with_aligned_numbers(
    app, telegram, admin
):
    await population(app)
    await speaks_english(app, admin)  # the admin is a user too: 6 in all, active
    await telegram.send(admin, "/stats")
    text = telegram.last_bot_text(admin.id)
    assert "<pre>" in text
    lines = text.split("<pre>")[1].split("</pre>")[0].splitlines()
    assert lines[0].split() == ["total", "active", "blocked"]
    table = {line[:24].strip(): line[24:].split() for line in lines[1:]}
    assert table["all"] == ["6", "4", "1"]  # #2 not seen for 40 days, #3 blocked
    assert table["O‘zbekcha"] == ["2", "1", "0"]
    assert table["Русский"] == ["1", "0", "1"]
    assert table["English"] == ["1", "1", "0"]
    assert table["Master's"] == ["2", "1", "0"]
    assert table["ICT"] == ["2", "1", "0"]
    assert table["not chosen"] == ["2", "2", "0"]  # level: #5 and the admin
    assert table["Health and welfare"] == ["2", "0", "1"]
    # every number column ends at the same place
    widths = {len(line) for line in lines if line[24:].strip()}
    assert len(widths) == 1


async def test_statistics_come_as_csv_too(app, telegram, admin):
    await population(app)
    await speaks_english(app, admin)
    await telegram.send(admin, "/stats")
    await telegram.press(admin, "CSV")
    document = [m for m in telegram.transcript(ADMIN_ID) if m.kind == "document"][-1]
    rows = list(csv.reader(io.StringIO(document.file_content.decode("utf-8-sig"))))
    assert rows[0][:5] == ["section", "group", "total", "active", "blocked"]
    assert ["Users", "all", "6", "4", "1", "", ""] in rows
    assert ["By level", "Bachelor's", "1", "0", "1", "", ""] in rows


async def test_saved_calls_reminders_pushes_and_broadcasts_are_counted(app, telegram, admin):
    await population(app)
    await speaks_english(app, admin)
    now = int(app.clock.now().timestamp())
    day = 86400
    call_ids = [c.id for c in await app.repos.calls.list_all()][:3]
    for uid, call_id, age in ((1, call_ids[0], 1), (1, call_ids[1], 10), (2, call_ids[2], 40)):
        await app.db.execute(
            "INSERT INTO saved_calls (user_id, call_id, saved_at) VALUES (?, ?, ?)",
            (uid, call_id, now - age * day),
        )
    await app.db.execute(
        "INSERT INTO notify_prefs (user_id, reminder_days, send_hour, subscribed)"
        " VALUES (1, '7,1', 9, 1), (2, '7,1', 9, 0)"
    )
    job = await app.db.execute(
        "INSERT INTO delivery_jobs (kind, created_by, created_at) VALUES ('broadcast', ?, ?)",
        (ADMIN_ID, now - day),
    )
    pushes = [
        (1, call_ids[0], "reminder", 7, None, "sent", now - 2 * day),
        (1, call_ids[0], "reminder", 1, None, "sent", now - 20 * day),
        (2, call_ids[2], "reminder", 7, None, "sent", now - 60 * day),
        (4, call_ids[1], "reminder", 1, None, "pending", None),
        (4, call_ids[1], "new_call", 0, None, "sent", now - 3 * day),
        (1, 0, "broadcast", job, job, "sent", now - day),
        (2, 0, "broadcast", job, job, "sent", now - day),
        (3, 0, "broadcast", job, job, "failed", None),
        (4, 0, "broadcast", job, job, "pending", None),
    ]
    for uid, call_id, kind, slot, job_id, state, sent_at in pushes:
        await app.db.execute(
            "INSERT INTO outbox (user_id, call_id, kind, slot, job_id, due_at, state,"
            " created_at, updated_at, sent_at) VALUES (?,?,?,?,?,?,?,?,?,?)",
            (uid, call_id, kind, slot, job_id, now, state, now, now, sent_at),
        )
    await telegram.send(admin, "/stats")
    text = telegram.last_bot_text(admin.id)
    activity = text.split("<pre>")[2].split("</pre>")[0].splitlines()
    table = {line[:24].strip(): line[24:].split() for line in activity[1:]}
    assert activity[0].split() == ["total", "7", "days", "30", "days"]
    assert table["Saved calls"] == ["3", "1", "2"]
    assert table["Reminders sent"] == ["3", "1", "2"]
    assert table["New-call pushes sent"] == ["1", "1", "1"]
    assert table["Subscribers"] == ["1"]
    assert f"Broadcast #{job}" in text and "sent 2, failed 1, left 1" in text
