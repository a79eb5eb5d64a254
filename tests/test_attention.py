"""Stories of the admins' attention list: a changed official page, the call unverified for
too long, next-round drafts, "Still correct", Edit, the daily digest, and refusals."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, timedelta

import pytest
from aiogram.methods import AnswerCallbackQuery, SendMessage

from bot.db.history import CallHistoryRepo
from bot.db.source_watch import SourceWatchRepo
from bot.keyboards.attention import AttentionCb
from bot.services.attention import ATTENTION_DIGEST, Attention
from tests.admin_helpers import speaks_english
from tests.conftest import ADMIN_ID, onboard
from tests.support.pages import LocalSite, start_site, stop_site
from tests.test_source_watch import OFFICIAL, only_calls, watch_for

TODAY = date(2026, 11, 23)


@pytest.fixture
async def site() -> AsyncIterator[LocalSite]:
    site = await start_site()
    yield site
    await stop_site(site)


async def changed_call(app, site: LocalSite) -> int:
    """A published call whose official page moved its deadline since the last check."""
    [call_id] = await only_calls(app, (OFFICIAL, OFFICIAL))
    site.html(OFFICIAL, "Erasmus Mundus <Joint> Master", "Deadline: 15 January 2027")
    watch = watch_for(app, site)
    await watch.run()
    site.html(OFFICIAL, "Erasmus Mundus <Joint> Master", "Deadline: 15 февраля 2027 г.")
    await watch.run()
    return call_id


async def test_admin_sees_what_changed_and_confirms_the_call_is_still_correct(
    app, telegram, admin, site
):
    call_id = await changed_call(app, site)
    calls = app.repos.calls
    await app.db.execute("UPDATE calls SET verified_on = '2026-10-01' WHERE id = ?", (call_id,))
    await speaks_english(app, admin)
    await telegram.send(admin, "/admin")
    await telegram.press(admin, "⚠️ Attention")
    screen = telegram.last_bot_text(admin.id)
    assert "1 call needs a look" in screen and "Page changed: 1" in screen
    await telegram.press(admin, f"#{call_id}")
    screen = telegram.last_bot_text(admin.id)
    assert "Last verified: October 1, 2026 (53 days ago)" in screen
    assert "➖ Deadline: <b>15 January 2027</b>" in screen
    assert "➕ Deadline: <b>15 февраля 2027 г.</b>" in screen

    await telegram.press(admin, "✅ Still correct")
    screen = telegram.last_bot_text(admin.id)
    assert f"Call #{call_id} is marked as verified today" in screen
    assert "Nothing needs a look" in screen
    assert (await calls.get(call_id)).verified_on == TODAY
    assert await SourceWatchRepo(app.db).open_items(call_id) == []
    [entry, *_] = await CallHistoryRepo(app.db).of_call(call_id)
    assert (entry.action, entry.actor_id) == ("verified", ADMIN_ID)
    assert entry.changes == {"verified_on": ["2026-10-01", "2026-11-23"]}


async def test_the_diff_is_escaped_for_html(app, telegram, admin, site):
    [call_id] = await only_calls(app, (OFFICIAL, OFFICIAL))
    site.html(OFFICIAL, "Apply at &lt;portal&gt; by 2027-01-15")
    watch = watch_for(app, site)
    await watch.run()
    site.html(OFFICIAL, "Apply at &lt;script&gt;alert(1)&lt;/script&gt; by 15.02.2027 &lt;b&gt;")
    await watch.run()
    await speaks_english(app, admin)
    await telegram.press_data(admin, AttentionCb(call_id=call_id, action="open").pack())
    screen = telegram.last_bot_text(admin.id)
    assert "➖ Apply at &lt;portal&gt; by <b>2027-01-15</b>" in screen
    assert (
        "➕ Apply at &lt;script&gt;alert(1)&lt;/script&gt; by <b>15.02.2027</b> &lt;b&gt;" in screen
    )


async def test_edit_opens_the_call_editor(app, telegram, admin, site):
    call_id = await changed_call(app, site)
    await speaks_english(app, admin)
    await telegram.press_data(admin, AttentionCb(call_id=call_id, action="open").pack())
    await telegram.press(admin, "✏️ Edit")
    assert f"Call #{call_id}</b>: what do you want to change?" in telegram.last_bot_text(admin.id)


async def test_calls_unverified_for_over_180_days_are_on_the_list_until_confirmed(
    app, telegram, admin
):
    calls = await app.repos.calls.list_all()
    old = TODAY - timedelta(days=181)
    just_in_time = TODAY - timedelta(days=180)
    # Given a catalogue checked today, but for one call 181 days ago and one 180 days ago.
    await app.db.execute("UPDATE calls SET verified_on = ?", (TODAY,))
    await app.db.execute("UPDATE calls SET verified_on = ? WHERE id = ?", (old, calls[0].id))
    await app.db.execute(
        "UPDATE calls SET verified_on = ? WHERE id = ?", (just_in_time, calls[1].id)
    )
    await speaks_english(app, admin)
    await telegram.send(admin, "/admin")
    await telegram.press(admin, "⚠️ Attention")
    screen = telegram.last_bot_text(admin.id)
    assert "Not verified for over 180 days: 1" in screen
    await telegram.press(admin, f"#{calls[0].id}")
    assert "181 days ago" in telegram.last_bot_text(admin.id)
    await telegram.press(admin, "✅ Still correct")
    assert "Nothing needs a look" in telegram.last_bot_text(admin.id)


async def test_a_yearly_calls_next_round_draft_waits_on_the_list(app, telegram, admin):
    calls = app.repos.calls
    source = (await calls.list_all())[2]
    await app.db.execute(
        "UPDATE calls SET status = 'draft', next_round_of = ? WHERE id = ?",
        (source.id, (await calls.list_all())[3].id),
    )
    draft = (await calls.next_round_drafts())[0]
    await speaks_english(app, admin)
    await telegram.send(admin, "/admin")
    await telegram.press(admin, "⚠️ Attention")
    assert "Next-round draft waiting: 1" in telegram.last_bot_text(admin.id)
    await telegram.press(admin, f"#{draft.id}")
    assert "🔁 Next-round draft waiting" in telegram.last_bot_text(admin.id)


async def test_a_student_pressing_a_forged_attention_button_is_refused(
    app, telegram, student, site
):
    call_id = await changed_call(app, site)
    before = (await app.repos.calls.get(call_id)).verified_on
    await onboard(telegram, student)
    for action in ("ok", "open"):
        sent = await telegram.press_data(
            student, AttentionCb(call_id=call_id, action=action).pack()
        )
        answers = [m for m in sent if isinstance(m, AnswerCallbackQuery)]
        assert answers and "only for the international office staff" in answers[-1].text
    assert (await app.repos.calls.get(call_id)).verified_on == before
    assert len(await SourceWatchRepo(app.db).open_items(call_id)) == 1


async def test_admins_get_one_digest_a_day_in_their_language_while_the_list_is_not_empty(
    app, telegram, admin, session, site, clock, settings
):
    attention: Attention = app.services.attention
    await app.db.execute("UPDATE calls SET verified_on = ?", (TODAY,))  # all checked today
    assert await attention.plan_digest() == 0  # the list is empty: no digest

    await changed_call(app, site)
    await telegram.send(admin, "/start")
    await telegram.press(admin, "Русский")
    attention.watch = None  # the pages were checked above
    await attention.daily()
    await app.services.notifications.tick()
    sent = [m for m in session.requests if isinstance(m, SendMessage) and m.chat_id == ADMIN_ID]
    digest = [m for m in sent if "⚠️" in m.text and "1" in m.text]
    assert len(digest) == 1
    assert "Страница изменилась: 1" in digest[0].text

    # again later the same day, and after a restart (a new service over the same database)
    clock.advance(hours=1)
    assert await attention.plan_digest() == 0
    restarted = Attention(
        attention.repo,
        attention.calls,
        attention.history,
        attention.users,
        clock,
        settings,
        app.i18n,
        app.services.delivery,
    )
    assert await restarted.plan_digest() == 0
    outbox = await app.db.fetchval(
        "SELECT count(*) FROM outbox WHERE kind = ?", (ATTENTION_DIGEST,)
    )
    assert outbox == 1

    clock.advance(days=1)
    assert await restarted.plan_digest() == 1


async def test_the_daily_job_runs_at_the_configured_hour_and_can_leave_the_pages_alone(
    tmp_path, clock, session, site
):
    from bot.app import create_app
    from bot.services.scheduler import SOURCE_WATCH_JOB
    from tests.conftest import make_settings

    settings = make_settings(tmp_path, source_watch_hour=7, source_watch_enabled=False)
    app = await create_app(settings, clock=clock, session=session)
    app.services.source_watch.resolve = site.resolve  # were it to fetch: only from here
    try:
        job = app.scheduler.get_job(SOURCE_WATCH_JOB)
        assert str(job.trigger.fields[5]) == "7"  # the cron trigger's hour
        assert job.func == app.services.attention.daily
        assert await app.services.attention.daily() is None
        assert await app.db.fetchval("SELECT count(*) FROM url_checks") == 0
    finally:
        await app.close()
