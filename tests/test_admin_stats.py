"""Stories of /stats: who uses the bot, by language, level and field."""

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
    assert rows[0] == ["section", "group", "total", "active", "blocked"]
    assert ["Users", "all", "6", "4", "1"] in rows
    assert ["By level", "Bachelor's", "1", "0", "1"] in rows
